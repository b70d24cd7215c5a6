// The client library over the HTTP API instead of Temporal: no Temporal connection and no payload key on
// the caller's side, only the API's URL and an API key. Same methods, results and errors as
// NumberLifecycleClient (see client/http-errors.ts for how error answers map back).
import { randomUUID } from 'node:crypto';
import { fleetIdSchema } from '../domain/fleet';
import { listFilterSchema, type ListFilter, type NumberListing } from '../domain/number-listing';
import {
  idempotencyKeySchema,
  operationRequestSchema,
  type OperationRequestInput,
} from '../domain/operations';
import { phoneNumberIdSchema, pinSchema } from '../domain/phone-number';
import { InputError, parseInput } from '../domain/validation';
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
import { HttpApiError, TemporalUnreachableError } from './errors';
import type {
  CancelFleetResult,
  FleetProgress,
  FleetStatus,
  ProgressDetail,
  StartFleetOptions,
} from './fleets';
import { parseErrorBody, retryAfterMs, toLibraryError } from './http-errors';
import type {
  LifecycleOperations,
  RetryFleetOptions,
  RunOperationOptions,
  WaitForOperationOptions,
} from './lifecycle-operations';
import type { NumberPage } from './number-pages';

export interface HttpClientOptions {
  /** The API's base URL, e.g. https://lifecycle.example.com (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; leave it out only for an API without keys (loopback). */
  apiKey?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Longest wait for one answer (default 30 s); a `?wait=true` read also gets the server's wait cap. */
  timeoutMs?: number;
  /** How often a 429 is retried after its Retry-After, for reads and idempotent writes (default 3). */
  maxRateLimitRetries?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** The API holds a `?wait=true` read up to its cap (60 s by default) before answering. */
const WAIT_CAP_ALLOWANCE_MS = 65_000;
/** A Retry-After longer than this is not waited for: the caller learns of it instead. */
const MAX_RETRY_AFTER_MS = 60_000;
const FLEET_POLL_MS = 1000;

interface Call {
  method: 'GET' | 'POST';
  /** Path below the base URL, already encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Makes a POST safe to send again (after a 429). */
  idempotencyKey?: string;
  /** Errors are about a fleet (a 404 or 409 is then InputError on fleetId, as in the library). */
  fleet?: boolean;
  timeoutMs?: number;
}

const seg = encodeURIComponent;

export class HttpLifecycleClient implements LifecycleOperations {
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;

  constructor(options: HttpClientOptions) {
    this.baseUrl = checkedBaseUrl(options.baseUrl);
    if (options.apiKey !== undefined && !/^\S+$/.test(options.apiKey)) {
      throw new InputError('apiKey', 'must be non-empty, without whitespace');
    }
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxRetries = options.maxRateLimitRetries ?? 3;
  }

  /** Nothing to release: each call is its own request. */
  async close(): Promise<void> {}

  /** Sent with an Idempotency-Key (the caller's, else a fresh one), so that a retried POST queues nothing twice. */
  async requestOperation(
    phoneNumberId: string,
    request: OperationRequestInput,
    options: { idempotencyKey?: string } = {},
  ): Promise<OperationTicket> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    const body = parseInput(operationRequestSchema(), request);
    const idempotencyKey =
      options.idempotencyKey === undefined
        ? randomUUID()
        : parseInput(idempotencyKeySchema(), options.idempotencyKey, 'idempotencyKey');
    return this.call({ method: 'POST', path: `/v1/phone-numbers/${id}/operations`, body, idempotencyKey });
  }

  /** The request, then the API's held reads (waitForOperation) until the operation ends. */
  async runOperation(
    phoneNumberId: string,
    request: OperationRequestInput,
    options: RunOperationOptions = {},
  ): Promise<OperationSummary> {
    const { idempotencyKey } = options;
    const ticket = await this.requestOperation(
      phoneNumberId,
      request,
      idempotencyKey === undefined ? {} : { idempotencyKey },
    );
    options.onAccepted?.();
    return this.waitForOperation(phoneNumberId, ticket.operationId, options);
  }

