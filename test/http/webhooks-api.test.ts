// The webhook subscription routes end to end on the dev server: fetch → API server → client library → the
// webhook-subscriptions store workflow. Create (the secret answered once), list (no secret), delete; each
// refusal (scheme, allowed prefix, unknown event type, duplicate id, a config subscription, an unknown id, a
// read-only key) as problem+json naming the field, with nothing stored; the routes in the OpenAPI document.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApiServer, type ApiServer } from '../../api/server';
import { WebhookSubscriptionsClient } from '../../client';
import { startTestStack, type TestStack } from '../helpers/stack';
import { assertApiError, type Answer, type Json } from './api-harness';

const ADMIN = 'webhooks-admin-key';
const READER = 'webhooks-read-key';
let stack: TestStack;
let api: ApiServer;
const texts: string[] = [];

before(async () => {
  stack = await startTestStack({
    configEnv: {
      WA_WEBHOOKS_ALLOWED_URL_PREFIXES: 'https://,http://127.0.0.1:9/',
      WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([
        {
          id: 'ops',
          url: 'https://ops.example/hooks',
          events: ['number.offline'],
          secretEnv: 'OPS_HOOK_SECRET',
        },
      ]),
    },
  });
  api = await createApiServer({
    lifecycle: stack.client,
    webhooks: new WebhookSubscriptionsClient(
      stack.env.client,
      stack.config.temporal.taskQueue,
      stack.config.webhooks,
    ),
    apiKeys: [
      { name: 'admin', scopes: ['admin'], key: ADMIN },
      { name: 'reader', scopes: ['read'], key: READER },
    ],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
  });
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

async function call<T = Json>(method: string, path: string, body?: unknown, key = ADMIN): Promise<Answer<T>> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  texts.push(text);
  return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as T, text };
}

const listed = async () =>
  (
    await call<{ subscriptions: { id: string; source: string }[] }>('GET', '/v1/webhook-subscriptions')
  ).json.subscriptions.map((s) => `${s.id}:${s.source}`);

test('create answers the secret once; list shows config and API subscriptions without secrets; delete removes', async () => {
  const created = await call<{ subscription: Json; secret: string }>('POST', '/v1/webhook-subscriptions', {
    id: 'billing',
    url: 'https://billing.example/hooks',
    events: ['operation.succeeded', 'operation.failed'],
    description: 'billing service',
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.headers.get('location'), '/v1/webhook-subscriptions/billing');
  assert.match(created.json.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(created.json.subscription.source, 'api');

  const list = await call('GET', '/v1/webhook-subscriptions', undefined, READER);
  assert.equal(list.status, 200);
  assert.deepEqual(await listed(), ['ops:config', 'billing:api']);
  assert.ok(
    !list.text.includes(created.json.secret) && !/whsec_|secret/i.test(list.text),
    'no secret in the list',
  );

  const deleted = await call('DELETE', '/v1/webhook-subscriptions/billing');
  assert.equal(deleted.status, 204);
  assert.deepEqual(await listed(), ['ops:config']);
  assertApiError(await call('DELETE', '/v1/webhook-subscriptions/billing'), 404, 'NOT_FOUND', 'id');
});

test('bad subscriptions are refused naming the field and the rule, and nothing is stored', async () => {
  const post = (body: Json, key?: string) => call('POST', '/v1/webhook-subscriptions', body, key);
  const ok = { id: 'hooks-1', url: 'https://a.example/h', events: ['number.online'] };
  const refused = async (body: Json, field: string, rule: RegExp, status = 400, code = 'BAD_REQUEST') => {
    const error = assertApiError(await post(body), status, code, field);
    assert.match(error.message, rule);
  };
  await refused({ ...ok, url: 'ftp://a.example/h' }, 'url', /^url: must use the http or https scheme$/);
  await refused(
    { ...ok, url: 'http://a.example/h' },
    'url',
    /^url: must start with one of https:\/\/, http:\/\/127\.0\.0\.1:9\/ \(webhooks\.allowedUrlPrefixes\)$/,
  );
  await refused(
    { ...ok, events: ['number.exploded'] },
    'events.0',
    /^events\.0: must be one of operation\.succeeded/,
  );
  await refused(
    { ...ok, id: 'ops' },
    'id',
    /^id: a subscription with id ops exists already$/,
    409,
    'CONFLICT',
  );
  await refused({ ...ok, secret: 'whsec_mine' }, 'secret', /unknown field/);
  assert.equal((await post(ok)).status, 201);
  await refused(ok, 'id', /^id: a subscription with id hooks-1 exists already$/, 409, 'CONFLICT');
  // An allowed http prefix is accepted.
  assert.equal((await post({ ...ok, id: 'local', url: 'http://127.0.0.1:9/x' })).status, 201);
  assert.deepEqual(await listed(), ['ops:config', 'hooks-1:api', 'local:api']);

  assertApiError(await call('DELETE', '/v1/webhook-subscriptions/ops'), 400, 'BAD_REQUEST', 'id');
  assertApiError(await post({ ...ok, id: 'by-reader' }, READER), 403, 'FORBIDDEN');
  assertApiError(
    await call('DELETE', '/v1/webhook-subscriptions/local', undefined, READER),
    403,
    'FORBIDDEN',
  );
  assert.deepEqual(await listed(), ['ops:config', 'hooks-1:api', 'local:api'], 'nothing stored or removed');
});

test('the routes are in the OpenAPI document, with their scopes and errors', async () => {
  const doc = (await call<{ paths: Record<string, Record<string, Json>> }>('GET', '/openapi.json')).json;
  const collection = doc.paths['/v1/webhook-subscriptions']!;
  assert.equal(collection.post!.operationId, 'createWebhookSubscription');
  assert.equal(collection.get!.operationId, 'listWebhookSubscriptions');
  const item = doc.paths['/v1/webhook-subscriptions/{id}']!;
  assert.equal(item.delete!.operationId, 'deleteWebhookSubscription');
  assert.ok((item.delete!.responses as Json)['404']);
  assert.ok((collection.post!.responses as Json)['409']);
});
