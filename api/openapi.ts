// The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the workflows validate
// requests with, so the document cannot drift from what the server accepts. Responses are the
// workflow's message types (TypeScript interfaces); their schemas below are checked against those
// interfaces at compile time.
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { z } from 'zod';
import {
  FLEET_NUMBER_STATUSES,
  fleetIdSchema,
  type FleetNumberOutcome,
  type FleetPhase,
  type FleetProgress,
} from '../domain/fleet';
import { FAILURE_TYPES } from '../domain/failure-types';
import { requestLedgerSchema } from '../domain/ledger';
import { LIFECYCLE_STATES } from '../domain/lifecycle-state';
import { listFilterSchema, type NumberListing } from '../domain/number-listing';
import {
  OPERATION_KINDS,
  changeRegionRequestSchema,
  deregisterRequestSchema,
  migrateRequestSchema,
  onboardRequestSchema,
  operationRequestSchema,
  registerRequestSchema,
  setPinRequestSchema,
  verifyRequestSchema,
} from '../domain/operations';
import { phoneNumberIdSchema } from '../domain/phone-number';
import { verificationCodeSchema } from '../domain/verification';
import type {
  CancelOperationRequest,
  CancelOperationResult,
  CodeSubmissionResult,
  LifecycleSnapshot,
  OperationSummary,
  OperationTicket,
  RetryOperationRequest,
} from '../workflows/messages';
import type { CancelFleetResult } from '../workflows/fleet-messages';
import type { FleetStatus } from '../client/fleets';
import { API_ERROR_CODES, type ApiErrorCode } from './errors';
import {
  fleetCancelRequestSchema,
  fleetDefaultsSchema,
  fleetNumberSchema,
  fleetRetryRequestSchema,
  fleetStartRequestSchema,
} from './fleet-requests';
import {
  LIST_QUERY_PARAMETERS,
  cancelOperationBodySchema,
  retryOperationBodySchema,
} from './operator-requests';

/** The body of POST /v1/phone-numbers/{id}/verification-code. */
export const verificationCodeRequestSchema = z.object({ code: verificationCodeSchema }).strict();

const operationKindSchema = z.enum(OPERATION_KINDS);
const lifecycleStateSchema = z.enum(LIFECYCLE_STATES);

/** Every failure type an operation or fleet member can end with (domain/failure-types.ts): branch on these. */
const failureTypeSchema = z
  .enum(FAILURE_TYPES)
  .describe(
    'The failure type: one of the documented operation and Graph failure types (domain/failure-types.ts)',
  );

export const operationTicketSchema = z.object({
  operationId: z.string(),
  workflowId: z.string(),
  operation: operationKindSchema,
  joined: z.boolean(),
  position: z.number().int().min(0),
});

export const operationSummarySchema = z.object({
  operationId: z.string(),
  workflowId: z.string(),
  operation: operationKindSchema,
  requestedBy: z.string().optional(),
  status: z.enum(['queued', 'running', 'waiting', 'completed', 'failed']),
  outcome: z.enum(['completed', 'already-done']).optional(),
  failure: z
    .object({ type: failureTypeSchema, message: z.string(), graphCode: z.number().optional() })
    .optional(),
  activeState: lifecycleStateSchema.optional(),
  waitingFor: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  enqueuedAt: z.string(),
  finishedAt: z.string().optional(),
  cancelRequestedBy: z.string().optional(),
  retryOf: z.string().optional(),
});

export const lifecycleSnapshotSchema = z.object({
  phoneNumberId: z.string(),
  state: lifecycleStateSchema,
  registration: z.enum(['registered', 'not-registered', 'unknown']),
  verification: z.enum(['verified', 'not-verified', 'unknown']),
  pinSet: z.boolean(),
  ledger: requestLedgerSchema,
  currentOperation: operationSummarySchema.optional(),
  queued: z.array(operationSummarySchema),
  recentOperations: z.array(operationSummarySchema),
  recovered: z
    .object({
      runId: z.string(),
      status: z.string(),
      closedAt: z.string(),
      ledger: requestLedgerSchema,
      requests: z.number().int(),
      inFlight: z.number().int(),
      interrupted: z
        .object({ operationId: z.string(), operation: operationKindSchema, resumedAs: z.string().optional() })
        .optional(),
    })
    .optional(),
});

