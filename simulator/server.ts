// Starts the Graph API simulator: a plain node:http server routing /_sim/* to the admin API, /onprem/{id}/* to
// the number's simulated On-Premises API client, and everything else to the Graph surface
// (graph/request-pipeline.ts; graph/router.ts lists its endpoints).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AccessTokens } from './access-tokens';
import { handleAdminRequest } from './admin-api';
import { FaultSchedule } from './faults';
import { handleGraphRequest } from './graph/request-pipeline';
import { BodyTooLargeError, sendJson } from './http-io';
import { handleOnPremRequest } from './onprem-api';
import type { RateLimitPolicy } from './rate-limit';
import { DEFAULT_REQUEST_LOG_ENTRIES, isSecretKey, RequestLog } from './request-log';
import { SimSettings } from './sim-settings';
import { SimState, type SeedName } from './state-store';
import { WebhookSender, type WebhookSubscription } from './webhooks';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  /** The token accepted at start (and after a reset); /_sim/access-tokens issues and revokes others. */
  accessToken: string;
  stateFile?: string;
  seed?: SeedName;
  windowHours?: number;
  requestsPerWindow?: number;
  blockHours?: number;
  /** Enforce v21+ /register deprecations (code 12) instead of Meta's documented leniency. Default false. */
  strictVersionRules?: boolean;
  /** How long a code sent by request_code stays valid, in minutes. Default 10. */
  codeTtlMinutes?: number;
  /** Codes request_code may send per number in a moving hour; more → 136024. Default 5. */
  codeRequestsPerHour?: number;
  /** How long a register with backup (On-Prem → Cloud migration) takes, in ms; applied first. Default 2000. */
  backupRegisterDelayMs?: number;
  /** Send error_subcode 2388001 on v16.0+ too (Meta stopped returning subcodes there). Default false. */
  legacySubcodes?: boolean;
  /**
   * Subscribe an app to Meta's webhooks at start (as POST /_sim/webhooks does): the verification request is
   * made once the simulator listens; if it fails, the simulator runs unsubscribed and logs why.
   */
  webhooks?: WebhookSubscription;
  /** Requests the admin API's log keeps (the oldest go first). Default 10,000; scale benchmarks need more. */
  requestLogEntries?: number;
  log?: (line: string) => void;
}

export interface RunningSimulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

/** Timers behind latency and held responses; close() cancels them so nothing keeps the process alive. */
class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.add(timer);
    });
  }

  cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/** Path plus query for the log line, with token, PIN, password, backup and verification-code values masked. */
function loggablePath(url: URL): string {
  const query = [...url.searchParams].map(([k, v]) => `${k}=${isSecretKey(k) ? '***' : v}`).join('&');
  return query === '' ? url.pathname : `${url.pathname}?${query}`;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`simulator option ${name} must be a positive number`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`simulator option ${name} must be a non-negative integer`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`simulator option ${name} must be a positive integer`);
  return value;
}

export async function startSimulator(opts: SimulatorOptions): Promise<RunningSimulator> {
  if (opts.accessToken === '') throw new Error('simulator option accessToken must not be empty');
  const host = opts.host ?? '127.0.0.1';
  const defaultSeed = opts.seed ?? 'default';
  const windowHours = positive('windowHours', opts.windowHours ?? 72);
  const policy: RateLimitPolicy = {
    windowMs: windowHours * HOUR_MS,
    maxCallsPerWindow: positive('requestsPerWindow', opts.requestsPerWindow ?? 10),
    blockMs: positive('blockHours', opts.blockHours ?? 72) * HOUR_MS,
  };

  const state = new SimState(opts.stateFile);
  state.init(defaultSeed);
  const faults = new FaultSchedule();
  const requests = new RequestLog(
    positiveInteger('requestLogEntries', opts.requestLogEntries ?? DEFAULT_REQUEST_LOG_ENTRIES),
  );
  const timers = new Timers();
  const settings = new SimSettings({
    strictVersionRules: opts.strictVersionRules ?? false,
    codeTtlMinutes: positive('codeTtlMinutes', opts.codeTtlMinutes ?? 10),
    codeRequestsPerHour: positiveInteger('codeRequestsPerHour', opts.codeRequestsPerHour ?? 5),
    backupRegisterDelayMs: nonNegativeInteger('backupRegisterDelayMs', opts.backupRegisterDelayMs ?? 2000),
    legacySubcodes: opts.legacySubcodes ?? false,
  });
  const log = opts.log;
  const tokens = new AccessTokens(opts.accessToken);

  const graphDeps = {
    state,
    faults,
    requests,
    policy,
    settings,
    tokens,
    delay: (ms: number) => timers.delay(ms),
  };
  const webhooks = new WebhookSender((ms) => timers.delay(ms), log);
  const adminDeps = { state, faults, requests, policy, settings, tokens, defaultSeed, webhooks };
  const onPremDeps = { state, requests };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    let status: number;
    let errorCode: number | undefined;
    try {
      if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
        status = await handleAdminRequest(adminDeps, req, res, url);
      } else if (url.pathname === '/onprem' || url.pathname.startsWith('/onprem/')) {
        ({ status, errorCode } = await handleOnPremRequest(onPremDeps, req, res, url));
      } else {
        ({ status, errorCode } = await handleGraphRequest(graphDeps, req, res, url));
      }
    } catch (err) {
      status = err instanceof BodyTooLargeError ? 413 : 500;
      if (!res.headersSent)
        sendJson(res, status, { error: { message: `simulator: ${(err as Error).message}` } });
    }
    const shown = status === 0 ? 'closed' : String(status); // 0: connection closed without an answer
    log?.(
      `${req.method ?? '?'} ${loggablePath(url)} ${shown}${errorCode !== undefined ? ` code=${errorCode}` : ''}`,
    );
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8780, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('simulator: unexpected server address');
  const urlHost = host.includes(':') ? `[${host}]` : host;
  if (opts.webhooks) {
    webhooks.subscribeAtStart(opts.webhooks).catch((err: unknown) => {
      log?.(`webhooks: subscription refused: ${(err as Error).message}`);
    });
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        timers.cancelAll();
        server.close((err) => (err ? reject(err) : resolve()));
        // Held responses (timeout-after-apply) and keep-alive sockets would otherwise keep close() waiting.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
