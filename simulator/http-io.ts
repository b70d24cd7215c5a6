// Small helpers over node:http: read a body, parse Graph-style parameters, send responses.
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type Params = Record<string, unknown>;

export function searchParamsToObject(search: URLSearchParams): Params {
  const out: Params = {};
  for (const [key, value] of search) out[key] = value;
  return out;
}

/**
 * Graph accepts parameters as JSON, as a form body, or in the query string. Returns null when
 * the body cannot be parsed. An unlabelled body is sniffed: `{` means JSON, anything else form.
 */
export function parseBodyParams(contentType: string | undefined, raw: string): Params | null {
  if (raw.trim() === '') return {};
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const looksJson =
    type === 'application/json' || type.endsWith('+json') || (type === '' && raw.trimStart().startsWith('{'));
  if (looksJson) {
    try {
      const value: unknown = JSON.parse(raw);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : null;
    } catch {
      return null;
    }
  }
  if (type === 'application/x-www-form-urlencoded' || type === '' || type === 'text/plain') {
    return searchParamsToObject(new URLSearchParams(raw));
  }
  return null;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}
