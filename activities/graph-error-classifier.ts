// Turns a Graph error into one of our failure types, by error.code (reference §8.3) and, for the codes
// that say how long to wait, by error_data.details. HTTP status and message text are never consulted.
import { GraphErrorType, type GraphErrorTypeName } from '../domain/graph-errors';

export interface GraphErrorFacts {
  code: number;
  subcode?: number;
  details?: string;
  /** Graph's `is_transient` flag, when the answer carries it. */
  isTransient?: boolean;
  /** The HTTP status (never decides a type alone; a 5xx marks a mutation's outcome unknown). */
  httpStatus?: number;
  /** A wait Graph gave outside the body (X-Business-Use-Case-Usage), in ms. */
  headerWaitMs?: number;
}

export interface Classification {
  type: GraphErrorTypeName;
  /** Whether Temporal may retry the activity itself (only ever true for reads). */
  retryable: boolean;
  retryAfterMs?: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const NOT_RETRYABLE: Record<number, GraphErrorTypeName> = {
  0: GraphErrorType.AccessTokenInvalid, // AuthException: token expired or invalidated [ERR]
  190: GraphErrorType.AccessTokenInvalid, // access token expired, revoked or invalid [ERR, GERR]
  102: GraphErrorType.Auth, // session key invalid or no longer valid (Graph)
  104: GraphErrorType.Auth, // incorrect signature / no access token (Graph)
  3: GraphErrorType.Permission,
  10: GraphErrorType.Permission,
  368: GraphErrorType.Permission, // temporarily blocked for policy violations [ERR]
  131005: GraphErrorType.Permission,
  12: GraphErrorType.InvalidRequest,
  33: GraphErrorType.InvalidRequest,
  100: GraphErrorType.InvalidRequest,
  506: GraphErrorType.InvalidRequest, // duplicate post (Graph)
  803: GraphErrorType.InvalidRequest, // some of the aliases (ids) requested do not exist (Graph)
  2500: GraphErrorType.InvalidRequest, // error parsing the request (Graph)
  131008: GraphErrorType.InvalidRequest,
  131009: GraphErrorType.InvalidRequest,
  131045: GraphErrorType.InvalidRequest, // incorrect certificate: the number must be (re)registered
  133005: GraphErrorType.PinMismatch,
  // 131031 first means "business account locked" [ERR]; the register activity reads the number's health
  // and turns it into PinMismatch only when the account is not locked.
  131031: GraphErrorType.AccountLocked,
  133006: GraphErrorType.NotVerified,
  133000: GraphErrorType.IncompleteDeregistration,
  133010: GraphErrorType.NotRegistered,
};

/** Throttling: refused in front of the endpoint, so nothing was applied; wait and try again. */
const THROTTLING = new Set([4, 17, 32, 341, 613, 80007, 80008, 130429]);
/** Temporary unavailability: a read retries; a mutation may have been applied, so it reads back first. */
const UNAVAILABLE = new Set([1, 2, 131000, 131016, 131056, 131057, 133004, 2494100]);

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
  const wait = facts.headerWaitMs ?? fromDetails;
  const definite = definiteClass(code, subcode, wait, context.blockMs);
  if (definite) return definite;
  const after = wait !== undefined ? { retryAfterMs: wait } : {};
  if (THROTTLING.has(code)) return { type: GraphErrorType.Transient, retryable: !context.mutation, ...after };
  // Unavailable, marked transient, or a code we do not know answered with a 5xx: a register or
  // deregister may have been applied all the same (reference §10.2), so the workflow reads back first.
  const maybeApplied = UNAVAILABLE.has(code) || facts.isTransient === true || (facts.httpStatus ?? 0) >= 500;
  if (maybeApplied) {
    return context.mutation
      ? { type: GraphErrorType.UnknownOutcome, retryable: false, ...after }
      : { type: GraphErrorType.Transient, retryable: true, ...after };
  }
  return { type: GraphErrorType.Unexpected, retryable: false };
}

/** The codes whose meaning does not depend on the call: refusals and known waits. */
function definiteClass(
  code: number,
  subcode: number | undefined,
  wait: number | undefined,
  blockMs: number,
): Classification | undefined {
  // Subcodes are not returned from v16.0 [ERR]; where one comes, it is the finer answer.
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
        retryAfterMs: wait ?? blockMs,
      };
    case 133015:
      return { type: GraphErrorType.WaitThenRetry, retryable: false, retryAfterMs: wait ?? 5 * MINUTE };
    case 133008:
      // Too many guesses: PIN entry locked for the time in details; our default when it names none.
      return { type: GraphErrorType.PinLockedOut, retryable: false, retryAfterMs: wait ?? HOUR };
    case 133009:
      // Guessed too fast: the PIN was not checked; wait, then it may be sent once more.
      return { type: GraphErrorType.PinTooFast, retryable: false, retryAfterMs: wait ?? MINUTE };
    case 136024:
      // request_code refused; for an already verified number (check code_verification_status first).
      return { type: GraphErrorType.RequestCodeRefused, retryable: false };
    case 136025:
      // verify_code refused: wrong, expired or already used code.
      return { type: GraphErrorType.CodeRejected, retryable: false };
  }
  return undefined;
}
