// The HTTP API over the client library: JSON in and out, bodies validated with the same zod schemas the
// lifecycle workflow's validator uses, one error shape with stable codes, API-key auth. No framework:
// node:http, like the codec endpoint it can also serve (under /codec).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fleetIdSchema } from '../domain/fleet';
import { idempotencyKeySchema, operationRequestSchema } from '../domain/operations';
import { phoneNumberIdSchema } from '../domain/phone-number';
import { InputError, parseInput } from '../domain/validation';
import {
  OperationRejectedError,
  type FleetStatus,
  type NumberLifecycleClient,
  type OperationSummary,
  type OperationTicket,
} from '../client/index';
import { ApiError, parseBody, toApiError } from './errors';
import { createCodecHandler, type CodecEndpointOptions } from './codec-endpoint';
import {
  fleetCancelRequestSchema,
  fleetInputError,
  fleetMembers,
  fleetRetryRequestSchema,
  fleetStartBodySchema,
  operationTakesPin,
} from './fleet-requests';
import { buildOpenApiDocument, verificationCodeRequestSchema } from './openapi';
import {
  cancelOperationBodySchema,
  listFilterFromQuery,
  retryOperationBodySchema,
} from './operator-requests';

/** What the API needs of the client library (a NumberLifecycleClient; tests may pass a stand-in). */
export type LifecycleApi = Pick<
  NumberLifecycleClient,
  | 'requestOperation'
  | 'getState'
  | 'waitForOperation'
  | 'submitVerificationCode'
  | 'cancelOperation'
  | 'retryOperation'
  | 'listNumbers'
  | 'startFleet'
  | 'describeFleet'
  | 'cancelFleet'
  | 'retryFleet'
> & {
  /** When present, a ?wait=true request's Temporal calls get a deadline, so nothing outlives the wait cap. */
  readonly client?: {
    readonly connection: Pick<NumberLifecycleClient['client']['connection'], 'withDeadline'>;
  };
};

