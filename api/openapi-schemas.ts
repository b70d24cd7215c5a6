// The schemas of the HTTP API's answers, for its OpenAPI document. The answers are the workflows' message
// types (TypeScript interfaces); the schemas below are checked against those interfaces at compile time.
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { z } from 'zod';
import {
  FLEET_NUMBER_STATUSES,
  type FleetNumberStatus,
  type FleetNumberOutcome,
  type FleetPhase,
  type FleetProgress,
} from '../domain/fleet';
import { FAILURE_TYPES } from '../domain/failure-types';
import { requestLedgerSchema } from '../domain/ledger';
import { LIFECYCLE_STATES } from '../domain/lifecycle-state';
import { NAME_DECISIONS } from '../domain/meta-webhooks';
import type { NumberListing } from '../domain/number-listing';
import { OPERATION_KINDS } from '../domain/operations';
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
import { cancelOperationBodySchema, retryOperationBodySchema } from './operator-requests';

/** The body of POST /v1/phone-numbers/{id}/verification-code. */
export const verificationCodeRequestSchema = z.object({ code: verificationCodeSchema() }).strict();

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
  ledger: requestLedgerSchema(),
  currentOperation: operationSummarySchema.optional(),
  queued: z.array(operationSummarySchema),
  recentOperations: z.array(operationSummarySchema),
  recovered: z
    .object({
      runId: z.string(),
      status: z.string(),
      closedAt: z.string(),
      ledger: requestLedgerSchema(),
      requests: z.number().int(),
      inFlight: z.number().int(),
      interrupted: z
        .object({ operationId: z.string(), operation: operationKindSchema, resumedAs: z.string().optional() })
        .optional(),
    })
    .optional(),
  meta: z
    .object({
      displayName: z
        .object({
          decision: z.enum(NAME_DECISIONS),
          requestedName: z.string().optional(),
          rejectionReason: z.string().optional(),
          at: z.string(),
        })
        .optional(),
      quality: z
        .object({
          event: z.string(),
          messagingLimit: z.string().optional(),
          previousLimit: z.string().optional(),
          at: z.string(),
        })
        .optional(),
      account: z
        .object({
          status: z.enum(['active', 'restricted', 'banned', 'offboarded']),
          event: z.string(),
          restrictions: z.array(z.object({ type: z.string(), expiration: z.string().optional() })).optional(),
          banState: z.string().optional(),
          violationType: z.string().optional(),
          at: z.string(),
        })
        .optional(),
    })
    .optional()
    .describe("What Meta's webhooks reported about the number (display name, quality, account standing)"),
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

/** How many numbers are in each state: every state named (a documented object, not a free-form map). */
const fleetCountsSchema = z.object(
  Object.fromEntries(FLEET_NUMBER_STATUSES.map((s) => [s, z.number().int()])) as Record<
    FleetNumberStatus,
    z.ZodNumber
  >,
);

export const fleetProgressSchema = z.object({
  fleetId: z.string(),
  operation: operationKindSchema,
  phase: z.enum(FLEET_PHASES),
  concurrency: z.number().int(),
  total: z.number().int(),
  counts: fleetCountsSchema,
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

export const numberListSchema = z.object({
  numbers: z.array(numberListingSchema),
  nextPageToken: z
    .string()
    .optional()
    .describe('More may follow: pass it as pageToken, with the same filters'),
});

/** Every error answer (application/problem+json, RFC 9457). */
export const problemSchema = z.object({
  type: z.string().describe('A URI naming the kind of problem, one per code'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('What went wrong: the field and the rule it broke, never the value sent'),
  code: z.enum(API_ERROR_CODES as [ApiErrorCode, ...ApiErrorCode[]]).describe('Stable: branch on this'),
  field: z.string().optional(),
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional()
    .describe("Every problem, when the body had several (a fleet's numbers); `field` is the first one's"),
  requestId: z.string().optional(),
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
