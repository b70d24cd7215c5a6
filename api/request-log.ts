// One log entry per answered request: as the text line `METHOD /path status Nms`, or, in JSON mode, as
// fields a log collector can query, with the request ID the client got in its x-request-id header.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@temporalio/common';

export interface RequestLogEntry {
  /** The same ID as the x-request-id response header and a problem's `instance`. */
  requestId: string;
  method: string;
  /** The route's pattern (/v1/phone-numbers/:phoneNumberId); undefined when no route matched. */
  route: string | undefined;
  /** The path as requested, without the query, printable ASCII only. */
  path: string;
  status: number;
  durationMs: number;
  /** The internal error behind a 500 (already masked). */
  error: string | undefined;
}

export function requestLogEntry(request: FastifyRequest, reply: FastifyReply): RequestLogEntry {
  return {
    requestId: request.id,
    method: request.method,
    route: request.routeOptions.url,
    path: (request.url.split('?')[0] ?? '').replace(/[^\x21-\x7e]/g, '?').slice(0, 300),
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 10) / 10,
    error: request.failure,
  };
}

/** The text mode line (tests and operators read it as it is). */
export function requestLine(entry: RequestLogEntry): string {
  const failure = entry.error ? ` error=${entry.error}` : '';
  return `${entry.method} ${entry.path} ${entry.status} ${Math.round(entry.durationMs)}ms${failure}`;
}

/** JSON mode: an entry per request, at error for a 5xx (our fault), info otherwise. */
export function logRequestTo(logger: Logger): (entry: RequestLogEntry) => void {
  return (entry) => {
    const { error, ...fields } = entry;
    logger.log(entry.status >= 500 ? 'ERROR' : 'INFO', `${entry.method} ${entry.path} ${entry.status}`, {
      service: 'api',
      ...fields,
      ...(error ? { error } : {}),
    });
  };
}
