// The HTTP API's error answers read back into the library's errors, so that a caller (the CLI's exit
// codes) cannot tell the HTTP client from the Temporal one. Two body shapes are read: today's
// {"error": {code, message, field?, errors?}} and RFC 9457 problem details (application/problem+json,
// {type, title, status, detail, code, field?, errors?, requestId?}); anything else keeps the HTTP status.
import { InputError } from '../domain/validation';
import { ApiKeyRefusedError, HttpApiError, OperationRejectedError, TemporalUnreachableError } from './errors';

/** An error answer, whatever its shape. */
export interface ApiProblem {
  status: number;
  /** The API's stable code (BAD_REQUEST, OPERATION_REJECTED, ...), when the body had one. */
  code?: string;
  message: string;
  field?: string;
  errors?: { field: string; message: string }[];
  requestId?: string;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function fieldErrors(value: unknown): ApiProblem['errors'] {
  if (!Array.isArray(value)) return undefined;
  const errors = value.flatMap((e: { field?: unknown; message?: unknown }) =>
    str(e?.field) && typeof e.message === 'string' ? [{ field: e.field as string, message: e.message }] : [],
  );
  return errors.length ? errors : undefined;
}

/** Reads an error answer's body: either JSON shape, or (not JSON, unknown JSON) just its status. */
export function parseErrorBody(status: number, text: string): ApiProblem {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const obj = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const legacy =
    obj.error && typeof obj.error === 'object' ? (obj.error as Record<string, unknown>) : undefined;
  // Problem details keep the code beside the standard members; the legacy shape nests everything in error.
  const source = legacy ?? obj;
  const message =
    (legacy ? str(legacy.message) : (str(obj.detail) ?? str(obj.title) ?? str(obj.message))) ??
    `HTTP ${status}`;
  const problem: ApiProblem = { status, message };
  const code = str(source.code);
  const field = str(source.field);
  const errors = fieldErrors(source.errors);
  const requestId = str(obj.requestId) ?? str(source.requestId);
  if (code) problem.code = code;
  if (field) problem.field = field;
  if (errors) problem.errors = errors;
  if (requestId) problem.requestId = requestId;
  return problem;
}

/** The wait a 429's Retry-After asks for (seconds or an HTTP date), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What the failing call was about: a fleet's 404 means "no such fleet", a number's "no lifecycle". */
export interface ProblemContext {
  /** Where the API is, for messages (never the key). */
  apiUrl: string;
  /** Whether a key was sent: a 401 then means "refused", otherwise "needed". */
  keyGiven: boolean;
  /** The call was about a fleet. */
  fleet?: boolean;
}

/** The library error for an error answer. */
export function toLibraryError(problem: ApiProblem, context: ProblemContext): Error {
  const { status, code, message } = problem;
  const ref = problem.requestId ? ` (request ${problem.requestId})` : '';
  if (status === 401 || status === 403 || code === 'UNAUTHORIZED' || code === 'FORBIDDEN') {
    return new ApiKeyRefusedError(
      context.keyGiven
        ? `the HTTP API at ${context.apiUrl} refused the API key (HTTP ${status}): check WA_API_KEY or --api-key-file`
        : `the HTTP API at ${context.apiUrl} wants an API key (HTTP ${status}): set WA_API_KEY or --api-key-file`,
    );
  }
  if (code === 'BAD_REQUEST' || (code === undefined && status === 400)) return inputError(problem);
  if (code === 'OPERATION_REJECTED') return new OperationRejectedError(message);
  if (context.fleet && (code === 'NOT_FOUND' || code === 'CONFLICT')) {
    // The library's own wording: an InputError on fleetId (no such fleet, wrong state, ID taken).
    return inputError({ ...problem, field: problem.field ?? 'fleetId' });
  }
  if (code === 'TEMPORAL_UNAVAILABLE' || status === 502 || status === 503 || status === 504) {
    return new TemporalUnreachableError(
      `the HTTP API at ${context.apiUrl} cannot serve the request now (HTTP ${status}): ${message}${ref}`,
    );
  }
  return new HttpApiError(
    `the HTTP API answered ${status}${code ? ` ${code}` : ''}: ${message}${ref}`,
    status,
    code,
    problem.requestId,
  );
}

/** InputError(field, rule): the rule is the message without its leading "field: ". */
function inputError(problem: ApiProblem): InputError {
  const field = problem.field ?? problem.errors?.[0]?.field ?? 'input';
  const prefix = `${field}: `;
  const prefixed = problem.message.startsWith(prefix);
  const err = new InputError(field, prefixed ? problem.message.slice(prefix.length) : problem.message);
  // A message that does not start with its field (several problems listed) is kept as the server wrote it.
  if (!prefixed && field !== 'input') err.message = problem.message;
  return err;
}
