// The failures the client libraries throw besides InputError (bad input), shared by the Temporal and the
// HTTP client so that callers (the CLI's exit codes) branch the same way on either.

/** The Temporal server (or, for the HTTP client, the API or the Temporal server behind it) could not be reached. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

/** The number's lifecycle refused the request (its validator), e.g. deregister of an unregistered number. */
export class OperationRejectedError extends Error {
  override readonly name = 'OperationRejectedError';
}

/** The HTTP API refused the API key (401/403), or wants one and none was given. Never carries the key. */
export class ApiKeyRefusedError extends Error {
  override readonly name = 'ApiKeyRefusedError';
}

/** Any other error answer of the HTTP API: its status, stable code (when it sent one) and request ID. */
export class HttpApiError extends Error {
  override readonly name = 'HttpApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}
