// The HTTP API's errors: RFC 9457 problem details (application/problem+json) with our stable `code` as a
// member callers can branch on. Messages name the field and the rule it broke, never the value sent (it
// may be a PIN).
import type { z } from 'zod';
import { InputError, OperationRejectedError, TemporalUnreachableError } from '../client/index';

/** Every error code the API answers with, and its HTTP status. */
export const API_ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  OPERATION_REJECTED: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  TEMPORAL_UNAVAILABLE: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_STATUS;
export const API_ERROR_CODES = Object.keys(API_ERROR_STATUS) as ApiErrorCode[];

/** One problem of a body with several (a fleet's numbers): the field's path and the rule it broke. */
export interface FieldError {
  field: string;
  message: string;
}

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** An error answer: RFC 9457's members, plus our stable code, the field at fault, and the request's ID. */
export interface ProblemDetails {
  /** A URI naming the kind of problem, one per code (tag URI, RFC 4151: an identifier, not a page). */
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ApiErrorCode;
  field?: string;
  /** Every problem, when the body had several (a fleet's numbers); `field` is the first one's. */
  errors?: FieldError[];
  /** The request's ID, also in the X-Request-Id header and the server log. */
  requestId?: string;
}

/** The problem type URI of a code: stable, so clients may compare it as well as `code`. */
export function problemType(code: ApiErrorCode): string {
  return `tag:whatsapp-number-lifecycle,2026:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** A short title per code, the same for every occurrence (RFC 9457 §3.1.3). */
const PROBLEM_TITLES: Record<ApiErrorCode, string> = {
  BAD_REQUEST: 'The request is invalid',
  UNAUTHORIZED: 'No valid API key',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  OPERATION_REJECTED: "The number's lifecycle refused the request",
  CONFLICT: 'Conflict with the current state',
  PAYLOAD_TOO_LARGE: 'The body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused for another request',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
  TEMPORAL_UNAVAILABLE: 'Temporal is unavailable',
};

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    /** Every problem, when the body had several; `field` is the first one's. */
    readonly errors?: FieldError[],
  ) {
    super(message);
  }

  get status(): number {
    return API_ERROR_STATUS[this.code];
  }

  toProblem(requestId?: string): ProblemDetails {
    return {
      type: problemType(this.code),
      title: PROBLEM_TITLES[this.code],
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(this.field ? { field: this.field } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...(requestId ? { requestId } : {}),
    };
  }
}

/** gRPC status codes that mean the Temporal server could not be reached (UNAVAILABLE, DEADLINE_EXCEEDED). */
const UNREACHABLE_GRPC_CODES = new Set([14, 4]);

/** True when the error, or one it wraps, is a gRPC failure to reach the server. */
export function isTemporalUnreachable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    if (current instanceof TemporalUnreachableError) return true;
    const { code, details } = current as { code?: unknown; details?: unknown };
    if (typeof code === 'number' && typeof details === 'string' && UNREACHABLE_GRPC_CODES.has(code)) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The API error for a known failure; undefined for anything else (answered as INTERNAL). */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof InputError) return new ApiError('BAD_REQUEST', err.message, err.field);
  if (err instanceof OperationRejectedError) return new ApiError('OPERATION_REJECTED', err.message);
  if (isTemporalUnreachable(err)) {
    return new ApiError(
      'TEMPORAL_UNAVAILABLE',
      'the Temporal server cannot be reached; try again later',
      undefined,
      {
        'retry-after': '5',
      },
    );
  }
  return undefined;
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let node = value;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * Parses a request body with the domain's own schema. Like `parseInput`, the first issue becomes the
 * error, with its path as `field`; an unknown field is named itself (`field: "foo"`), and a body that
 * is not an object says so.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ApiError('BAD_REQUEST', 'the request body is invalid');
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    throw new ApiError('BAD_REQUEST', 'the request body must be a JSON object');
  }
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => [...path, k].join('.'));
    const field = names[0] ?? (path.join('.') || undefined);
    throw new ApiError(
      'BAD_REQUEST',
      `unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')}`,
      field,
    );
  }
  let rule = issue.message;
  if (issue.code === 'invalid_union' && valueAt(body, issue.path) === undefined) {
    rule = `is required; ${rule}`; // the discriminator (operation) is missing
  }
  const field = path.join('.');
  throw new ApiError('BAD_REQUEST', field ? `${field}: ${rule}` : rule, field || undefined);
}
