// The names and label values of our Prometheus metrics, in one place: the workflows, the activities and the
// worker emit them, the README lists them, the tests scrape them. Prometheus conventions: snake_case, the
// `wa_` prefix, `_total` on counters (the worker's exporter appends it: countersTotalSuffix), a unit suffix
// where there is a unit. Label values are small fixed sets (operation kinds, reasons, failure types, Graph
// codes): never a phone-number ID, a WABA ID, a PIN or a token.

/** Counters (the exporter appends `_total`), gauges and histograms the worker exports beside the SDK's own. */
export const WorkerMetric = {
  /** An operation began to run (labels: operation). */
  OperationsStarted: 'wa_operations_started',
  /** An operation ended (labels: operation, outcome, failure_type). */
  OperationsFinished: 'wa_operations_finished',
  /** A Graph API answer, or its absence (labels: endpoint, error_code). */
  GraphRequests: 'wa_graph_requests',
  /** A register or deregister counted against Meta's 10-per-72-h budget (labels: endpoint). */
  BudgetRequestsSent: 'wa_budget_requests_sent',
  /** A durable wait began (labels: reason). */
  WaitsEntered: 'wa_waits_entered',
  /** Numbers whose lifecycle shows them offline now (from Temporal's visibility; no labels). */
  NumbersOffline: 'wa_numbers_offline',
  /** One event delivered to one subscription, or given up (labels: outcome: delivered, skipped, gave_up). */
  WebhookDeliveries: 'wa_webhook_deliveries',
  /** One failed POST of a webhook, retried later (labels: reason: http_4xx, http_5xx, network, timeout). */
  WebhookAttemptFailures: 'wa_webhook_delivery_attempt_failures',
} as const;

/** Why an operation waits on a durable timer or for a person (label `reason` of wa_waits_entered_total). */
export const WaitReason = {
  /** The moving 72-hour window is full: the ledger's next free slot. */
  RateLimitSlot: 'rate_limit_slot',
  /** Meta answered 133016: the 72-hour block. */
  Block: 'block',
  /** Meta locked PIN entry after too many guesses (133008). */
  PinLockout: 'pin_lockout',
  /** Throttling or a wait Meta gave (80007, 4, 133009, 133015, ...). */
  Throttling: 'throttling',
  /** A person must submit the verification code. */
  Code: 'code',
  /** The display name cannot be used yet. */
  DisplayName: 'display_name',
  /** A corrected two-step PIN must be given (the number is offline). */
  Pin: 'pin',
} as const;
export type WaitReasonName = (typeof WaitReason)[keyof typeof WaitReason];

/** How an operation ended (label `outcome` of wa_operations_finished_total). */
export type OperationMetricOutcome = 'completed' | 'already_done' | 'failed';

/** `failure_type` when the operation did not fail. */
export const NO_FAILURE = 'none';

/** Graph endpoints (label `endpoint` of wa_graph_requests_total): the route, never the IDs in its path. */
export const GraphEndpoint = {
  Me: 'me',
  PhoneNumber: 'phone_number',
  WabaPhoneNumbers: 'waba_phone_numbers',
  Register: 'register',
  Deregister: 'deregister',
  RequestCode: 'request_code',
  VerifyCode: 'verify_code',
  SetPin: 'set_pin',
  SettingsRead: 'settings_read',
  SettingsWrite: 'settings_write',
} as const;
export type GraphEndpointName = (typeof GraphEndpoint)[keyof typeof GraphEndpoint];

/**
 * `error_code` of wa_graph_requests_total: Graph's `error.code` as text when Meta answered with one;
 * otherwise one of these.
 */
export const GraphAnswer = {
  /** A 2xx answer. */
  Ok: 'none',
  /** An HTTP error without Graph's error envelope (a proxy's 502, say). */
  NoEnvelope: 'no_envelope',
  /** No answer: refused, reset, timed out. */
  Network: 'network',
} as const;

/** The HTTP API's metrics (its own registry, served at GET /metrics of the API). */
export const ApiMetric = {
  /** Requests answered (labels: method, route, status). */
  Requests: 'wa_api_requests_total',
  /** Time to answer, in seconds (labels: method, route). */
  RequestDuration: 'wa_api_request_duration_seconds',
} as const;

/** `route` of a request no route matched: its raw path is never a label value. */
export const UNMATCHED_ROUTE = 'unmatched';
