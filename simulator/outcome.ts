// What a Graph call answers, decided before anything is sent: the status, the body (JSON or raw text), extra
// headers, and what the request log records about it (counted toward a budget, applied to state).
import type { GraphError } from './graph-errors';

export interface Outcome {
  status: number;
  json?: unknown;
  /** A body sent as is (an HTML page from a gateway, a truncated or empty body); wins over `json`. */
  raw?: { contentType: string; body: string };
  /** Extra response headers (e.g. X-Business-Use-Case-Usage on a throttled call). */
  headers?: Record<string, string>;
  errorCode?: number;
  errorSubcode?: number;
  counted: boolean;
  applied: boolean;
  /** Wait after applying (and logging) before answering: a register with backup takes time. */
  delayMs?: number;
}

export function errorOutcome(err: GraphError, counted = false): Outcome {
  return {
    status: err.httpStatus,
    json: err.toBody(),
    errorCode: err.code,
    ...(err.subcode !== undefined ? { errorSubcode: err.subcode } : {}),
    counted,
    applied: false,
  };
}

/** The endpoint refused the call (an error answer), as opposed to a 2xx. */
export function isErrorOutcome(outcome: Outcome): boolean {
  return outcome.status >= 400;
}
