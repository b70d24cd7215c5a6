// The routes of one resource, phone numbers: its lifecycle, its operations (start, follow, cancel, retry),
// the verification code, and the listing. Named handlers; the table at the end is the router.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idempotencyKeySchema, operationRequestSchema } from '../../domain/operations';
import { phoneNumberIdSchema } from '../../domain/phone-number';
import { parseInput } from '../../domain/validation';
import { OperationRejectedError, type OperationSummary, type OperationTicket } from '../../client/index';
import { requesterOf } from '../auth';
import { ApiError } from '../errors';
import { cancelOperationBodySchema, listQuerySchema, retryOperationBodySchema } from '../operator-requests';
import {
  cancelOperationResultSchema,
  codeSubmissionResultSchema,
  lifecycleSnapshotSchema,
  numberListSchema,
  operationSummarySchema,
  operationTicketSchema,
  verificationCodeRequestSchema,
} from '../openapi-schemas';
import type { ApiContext } from './context';
import type { RouteSpec } from './route-spec';

const phoneNumberParams = z.object({
  phoneNumberId: phoneNumberIdSchema().meta({
    description: "Graph's phone-number node ID (not the phone number itself).",
    example: '1234567890',
  }),
});
const operationParams = phoneNumberParams.extend({
  operationId: z
    .string()
    .min(1, 'must be 1 to 256 characters')
    .max(256, 'must be 1 to 256 characters')
    .meta({ description: 'The operationId of a ticket (URL-encoded: it contains colons).' }),
});
const waitQuery = z
  .object({
    wait: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().meta({
      description: 'true: wait (up to a minute) for the operation to finish, then answer with its summary.',
    }),
  })
  .strict();

type Params = z.output<typeof operationParams>;
const paramsOf = (request: FastifyRequest) => request.params as Params;

const OPERATION_LOCATION = {
  Location: { description: 'Where to follow the operation: /v1/phone-numbers/{id}/operations/{operationId}' },
};