  async getState(phoneNumberId: string): Promise<LifecycleSnapshot | undefined> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    try {
      return await this.call<LifecycleSnapshot>({ method: 'GET', path: `/v1/phone-numbers/${id}` });
    } catch (err) {
      if (err instanceof HttpApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * Asks the API to hold each read until the operation finishes (`?wait=true`, answered at its cap at
   * the latest). A server that answers at once is asked again after `pollIntervalMs`, doubling up to
   * `maxPollIntervalMs`.
   */
  async waitForOperation(
    phoneNumberId: string,
    operationId: string,
    options: WaitForOperationOptions = {},
  ): Promise<OperationSummary> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    let pauseMs = options.pollIntervalMs ?? 250;
    const maxPauseMs = Math.max(pauseMs, options.maxPollIntervalMs ?? 5000);
    for (;;) {
      const asked = Date.now();
      let summary: OperationSummary;
      try {
        summary = await this.call<OperationSummary>({
          method: 'GET',
          path: `/v1/phone-numbers/${id}/operations/${seg(operationId)}`,
          query: { wait: 'true' },
          timeoutMs: this.#timeoutMs + WAIT_CAP_ALLOWANCE_MS,
        });
      } catch (err) {
        if (err instanceof HttpApiError && err.status === 404) {
          throw new InputError('operationId', `no operation ${operationId} is known for phone number ${id}`);
        }
        throw err;
      }
      if (summary.status === 'completed' || summary.status === 'failed') return summary;
      const waited = Date.now() - asked;
      if (waited < pauseMs) await delay(pauseMs - waited);
      pauseMs = Math.min(maxPauseMs, pauseMs * 2);
    }
  }

  async submitVerificationCode(phoneNumberId: string, code: string): Promise<CodeSubmissionResult> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    const digits = parseInput(verificationCodeSchema(), code, 'code');
    return this.call({
      method: 'POST',
      path: `/v1/phone-numbers/${id}/verification-code`,
      body: { code: digits },
    });
  }