export interface ApiServerOptions {
  lifecycle: LifecycleApi;
  /** Accepted keys (Authorization: Bearer <key> or X-Api-Key). Empty: no auth, loopback hosts only. */
  apiKeys: string[];
  host: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  /** Also serve the Temporal UI codec endpoint (default base path /codec), with its own auth rules. */
  codec?: CodecEndpointOptions;
  /** One line per request: method, path (no query), status, duration. Default: console.log. */
  log?: (line: string) => void;
  /** Longest a GET ...?wait=true waits before answering with the operation as it is (default 60 s). */
  maxWaitMs?: number;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface ApiServer {
  /** http://host:port, with the port actually bound. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

const DEFAULT_MAX_WAIT_MS = 60_000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const WAIT_POLL_MS = 250;
const FLEET_DETAILS = ['all', 'problems', 'none'] as const;

/** Hosts that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Context {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
}

type Handler = (ctx: Context) => Promise<Reply>;

interface Route {
  /** Path segments; ':name' is a parameter. */
  segments: string[];
  handlers: Partial<Record<'GET' | 'POST', Handler>>;
  /** Served without an API key. */
  open?: boolean;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Builds the API server and starts listening. Throws at once if the options are unsafe. */
export function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const apiKeys = options.apiKeys;
  if (apiKeys.some((k) => k.trim() === '' || /\s/.test(k))) {
    throw new Error('createApiServer: an API key is empty or contains whitespace');
  }
  const authRequired = apiKeys.length > 0;
  if (!authRequired && !isLoopbackHost(options.host)) {
    throw new Error(
      `createApiServer: refusing to listen on ${options.host} without API keys; ` +
        'without keys the API may only be bound to loopback (127.0.0.1, ::1 or localhost)',
    );
  }
  const keyDigests = apiKeys.map(sha256);
  const log = options.log ?? ((line: string) => console.log(line));
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const lifecycle = options.lifecycle;
  const codecBase = options.codec ? (options.codec.basePath ?? '/codec') : undefined;
  const codecHandler = options.codec
    ? createCodecHandler({ ...options.codec, basePath: codecBase })
    : undefined;
  const openApiText = JSON.stringify(buildOpenApiDocument({ authRequired, codecBasePath: codecBase }));

  // Ends ?wait=true requests early when the server closes.
  let closing: (() => void) | undefined;
  const closed = new Promise<void>((resolve) => (closing = resolve));

  const authorized = (req: IncomingMessage): boolean => {
    const given: string[] = [];
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (bearer?.[1]) given.push(bearer[1]);
    const headerKey = req.headers['x-api-key'];
    if (typeof headerKey === 'string' && headerKey.trim()) given.push(headerKey.trim());
    let ok = false;
    // Compare every candidate with every key, without stopping early: the time taken says nothing.
    for (const candidate of given) {
      const digest = sha256(candidate);
      for (const key of keyDigests) ok = timingSafeEqual(digest, key) || ok;
    }
    return ok;
  };

  const readJsonBody = async (req: IncomingMessage): Promise<unknown> => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
      throw new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as JSON, with Content-Type: application/json',
      );
    }
    const tooLarge = () =>
      new ApiError('PAYLOAD_TOO_LARGE', `the body must be at most ${maxBodyBytes} bytes`, undefined, {
        connection: 'close',
      });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw new ApiError('BAD_REQUEST', 'the body is not valid JSON');
    }
  };

  /** A body that may be left out (no Content-Length, or 0): undefined then. */
  const readOptionalJsonBody = async (req: IncomingMessage): Promise<unknown> => {
    const length = req.headers['content-length'];
    if (length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined)) {
      return undefined;
    }
    return readJsonBody(req);
  };

  const phoneNumberId = (ctx: Context): string =>
    parseInput(phoneNumberIdSchema, ctx.params.phoneNumberId, 'phoneNumberId');

  const fleetId = (ctx: Context): string => parseInput(fleetIdSchema, ctx.params.fleetId, 'fleetId');

  const operationIdParam = (ctx: Context): string => {
    const operationId = ctx.params.operationId ?? '';
    if (!operationId || operationId.length > 256) {
      throw new ApiError('BAD_REQUEST', 'operationId: must be 1 to 256 characters', 'operationId');
    }
    return operationId;
  };

  /** 202 with the ticket, and where to follow the operation. */
  const operationAccepted = (id: string, ticket: OperationTicket): Reply => ({
    status: 202,
    body: ticket,
    headers: {
      location: `/v1/phone-numbers/${id}/operations/${encodeURIComponent(ticket.operationId)}`,
    },
  });

  /**
   * Cancels the named operation, or (none named) the running one, else the last queued. The lifecycle's
   * refusal (nothing matching queued or running, already being cancelled, no lifecycle) is the same 409
   * OPERATION_REJECTED as for any request the lifecycle refuses; with field operationId when one was named.
   */
  const cancelOperation = async (ctx: Context, named: boolean): Promise<Reply> => {
    const id = phoneNumberId(ctx);
    const operationId = named ? operationIdParam(ctx) : undefined;
    const body = parseBody(cancelOperationBodySchema, (await readOptionalJsonBody(ctx.req)) ?? {});
    try {
      const result = await lifecycle.cancelOperation(id, {
        ...(operationId !== undefined ? { operationId } : {}),
        ...(body.requestedBy !== undefined ? { requestedBy: body.requestedBy } : {}),
      });
      return { status: 200, body: result };
    } catch (err) {
      if (err instanceof OperationRejectedError && operationId !== undefined) {
        throw new ApiError('OPERATION_REJECTED', err.message, 'operationId');
      }
      throw err;
    }
  };

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

  const fleetAccepted = (status: FleetStatus): Reply => ({
    status: 202,
    body: { fleetId: status.fleetId, workflowId: status.workflowId, status: status.status },
    headers: { location: `/v1/fleets/${encodeURIComponent(status.fleetId)}` },
  });

  const findOperation = async (id: string, operationId: string): Promise<OperationSummary | undefined> => {
    const snapshot = await lifecycle.getState(id);
    if (!snapshot) return undefined;
    return [snapshot.currentOperation, ...snapshot.queued, ...snapshot.recentOperations].find(
      (o) => o?.operationId === operationId,
    );
  };

  /** The finished summary, or undefined when the cap (or shutdown) came first. */
  const waitForFinish = async (id: string, operationId: string): Promise<OperationSummary | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), maxWaitMs);
    });
    const deadline = new Date(Date.now() + maxWaitMs);
    const run = () => lifecycle.waitForOperation(id, operationId, { pollIntervalMs: WAIT_POLL_MS });
    const waiting = (
      lifecycle.client ? lifecycle.client.connection.withDeadline(deadline, run) : run()
    ).catch((err: unknown) => {
      if (Date.now() >= deadline.getTime() - 50) return undefined; // our own deadline ended it
      throw err;
    });
    waiting.catch(() => undefined); // a late failure, after the cap answered, is not unhandled
    try {
      return await Promise.race([waiting, cap, closed.then(() => undefined)]);
    } finally {
      clearTimeout(timer);
    }
  };

  const routes: Route[] = [
    {
      segments: ['healthz'],
      open: true,
      handlers: { GET: async () => ({ status: 200, body: { ok: true } }) },
    },
    {
      segments: ['openapi.json'],
      open: true,
      handlers: { GET: async () => ({ status: 200, body: openApiText }) },
    },
    {
      segments: ['v1', 'phone-numbers', ':phoneNumberId'],
      handlers: {
        GET: async (ctx) => {
          const id = phoneNumberId(ctx);
          const snapshot = await lifecycle.getState(id);
          if (!snapshot) {
            throw new ApiError(
              'NOT_FOUND',
              `phone number ${id} has no lifecycle yet (no operation was requested)`,
            );
          }
          return { status: 200, body: snapshot };
        },
      },
    },
    {
      segments: ['v1', 'phone-numbers', ':phoneNumberId', 'operations'],
      handlers: {
        POST: async (ctx) => {
          const id = phoneNumberId(ctx);
          const request = parseBody(operationRequestSchema, await readJsonBody(ctx.req));
          // A client's retry with the same Idempotency-Key gets the first call's ticket, nothing queued twice.
          const key = ctx.req.headers['idempotency-key'];
          const idempotencyKey =
            key === undefined ? undefined : parseInput(idempotencyKeySchema, String(key), 'Idempotency-Key');
          return operationAccepted(
            id,
            await lifecycle.requestOperation(id, request, idempotencyKey ? { idempotencyKey } : {}),
          );
        },
      },
    },
    {
      segments: ['v1', 'phone-numbers', ':phoneNumberId', 'operations', ':operationId'],
      handlers: {
        GET: async (ctx) => {
          const id = phoneNumberId(ctx);
          const operationId = operationIdParam(ctx);
          const waitParam = ctx.url.searchParams.get('wait');
          if (waitParam !== null && waitParam !== 'true' && waitParam !== 'false') {
            throw new ApiError('BAD_REQUEST', 'wait: must be true or false', 'wait');
          }
          const notFound = () =>
            new ApiError('NOT_FOUND', `no operation ${operationId} is known for phone number ${id}`);
          let summary = await findOperation(id, operationId);
          if (!summary) throw notFound();
          if (waitParam === 'true' && summary.status !== 'completed' && summary.status !== 'failed') {
            summary = (await waitForFinish(id, operationId)) ?? (await findOperation(id, operationId));
            if (!summary) throw notFound();
          }
          return { status: 200, body: summary };
        },
      },
    },
    {
      segments: ['v1', 'phone-numbers', ':phoneNumberId', 'operations', ':operationId', 'cancel'],
      handlers: { POST: (ctx) => cancelOperation(ctx, true) },
    },
    {
      segments: ['v1', 'phone-numbers', ':phoneNumberId', 'cancel'],
      handlers: { POST: (ctx) => cancelOperation(ctx, false) },
    },
    {
      segments: ['v1', 'phone-numbers', ':phoneNumberId', 'retry'],
      handlers: {
        POST: async (ctx) => {
          const id = phoneNumberId(ctx);
          const body = parseBody(retryOperationBodySchema, (await readOptionalJsonBody(ctx.req)) ?? {});
          const request = {
            ...(body.pin !== undefined ? { pin: body.pin } : {}),
            ...(body.requestedBy !== undefined ? { requestedBy: body.requestedBy } : {}),
          };
          return operationAccepted(id, await lifecycle.retryOperation(id, request));
        },
      },
    },
    {
      segments: ['v1', 'phone-numbers'],
      handlers: {
        GET: async (ctx) => {
          const filter = listFilterFromQuery(ctx.url.searchParams);
          return { status: 200, body: { numbers: await lifecycle.listNumbers(filter) } };
        },
      },
    },
    {
      segments: ['v1', 'phone-numbers', ':phoneNumberId', 'verification-code'],
      handlers: {
        POST: async (ctx) => {
          const id = phoneNumberId(ctx);
          const { code } = parseBody(verificationCodeRequestSchema, await readJsonBody(ctx.req));
          return { status: 200, body: await lifecycle.submitVerificationCode(id, code) };
        },
      },
    },
    {
      segments: ['v1', 'fleets'],
      handlers: {
        POST: async (ctx) => {
          const body = parseBody(fleetStartBodySchema, await readJsonBody(ctx.req));
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
            throw fleetInputError([
              { field: 'pins', message: `${body.operation} takes no PIN: leave pins out` },
            ]);
          }
          const common = {
            operation: body.operation,
            concurrency: body.concurrency,
            ...(body.fleetId !== undefined ? { fleetId: body.fleetId } : {}),
            ...(body.requestedBy ? { requestedBy: body.requestedBy } : {}),
          };
          const source = body.numbers
            ? { members: fleetMembers({ ...body, numbers: body.numbers }) }
            : { wabaId: body.wabaId, defaults: body.defaults ?? {}, pins: body.pins ?? {} };
          const started = await fleetCall(() => lifecycle.startFleet({ ...common, ...source }));
          return fleetAccepted(started);
        },
      },
    },
    {
      segments: ['v1', 'fleets', ':fleetId'],
      handlers: {
        GET: async (ctx) => {
          const id = fleetId(ctx);
          const detail = ctx.url.searchParams.get('numbers') ?? 'problems';
          if (!(FLEET_DETAILS as readonly string[]).includes(detail)) {
            throw new ApiError(
              'BAD_REQUEST',
              `numbers: must be one of ${FLEET_DETAILS.join(', ')}`,
              'numbers',
            );
          }
          const status = await fleetCall(() =>
            lifecycle.describeFleet(id, detail as (typeof FLEET_DETAILS)[number]),
          );
          return { status: 200, body: status };
        },
      },
    },
    {
      segments: ['v1', 'fleets', ':fleetId', 'cancel'],
      handlers: {
        POST: async (ctx) => {
          const id = fleetId(ctx);
          const body = parseBody(fleetCancelRequestSchema, (await readOptionalJsonBody(ctx.req)) ?? {});
          const options = { cancelRunning: body.cancelRunning === true };
          return {
            status: 200,
            body: await fleetCall(() => lifecycle.cancelFleet(id, body.requestedBy, options)),
          };
        },
      },
    },
    {
      segments: ['v1', 'fleets', ':fleetId', 'retry'],
      handlers: {
        POST: async (ctx) => {
          const id = fleetId(ctx);
          const body = parseBody(fleetRetryRequestSchema, (await readOptionalJsonBody(ctx.req)) ?? {});
          const options = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
          return fleetAccepted(await fleetCall(() => lifecycle.retryFleet(id, options)));
        },
      },
    },
  ];

  const match = (path: string): { route: Route; params: Record<string, string> } | undefined => {
    const parts = path.split('/').slice(1);
    for (const route of routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((segment, i) => {
        const part = parts[i]!;
        if (!segment.startsWith(':')) return segment === part;
        try {
          params[segment.slice(1)] = decodeURIComponent(part);
        } catch {
          throw new ApiError('BAD_REQUEST', `${segment.slice(1)}: bad percent-encoding`, segment.slice(1));
        }
        return true;
      });
      if (ok) return { route, params };
    }
    return undefined;
  };

  const send = (res: ServerResponse, reply: Reply) => {
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...reply.headers,
    });
    res.end(text);
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (codecHandler && codecBase && url.pathname.startsWith(`${codecBase}/`)) {
      if (await codecHandler(req, res)) return;
    }
    if (!authRequired && !loopbackHostHeader(req.headers.host)) {
      // No keys: only requests addressed to this machine by name (defeats DNS rebinding from browsers).
      throw new ApiError('FORBIDDEN', 'without API keys the API only serves requests addressed to localhost');
    }
    const found = match(url.pathname);
    if (authRequired && !found?.route.open && !authorized(req)) {
      throw new ApiError(
        'UNAUTHORIZED',
        'send a valid API key: Authorization: Bearer <key> or X-Api-Key',
        undefined,
        {
          'www-authenticate': 'Bearer realm="whatsapp-number-lifecycle"',
        },
      );
    }
    if (!found) throw new ApiError('NOT_FOUND', `no route ${url.pathname}`);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const handler = found.route.handlers[method as 'GET' | 'POST'];
    if (!handler) {
      const allow = Object.keys(found.route.handlers).join(', ');
      throw new ApiError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allow}`, undefined, {
        allow,
      });
    }
    send(res, await handler({ req, url, params: found.params }));
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    let failure = '';
    res.on('close', () => {
      const ms = Math.round(performance.now() - started);
      const path = url.pathname.replace(/[^\x21-\x7e]/g, '?').slice(0, 300);
      const aborted = res.writableFinished ? '' : ' (connection closed early)';
      log(`${req.method ?? '?'} ${path} ${res.statusCode} ${ms}ms${aborted}${failure}`);
    });
    dispatch(req, res, url).catch((err: unknown) => {
      let apiError = toApiError(err);
      if (!apiError) {
        failure = ` error=${describeInternal(err)}`;
        apiError = new ApiError('INTERNAL', 'internal error; see the API server log');
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(res, { status: apiError.status, body: apiError.toBody(), headers: apiError.headers });
    });
  });

  return new Promise<ApiServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            closing?.();
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

function loopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  try {
    return isLoopbackHost(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

/** The error's kind and first line for the log; secrets in library messages are masked. */
function describeInternal(err: unknown): string {
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n')[0] ?? '';
  return `${name}: ${maskSecrets(firstLine)}`.slice(0, 300);
}

/** Masks key=value and "key": "value" pairs of secret-looking keys, and bearer tokens. */
function maskSecrets(text: string): string {
  return text
    .replace(/\b(Bearer|Basic)\s+\S+/gi, '$1 [redacted]')
    .replace(
      /\b(pin|code|password|backupPassword|token|key)(["']?\s*[:=]\s*["']?)[^\s"',}&]+/gi,
      '$1$2[redacted]',
    );
}
