// Who may do what through the HTTP API, and how often: named keys with scopes (the name recorded as
// requestedBy), a key given only as its SHA-256, the per-key rate limit (429 + Retry-After), an
// Idempotency-Key on fleet starts, and cursor pagination of the number listing. A real stack and API.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { NumberListing, OperationSummary, OperationTicket } from '../../client';
import { createApiServer, type ApiServer } from '../../api/server';
import { until } from '../helpers/poll';
import { seedManyVerified } from '../helpers/seed';
import type { TestStack } from '../helpers/stack';
import { assertApiError as assertError, createApiHarness } from './api-harness';

const VIEW_KEY = 'viewer-key-0123456789';
const OPS_KEY = 'ops-portal-key-0123456789';
const ADMIN_KEY = 'admin-key-0123456789abc';
const PIN = '246801';

const harness = createApiHarness({ key: 'harness-default-key-unused' });
const { call } = harness;
let stack: TestStack;
let api: ApiServer;

before(async () => {
  ({ stack } = await harness.start());
  api = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [
      { name: 'viewer', scopes: ['read'], key: VIEW_KEY },
      // Only the digest is configured: the file holding it need not hold the key.
      { name: 'ops-portal', scopes: ['operate'], sha256: createHash('sha256').update(OPS_KEY).digest('hex') },
      { name: 'admin', scopes: ['admin'], key: ADMIN_KEY },
    ],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
  });
});
after(async () => {
  await api?.close();
  await harness.stop();
});

const as = (key: string) => ({ base: api.url, key });

async function finished(id: string, ticket: OperationTicket): Promise<OperationSummary> {
  const path = `/v1/phone-numbers/${id}/operations/${encodeURIComponent(ticket.operationId)}?wait=true`;
  return until(`${ticket.operationId} finished`, async () => {
    const answer = await call<OperationSummary>('GET', path, as(VIEW_KEY));
    return answer.json.status === 'completed' || answer.json.status === 'failed' ? answer.json : undefined;
  });
}

test('scopes: read may look, not act (403, nothing started); operate acts as its name; admin has every scope', async () => {
  const [id] = ['7950000001'];
  await seedManyVerified(stack.sim, [id!], { pin: PIN });

  const viewer = await call<{ name: string; scopes: string[] }>('GET', '/v1/caller', as(VIEW_KEY));
  assert.deepEqual(viewer.json, { name: 'viewer', scopes: ['read'] });
  const admin = await call<{ name: string; scopes: string[] }>('GET', '/v1/caller', as(ADMIN_KEY));
  assert.deepEqual(admin.json, { name: 'admin', scopes: ['read', 'operate', 'admin'] });

  const refused = assertError(
    await call('POST', `/v1/phone-numbers/${id}/operations`, {
      ...as(VIEW_KEY),
      body: { operation: 'register', pin: PIN },
    }),
    403,
    'FORBIDDEN',
  );
  assert.match(refused.message, /key viewer lacks the operate scope/);
  assertError(await call('GET', `/v1/phone-numbers/${id}`, as(VIEW_KEY)), 404, 'NOT_FOUND');
  assert.equal((await stack.sim.requests({ endpoint: 'register', phoneNumberId: id })).length, 0);

  const posted = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    ...as(OPS_KEY),
    body: { operation: 'register', pin: PIN, requestedBy: 'alice' },
  });
  assert.equal(posted.status, 202, posted.text);
  const registered = await finished(id!, posted.json);
  assert.equal(registered.status, 'completed', JSON.stringify(registered));
  assert.equal(registered.requestedBy, 'ops-portal/alice', 'the key name, then what the body says');

  const deregister = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    ...as(OPS_KEY),
    body: { operation: 'deregister' },
  });
  assert.equal(deregister.status, 202, deregister.text);
  assert.equal((await finished(id!, deregister.json)).requestedBy, 'ops-portal');

  // The key itself, not its digest, is what authenticates.
  const digest = createHash('sha256').update(OPS_KEY).digest('hex');
  assertError(await call('GET', '/v1/caller', as(digest)), 401, 'UNAUTHORIZED');
});

