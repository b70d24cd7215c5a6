// The HTTP API as a Fastify application: JSON bodies validated with the domain's zod schemas, answers in
// JSON and errors as RFC 9457 problem details, API keys with names and scopes, a per-key rate limit, and
// the OpenAPI document generated from the same route definitions (routes/*.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import { ApiKeyring, API_SCOPES, type ApiKeySpec, type Caller, type RouteAccess } from './auth';
import { ApiError, PROBLEM_MEDIA_TYPE, toApiError } from './errors';
import { HttpMetrics } from './http-metrics';
import { UNMATCHED_ROUTE } from '../domain/metric-names';
import { openApiOptions } from './openapi';
import { requestLine, requestLogEntry, type RequestLogEntry } from './request-log';
import { createWaitForFinish, type LifecycleApi } from './routes/context';
import { fleetRoutes } from './routes/fleets';
import { phoneNumberRoutes } from './routes/phone-numbers';
import type { RouteSpec } from './routes/route-spec';
import type { ReadinessCheck } from '../platform/readiness';
import { serviceRoutes } from './routes/service';
import { webhookRoutes } from './routes/webhooks';
import type { WebhookSubscriptionsApi } from '../client/webhook-subscriptions';
import { markOptionalBody, validatorCompiler } from './validation';
import { metaWebhookRoutes, type MetaWebhookOptions } from './meta-webhooks';
import { methodNotAllowedRoute } from './method-not-allowed';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called (set by the auth hook); undefined on open routes without a key. */
    caller?: Caller;
    /** The internal error behind a 500, for the log line only. */
    failure?: string;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
    spec?: RouteSpec;
  }
}

export interface RateLimitSettings {
  /** Requests per key per window; 0 turns the limit off. */
  max: number;
  windowMs: number;
}

export interface ApiAppOptions {
  lifecycle: LifecycleApi;
  /** A bare string is an unnamed key with every scope; see ApiKeySpec for named, scoped keys. */
  apiKeys: readonly (string | ApiKeySpec)[];
  log: (line: string) => void;
  /** Instead of `log`: each request as fields (JSON mode, api/request-log.ts). */
  logRequest?: (entry: RequestLogEntry) => void;
  maxWaitMs: number;
  maxBodyBytes: number;
  rateLimit: RateLimitSettings;
  /** Base path of the codec endpoint, when the server serves it (documented only; served beside Fastify). */
  codecBasePath?: string;
  /** The server URLs the document lists (default: relative, this server). */
  servers?: { url: string; description?: string }[];
  /** Resolves when the server closes: ends ?wait=true long polls early. */
  closed: Promise<void>;
  /** GET /readyz's checks against Temporal (platform/readiness.ts); none: always ready. */
  readiness?: () => Promise<ReadinessCheck[]>;
  /** Webhook subscriptions (client/webhook-subscriptions.ts); absent: their routes answer 500. */
  webhooks?: WebhookSubscriptionsApi;
  serverFactory?: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server;
  /** Meta's webhooks in (/webhooks/meta, api/meta-webhooks.ts); absent: those routes answer 404. */
  metaWebhooks?: MetaWebhookOptions;
}

