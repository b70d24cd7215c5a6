// Turns a Graph error into one of our failure types, by error.code (reference §8.3) and, for the codes
// that say how long to wait, by error_data.details. HTTP status and message text are never consulted.
import { GraphErrorType, type GraphErrorTypeName } from '../domain/graph-errors';

export interface GraphErrorFacts {
  code: number;
  subcode?: number;
  details?: string;
}

export interface Classification {
  type: GraphErrorTypeName;
  /** Whether Temporal may retry the activity itself (only ever true for reads). */
  retryable: boolean;
  retryAfterMs?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const NOT_RETRYABLE: Record<number, GraphErrorTypeName> = {
  0: GraphErrorType.Auth,
  190: GraphErrorType.Auth,
  3: GraphErrorType.Permission,
  10: GraphErrorType.Permission,
  368: GraphErrorType.Permission,
  131005: GraphErrorType.Permission,
  12: GraphErrorType.InvalidRequest,
  33: GraphErrorType.InvalidRequest,
  100: GraphErrorType.InvalidRequest,
  131008: GraphErrorType.InvalidRequest,
  131009: GraphErrorType.InvalidRequest,
  133010: GraphErrorType.InvalidRequest,
  133005: GraphErrorType.PinMismatch,
  // 131031 is "account locked" or "data mismatch such as a wrong PIN": not retryable either way.
  131031: GraphErrorType.PinMismatch,
  133006: GraphErrorType.NotVerified,
  133000: GraphErrorType.IncompleteDeregistration,
};

/** Throttling and temporary unavailability: retry with backoff. */
const TRANSIENT = new Set([1, 2, 4, 17, 32, 613, 80007, 80008, 130429, 131016, 131057, 133004, 2494100]);

/** "Try again in 5 minutes", "after 30 seconds", "Try again after <ISO date>": best effort. */
export function parseWaitFromDetails(details: string | undefined, now: number): number | undefined {
  if (!details) return undefined;
  const iso = details.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z/);
  if (iso) {
    const at = Date.parse(iso[0]);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const relative = details.match(/(\d+)\s*(second|sec|minute|min|hour|hr|day)s?\b/i);
  if (!relative) return undefined;
  const n = Number(relative[1]);
  const unit = relative[2]!.toLowerCase();
  const ms = unit.startsWith('s')
    ? 1000
    : unit.startsWith('m')
      ? MINUTE
      : unit.startsWith('h')
        ? HOUR
        : 24 * HOUR;
  return n * ms;
}

export function classifyGraphError(
  facts: GraphErrorFacts,
  context: { mutation: boolean; now: number; blockMs: number },
): Classification {
  const { code, subcode, details } = facts;
  const fromDetails = parseWaitFromDetails(details, context.now);
  if (code === 100 && subcode === 2388001)
    return { type: GraphErrorType.DisplayNameNotReady, retryable: false };
  if (code >= 200 && code <= 299) return { type: GraphErrorType.Permission, retryable: false };
  const notRetryable = NOT_RETRYABLE[code];
  if (notRetryable) return { type: notRetryable, retryable: false };
  switch (code) {
    case 133016:
      return {
        type: GraphErrorType.RegistrationRateLimited,
        retryable: false,
        retryAfterMs: fromDetails ?? context.blockMs,
      };
    case 133015:
      return {
        type: GraphErrorType.WaitThenRetry,
        retryable: false,
        retryAfterMs: fromDetails ?? 5 * MINUTE,
      };
    case 133008:
    case 133009:
      return {
        type: GraphErrorType.WaitThenRetry,
        retryable: false,
        retryAfterMs: fromDetails ?? 30 * MINUTE,
      };
    case 131000:
      // "Something went wrong": a mutation may have happened anyway.
      return context.mutation
        ? { type: GraphErrorType.UnknownOutcome, retryable: false }
        : { type: GraphErrorType.Transient, retryable: true };
  }
  if (TRANSIENT.has(code)) {
    return { type: GraphErrorType.Transient, retryable: !context.mutation, retryAfterMs: fromDetails };
  }
  return { type: GraphErrorType.Unexpected, retryable: false };
}
