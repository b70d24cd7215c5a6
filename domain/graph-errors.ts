// Failure types that activities raise and workflows act on. The activity decides the class by Graph's
// error.code (reference §8), never by HTTP status or message text.

export const GraphErrorType = {
  /** Fix the request; retrying cannot help (100, 131009, 12, ...). */
  InvalidRequest: 'GraphInvalidRequest',
  /**
   * The access token is expired, revoked or invalid (190; 0 "AuthException"): nothing the operation
   * can change. Fix or rotate the worker's token (a changed token file is read again), then retry.
   */
  AccessTokenInvalid: 'GraphAccessTokenInvalid',
  /** Other authentication failures (102 session key, 104 signature or no token). */
  Auth: 'GraphAuthError',
  /** Permission missing (10, 200-299, 3, 368, 131005). */
  Permission: 'GraphPermissionDenied',
  /** Two-step PIN does not match (133005; 131031 once the account is known not to be locked). */
  PinMismatch: 'GraphPinMismatch',
  /** 131031 and the number or its account is locked or restricted (or that could not be ruled out). */
  AccountLocked: 'GraphAccountLocked',
  /** 133008: too many PIN guesses; PIN entry is locked for the time Meta gives. */
  PinLockedOut: 'GraphPinLockedOut',
  /** 133009: PINs entered too quickly; the PIN was not checked. */
  PinTooFast: 'GraphPinTooFast',
  /** 133010: the number is not registered (a deregister has nothing to do). */
  NotRegistered: 'GraphNumberNotRegistered',
  /** The number must verify ownership first (133006). */
  NotVerified: 'GraphNumberNotVerified',
  /** The display name's certificate is not ready (100 / subcode 2388001). */
  DisplayNameNotReady: 'GraphDisplayNameNotReady',
  /** A previous deregistration did not finish (133000): deregister again first. */
  IncompleteDeregistration: 'GraphIncompleteDeregistration',
  /** 133016: 10 requests in 72 h; blocked for 72 h. */
  RegistrationRateLimited: 'GraphRegistrationRateLimited',
  /** A known wait, then try again (133015: 5 min, or the time in details). */
  WaitThenRetry: 'GraphWaitThenRetry',
  /**
   * Throttling (4, 17, 32, 613, 80007/80008, 130429, 341: refused before the endpoint) or, on a read,
   * temporary unavailability (1, 2, 131016, 133004, ...): wait and try again.
   */
  Transient: 'GraphTransient',
  /**
   * A register/deregister whose result we did not see: a timeout, a 5xx, a 2xx we could not read, codes 1,
   * 2, 131000, 133004, or any answer marked is_transient. Read the number's state before sending again.
   */
  UnknownOutcome: 'GraphUnknownOutcome',
  /** request_code refused (136024), e.g. the number is already verified. */
  RequestCodeRefused: 'GraphRequestCodeRefused',
  /** verify_code refused (136025): wrong, expired or already used code. */
  CodeRejected: 'GraphCodeRejected',
  /** On-Prem client (migration): login refused, request refused, or not reachable. */
  OnPremAuth: 'OnPremAuthError',
  OnPremRefused: 'OnPremRequestRefused',
  OnPremUnavailable: 'OnPremUnavailable',
  /** Anything else Graph says that we do not know how to handle. */
  Unexpected: 'GraphUnexpectedError',
} as const;
export type GraphErrorTypeName = (typeof GraphErrorType)[keyof typeof GraphErrorType];

/** Failure details an activity attaches (never a secret: details are not scrubbed again). */
export interface GraphErrorDetails {
  code?: number;
  subcode?: number;
  httpStatus?: number;
  fbtraceId?: string;
  /** Meta's error_data.details text. */
  details?: string;
  /** How long to wait before the next try, when Graph says (133016, 133015, 133008/9, 80007). */
  retryAfterMs?: number;
}