export const codeSubmissionResultSchema = z.object({
  accepted: z.boolean(),
  reason: z.string().optional(),
  attemptsLeft: z.number().int(),
});

const WORKFLOW_STATUSES = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
  'PAUSED',
  'UNKNOWN',
] as const satisfies readonly WorkflowExecutionStatusName[];
const FLEET_PHASES = [
  'listing',
  'running',
  'cancelling',
  'finished',
  'cancelled',
] as const satisfies readonly FleetPhase[];

export const fleetNumberOutcomeSchema = z.object({
  phoneNumberId: z.string(),
  status: z.enum(FLEET_NUMBER_STATUSES),
  operationId: z.string().optional(),
  reason: z.string().optional(),
  failureType: failureTypeSchema.optional(),
});

export const fleetProgressSchema = z.object({
  fleetId: z.string(),
  operation: operationKindSchema,
  phase: z.enum(FLEET_PHASES),
  concurrency: z.number().int(),
  total: z.number().int(),
  counts: z.record(z.enum(FLEET_NUMBER_STATUSES), z.number().int()),
  numbers: z.array(fleetNumberOutcomeSchema),
  requestedBy: z.string().optional(),
  retryOf: z.string().optional(),
  wabaId: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
});

export const fleetStatusSchema = z.object({
  fleetId: z.string(),
  workflowId: z.string(),
  status: z.enum(WORKFLOW_STATUSES),
  failure: z.object({ type: z.string().optional(), message: z.string() }).optional(),
  progress: fleetProgressSchema.optional(),
});

/** The answer to a fleet's start or retry: where it runs and its Temporal status. */
export const fleetStartedSchema = fleetStatusSchema.pick({ fleetId: true, workflowId: true, status: true });

export const cancelFleetResultSchema = z.object({
  notStarted: z.number().int(),
  stillRunning: z.number().int(),
  cancelRequested: z.number().int(),
});

export const cancelOperationResultSchema = z.object({
  operationId: z.string(),
  status: z.enum(['cancelled', 'cancel-requested']),
  note: z.string(),
});

export const numberListingSchema = z.object({
  phoneNumberId: z.string(),
  state: z.string().optional(),
  operation: z.string().optional(),
  wabaId: z.string().optional(),
  nextAttemptAt: z.string().optional(),
});

export const numberListSchema = z.object({ numbers: z.array(numberListingSchema) });

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.enum(API_ERROR_CODES as [ApiErrorCode, ...ApiErrorCode[]]),
    message: z.string(),
    field: z.string().optional(),
    /** Every problem, when the body had several (a fleet's numbers); `field` is the first one's. */
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

// The response schemas must describe exactly what the workflow returns: the same fields (an optional one
// left out of a schema would otherwise pass unnoticed), of the same types.
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Same<A, B> = SameType<A, B> extends true ? SameType<keyof A, keyof B> : false;
type Expect<T extends true> = T;
export type ResponseSchemasMatchMessages = [
  Expect<Same<z.output<typeof cancelOperationResultSchema>, CancelOperationResult>>,
  Expect<Same<z.output<typeof numberListingSchema>, NumberListing>>,
  Expect<Same<z.output<typeof cancelOperationBodySchema>, Omit<CancelOperationRequest, 'operationId'>>>,
  Expect<Same<z.output<typeof retryOperationBodySchema>, RetryOperationRequest>>,
  Expect<Same<z.output<typeof operationTicketSchema>, OperationTicket>>,
  Expect<Same<z.output<typeof operationSummarySchema>, OperationSummary>>,
  Expect<Same<z.output<typeof lifecycleSnapshotSchema>, LifecycleSnapshot>>,
  Expect<Same<z.output<typeof codeSubmissionResultSchema>, CodeSubmissionResult>>,
  Expect<Same<z.output<typeof fleetNumberOutcomeSchema>, FleetNumberOutcome>>,
  Expect<Same<z.output<typeof fleetProgressSchema>, FleetProgress>>,
  Expect<Same<z.output<typeof fleetStatusSchema>, FleetStatus>>,
  Expect<Same<z.output<typeof cancelFleetResultSchema>, CancelFleetResult>>,
  Expect<Same<z.output<typeof fleetStatusSchema>['status'], WorkflowExecutionStatusName>>,
  Expect<Same<z.output<typeof fleetProgressSchema>['phase'], FleetPhase>>,
];

type Meta = { id: string; title?: string; description?: string };
type JsonObject = Record<string, unknown>;