  async cancelOperation(
    phoneNumberId: string,
    request: CancelOperationRequest = {},
  ): Promise<CancelOperationResult> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    const path =
      request.operationId === undefined
        ? `/v1/phone-numbers/${id}/cancel`
        : `/v1/phone-numbers/${id}/operations/${seg(request.operationId)}/cancel`;
    return this.call({ method: 'POST', path, body: { requestedBy: request.requestedBy } });
  }

  async retryOperation(phoneNumberId: string, request: RetryOperationRequest = {}): Promise<OperationTicket> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    if (request.pin !== undefined) parseInput(pinSchema(), request.pin, 'pin');
    return this.call({
      method: 'POST',
      path: `/v1/phone-numbers/${id}/retry`,
      body: { pin: request.pin, requestedBy: request.requestedBy },
    });
  }

  /** Follows the API's pages (`nextPageToken`, when it sends one) until `limit` numbers. */
  async listNumbers(filter: ListFilter = {}): Promise<NumberListing[]> {
    const valid = parseInput(listFilterSchema(), filter);
    const rows: NumberListing[] = [];
    const tokens = new Set<string>();
    let pageToken: string | undefined;
    do {
      const page = await this.listNumbersPage({ ...valid, limit: valid.limit - rows.length }, pageToken);
      rows.push(...page.numbers);
      pageToken = page.nextPageToken;
      if (pageToken !== undefined && tokens.has(pageToken)) {
        throw new HttpApiError(`the HTTP API at ${this.baseUrl} sent the same page token twice`, 200);
      }
      if (pageToken !== undefined) tokens.add(pageToken);
    } while (pageToken !== undefined && rows.length < valid.limit);
    return rows.slice(0, valid.limit).sort((a, b) => a.phoneNumberId.localeCompare(b.phoneNumberId));
  }

  async listNumbersPage(filter: ListFilter = {}, pageToken?: string): Promise<NumberPage> {
    const valid = parseInput(listFilterSchema(), filter);
    const page = await this.call<{ numbers: NumberListing[]; nextPageToken?: string | null }>({
      method: 'GET',
      path: '/v1/phone-numbers',
      query: {
        state: valid.state,
        operation: valid.operation,
        wabaId: valid.wabaId,
        limit: String(valid.limit),
        pageToken,
      },
    });
    return { numbers: page.numbers, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  }

  async startFleet(options: StartFleetOptions): Promise<FleetStatus> {
    if (options.retryOf !== undefined) {
      throw new InputError('retryOf', 'is set by the API itself: use retryFleet');
    }
    if (options.fleetId !== undefined) parseInput(fleetIdSchema(), options.fleetId, 'fleetId');
    // A number's request without its operation: the fleet names the operation once.
    const numbers = options.members?.map(({ phoneNumberId, request: { operation: _, ...own } }) => ({
      phoneNumberId,
      ...own,
    }));
    const body = {
      operation: options.operation,
      concurrency: options.concurrency,
      fleetId: options.fleetId,
      requestedBy: options.requestedBy || undefined,
      ...(numbers
        ? { numbers, wabaId: options.wabaId }
        : { wabaId: options.wabaId, defaults: options.defaults, pins: options.pins }),
    };
    return this.call({ method: 'POST', path: '/v1/fleets', body, idempotencyKey: randomUUID(), fleet: true });
  }

  async describeFleet(fleetId: string, detail: ProgressDetail = 'all'): Promise<FleetStatus> {
    const id = parseInput(fleetIdSchema(), fleetId, 'fleetId');
    return this.call({
      method: 'GET',
      path: `/v1/fleets/${seg(id)}`,
      query: { numbers: detail },
      fleet: true,
    });
  }

  async cancelFleet(
    fleetId: string,
    requestedBy?: string,
    options: { cancelRunning?: boolean } = {},
  ): Promise<CancelFleetResult> {
    const id = parseInput(fleetIdSchema(), fleetId, 'fleetId');
    return this.call({
      method: 'POST',
      path: `/v1/fleets/${seg(id)}/cancel`,
      body: { requestedBy: requestedBy || undefined, cancelRunning: options.cancelRunning || undefined },
      fleet: true,
    });
  }

  async retryFleet(fleetId: string, options: RetryFleetOptions = {}): Promise<FleetStatus> {
    const id = parseInput(fleetIdSchema(), fleetId, 'fleetId');
    return this.call({
      method: 'POST',
      path: `/v1/fleets/${seg(id)}/retry`,
      body: {
        fleetId: options.fleetId,
        concurrency: options.concurrency,
        requestedBy: options.requestedBy || undefined,
      },
      fleet: true,
    });
  }

  /** Reads the fleet's status every second until it has finished. */
  async waitForFleet(fleetId: string): Promise<FleetProgress> {
    for (;;) {
      const status = await this.describeFleet(fleetId, 'none');
      if (status.status !== 'RUNNING') break;
      await delay(FLEET_POLL_MS);
    }
    const final = await this.describeFleet(fleetId, 'all');
    if (final.status !== 'COMPLETED' || !final.progress) {
      const why = final.failure ? `: ${final.failure.message}` : '';
      throw new Error(`fleet ${final.fleetId} did not complete (${final.status})${why}`);
    }
    return final.progress;
  }

  /** One request, retried after a 429 when that is safe; an error answer becomes the library's error. */
  private async call<T>(call: Call): Promise<T> {
    const url = new URL(`${this.baseUrl}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const mayRepeat = call.method === 'GET' || call.idempotencyKey !== undefined;
    const timeoutMs = call.timeoutMs ?? this.#timeoutMs;

    for (let attempt = 0; ; attempt++) {
      const {
        status,
        headers: answerHeaders,
        text,
      } = await this.exchange(url, call.method, headers, body, timeoutMs);
      if (status >= 200 && status < 300) return this.json<T>(text);
      const retryAfter = retryAfterMs(answerHeaders.get('retry-after'));
      if (status === 429) {
        const waitMs = retryAfter ?? 1000;
        if (mayRepeat && attempt < this.#maxRetries && waitMs <= MAX_RETRY_AFTER_MS) {
          await delay(waitMs);
          continue;
        }
        const when = retryAfter === undefined ? 'later' : `in ${Math.ceil(retryAfter / 1000)} s`;
        throw new HttpApiError(
          `the HTTP API at ${this.baseUrl} is limiting requests (HTTP 429); try again ${when}`,
          429,
          parseErrorBody(status, text).code,
        );
      }
      throw toLibraryError(parseErrorBody(status, text), {
        apiUrl: this.baseUrl,
        keyGiven: this.#apiKey !== undefined,
        fleet: call.fleet === true,
      });
    }
  }

  /** Sends the request and reads the whole answer; no answer (refused, reset, timed out) is "unreachable". */
  private async exchange(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    try {
      const res = await this.#fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, headers: res.headers, text: await res.text() };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${Math.round(timeoutMs / 1000)} s`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new TemporalUnreachableError(`the HTTP API at ${this.baseUrl} is unreachable (${why})`);
    }
  }

  private json<T>(text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HttpApiError(`the answer is not JSON: is ${this.baseUrl} the HTTP API's base URL?`, 200);
    }
  }
}

/** An http(s) URL without credentials, query or fragment; the trailing slash dropped. */
function checkedBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError('baseUrl', 'must be an http(s) URL, e.g. http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError('baseUrl', `must be an http(s) URL (got ${url.protocol.replace(':', '')})`);
  }
  if (url.username || url.password) {
    throw new InputError('baseUrl', 'must not hold credentials; give the API key separately');
  }
  if (url.search || url.hash) throw new InputError('baseUrl', 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