/** Hosts that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function loopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  try {
    return isLoopbackHost(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

/** Fastify's own errors (body parsing), as our codes. */
function frameworkError(err: FastifyError, maxBodyBytes: number): ApiError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as JSON, with Content-Type: application/json',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', `the body must be at most ${maxBodyBytes} bytes`, undefined, {
        connection: 'close',
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('BAD_REQUEST', 'the body is not valid JSON');
    default:
      return err.statusCode && err.statusCode >= 400 && err.statusCode < 500
        ? new ApiError('BAD_REQUEST', 'the request is malformed')
        : undefined;
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

const sendProblem = (request: FastifyRequest, reply: FastifyReply, error: ApiError) =>
  reply
    .code(error.status)
    .headers(error.headers)
    .type(PROBLEM_MEDIA_TYPE)
    .send(JSON.stringify(error.toProblem(request.id)));

/** Builds the application (not listening): routes, hooks, the document. */
export async function buildApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const keyring = new ApiKeyring(options.apiKeys);
  const authRequired = keyring.size > 0;
  const app = Fastify({
    bodyLimit: options.maxBodyBytes,
    genReqId: () => randomUUID(),
    // Operation IDs are long (they name the number, the kind and a sequence); the route checks 256.
    routerOptions: { maxParamLength: 1024 },
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  });

  // JSON (and application/*+json) only; an empty body is "no body" (optional bodies become {}).
  app.removeAllContentTypeParsers();
  const parseJson = (
    _request: unknown,
    text: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(String(text)));
    } catch {
      done(new ApiError('BAD_REQUEST', 'the body is not valid JSON'), undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]+\+json$/, { parseAs: 'string' }, parseJson);
  app.setValidatorCompiler(validatorCompiler);

  await app.register(fastifyRateLimit, { global: false });
  const rateLimited =
    options.rateLimit.max > 0
      ? app.createRateLimit({
          max: options.rateLimit.max,
          timeWindow: options.rateLimit.windowMs,
          keyGenerator: (request) => request.caller?.limitKey ?? `ip:${request.ip}`,
        })
      : undefined;

  app.addHook('onRequest', async (request) => {
    if (!authRequired && !loopbackHostHeader(request.headers.host)) {
      // No keys: only requests addressed to this machine by name (defeats DNS rebinding from browsers).
      throw new ApiError('FORBIDDEN', 'without API keys the API only serves requests addressed to localhost');
    }
    // Unknown routes need a key too: a caller without one learns nothing about what exists.
    const access = request.routeOptions.config.access ?? 'read';
    if (access === 'open') return;
    const caller = authRequired
      ? keyring.identify(request.headers)
      : { scopes: new Set(API_SCOPES), limitKey: `ip:${request.ip}` };
    if (!caller) {
      throw new ApiError(
        'UNAUTHORIZED',
        'send a valid API key: Authorization: Bearer <key> or X-Api-Key',
        undefined,
        {
          'www-authenticate': 'Bearer realm="whatsapp-number-lifecycle"',
        },
      );
    }
    request.caller = caller;
    if (!caller.scopes.has(access)) {
      const who = caller.name ? `key ${caller.name}` : 'this key';
      throw new ApiError('FORBIDDEN', `${who} lacks the ${access} scope this request needs`);
    }
    if (rateLimited) {
      const limit = await rateLimited(request);
      if (!limit.isAllowed && limit.isExceeded) {
        throw new ApiError(
          'RATE_LIMITED',
          `more than ${limit.max} requests in ${Math.round(options.rateLimit.windowMs / 1000)} s from this key; retry after the time in Retry-After`,
          undefined,
          { 'retry-after': String(Math.max(1, limit.ttlInSeconds)) },
        );
      }
    }
  });

  // A body that must be there, sent without any: say how to send it (as a wrong media type would).
  app.addHook('preValidation', async (request) => {
    const body = request.routeOptions.config.spec?.body;
    if (body && !body.optional && request.body == null && !request.headers['content-type']) {
      throw new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as JSON, with Content-Type: application/json',
      );
    }
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-request-id', request.id);
  });

  const metrics = new HttpMetrics();
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern (/v1/phone-numbers/:phoneNumberId), never the URL: it holds IDs.
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    const entry = requestLogEntry(request, reply);
    if (options.logRequest) options.logRequest(entry);
    else options.log(requestLine(entry));
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    let apiError = toApiError(err) ?? frameworkError(err, options.maxBodyBytes);
    if (!apiError) {
      request.failure = describeInternal(err);
      apiError = new ApiError('INTERNAL', 'internal error; see the API server log');
    }
    return sendProblem(request, reply, apiError);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new ApiError('NOT_FOUND', `no route ${request.url.split('?')[0]}`)),
  );

  await app.register(
    fastifySwagger,
    openApiOptions({ authRequired, codecBasePath: options.codecBasePath, servers: options.servers }),
  );

  const context = {
    lifecycle: options.lifecycle,
    waitForFinish: createWaitForFinish(options.lifecycle, options.maxWaitMs, options.closed),
  };
  const specs = [
    ...serviceRoutes(() => app.swagger(), metrics, options.readiness),
    ...phoneNumberRoutes(context),
    ...fleetRoutes(context),
    ...webhookRoutes(() => {
      if (!options.webhooks) throw new Error('this API server was built without webhook subscriptions');
      return options.webhooks;
    }),
  ];
  for (const spec of specs) {
    if (spec.body?.optional) markOptionalBody(spec.body.schema);
    app.route({
      method: spec.method,
      url: spec.url,
      schema: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.querystring ? { querystring: spec.querystring } : {}),
        ...(spec.body ? { body: spec.body.schema } : {}),
      },
      config: { access: spec.access, spec },
      handler: spec.handler,
    });
  }

  // Meta's webhooks: their own context (a raw-body parser, so the signature covers the bytes Meta sent).
  await app.register(metaWebhookRoutes(options.metaWebhooks));

  // A known path with another method: 405 with Allow (after the same auth as the path's routes).
  const byUrl = new Map<string, RouteSpec[]>();
  for (const spec of specs) byUrl.set(spec.url, [...(byUrl.get(spec.url) ?? []), spec]);
  for (const [url, routes] of byUrl) app.route(methodNotAllowedRoute(url, routes));

  await app.ready();
  app.swagger(); // built (and cached) now: a broken definition fails at start, not on a request
  return app;
}

/** The OpenAPI document the server serves at /openapi.json (built without a server, for tools and tests). */
export async function buildOpenApiDocument(options: {
  authRequired: boolean;
  codecBasePath?: string;
}): Promise<Record<string, unknown>> {
  const unused = () => Promise.reject(new Error('the document-only app serves no requests'));
  const app = await buildApiApp({
    lifecycle: new Proxy({}, { get: () => unused }) as LifecycleApi,
    apiKeys: options.authRequired ? ['document-only-key-not-served'] : [],
    log: () => undefined,
    maxWaitMs: 0,
    maxBodyBytes: 1,
    rateLimit: { max: 0, windowMs: 1 },
    ...(options.codecBasePath ? { codecBasePath: options.codecBasePath } : {}),
    closed: new Promise(() => undefined),
  });
  const document = app.swagger() as unknown as Record<string, unknown>;
  await app.close();
  return document;
}
