// The routes of fleets: start one (over a list of numbers or a whole WABA), follow it, cancel it, retry
// its failures. Named handlers; the table at the end is the router.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fleetIdSchema } from '../../domain/fleet';
import { idempotencyKeySchema } from '../../domain/operations';
import { InputError, parseInput } from '../../domain/validation';
import type { FleetStatus } from '../../client/index';
import { requesterOf, type Caller } from '../auth';
import { ApiError } from '../errors';
import {
  fleetCancelRequestSchema,
  fleetInputError,
  fleetMembers,
  fleetRetryRequestSchema,
  fleetStartBodySchema,
  fleetStartRequestSchema,
  operationTakesPin,
  type FleetStartBody,
} from '../fleet-requests';
import { cancelFleetResultSchema, fleetStartedSchema, fleetStatusSchema } from '../openapi-schemas';
import type { ApiContext } from './context';
import type { RouteSpec } from './route-spec';

const fleetParams = z.object({
  fleetId: fleetIdSchema().meta({
    description: 'The fleet ID (chosen at start, or generated; its workflow ID is fleet:{fleetId}).',
    example: 'register-eu-batch-1',
  }),
});
const FLEET_DETAILS = ['all', 'problems', 'none'] as const;
const fleetQuery = z
  .object({
    numbers: z
      .enum(FLEET_DETAILS, { error: `must be one of ${FLEET_DETAILS.join(', ')}` })
      .optional()
      .meta({
        description:
          'Which numbers progress.numbers lists: all, problems (failed and not started; the default) or none.',
      }),
  })
  .strict();

const fleetIdOf = (request: FastifyRequest) => (request.params as z.output<typeof fleetParams>).fleetId;

const FLEET_LOCATION = { Location: { description: 'Where to follow the fleet: /v1/fleets/{fleetId}' } };
const IDEMPOTENCY_NOTE =
  "A retry with the same key (and the same body) answers with the first call's fleet and starts nothing; " +
  'the key names the new fleet when the body gives no fleetId.';

/**
 * The fleet ID an Idempotency-Key stands for: the same key from the same caller always names the same
 * fleet, so a retried start finds the fleet its first call started (durably: the fleet is the record).
 */
function idempotentFleetId(request: FastifyRequest, caller: Caller | undefined): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  const valid = parseInput(idempotencyKeySchema(), String(key), 'Idempotency-Key');
  const digest = createHash('sha256')
    .update(`${caller?.limitKey ?? 'anonymous'}\n${valid}`)
    .digest('hex');
  return `idem-${digest.slice(0, 24)}`;
}

/** The numbers a fleet start names, to tell a retried start from another start under the same key. */
const sortedIds = (ids: string[]) => [...ids].sort().join(',');

