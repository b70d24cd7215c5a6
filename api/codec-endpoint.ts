// The codec endpoint the Temporal UI calls to show encrypted payloads to people who may see them:
// POST {base}/decode and {base}/encode with {payloads: [{metadata: {k: base64}, data: base64}]}.
// Browsers reach it cross-origin, so CORS admits only the UI's origins; callers that are not on this
// machine must send the configured bearer token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  allowedOrigins: string[];
  /** Required from non-loopback callers; without one, only loopback callers are served. */
  authToken?: string;
  /** Path prefix, e.g. '/codec' → /codec/decode. */
  basePath?: string;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY = 8 * 1024 * 1024;

export function isLoopback(address: string | undefined): boolean {
  return !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v ?? new Uint8Array()).toString('base64'),
      ]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Handles the request when it is for the codec; returns false to let the caller route it elsewhere. */
export function createCodecHandler(options: CodecEndpointOptions) {
  const base = options.basePath ?? '/codec';
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const action =
      url.pathname === `${base}/decode` ? 'decode' : url.pathname === `${base}/encode` ? 'encode' : undefined;
    if (!action) return false;
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!options.allowedOrigins.includes(origin)) {
        send(403, {
          error: { code: 'ORIGIN_NOT_ALLOWED', message: `origin ${origin} may not call the codec` },
        });
        return true;
      }
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    }
    if (req.method === 'OPTIONS') {
      send(204);
      return true;
    }
    if (req.method !== 'POST') {
      send(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } });
      return true;
    }
    if (!isLoopback(req.socket.remoteAddress)) {
      const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      if (!options.authToken || !sameSecret(given, options.authToken)) {
        send(401, {
          error: { code: 'UNAUTHORIZED', message: 'the codec requires a bearer token from this address' },
        });
        return true;
      }
    }
    try {
      const body = JSON.parse(await readBody(req)) as { payloads?: JsonPayload[] };
      if (!Array.isArray(body.payloads)) {
        send(400, {
          error: { code: 'BAD_REQUEST', field: 'payloads', message: 'payloads: must be an array' },
        });
        return true;
      }
      const payloads = body.payloads.map(fromJson);
      const result = await options.codec[action](payloads);
      send(200, { payloads: result.map(toJson) });
    } catch (err) {
      const type = (err as { type?: string }).type;
      send(400, { error: { code: type ?? 'CODEC_ERROR', message: (err as Error).message } });
    }
    return true;
  };
}

export async function startCodecServer(
  options: CodecEndpointOptions & { host: string; port: number },
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const handle = createCodecHandler(options);
  const server = createServer((req, res) => {
    handle(req, res)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'unknown path' } }));
        }
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}${options.basePath ?? '/codec'}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
