// Failure types that activities raise and workflows act on. The activity decides the class by Graph's
// error.code (reference §8), never by HTTP status or message text.

export const GraphErrorType = {
  /** Fix the request; retrying cannot help (100, 131009, 12, ...). */
  InvalidRequest: 'GraphInvalidRequest',
  /** Token missing, expired or invalid (0, 190). */
  Auth: 'GraphAuthError',
  /** Permission missing (10, 200-299, 3, 368, 131005). */
  Permission: 'GraphPermissionDenied',
  /** Two-step PIN does not match (133005; 131031 may also mean this). */
  PinMismatch: 'GraphPinMismatch',
  /** The number must verify ownership first (133006). */
  NotVerified: 'GraphNumberNotVerified',
  /** The display name's certificate is not ready (100 / subcode 2388001). */
  DisplayNameNotReady: 'GraphDisplayNameNotReady',
  /** A previous deregistration did not finish (133000): deregister again first. */
  IncompleteDeregistration: 'GraphIncompleteDeregistration',
  /** 133016: 10 requests in 72 h; blocked for 72 h. */
  RegistrationRateLimited: 'GraphRegistrationRateLimited',
  /** A known wait, then try again (133015: 5 min; 133008/133009: from details). */
  WaitThenRetry: 'GraphWaitThenRetry',
  /** Throttling or temporary unavailability, with backoff (1, 2, 4, 80007/80008, 131016, 133004, ...). */
  Transient: 'GraphTransient',
  /** A register/deregister whose result we did not see (timeout, 5xx, 131000): read the number's state. */
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
