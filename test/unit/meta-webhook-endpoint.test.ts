// /webhooks/meta on the real Fastify application (injected requests, an intake stand-in instead of Temporal):
// the handshake, the signature over the raw body, the size limit, problem+json refusals with nothing handed
// over, and the API's own routes and keys untouched by the route's raw-body parser.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApiApp, buildOpenApiDocument } from '../../api/app';
import { metaSignatureFor } from '../../api/meta-webhooks';
import type { MetaWebhookDelivery } from '../../api/meta-webhook-intake';
import type { LifecycleApi } from '../../api/routes/context';

const SECRET = 'endpoint-test-app-secret';
const VERIFY = 'endpoint-test-verify-token';
const KEY = 'an-api-key-of-the-test-0123456789';
const handed: MetaWebhookDelivery[] = [];
const logged: string[] = [];
let app: FastifyInstance;

const body = (decision = 'APPROVED') =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        time: 1_733_400_000,
        changes: [
          { field: 'phone_number_name_update', value: { display_phone_number: '15550783881', decision } },
        ],
      },
    ],
  });

before(async () => {
  app = await buildApiApp({
    lifecycle: {
      getState: async () => undefined,
    } as unknown as LifecycleApi,
    apiKeys: [KEY],
    log: () => undefined,
    maxWaitMs: 0,
    maxBodyBytes: 1024 * 1024,
    rateLimit: { max: 0, windowMs: 1 },
    closed: new Promise(() => undefined),
    metaWebhooks: {
      verifyToken: VERIFY,
      appSecret: SECRET,
      maxBodyBytes: 2048,
      log: (line) => logged.push(line),
      intake: async (delivery) => {
        const seen = handed.some((d) => d.bodySha256 === delivery.bodySha256);
        handed.push(delivery);
        return seen ? 'duplicate' : 'started';
      },
    },
  });
});
after(() => app.close());

const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/meta',
    headers: { host: 'api.example', 'content-type': 'application/json', ...headers },
    payload,
  });

test('GET: the handshake echoes hub.challenge as text with the right token; 403 problem otherwise', async () => {
  const ok = await app.inject({
    method: 'GET',
    url: `/webhooks/meta?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`,
    headers: { host: 'api.example' },
  });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.body, '1158201444');
  assert.match(String(ok.headers['content-type']), /^text\/plain/);
  for (const query of [
    `hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`,
    `hub.mode=unsubscribe&hub.verify_token=${VERIFY}&hub.challenge=1`,
    `hub.mode=subscribe&hub.challenge=1`,
  ]) {
    const refused = await app.inject({
      method: 'GET',
      url: `/webhooks/meta?${query}`,
      headers: { host: 'x' },
    });
    assert.equal(refused.statusCode, 403, query);
    assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
    assert.equal(refused.json().code, 'FORBIDDEN');
    assert.ok(!refused.body.includes(VERIFY), 'the token is never echoed');
  }
});

test('POST: a signed delivery is handed over (200), a retry of the same bytes is a duplicate', async () => {
  handed.length = 0;
  const text = body();
  const res = await post(text, { 'x-hub-signature-256': metaSignatureFor(text, SECRET) });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { received: true, events: 1, duplicate: false });
  assert.equal(handed.length, 1);
  assert.equal(handed[0]!.events[0]!.change.kind, 'name');
  assert.match(handed[0]!.bodySha256, /^[0-9a-f]{64}$/);
  const again = await post(text, { 'x-hub-signature-256': metaSignatureFor(text, SECRET) });
  assert.deepEqual(again.json(), { received: true, events: 1, duplicate: true });
  // Meta's content type may carry a charset; any type is read as raw bytes.
  const typed = await post(body('REJECTED'), {
    'content-type': 'application/json; charset=utf-8',
    'x-hub-signature-256': metaSignatureFor(body('REJECTED'), SECRET),
  });
  assert.equal(typed.statusCode, 200, typed.body);
  // Nothing concerning a number: 200, nothing handed over.
  const other = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '1', changes: [{ field: 'messages', value: {} }] }],
  });
  const count = handed.length;
  const ignored = await post(other, { 'x-hub-signature-256': metaSignatureFor(other, SECRET) });
  assert.deepEqual(ignored.json(), { received: true, events: 0, duplicate: false });
  assert.equal(handed.length, count);
  assert.ok(logged.some((l) => l.includes('field messages is not handled')));
  assert.ok(!logged.join('\n').includes(SECRET));
});

