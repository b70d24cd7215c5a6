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
  131045: GraphErrorType.InvalidRequest, // incorrect certificate: the number must be (re)registered
  133005: GraphErrorType.PinMismatch,
  // 131031 is "account locked" or "data mismatch such as a wrong PIN": not retryable either way.
  131031: GraphErrorType.PinMismatch,
  133006: GraphErrorType.NotVerified,
  133000: GraphErrorType.IncompleteDeregistration,
};

/** Throttling and temporary unavailability: retry with backoff. */
const TRANSIENT = new Set([2, 4, 17, 32, 613, 80007, 80008, 130429, 131016, 131056, 131057, 133004, 2494100]);

const UNIT_MS: Record<string, number> = { s: 1000, m: MINUTE, h: HOUR, d: 24 * HOUR };

/**
 * "Try again in 5 minutes", "after 1.5 hours", "1 hour and 30 minutes", "24h", "Try again after <ISO
 * time>": best effort; undefined when the text names no wait.
 */
export function parseWaitFromDetails(details: string | undefined, now: number): number | undefined {
  if (!details) return undefined;
  const iso = details.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/);
  if (iso) {
    const at = Date.parse(iso[0]);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  let total: number | undefined;
  const durations = /(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\b/gi;
  for (const [, amount, unit] of details.matchAll(durations)) {
    total = (total ?? 0) + Number(amount) * UNIT_MS[unit!.toLowerCase()[0]!]!;
  }
  return total === undefined ? undefined : Math.round(total);
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
    case 136024:
      // request_code refused; for an already verified number (check code_verification_status first).
      return { type: GraphErrorType.RequestCodeRefused, retryable: false };
    case 136025:
      // verify_code refused: wrong, expired or already used code.
      return { type: GraphErrorType.CodeRejected, retryable: false };
    case 1:
    case 131000:
      // "Something went wrong" / "possible server error": a mutation may have happened anyway.
      return context.mutation
        ? { type: GraphErrorType.UnknownOutcome, retryable: false }
        : { type: GraphErrorType.Transient, retryable: true };
  }
  if (TRANSIENT.has(code)) {
    return { type: GraphErrorType.Transient, retryable: !context.mutation, retryAfterMs: fromDetails };
  }
  return { type: GraphErrorType.Unexpected, retryable: false };
}