export function phoneNumberRoutes(ctx: ApiContext): RouteSpec[] {
  const { lifecycle } = ctx;

  /** 202 with the ticket, and where to follow the operation. */
  const accepted = (reply: FastifyReply, id: string, ticket: OperationTicket) =>
    reply
      .code(202)
      .header('location', `/v1/phone-numbers/${id}/operations/${encodeURIComponent(ticket.operationId)}`)
      .send(ticket);

  async function requestOperation(request: FastifyRequest, reply: FastifyReply) {
    const { phoneNumberId } = paramsOf(request);
    const body = request.body as z.output<ReturnType<typeof operationRequestSchema>>;
    // A client's retry with the same Idempotency-Key gets the first call's ticket, nothing queued twice.
    const key = request.headers['idempotency-key'];
    const idempotencyKey =
      key === undefined ? undefined : parseInput(idempotencyKeySchema(), String(key), 'Idempotency-Key');
    const requestedBy = requesterOf(request.caller, body.requestedBy);
    const ticket = await lifecycle.requestOperation(
      phoneNumberId,
      { ...body, ...(requestedBy !== undefined ? { requestedBy } : {}) },
      idempotencyKey ? { idempotencyKey } : {},
    );
    return accepted(reply, phoneNumberId, ticket);
  }

  async function getPhoneNumber(request: FastifyRequest) {
    const { phoneNumberId } = paramsOf(request);
    const snapshot = await lifecycle.getState(phoneNumberId);
    if (!snapshot) {
      throw new ApiError(
        'NOT_FOUND',
        `phone number ${phoneNumberId} has no lifecycle yet (no operation was requested)`,
      );
    }
    return snapshot;
  }

  const findOperation = async (id: string, operationId: string): Promise<OperationSummary | undefined> => {
    const snapshot = await lifecycle.getState(id);
    if (!snapshot) return undefined;
    return [snapshot.currentOperation, ...snapshot.queued, ...snapshot.recentOperations].find(
      (o) => o?.operationId === operationId,
    );
  };

  async function getOperation(request: FastifyRequest) {
    const { phoneNumberId, operationId } = paramsOf(request);
    const { wait } = request.query as z.output<typeof waitQuery>;
    const notFound = () =>
      new ApiError('NOT_FOUND', `no operation ${operationId} is known for phone number ${phoneNumberId}`);
    let summary = await findOperation(phoneNumberId, operationId);
    if (!summary) throw notFound();
    if (wait === 'true' && summary.status !== 'completed' && summary.status !== 'failed') {
      summary =
        (await ctx.waitForFinish(phoneNumberId, operationId)) ??
        (await findOperation(phoneNumberId, operationId));
      if (!summary) throw notFound();
    }
    return summary;
  }

  /**
   * Cancels the named operation, or (none named) the running one, else the last queued. The lifecycle's
   * refusal is the same 409 OPERATION_REJECTED as for any request it refuses; with field operationId when
   * one was named.
   */
  const cancel = async (request: FastifyRequest, operationId: string | undefined) => {
    const { phoneNumberId } = paramsOf(request);
    const body = request.body as z.output<typeof cancelOperationBodySchema>;
    const requestedBy = requesterOf(request.caller, body.requestedBy);
    try {
      return await lifecycle.cancelOperation(phoneNumberId, {
        ...(operationId !== undefined ? { operationId } : {}),
        ...(requestedBy !== undefined ? { requestedBy } : {}),
      });
    } catch (err) {
      if (err instanceof OperationRejectedError && operationId !== undefined) {
        throw new ApiError('OPERATION_REJECTED', err.message, 'operationId');
      }
      throw err;
    }
  };
  const cancelOperation = (request: FastifyRequest) => cancel(request, paramsOf(request).operationId);
  const cancelCurrentOperation = (request: FastifyRequest) => cancel(request, undefined);

  async function retryOperation(request: FastifyRequest, reply: FastifyReply) {
    const { phoneNumberId } = paramsOf(request);
    const body = request.body as z.output<typeof retryOperationBodySchema>;
    const requestedBy = requesterOf(request.caller, body.requestedBy);
    const ticket = await lifecycle.retryOperation(phoneNumberId, {
      ...(body.pin !== undefined ? { pin: body.pin } : {}),
      ...(requestedBy !== undefined ? { requestedBy } : {}),
    });
    return accepted(reply, phoneNumberId, ticket);
  }

  async function submitVerificationCode(request: FastifyRequest) {
    const { phoneNumberId } = paramsOf(request);
    const { code } = request.body as z.output<typeof verificationCodeRequestSchema>;
    return lifecycle.submitVerificationCode(phoneNumberId, code);
  }

  async function listNumbers(request: FastifyRequest) {
    const { pageToken, ...filter } = request.query as z.output<typeof listQuerySchema>;
    return lifecycle.listNumbersPage(filter, pageToken);
  }

  const tags = ['phone numbers'];
  const cancelResponses = {
    200: {
      description: 'Dropped from the queue, or asked to stop at its next safe point',
      schema: cancelOperationResultSchema,
    },
  };
  return [
    {
      method: 'POST',
      url: '/v1/phone-numbers/:phoneNumberId/operations',
      access: 'operate',
      operationId: 'requestOperation',
      summary: 'Start an operation on a number, or join an identical one already queued or running',
      description:
        "Starts the number's lifecycle if needed. The operation runs in the background; follow it at the URL in Location.",
      tags,
      params: phoneNumberParams,
      body: {
        schema: operationRequestSchema(),
        examples: {
          register: { value: { operation: 'register', pin: '000000', region: 'DE' } },
          deregister: { value: { operation: 'deregister' } },
          verify: { value: { operation: 'verify', method: 'SMS', language: 'en_US' } },
        },
      },
      idempotencyKey:
        "A retry with the same key answers with the first call's ticket and queues nothing (1 to 200 letters, digits, or . _ : -).",
      responses: {
        202: {
          description: 'Accepted: the operation is queued or running',
          schema: operationTicketSchema,
          headers: OPERATION_LOCATION,
        },
      },
      errors: [400, 401, 403, 409, 413, 415, 429, 500, 503],
      handler: requestOperation,
    },
    {
      method: 'GET',
      url: '/v1/phone-numbers',
      access: 'read',
      operationId: 'listNumbers',
      summary: 'Numbers by lifecycle state, current operation and WABA, a page at a time',
      description:
        'Read from the search attributes the lifecycle workflows publish (no workflow is woken up), so a ' +
        'change shows after a moment. Unknown query parameters are refused. When `nextPageToken` is in the ' +
        'answer, more numbers may follow: ask again with it as `pageToken` and the same filters.',
      tags,
      querystring: listQuerySchema,
      responses: { 200: { description: 'The numbers that match (one page)', schema: numberListSchema } },
      errors: [400, 401, 403, 429, 500, 503],
      handler: listNumbers,
    },
    {
      method: 'GET',
      url: '/v1/phone-numbers/:phoneNumberId',
      access: 'read',
      operationId: 'getPhoneNumber',
      summary: "The number's lifecycle state, request ledger and operations",
      tags,
      params: phoneNumberParams,
      responses: { 200: { description: 'The lifecycle snapshot', schema: lifecycleSnapshotSchema } },
      errors: [400, 401, 403, 404, 429, 500, 503],
      handler: getPhoneNumber,
    },
    {
      method: 'GET',
      url: '/v1/phone-numbers/:phoneNumberId/operations/:operationId',
      access: 'read',
      operationId: 'getOperation',
      summary: 'One operation: queued, running, or among the recent ones',
      tags,
      params: operationParams,
      querystring: waitQuery,
      responses: {
        200: {
          description: 'The operation (with wait=true: finished, or as it is when the wait ran out)',
          schema: operationSummarySchema,
        },
      },
      errors: [400, 401, 403, 404, 429, 500, 503],
      handler: getOperation,
    },
    {
      method: 'POST',
      url: '/v1/phone-numbers/:phoneNumberId/cancel',
      access: 'operate',
      operationId: 'cancelCurrentOperation',
      summary: 'Cancel the running operation (at its next safe point), else drop the last queued one',
      description:
        'A request in flight always gets its answer first, and a deregistered (or migrating) number is ' +
        'registered again before the operation stops. The cancelled operation ends failed with type Cancelled.',
      tags,
      params: phoneNumberParams,
      body: { schema: cancelOperationBodySchema, optional: true },
      responses: cancelResponses,
      errors: [400, 401, 403, 409, 413, 415, 429, 500, 503],
      errorNotes: {
        409: 'OPERATION_REJECTED: nothing is queued or running, the running one is already being cancelled, or the number has no lifecycle',
      },
      handler: cancelCurrentOperation,
    },
    {
      method: 'POST',
      url: '/v1/phone-numbers/:phoneNumberId/operations/:operationId/cancel',
      access: 'operate',
      operationId: 'cancelOperation',
      summary: 'Cancel this operation: dropped when queued, stopped at its next safe point when running',
      tags,
      params: operationParams,
      body: { schema: cancelOperationBodySchema, optional: true },
      responses: cancelResponses,
      errors: [400, 401, 403, 409, 413, 415, 429, 500, 503],
      errorNotes: {
        409: 'OPERATION_REJECTED (field operationId): it is not queued or running (finished, or unknown), or is already being cancelled',
      },
      handler: cancelOperation,
    },
    {
      method: 'POST',
      url: '/v1/phone-numbers/:phoneNumberId/retry',
      access: 'operate',
      operationId: 'retryOperation',
      summary: "Queue the number's last failed (or cancelled) operation again, with its original parameters",
      description:
        'The original request is kept only in encrypted workflow payloads; `pin` replaces a PIN Meta refused. ' +
        'The new operation names the one it re-runs in retryOf.',
      tags,
      params: phoneNumberParams,
      body: { schema: retryOperationBodySchema, optional: true },
      responses: {
        202: {
          description: 'Accepted: the re-run is queued or running',
          schema: operationTicketSchema,
          headers: OPERATION_LOCATION,
        },
      },
      errors: [400, 401, 403, 409, 413, 415, 429, 500, 503],
      errorNotes: {
        409: 'OPERATION_REJECTED: nothing to retry (no failed operation, or a later success of the same kind), a PIN for an operation that takes none, or no lifecycle',
      },
      handler: retryOperation,
    },
    {
      method: 'POST',
      url: '/v1/phone-numbers/:phoneNumberId/verification-code',
      access: 'operate',
      operationId: 'submitVerificationCode',
      summary: 'Hand the code a person received to the running verify or onboard operation',
      tags,
      params: phoneNumberParams,
      body: { schema: verificationCodeRequestSchema },
      responses: {
        200: {
          description: 'Accepted or not (a wrong code is still 200, with accepted false and why)',
          schema: codeSubmissionResultSchema,
        },
      },
      errors: [400, 401, 403, 409, 413, 415, 429, 500, 503],
      handler: submitVerificationCode,
    },
  ];
}
