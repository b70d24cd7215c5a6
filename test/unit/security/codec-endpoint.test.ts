// api/codec-endpoint.ts: the codec endpoint the Temporal UI calls, over real HTTP on loopback,
// and (with a fake request) the bearer-token rule for callers that are not on this machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createCodecHandler, isLoopback, startCodecServer } from '../../../api/codec-endpoint';
import { AesGcmPayloadCodec } from '../../../platform/security/payload-codec';

const UI_ORIGIN = 'http://localhost:8233';
const KEY = randomBytes(32);
const codec = new AesGcmPayloadCodec({ encryptWith: 'k1', keys: new Map([['k1', KEY]]), source: 'test' });
const TOKEN = 'codec-token-' + randomBytes(8).toString('hex');

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}
interface CodecResponse {
  payloads?: JsonPayload[];
  error?: { code: string; message: string; field?: string };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}
function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data, 'base64'),
  };
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

let server: Awaited<ReturnType<typeof startCodecServer>>;
before(async () => {
  server = await startCodecServer({
    host: '127.0.0.1',
    port: 0,
    codec,
    allowedOrigins: [UI_ORIGIN, 'http://127.0.0.1:8233'],
    authToken: TOKEN,
  });
});
after(() => server.close());

async function post(action: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as CodecResponse };
}

test('startCodecServer listens on the loopback host and a real port', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/codec$/);
  assert.notEqual(new URL(server.url).port, '0');
});

test('POST /codec/encode then /codec/decode round-trips payloads in the codec JSON format', async () => {
  const values = [{ pin: '123456', phoneNumberId: '15550001111' }, 'text', null, []];
  const plain = values.map((v) => toJson(defaultPayloadConverter.toPayload(v)));

  const encoded = await post('encode', { payloads: plain });
  assert.equal(encoded.status, 200);
  assert.match(encoded.headers.get('content-type') ?? '', /application\/json/);
  const enc = encoded.body.payloads!;
  assert.equal(enc.length, values.length);
  for (const p of enc) {
    assert.equal(p.metadata.encoding, b64('binary/encrypted'));
    assert.equal(p.metadata['encryption-key-id'], b64('k1'));
    assert.ok(!Buffer.from(p.data, 'base64').toString('latin1').includes('123456'));
  }
  // What the endpoint encodes, the codec itself decodes.
  const direct = await codec.decode(enc.map(fromJson));
  assert.deepEqual(
    direct.map((p) => defaultPayloadConverter.fromPayload(p)),
    values,
  );

  const decoded = await post('decode', { payloads: enc });
  assert.equal(decoded.status, 200);
  assert.deepEqual(decoded.body.payloads, plain);
  assert.deepEqual(
    decoded.body.payloads!.map((p) => defaultPayloadConverter.fromPayload(fromJson(p))),
    values,
  );
});

test('decode of a payload the codec encoded in-process, sent as the Temporal UI would (with Origin)', async () => {
  const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ code: '778899' })]);
  const res = await post(
    'decode',
    { payloads: [toJson(enc!)] },
    { origin: UI_ORIGIN, 'x-namespace': 'default' },
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), UI_ORIGIN);
  assert.deepEqual(defaultPayloadConverter.fromPayload(fromJson(res.body.payloads![0]!)), { code: '778899' });
});

test('an empty payload list round-trips, and plain payloads pass decode unchanged', async () => {
  assert.deepEqual((await post('encode', { payloads: [] })).body, { payloads: [] });
  const plain = toJson(defaultPayloadConverter.toPayload('legacy'));
  const res = await post('decode', { payloads: [plain] });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.payloads, [plain]);
});

test('a preflight OPTIONS from an allowed origin gets 204 and the CORS headers', async () => {
  const res = await fetch(`${server.url}/decode`, {
    method: 'OPTIONS',
    headers: {
      origin: UI_ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-namespace',
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), UI_ORIGIN);
  const allowed = (res.headers.get('access-control-allow-headers') ?? '')
    .split(/\s*,\s*/)
    .map((h) => h.toLowerCase());
  for (const h of ['x-namespace', 'content-type', 'authorization']) assert.ok(allowed.includes(h), h);
  assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(res.headers.get('vary') ?? '', /origin/i);
  assert.equal(await res.text(), '');
});

test('a preflight or POST from a disallowed origin is refused with 403 and no CORS grant', async () => {
  const evil = 'http://evil.example';
  const res = await post('decode', { payloads: [] }, { origin: evil });
  assert.equal(res.status, 403);
  assert.equal(res.body.error?.code, 'ORIGIN_NOT_ALLOWED');
  assert.equal(res.headers.get('access-control-allow-origin'), null);

  const pre = await fetch(`${server.url}/encode`, { method: 'OPTIONS', headers: { origin: evil } });
  assert.equal(pre.status, 403);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  // An allowed origin that differs only by port is still refused.
  assert.equal((await post('decode', { payloads: [] }, { origin: 'http://localhost:8234' })).status, 403);
});

test('a body without payloads gets 400 naming the field', async () => {
  for (const body of [{}, { payloads: 'nope' }, { payload: [] }]) {
    const res = await post('decode', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.error?.code, 'BAD_REQUEST');
    assert.equal(res.body.error?.field, 'payloads');
    assert.match(res.body.error!.message, /payloads/);
  }
});

test('a body that is not JSON gets 400', async () => {
  const res = await post('encode', '{not json');
  assert.equal(res.status, 400);
  assert.equal(res.body.error?.code, 'CODEC_ERROR');
});

test('a payload encrypted with an unknown key id gets 400 UnknownEncryptionKey naming the id', async () => {
  const other = new AesGcmPayloadCodec({
    encryptWith: 'retired-7',
    keys: new Map([['retired-7', randomBytes(32)]]),
    source: 'test',
  });
  const [enc] = await other.encode([defaultPayloadConverter.toPayload('x')]);
  const res = await post('decode', { payloads: [toJson(enc!)] });
  assert.equal(res.status, 400);
  assert.equal(res.body.error?.code, 'UnknownEncryptionKey');
  assert.match(res.body.error!.message, /retired-7/);
  assert.ok(!res.body.error!.message.includes(KEY.toString('base64')));
});

test('a tampered payload gets 400 and no plaintext', async () => {
  const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ pin: '123456' })]);
  const data = Buffer.from(enc!.data!);
  data[data.length - 1]! ^= 0xff;
  const res = await post('decode', { payloads: [toJson({ metadata: enc!.metadata!, data })] });
  assert.equal(res.status, 400);
  assert.equal(res.body.payloads, undefined);
});