test('POST: missing (401), bad (403) and one-byte-altered (403) signatures, oversized bodies (413): nothing handed over', async () => {
  handed.length = 0;
  const text = body();
  const signature = metaSignatureFor(text, SECRET);
  const missing = await post(text);
  assert.equal(missing.statusCode, 401);
  assert.equal(missing.json().code, 'UNAUTHORIZED');
  assert.match(String(missing.headers['content-type']), /application\/problem\+json/);
  const wrong = await post(text, { 'x-hub-signature-256': metaSignatureFor(text, 'not-the-secret') });
  assert.equal(wrong.statusCode, 403);
  assert.equal(wrong.json().code, 'FORBIDDEN');
  const altered = await post(text.replace('APPROVED', 'APPROVEE'), { 'x-hub-signature-256': signature });
  assert.equal(altered.statusCode, 403);
  const garbage = await post(text, { 'x-hub-signature-256': 'sha256=nothex' });
  assert.equal(garbage.statusCode, 403);
  const big = Buffer.alloc(4096, 0x20);
  const oversized = await post(big, { 'x-hub-signature-256': metaSignatureFor(big, SECRET) });
  assert.equal(oversized.statusCode, 413);
  assert.equal(oversized.json().code, 'PAYLOAD_TOO_LARGE');
  assert.match(oversized.json().detail, /2048 bytes/);
  const notJson = 'not json';
  const bad = await post(notJson, { 'x-hub-signature-256': metaSignatureFor(notJson, SECRET) });
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(handed, []);
});

test('another method (PUT, DELETE, PATCH) answers 405 with Allow, without an API key, as the other paths do; nothing handed over', async () => {
  const before = handed.length;
  for (const [method, payload, type] of [
    ['PUT', body(), 'application/json'],
    ['DELETE', undefined, undefined],
    ['PATCH', 'not json at all', 'text/plain'],
  ] as const) {
    const res = await app.inject({
      method,
      url: '/webhooks/meta',
      headers: {
        host: 'api.example',
        'x-hub-signature-256': metaSignatureFor(body(), SECRET),
        ...(type ? { 'content-type': type } : {}),
      },
      ...(payload ? { payload } : {}),
    });
    assert.equal(res.statusCode, 405, `${method}: ${res.body}`);
    assert.equal(res.headers.allow, 'GET, POST', method);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    assert.equal(res.json().code, 'METHOD_NOT_ALLOWED');
  }
  assert.equal(handed.length, before, 'nothing handed over');
  // The same answer as on the API's own paths.
  const other = await app.inject({
    method: 'PUT',
    url: '/v1/caller',
    headers: { host: 'x', authorization: `Bearer ${KEY}` },
  });
  assert.equal(other.statusCode, 405);
  assert.equal(other.headers.allow, 'GET');
  // HEAD goes with GET, as Fastify serves it.
  const head = await app.inject({ method: 'HEAD', url: '/webhooks/meta', headers: { host: 'x' } });
  assert.notEqual(head.statusCode, 405);
});

test('the rest of the API keeps its JSON parser and its keys; the routes are in the OpenAPI document', async () => {
  const noKey = await app.inject({ method: 'GET', url: '/v1/caller', headers: { host: 'x' } });
  assert.equal(noKey.statusCode, 401);
  const caller = await app.inject({
    method: 'POST',
    url: '/v1/phone-numbers/123/operations',
    headers: { host: 'x', authorization: `Bearer ${KEY}`, 'content-type': 'text/plain' },
    payload: 'x',
  });
  assert.equal(caller.statusCode, 415, 'other routes still refuse non-JSON bodies');
  const doc = (await buildOpenApiDocument({ authRequired: true })) as {
    paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
  };
  assert.equal(doc.paths['/webhooks/meta']?.post?.operationId, 'receiveMetaWebhook');
  assert.deepEqual(doc.paths['/webhooks/meta']?.post?.security, [], 'open: no API key');
  assert.equal(doc.paths['/webhooks/meta']?.get?.operationId, 'verifyMetaWebhookSubscription');
});