function componentSchemas(entries: [z.ZodType, Meta][], io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<Meta>();
  for (const [schema, meta] of entries) registry.add(schema, meta);
  const { schemas } = z.toJSONSchema(registry, {
    io,
    metadata: registry,
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [
      id,
      // Responses may gain fields; a client's validator must not break on them. Requests stay strict.
      (io === 'output' ? allowExtraProperties(schema) : schema) as JsonObject,
    ]),
  );
}

function allowExtraProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(allowExtraProperties);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === 'additionalProperties' && v === false))
      .map(([k, v]) => [k, allowExtraProperties(v)]),
  );
}

const OPERATION_VARIANTS: [z.ZodType, string, string][] = [
  [registerRequestSchema, 'RegisterRequest', 'Register the number on the Cloud API with its two-step PIN.'],
  [deregisterRequestSchema, 'DeregisterRequest', 'Deregister the number (refused when known unregistered).'],
  [
    verifyRequestSchema,
    'VerifyRequest',
    'Prove ownership: a code is sent by SMS or voice; submit it with POST .../verification-code.',
  ],
  [setPinRequestSchema, 'SetPinRequest', 'Set or change the two-step PIN (the old one is not needed).'],
  [
    onboardRequestSchema,
    'OnboardRequest',
    'Verify (if needed), wait for a usable display name, then register: one operation.',
  ],
  [
    changeRegionRequestSchema,
    'ChangeRegionRequest',
    'Move local storage to another region, or turn it off (null): deregister, settings, register.',
  ],
  [
    migrateRequestSchema,
    'MigrateRequest',
    'On-Premises to Cloud API: backup on the On-Prem client, then register on Cloud with that backup.',
  ],
];

export interface OpenApiOptions {
  /** Whether the API requires a key (the document then applies the security schemes globally). */
  authRequired: boolean;
  /** Base path of the codec endpoint, when the server serves it. */
  codecBasePath?: string;
}

const json = (schemaRef: string, extra: JsonObject = {}) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${schemaRef}` }, ...extra },
});
const errorResponse = (description: string) => ({ description, content: json('Error') });

function errorResponses(...statuses: number[]): Record<string, unknown> {
  const all: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    404: 'NotFound',
    409: 'OperationRejected',
    413: 'PayloadTooLarge',
    415: 'UnsupportedMediaType',
    500: 'Internal',
    503: 'TemporalUnavailable',
  };
  return Object.fromEntries(
    statuses.map((s) => [String(s), { $ref: `#/components/responses/${all[s] ?? 'Internal'}` }]),
  );
}