test('GET gets 405, an unknown path 404', async () => {
  const get = await fetch(`${server.url}/decode`);
  assert.equal(get.status, 405);
  assert.equal(((await get.json()) as CodecResponse).error?.code, 'METHOD_NOT_ALLOWED');
  for (const p of ['/codec/other', '/decode', '/codec', '/']) {
    const res = await fetch(new URL(p, server.url), { method: 'POST', body: '{"payloads":[]}' });
    assert.equal(res.status, 404, p);
    assert.equal(((await res.json()) as CodecResponse).error?.code, 'NOT_FOUND');
  }
});

// --- the non-loopback rule, with a fake request (no traffic leaves this machine) ---

interface FakeResult {
  handled: boolean;
  status?: number;
  headers: Record<string, string | number | readonly string[]>;
  body?: string;
}

async function callHandler(
  options: { authToken?: string },
  request: { method?: string; headers?: Record<string, string>; remoteAddress?: string; body?: unknown },
): Promise<FakeResult & { json: CodecResponse }> {
  const handler = createCodecHandler({ codec, allowedOrigins: [UI_ORIGIN], ...options });
  const body = Buffer.from(JSON.stringify(request.body ?? { payloads: [] }));
  const req = Object.assign(Readable.from([body]), {
    headers: request.headers ?? {},
    method: request.method ?? 'POST',
    url: '/codec/encode',
    socket: { remoteAddress: request.remoteAddress ?? '10.1.2.3' },
  });
  const result: FakeResult = { handled: false, headers: {} };
  const res = {
    setHeader(name: string, value: string) {
      result.headers[name.toLowerCase()] = value;
      return res;
    },
    writeHead(status: number, headers: Record<string, string> = {}) {
      result.status = status;
      for (const [k, v] of Object.entries(headers)) result.headers[k.toLowerCase()] = v;
      return res;
    },
    end(chunk?: string) {
      result.body = chunk;
      return res;
    },
  };
  result.handled = await handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  return { ...result, json: result.body ? (JSON.parse(result.body) as CodecResponse) : {} };
}

test('a non-loopback caller without a token gets 401', async () => {
  const res = await callHandler({ authToken: TOKEN }, {});
  assert.equal(res.handled, true);
  assert.equal(res.status, 401);
  assert.equal(res.json.error?.code, 'UNAUTHORIZED');
  assert.equal(res.json.payloads, undefined);
});

test('a non-loopback caller with a wrong token gets 401', async () => {
  for (const authorization of [
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.slice(0, -1)}`,
    'Bearer ',
    `Basic ${TOKEN}`,
  ]) {
    const res = await callHandler({ authToken: TOKEN }, { headers: { authorization } });
    assert.equal(res.status, 401, authorization);
  }
});

test('a non-loopback caller with the right bearer token is served', async () => {
  const res = await callHandler(
    { authToken: TOKEN },
    {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: { payloads: [toJson(defaultPayloadConverter.toPayload('hi'))] },
    },
  );
  assert.equal(res.status, 200);
  assert.equal(res.json.payloads?.length, 1);
  const [dec] = await codec.decode([fromJson(res.json.payloads![0]!)]);
  assert.equal(defaultPayloadConverter.fromPayload(dec!), 'hi');
});

test('a non-loopback caller gets 401 when no token is configured at all, whatever it sends', async () => {
  for (const headers of <Record<string, string>[]>[
    {},
    { authorization: 'Bearer ' },
    { authorization: 'Bearer undefined' },
  ]) {
    const res = await callHandler({}, { headers });
    assert.equal(res.status, 401, JSON.stringify(headers));
  }
  const empty = await callHandler({ authToken: '' }, { headers: { authorization: 'Bearer ' } });
  assert.equal(empty.status, 401);
});

test('a loopback caller through the handler needs no token', async () => {
  for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    const res = await callHandler({ authToken: TOKEN }, { remoteAddress });
    assert.equal(res.status, 200, remoteAddress);
  }
});

test('the handler returns false for paths that are not the codec', async () => {
  const handler = createCodecHandler({ codec, allowedOrigins: [] });
  const req = Object.assign(Readable.from([]), { headers: {}, method: 'POST', url: '/health', socket: {} });
  const handled = await handler(req as unknown as IncomingMessage, {} as ServerResponse);
  assert.equal(handled, false);
});

test('isLoopback accepts IPv4 and IPv6 loopback only', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
  for (const a of ['10.0.0.1', '192.168.1.1', '::ffff:10.0.0.1', '0.0.0.0', '::', '', undefined]) {
    assert.equal(isLoopback(a), false, String(a));
  }
});
