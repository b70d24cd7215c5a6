// In-memory log of Graph requests, for tests and the integration suite to assert on what the
// "server" saw (counted toward the budget, applied to state, which fault fired).
import { FAULT_ENDPOINTS, type FaultKind } from './faults';

/**
 * Every routed Graph endpoint (`settings` covers GET and POST /{id}/settings, `set_pin` is POST /{id},
 * `phone_numbers` is GET /{waba-id}/phone_numbers),
 * `onprem` for any call to a number's On-Premises client under /onprem/{id}, plus `other`.
 */
export const GRAPH_ENDPOINTS = [...FAULT_ENDPOINTS, 'onprem', 'other'] as const;
export type GraphEndpoint = (typeof GRAPH_ENDPOINTS)[number];

export interface RequestLogEntry {
  seq: number;
  /** Simulator time, ISO. */
  at: string;
  method: string;
  /** Path without the query string (it may carry the token or a PIN). */
  path: string;
  endpoint: GraphEndpoint;
  /** null for GET /{waba-id}/phone_numbers, whose object is a WABA (see wabaId). */
  phoneNumberId: string | null;
  /** Only for GET /{waba-id}/phone_numbers: the WABA id from the path. */
  wabaId?: string;
  /** 0 when the connection was closed without an answer (an On-Prem client that is down). */
  status: number;
  errorCode?: number;
  errorSubcode?: number;
  counted: boolean;
  applied: boolean;
  fault?: FaultKind;
  /**
   * Set when the client closed the connection before the answer was sent (it timed out, or aborted the
   * call): how long after the request arrived, in ms. The call is handled all the same (Meta cannot know).
   */
  clientClosedAfterMs?: number;
  /**
   * Query + body parameters with secrets (token, PIN, passwords, verification code, backup) replaced by
   * "***". Headers (Basic credentials, bearer tokens) are never logged.
   */
  params?: Record<string, unknown>;
}

/** Entries kept by default: a long benchmark run cannot grow memory without limit. */
export const DEFAULT_REQUEST_LOG_ENTRIES = 10_000;
const SECRET_KEYS = new Set(['pin', 'password', 'new_password', 'access_token', 'code', 'backup']);

/**
 * A parameter whose value must never be logged: a secret name, also inside a bracketed form key
 * (`backup[data]`, `backup[password]`). `backup` as a whole: its data is as sensitive as its password.
 */
export function isSecretKey(key: string): boolean {
  return key.split(/[[\]]+/).some((part) => SECRET_KEYS.has(part));
}

/** Replaces secret values at any depth; a PIN or a verification code must never reach a log. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, isSecretKey(k) ? '***' : redactSecrets(v)]),
    );
  }
  return value;
}

export interface RequestLogFilter {
  phoneNumberId?: string;
  wabaId?: string;
  endpoint?: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private nextSeq = 1;

  /** Keeps the last `maxEntries` requests (the oldest go first). */
  constructor(private readonly maxEntries = DEFAULT_REQUEST_LOG_ENTRIES) {}

  append(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const full = { seq: this.nextSeq++, ...entry };
    this.entries.push(full);
    if (this.entries.length > this.maxEntries) this.entries.splice(0, this.entries.length - this.maxEntries);
    return full;
  }

  list(filter: RequestLogFilter = {}): RequestLogEntry[] {
    return this.entries.filter(
      (e) =>
        (filter.phoneNumberId === undefined || e.phoneNumberId === filter.phoneNumberId) &&
        (filter.wabaId === undefined || e.wabaId === filter.wabaId) &&
        (filter.endpoint === undefined || e.endpoint === filter.endpoint),
    );
  }

  clear(): void {
    this.entries = [];
    this.nextSeq = 1;
  }
}