/** The OpenAPI 3.1 document the server serves at /openapi.json. */
export function buildOpenApiDocument(options: OpenApiOptions): JsonObject {
  const requests = componentSchemas(
    [
      ...OPERATION_VARIANTS.map(([schema, id, description]): [z.ZodType, Meta] => [
        schema,
        { id, description },
      ]),
      [
        operationRequestSchema,
        {
          id: 'OperationRequest',
          description: `One operation on a phone number, chosen by \`operation\`: ${OPERATION_KINDS.join(', ')}.`,
        },
      ],
      [
        verificationCodeRequestSchema,
        {
          id: 'VerificationCodeRequest',
          description: 'The code a person received, as shown (123-830) or as digits (123830).',
        },
      ],
      [
        cancelOperationBodySchema,
        {
          id: 'CancelOperationRequest',
          description:
            'Who cancels (shown in the summary, and in the failure of an operation dropped from the queue).',
        },
      ],
      [
        retryOperationBodySchema,
        {
          id: 'RetryOperationRequest',
          description:
            "A corrected two-step PIN, for an operation that takes one (otherwise the original request's is used), and who asks.",
        },
      ],
      [
        fleetStartRequestSchema,
        {
          id: 'FleetStartRequest',
          description:
            'One operation over many numbers, each through its own lifecycle, at most `concurrency` at a time. ' +
            "Give `numbers` (each request is {operation, ...defaults, ...the number's own parameters}, onPrem merged; " +
            'a PIN from `pins` when the number gives none) or `wabaId` (every number of that WABA, with `defaults` and `pins`), not both. ' +
            'Every bad number is reported, each at its path (numbers[3].pin), and nothing starts.',
        },
      ],
      [
        fleetNumberSchema,
        {
          id: 'FleetNumber',
          description:
            'One number of a fleet and its own parameters, named as in the single-number operation bodies; ' +
            'which ones the operation takes is checked against its request schema.',
        },
      ],
      [
        fleetDefaultsSchema,
        {
          id: 'FleetDefaults',
          description:
            "Parameters for every number of the fleet (a number's own ones win; onPrem is merged).",
        },
      ],
      [
        fleetCancelRequestSchema,
        {
          id: 'FleetCancelRequest',
          description:
            'Who cancels (shown in the reason of each number not started); cancelRunning: also ask the started operations to stop at their next safe points.',
        },
      ],
      [
        fleetRetryRequestSchema,
        {
          id: 'FleetRetryRequest',
          description:
            "The new fleet's ID (default: {fleetId}-retry-xxxx), concurrency and requester (default: the old fleet's).",
        },
      ],
    ],
    'input',
  );
  const fleetStart = requests.FleetStartRequest;
  if (fleetStart) fleetStart.oneOf = [{ required: ['numbers'] }, { required: ['wabaId'] }];
  const operationRequest = requests.OperationRequest;
  if (operationRequest) {
    operationRequest.discriminator = {
      propertyName: 'operation',
      mapping: Object.fromEntries(
        OPERATION_KINDS.map((kind, i) => [kind, `#/components/schemas/${OPERATION_VARIANTS[i]![1]}`]),
      ),
    };
  }
  const code = requests.VerificationCodeRequest?.properties as Record<string, JsonObject> | undefined;
  if (code?.code) {
    code.code = { ...code.code, description: '6 digits; one hyphen allowed', examples: ['123-830'] };
  }

  const responses = componentSchemas(
    [
      [operationTicketSchema, { id: 'OperationTicket', description: 'The operation started or joined.' }],
      [operationSummarySchema, { id: 'OperationSummary', description: 'An operation and how it went.' }],
      [
        lifecycleSnapshotSchema,
        { id: 'LifecycleSnapshot', description: "The number's state, request ledger and operations." },
      ],
      [
        codeSubmissionResultSchema,
        { id: 'CodeSubmissionResult', description: 'Whether Meta accepted the code, and if not why.' },
      ],
      [
        fleetStartedSchema,
        { id: 'FleetStarted', description: 'The fleet started: its ID, workflow ID and Temporal status.' },
      ],
      [
        fleetStatusSchema,
        {
          id: 'FleetStatus',
          description:
            "The fleet's Temporal status (RUNNING, COMPLETED, FAILED...), why it failed when it did, and its progress.",
        },
      ],
      [
        fleetProgressSchema,
        {
          id: 'FleetProgress',
          description:
            'Counts by state, and the numbers the `numbers` query parameter asks for, in fleet order.',
        },
      ],
      [
        fleetNumberOutcomeSchema,
        { id: 'FleetNumberOutcome', description: 'Where one number stands, and why.' },
      ],
      [
        cancelFleetResultSchema,
        {
          id: 'CancelFleetResult',
          description:
            'Numbers that will not be started, those already started (they finish), and started operations asked to stop.',
        },
      ],
      [
        cancelOperationResultSchema,
        {
          id: 'CancelOperationResult',
          description:
            'cancelled: it was queued and will never run; cancel-requested: it was running and stops at its next safe point (then fails with type Cancelled), the note says what still happens first.',
        },
      ],
      [
        numberListingSchema,
        {
          id: 'NumberListing',
          description:
            "A number's lifecycle as its search attributes show it: state, current operation, WABA, and until when it waits.",
        },
      ],
      [numberListSchema, { id: 'NumberList', description: 'The numbers that match, by phone-number ID.' }],
      [errorResponseSchema, { id: 'Error', description: 'Every error: a stable code and a message.' }],
    ],
    'output',
  );

  const phoneNumberId = {
    name: 'phoneNumberId',
    in: 'path',
    required: true,
    description: "Graph's phone-number node ID (not the phone number itself).",
    schema: stripMeta(z.toJSONSchema(phoneNumberIdSchema, { io: 'input' })),
    example: '1234567890',
  };
  const operationId = {
    name: 'operationId',
    in: 'path',
    required: true,
    description: 'The operationId of a ticket (URL-encoded: it contains colons).',
    schema: { type: 'string', minLength: 1, maxLength: 256 },
  };
  const wait = {
    name: 'wait',
    in: 'query',
    required: false,
    description: 'true: wait (up to a minute) for the operation to finish, then answer with its summary.',
    schema: { type: 'string', enum: ['true', 'false'] },
  };
  const listFilters = LIST_QUERY_PARAMETERS.map((name) => ({
    name,
    in: 'query',
    required: false,
    description: {
      state: 'Only numbers in this lifecycle state (e.g. waiting-for-rate-limit).',
      operation: 'Only numbers with this operation running.',
      wabaId: 'Only numbers of this WhatsApp Business Account.',
      limit: 'At most this many numbers.',
    }[name],
    schema: stripMeta(z.toJSONSchema(listFilterSchema.shape[name], { io: 'input' })),
  }));
  const operationLocation = {
    Location: {
      description: 'Where to follow the operation: /v1/phone-numbers/{id}/operations/{operationId}',
      schema: { type: 'string' },
    },
  };
  const cancelResponses = (rejected: string) => ({
    '200': {
      description: 'Dropped from the queue, or asked to stop at its next safe point',
      content: json('CancelOperationResult'),
    },
    ...errorResponses(400, 401, 413, 415, 500, 503),
    '409': { $ref: '#/components/responses/OperationRejected', description: rejected },
  });
  const open = { security: [] as unknown[] };
  const fleetIdParam = {
    name: 'fleetId',
    in: 'path',
    required: true,
    description: 'The fleet ID (chosen at start, or generated; its workflow ID is fleet:{fleetId}).',
    schema: stripMeta(z.toJSONSchema(fleetIdSchema, { io: 'input' })),
    example: 'register-eu-batch-1',
  };
  const numbersDetail = {
    name: 'numbers',
    in: 'query',
    required: false,
    description:
      'Which numbers progress.numbers lists: all, problems (failed and not started; the default) or none.',
    schema: { type: 'string', enum: ['all', 'problems', 'none'], default: 'problems' },
  };
  const fleetLocation = {
    Location: { description: 'Where to follow the fleet: /v1/fleets/{fleetId}', schema: { type: 'string' } },
  };
  const conflict = (description: string) => ({
    '409': { $ref: '#/components/responses/Conflict', description },
  });

  const paths: JsonObject = {
    '/v1/phone-numbers/{phoneNumberId}/operations': {
      parameters: [phoneNumberId],
      post: {
        operationId: 'requestOperation',
        summary: 'Start an operation on a number, or join an identical one already queued or running',
        description:
          "Starts the number's lifecycle if needed. The operation runs in the background; follow it at the URL in Location.",
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              "A retry with the same key answers with the first call's ticket and queues nothing (1 to 200 letters, digits, or . _ : -).",
            schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,200}$' },
          },
        ],
        requestBody: {
          required: true,
          content: json('OperationRequest', {
            examples: {
              register: { value: { operation: 'register', pin: '000000', region: 'DE' } },
              deregister: { value: { operation: 'deregister' } },
              verify: { value: { operation: 'verify', method: 'SMS', language: 'en_US' } },
            },
          }),
        },
        responses: {
          '202': {
            description: 'Accepted: the operation is queued or running',
            headers: operationLocation,
            content: json('OperationTicket'),
          },
          ...errorResponses(400, 401, 409, 413, 415, 500, 503),
        },
      },
    },
    '/v1/phone-numbers': {
      get: {
        operationId: 'listNumbers',
        summary: 'Numbers by lifecycle state, current operation and WABA',
        description:
          'Read from the search attributes the lifecycle workflows publish (no workflow is woken up), so a ' +
          'change shows after a moment. Unknown query parameters are refused.',
        parameters: listFilters,
        responses: {
          '200': { description: 'The numbers that match', content: json('NumberList') },
          ...errorResponses(400, 401, 500, 503),
        },
      },
    },
    '/v1/phone-numbers/{phoneNumberId}/cancel': {
      parameters: [phoneNumberId],
      post: {
        operationId: 'cancelCurrentOperation',
        summary: 'Cancel the running operation (at its next safe point), else drop the last queued one',
        description:
          'A request in flight always gets its answer first, and a deregistered (or migrating) number is ' +
          'registered again before the operation stops. The cancelled operation ends failed with type Cancelled.',
        requestBody: { required: false, content: json('CancelOperationRequest') },
        responses: cancelResponses(
          'OPERATION_REJECTED: nothing is queued or running, the running one is already being cancelled, or the number has no lifecycle',
        ),
      },
    },
    '/v1/phone-numbers/{phoneNumberId}/operations/{operationId}/cancel': {
      parameters: [phoneNumberId, operationId],
      post: {
        operationId: 'cancelOperation',
        summary: 'Cancel this operation: dropped when queued, stopped at its next safe point when running',
        requestBody: { required: false, content: json('CancelOperationRequest') },
        responses: cancelResponses(
          'OPERATION_REJECTED (field operationId): it is not queued or running (finished, or unknown), or is already being cancelled',
        ),
      },
    },
    '/v1/phone-numbers/{phoneNumberId}/retry': {
      parameters: [phoneNumberId],
      post: {
        operationId: 'retryOperation',
        summary:
          "Queue the number's last failed (or cancelled) operation again, with its original parameters",
        description:
          'The original request is kept only in encrypted workflow payloads; `pin` replaces a PIN Meta refused. ' +
          'The new operation names the one it re-runs in retryOf.',
        requestBody: { required: false, content: json('RetryOperationRequest') },
        responses: {
          '202': {
            description: 'Accepted: the re-run is queued or running',
            headers: operationLocation,
            content: json('OperationTicket'),
          },
          ...errorResponses(400, 401, 413, 415, 500, 503),
          '409': {
            $ref: '#/components/responses/OperationRejected',
            description:
              'OPERATION_REJECTED: nothing to retry (no failed operation, or a later success of the same kind), a PIN for an operation that takes none, or no lifecycle',
          },
        },
      },
    },
    '/v1/phone-numbers/{phoneNumberId}': {
      parameters: [phoneNumberId],
      get: {
        operationId: 'getPhoneNumber',
        summary: "The number's lifecycle state, request ledger and operations",
        responses: {
          '200': { description: 'The lifecycle snapshot', content: json('LifecycleSnapshot') },
          ...errorResponses(400, 401, 404, 500, 503),
        },
      },
    },
    '/v1/phone-numbers/{phoneNumberId}/operations/{operationId}': {
      parameters: [phoneNumberId, operationId],
      get: {
        operationId: 'getOperation',
        summary: 'One operation: queued, running, or among the recent ones',
        parameters: [wait],
        responses: {
          '200': {
            description: 'The operation (with wait=true: finished, or as it is when the wait ran out)',
            content: json('OperationSummary'),
          },
          ...errorResponses(400, 401, 404, 500, 503),
        },
      },
    },
    '/v1/phone-numbers/{phoneNumberId}/verification-code': {
      parameters: [phoneNumberId],
      post: {
        operationId: 'submitVerificationCode',
        summary: 'Hand the code a person received to the running verify or onboard operation',
        requestBody: { required: true, content: json('VerificationCodeRequest') },
        responses: {
          '200': {
            description: 'Accepted or not (a wrong code is still 200, with accepted false and why)',
            content: json('CodeSubmissionResult'),
          },
          ...errorResponses(400, 401, 409, 413, 415, 500, 503),
        },
      },
    },
    '/v1/fleets': {
      post: {
        operationId: 'startFleet',
        summary: 'Start a fleet: one operation over a list of numbers, or over every number of a WABA',
        description:
          'Each number runs through its own lifecycle (serialized with its other operations, under its request ledger). ' +
          'A WABA fleet answers once the WABA is listed: an empty WABA, or a number without the parameters it needs, is a 400 (field wabaId) and nothing starts.',
        requestBody: {
          required: true,
          content: json('FleetStartRequest', {
            examples: {
              numbers: {
                value: {
                  operation: 'register',
                  concurrency: 20,
                  fleetId: 'register-eu-batch-1',
                  defaults: { region: 'DE' },
                  numbers: [
                    { phoneNumberId: '1234567890', pin: '000000' },
                    { phoneNumberId: '1234567891', pin: '000000' },
                  ],
                },
              },
              waba: {
                value: {
                  operation: 'migrate',
                  concurrency: 10,
                  wabaId: '102290129340398',
                  defaults: {
                    backupPassword: '...',
                    onPrem: { url: 'https://onprem.example', username: 'admin', password: '...' },
                  },
                  pins: { '1234567890': '000000' },
                },
              },
            },
          }),
        },
        responses: {
          '202': {
            description: 'Accepted: the fleet runs',
            headers: fleetLocation,
            content: json('FleetStarted'),
          },
          ...errorResponses(400, 401, 413, 415, 500, 503),
          ...conflict('CONFLICT: a fleet with this fleetId exists already (field fleetId)'),
        },
      },
    },
    '/v1/fleets/{fleetId}': {
      parameters: [fleetIdParam],
      get: {
        operationId: 'getFleet',
        summary: "The fleet's status and progress",
        parameters: [numbersDetail],
        responses: {
          '200': { description: 'The fleet', content: json('FleetStatus') },
          ...errorResponses(400, 401, 404, 500, 503),
        },
      },
    },
    '/v1/fleets/{fleetId}/cancel': {
      parameters: [fleetIdParam],
      post: {
        operationId: 'cancelFleet',
        summary:
          'Stop starting new numbers; the started ones finish, or with cancelRunning stop at their next safe points',
        requestBody: { required: false, content: json('FleetCancelRequest') },
        responses: {
          '200': { description: 'What was stopped and what still runs', content: json('CancelFleetResult') },
          ...errorResponses(400, 401, 404, 413, 415, 500, 503),
          ...conflict('CONFLICT: the fleet is not running'),
        },
      },
    },
    '/v1/fleets/{fleetId}/retry': {
      parameters: [fleetIdParam],
      post: {
        operationId: 'retryFleet',
        summary:
          "A new fleet over a finished fleet's failed and never-started numbers, with their original requests",
        requestBody: { required: false, content: json('FleetRetryRequest') },
        responses: {
          '202': {
            description: 'Accepted: the new fleet runs',
            headers: fleetLocation,
            content: json('FleetStarted'),
          },
          ...errorResponses(400, 401, 404, 413, 415, 500, 503),
          ...conflict(
            'CONFLICT: the fleet is still running, did not run its numbers, has nothing to retry, or the new fleetId is taken',
          ),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This document',
        ...open,
        responses: {
          '200': { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: {} } } },
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness of the API process (does not check Temporal)',
        ...open,
        responses: {
          '200': {
            description: 'Up',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { ok: { type: 'boolean', const: true } },
                  required: ['ok'],
                },
              },
            },
          },
        },
      },
    },
  };
  if (options.codecBasePath) {
    for (const action of ['decode', 'encode']) {
      paths[`${options.codecBasePath}/${action}`] = {
        post: {
          operationId: `codec${action[0]!.toUpperCase()}${action.slice(1)}`,
          summary: `Temporal UI codec endpoint: ${action} payloads`,
          description:
            'Its own rules: CORS for the configured UI origins; callers not on this machine need the codec bearer token.',
          ...open,
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: {
            '200': { description: 'The payloads', content: { 'application/json': { schema: {} } } },
          },
        },
      };
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'WhatsApp number lifecycle API',
      version: '1.0.0',
      description:
        'Start and follow operations on WhatsApp Business (Cloud API) phone numbers; each number is a durable ' +
        'Temporal workflow. Every error is JSON: {"error": {"code", "message", "field"?}}.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(options.authRequired ? { security: [{ bearerAuth: [] }, { ApiKey: [] }] } : {}),
    paths,
    components: {
      schemas: { ...requests, ...responses },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        ApiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
      responses: {
        BadRequest: errorResponse(
          'BAD_REQUEST: invalid JSON, a missing, unknown or invalid field (see field; a fleet lists every bad number in errors)',
        ),
        Unauthorized: errorResponse('UNAUTHORIZED: no valid API key'),
        NotFound: errorResponse('NOT_FOUND: no such number lifecycle, operation, fleet or route'),
        OperationRejected: errorResponse(
          "OPERATION_REJECTED: the number's lifecycle refused the request (e.g. deregister of an unregistered number, no verification waiting for a code, nothing to cancel or to retry)",
        ),
        PayloadTooLarge: errorResponse('PAYLOAD_TOO_LARGE: the body is over the limit'),
        UnsupportedMediaType: errorResponse('UNSUPPORTED_MEDIA_TYPE: send Content-Type: application/json'),
        Conflict: errorResponse(
          'CONFLICT: the fleet is in the wrong state for the request, or the fleet ID is taken (field fleetId)',
        ),
        Internal: errorResponse('INTERNAL: an unexpected error (details only in the server log)'),
        TemporalUnavailable: errorResponse('TEMPORAL_UNAVAILABLE: the Temporal server cannot be reached'),
      },
    },
  };
}

function stripMeta(schema: JsonObject): JsonObject {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}