export function fleetRoutes(ctx: ApiContext): RouteSpec[] {
  const { lifecycle } = ctx;

  /**
   * Runs a fleet call whose fleet IDs were already checked: the library's InputError on fleetId then
   * means the fleet does not exist (404), or is in the wrong state for the request, or its ID is taken (409).
   */
  const fleetCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (err instanceof InputError && err.field === 'fleetId') {
        const code = /^no fleet with ID /.test(err.rule) ? 'NOT_FOUND' : 'CONFLICT';
        throw new ApiError(code, err.message, 'fleetId');
      }
      throw err;
    }
  };

  /**
   * Starts a fleet; under an Idempotency-Key, a fleet ID already taken by the same request answers with
   * that fleet (the first call's). Taken by another request: CONFLICT when the body named the ID,
   * IDEMPOTENCY_KEY_REUSED when the key did.
   */
  const startOnce = async (
    key: { fleetId: string; named: boolean } | undefined,
    start: () => Promise<FleetStatus>,
    sameRequest: (existing: FleetStatus) => boolean,
  ): Promise<FleetStatus> => {
    try {
      return await fleetCall(start);
    } catch (err) {
      if (!key || !(err instanceof ApiError) || err.code !== 'CONFLICT') throw err;
      // No fleet under the key's ID: the conflict is another one (a retry of a fleet still running).
      const existing = await fleetCall(() => lifecycle.describeFleet(key.fleetId, 'all')).catch(
        (lookup: unknown) => {
          if (lookup instanceof ApiError && lookup.code === 'NOT_FOUND') return undefined;
          throw lookup;
        },
      );
      if (!existing) throw err;
      if (sameRequest(existing)) return existing;
      // A fleet ID the body named is simply taken; one the key named was the key's, for another request.
      if (key.named) throw err;
      throw new ApiError(
        'IDEMPOTENCY_KEY_REUSED',
        'Idempotency-Key: was used for another request (another operation or other numbers); use a new key',
        'Idempotency-Key',
      );
    }
  };

  const accepted = (reply: FastifyReply, status: FleetStatus) =>
    reply
      .code(202)
      .header('location', `/v1/fleets/${encodeURIComponent(status.fleetId)}`)
      .send({ fleetId: status.fleetId, workflowId: status.workflowId, status: status.status });

  async function startFleet(request: FastifyRequest, reply: FastifyReply) {
    const body = request.body as FleetStartBody;
    if (body.numbers && body.wabaId !== undefined) {
      throw new ApiError('BAD_REQUEST', 'wabaId: give either numbers or wabaId, not both', 'wabaId');
    }
    if (!body.numbers && body.wabaId === undefined) {
      throw new ApiError(
        'BAD_REQUEST',
        'numbers: is required: give the numbers (a list), or wabaId (every number of a WABA)',
        'numbers',
      );
    }
    if (body.pins && Object.keys(body.pins).length > 0 && !operationTakesPin(body.operation)) {
      throw fleetInputError([{ field: 'pins', message: `${body.operation} takes no PIN: leave pins out` }]);
    }
    const keyedId = idempotentFleetId(request, request.caller);
    const fleetId = body.fleetId ?? keyedId;
    const requestedBy = requesterOf(request.caller, body.requestedBy);
    const common = {
      operation: body.operation,
      concurrency: body.concurrency,
      ...(fleetId !== undefined ? { fleetId } : {}),
      ...(requestedBy ? { requestedBy } : {}),
    };
    const members = body.numbers ? fleetMembers({ ...body, numbers: body.numbers }) : undefined;
    const source = members
      ? { members }
      : { wabaId: body.wabaId, defaults: body.defaults ?? {}, pins: body.pins ?? {} };
    const sameRequest = (existing: FleetStatus) => {
      const progress = existing.progress;
      if (!progress || progress.operation !== body.operation) return false;
      if (!members) return progress.wabaId === body.wabaId;
      return (
        sortedIds(progress.numbers.map((n) => n.phoneNumberId)) ===
        sortedIds(members.map((m) => m.phoneNumberId))
      );
    };
    const key = keyedId && fleetId ? { fleetId, named: body.fleetId !== undefined } : undefined;
    const started = await startOnce(key, () => lifecycle.startFleet({ ...common, ...source }), sameRequest);
    return accepted(reply, started);
  }

  async function getFleet(request: FastifyRequest) {
    const { numbers } = request.query as z.output<typeof fleetQuery>;
    return fleetCall(() => lifecycle.describeFleet(fleetIdOf(request), numbers ?? 'problems'));
  }

  async function cancelFleet(request: FastifyRequest) {
    const body = request.body as z.output<typeof fleetCancelRequestSchema>;
    const requestedBy = requesterOf(request.caller, body.requestedBy);
    const options = { cancelRunning: body.cancelRunning === true };
    return fleetCall(() => lifecycle.cancelFleet(fleetIdOf(request), requestedBy, options));
  }

  async function retryFleet(request: FastifyRequest, reply: FastifyReply) {
    const oldFleetId = fleetIdOf(request);
    const body = request.body as z.output<typeof fleetRetryRequestSchema>;
    const keyedId = idempotentFleetId(request, request.caller);
    const fleetId = body.fleetId ?? keyedId;
    const requestedBy = requesterOf(request.caller, body.requestedBy);
    const options = {
      ...(fleetId !== undefined ? { fleetId } : {}),
      ...(body.concurrency !== undefined ? { concurrency: body.concurrency } : {}),
      ...(requestedBy !== undefined ? { requestedBy } : {}),
    };
    const key = keyedId && fleetId ? { fleetId, named: body.fleetId !== undefined } : undefined;
    const started = await startOnce(
      key,
      () => lifecycle.retryFleet(oldFleetId, options),
      (existing) => existing.progress?.retryOf === oldFleetId,
    );
    return accepted(reply, started);
  }

  const tags = ['fleets'];
  return [
    {
      method: 'POST',
      url: '/v1/fleets',
      access: 'operate',
      operationId: 'startFleet',
      summary: 'Start a fleet: one operation over a list of numbers, or over every number of a WABA',
      description:
        'Each number runs through its own lifecycle (serialized with its other operations, under its request ledger). ' +
        'A WABA fleet answers once the WABA is listed: an empty WABA, or a number without the parameters it needs, is a 400 (field wabaId) and nothing starts.',
      tags,
      // The envelope first; then every number on its own, so each bad one is reported at its path.
      body: {
        schema: fleetStartBodySchema,
        documentedAs: fleetStartRequestSchema,
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
      },
      idempotencyKey: IDEMPOTENCY_NOTE,
      responses: {
        202: { description: 'Accepted: the fleet runs', schema: fleetStartedSchema, headers: FLEET_LOCATION },
      },
      errors: [400, 401, 403, 409, 413, 415, 422, 429, 500, 503],
      errorNotes: { 409: 'CONFLICT: a fleet with this fleetId exists already (field fleetId)' },
      handler: startFleet,
    },
    {
      method: 'GET',
      url: '/v1/fleets/:fleetId',
      access: 'read',
      operationId: 'getFleet',
      summary: "The fleet's status and progress",
      tags,
      params: fleetParams,
      querystring: fleetQuery,
      responses: { 200: { description: 'The fleet', schema: fleetStatusSchema } },
      errors: [400, 401, 403, 404, 429, 500, 503],
      handler: getFleet,
    },
    {
      method: 'POST',
      url: '/v1/fleets/:fleetId/cancel',
      access: 'operate',
      operationId: 'cancelFleet',
      summary:
        'Stop starting new numbers; the started ones finish, or with cancelRunning stop at their next safe points',
      tags,
      params: fleetParams,
      body: { schema: fleetCancelRequestSchema, optional: true },
      responses: {
        200: { description: 'What was stopped and what still runs', schema: cancelFleetResultSchema },
      },
      errors: [400, 401, 403, 404, 409, 413, 415, 429, 500, 503],
      errorNotes: { 409: 'CONFLICT: the fleet is not running' },
      handler: cancelFleet,
    },
    {
      method: 'POST',
      url: '/v1/fleets/:fleetId/retry',
      access: 'operate',
      operationId: 'retryFleet',
      summary:
        "A new fleet over a finished fleet's failed and never-started numbers, with their original requests",
      tags,
      params: fleetParams,
      body: { schema: fleetRetryRequestSchema, optional: true },
      idempotencyKey: IDEMPOTENCY_NOTE,
      responses: {
        202: {
          description: 'Accepted: the new fleet runs',
          schema: fleetStartedSchema,
          headers: FLEET_LOCATION,
        },
      },
      errors: [400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503],
      errorNotes: {
        409: 'CONFLICT: the fleet is still running, did not run its numbers, has nothing to retry, or the new fleetId is taken',
      },
      handler: retryFleet,
    },
  ];
}