test('rate limit per key: the request over the limit → 429 RATE_LIMITED with Retry-After; other keys and open routes unaffected', async () => {
  const limited = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [
      { name: 'busy', scopes: ['read'], key: VIEW_KEY },
      { name: 'calm', scopes: ['read'], key: ADMIN_KEY },
    ],
    host: '127.0.0.1',
    port: 0,
    rateLimit: { max: 3, windowMs: 60_000 },
    log: () => undefined,
  });
  try {
    const base = limited.url;
    for (let i = 0; i < 3; i++) {
      assert.equal((await call('GET', '/v1/caller', { base, key: VIEW_KEY })).status, 200);
    }
    const over = await call('GET', '/v1/caller', { base, key: VIEW_KEY });
    const error = assertError(over, 429, 'RATE_LIMITED');
    assert.match(error.message, /more than 3 requests in 60 s/);
    const retryAfter = Number(over.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    assert.equal((await call('GET', '/v1/caller', { base, key: ADMIN_KEY })).status, 200, 'another key');
    assert.equal((await call('GET', '/healthz', { base, key: null })).status, 200, 'an open route');
  } finally {
    await limited.close();
  }
});

test('Idempotency-Key on POST /v1/fleets: a retried start answers with the first fleet and sends nothing twice; the key with other numbers → 422', async () => {
  const numbers = ['7950000101', '7950000102'];
  await seedManyVerified(stack.sim, numbers, { pin: PIN });
  const body = {
    operation: 'register',
    concurrency: 2,
    numbers: numbers.map((phoneNumberId) => ({ phoneNumberId, pin: PIN })),
  };
  const headers = { 'idempotency-key': 'fleet-start-7950000100' };
  const first = await call<{ fleetId: string }>('POST', '/v1/fleets', { ...as(OPS_KEY), body, headers });
  assert.equal(first.status, 202, first.text);
  const again = await call<{ fleetId: string }>('POST', '/v1/fleets', { ...as(OPS_KEY), body, headers });
  assert.equal(again.status, 202, again.text);
  assert.equal(again.json.fleetId, first.json.fleetId);
  assert.equal(again.headers.get('location'), first.headers.get('location'));

  const other = { ...body, numbers: [{ phoneNumberId: numbers[0], pin: PIN }] };
  const reused = await call('POST', '/v1/fleets', { ...as(OPS_KEY), body: other, headers });
  assertError(reused, 422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key');

  await until('the fleet finished', async () => {
    const fleet = await call<{ status: string }>('GET', first.headers.get('location')!, as(VIEW_KEY));
    return fleet.json.status === 'COMPLETED' ? true : undefined;
  });
  for (const id of numbers) {
    const sent = await stack.sim.requests({ endpoint: 'register', phoneNumberId: id });
    assert.equal(sent.length, 1, `one register for ${id}`);
  }
});

test('GET /v1/phone-numbers pages with nextPageToken: every number once; a token with other filters or a bad one → 400 pageToken', async () => {
  const waba = '880000000950';
  const numbers = ['7950000201', '7950000202', '7950000203', '7950000204', '7950000205'];
  await seedManyVerified(stack.sim, numbers, { pin: PIN, waba_id: waba });
  for (const id of numbers) {
    const posted = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
      ...as(OPS_KEY),
      body: { operation: 'register', pin: PIN, wabaId: waba },
    });
    assert.equal(posted.status, 202, posted.text);
    await finished(id, posted.json);
  }
  const query = `state=registered&wabaId=${waba}`;
  await until('all five listed', async () => {
    const all = await call<{ numbers: NumberListing[] }>('GET', `/v1/phone-numbers?${query}`, as(VIEW_KEY));
    return all.json.numbers.length === numbers.length ? true : undefined;
  });

  const seen: string[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const tokenPart = pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : '';
    const page = await call<{ numbers: NumberListing[]; nextPageToken?: string }>(
      'GET',
      `/v1/phone-numbers?${query}&limit=2${tokenPart}`,
      as(VIEW_KEY),
    );
    assert.equal(page.status, 200, page.text);
    assert.ok(page.json.numbers.length <= 2, page.text);
    seen.push(...page.json.numbers.map((n) => n.phoneNumberId));
    pageToken = page.json.nextPageToken;
    if (pages++ === 0) {
      assert.ok(pageToken, 'a first page of 2 out of 5 says more may follow');
      const elsewhere = await call(
        'GET',
        `/v1/phone-numbers?state=registered&limit=2&pageToken=${encodeURIComponent(pageToken)}`,
        as(VIEW_KEY),
      );
      assert.match(assertError(elsewhere, 400, 'BAD_REQUEST', 'pageToken').message, /other filters/);
    }
  } while (pageToken && pages < 10);
  assert.deepEqual([...seen].sort(), numbers, 'every number exactly once');
  assert.ok(pages >= 3, `${pages} pages`);

  assertError(
    await call('GET', `/v1/phone-numbers?${query}&pageToken=not-a-token`, as(VIEW_KEY)),
    400,
    'BAD_REQUEST',
    'pageToken',
  );
});
