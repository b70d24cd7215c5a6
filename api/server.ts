// The HTTP API server: the Fastify application (app.ts) listening on a host and port, with the Temporal
// UI codec endpoint served beside it (its own rules, under /codec) when a payload key is configured.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyring, type ApiKeySpec } from './auth';
import type { ReadinessCheck } from '../platform/readiness';
import { buildApiApp, isLoopbackHost, type RateLimitSettings } from './app';
import { createCodecHandler, type CodecEndpointOptions } from './codec-endpoint';
import type { LifecycleApi } from './routes/context';
import type { RequestLogEntry } from './request-log';
import type { MetaWebhookOptions } from './meta-webhooks';
import type { WebhookSubscriptionsApi } from '../client/webhook-subscriptions';

export { isLoopbackHost } from './app';
export type { LifecycleApi } from './routes/context';

export interface ApiServerOptions {
  lifecycle: LifecycleApi;
  /**
   * Accepted keys (Authorization: Bearer <key> or X-Api-Key): a bare string has every scope and no name;
   * an ApiKeySpec has a name (recorded as requestedBy) and scopes. Empty: no auth, loopback hosts only.
   */
  apiKeys: readonly (string | ApiKeySpec)[];
  host: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  /** Also serve the Temporal UI codec endpoint (default base path /codec), with its own auth rules. */
  codec?: CodecEndpointOptions;
  /** One line per request: method, path (no query), status, duration. Default: console.log. */
  log?: (line: string) => void;
  /** Instead of `log`: each request as fields, e.g. to a JSON logger (api/request-log.ts). */
  logRequest?: (entry: RequestLogEntry) => void;
  /** Longest a GET ...?wait=true waits before answering with the operation as it is (default 60 s). */
  maxWaitMs?: number;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /** Requests per key per window (default 600 a minute); max 0 turns the limit off. */
  rateLimit?: RateLimitSettings;
  /** The server URLs the OpenAPI document lists (default: relative, this server). */
  publicUrls?: { url: string; description?: string }[];
  /** GET /readyz's checks against Temporal (platform/readiness.ts); none: always ready. */
  readiness?: () => Promise<ReadinessCheck[]>;
  /** Serve Meta's webhooks at /webhooks/meta (api/meta-webhooks.ts). */
  metaWebhooks?: MetaWebhookOptions;
  /** Webhook subscriptions (a WebhookSubscriptionsClient). */
  webhooks?: WebhookSubscriptionsApi;
}

export interface ApiServer {
  /** http://host:port, with the port actually bound. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

const DEFAULT_MAX_WAIT_MS = 60_000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_RATE_LIMIT: RateLimitSettings = { max: 600, windowMs: 60_000 };

/** Builds the API server and starts listening. Throws at once if the options are unsafe. */
export function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  if (options.apiKeys.length === 0 && !isLoopbackHost(options.host)) {
    throw new Error(
      `createApiServer: refusing to listen on ${options.host} without API keys; ` +
        'without keys the API may only be bound to loopback (127.0.0.1, ::1 or localhost)',
    );
  }
  new ApiKeyring(options.apiKeys); // throws now on a bad key, not later in a promise
  return startApiServer(options);
}

async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const codecBase = options.codec ? (options.codec.basePath ?? '/codec') : undefined;
  const codecHandler = options.codec
    ? createCodecHandler({ ...options.codec, basePath: codecBase })
    : undefined;

  // Ends ?wait=true requests early when the server closes.
  let closing: (() => void) | undefined;
  const closed = new Promise<void>((resolve) => (closing = resolve));

  const app = await buildApiApp({
    lifecycle: options.lifecycle,
    apiKeys: options.apiKeys,
    log: options.log ?? ((line: string) => console.log(line)),
    ...(options.logRequest ? { logRequest: options.logRequest } : {}),
    maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    ...(codecBase ? { codecBasePath: codecBase } : {}),
    ...(options.publicUrls ? { servers: options.publicUrls } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.metaWebhooks ? { metaWebhooks: options.metaWebhooks } : {}),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    closed,
    serverFactory: (handler) =>
      createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        if (!codecHandler || !codecBase || !path.startsWith(`${codecBase}/`)) return handler(req, res);
        codecHandler(req, res)
          .then((handled) => handled || handler(req, res))
          .catch(() => res.destroy());
      }),
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    server: app.server,
    close: async () => {
      closing?.();
      await app.close();
    },
  };
}
