import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONNECTED_ID,
  PENDING_ID,
  VERSION,
  graph,
  readFields,
  requestLog,
  startTestSimulator,
} from './helpers';

void test('token: missing or wrong bearer → HTTP 401 code 190 in Meta envelope; header or access_token param accepted', async (t) => {
  const sim = await startTestSimulator(t);
  for (const token of [null, 'wrong-token']) {
    const res = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`, { token });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 190);
    assert.equal(res.json.error.type, 'OAuthException');
    assert.equal(res.json.error.message, '(#190) Invalid OAuth 2.0 Access Token');
    assert.equal(res.json.error.error_data.messaging_product, 'whatsapp');
    assert.equal(typeof res.json.error.error_data.details, 'string');
    assert.match(res.json.error.fbtrace_id, /^[A-Za-z0-9_-]{8,}$/);
  }
  // The token check comes first, also for a POST that would otherwise change state.
  const post = await graph(sim, 'POST', `/${VERSION}/${PENDING_ID}/register`, {
    token: null,
    json: { messaging_product: 'whatsapp', pin: '111111' },
  });
  assert.equal(post.status, 401);
  assert.equal((await readFields(sim, PENDING_ID, ['status'])).status, 'PENDING');

  const viaQuery = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`, {
    token: null,
    query: { access_token: 'test-token' },
  });
  assert.equal(viaQuery.status, 200);
  assert.equal(viaQuery.json.id, PENDING_ID);
});

void test('unknown id, unknown edge and missing version → HTTP 400 code 100 subcode 33', async (t) => {
  const sim = await startTestSimulator(t);
  const cases: Array<[string, string, RegExp]> = [
    ['GET', `/${VERSION}/999000111`, /^Unsupported get request\. Object with ID '999000111' does not exist/],
    [
      'POST',
      `/${VERSION}/999000111/register`,
      /^Unsupported post request\. Object with ID '999000111' does not exist/,
    ],
    ['POST', `/${VERSION}/999000111/deregister`, /^Unsupported post request/],
    ['GET', `/${VERSION}/${PENDING_ID}/request_code`, /Object with ID '1234567890'/],
    ['GET', `/${VERSION}/${PENDING_ID}/register`, /^Unsupported get request/],
    ['POST', `/${PENDING_ID}/register`, /^Unsupported post request/],
    ['GET', `/v25/${PENDING_ID}`, /^Unsupported get request/],
  ];
  for (const [method, path, message] of cases) {
    const res = await graph(sim, method, path, {
      json: method === 'POST' ? { messaging_product: 'whatsapp', pin: '111111' } : undefined,
    });
    assert.equal(res.status, 400, `${method} ${path}`);
    assert.equal(res.json.error.code, 100, `${method} ${path}`);
    assert.equal(res.json.error.error_subcode, 33, `${method} ${path}`);
    assert.match(res.json.error.message, message, `${method} ${path}`);
  }
  // The versionless register did not register anything.
  assert.equal((await readFields(sim, PENDING_ID, ['status'])).status, 'PENDING');
  const others = await requestLog(sim, '?endpoint=other');
  assert.equal(others.length, 4);
});

void test('GET without fields returns the default field set', async (t) => {
  const sim = await startTestSimulator(t);
  const res = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.json).sort(), [
    'display_phone_number',
    'id',
    'quality_rating',
    'verified_name',
  ]);
  assert.equal(res.json.id, PENDING_ID);
  assert.equal(res.json.quality_rating, 'GREEN');
  assert.match(res.json.display_phone_number, /^\+1 555-\d{3}-\d{4}$/);
});

void test('GET with fields returns id plus exactly the requested fields', async (t) => {
  const sim = await startTestSimulator(t);
  const fields = [
    'status',
    'code_verification_status',
    'name_status',
    'platform_type',
    'throughput',
    'account_mode',
    'is_pin_enabled',
    'messaging_limit_tier',
    'last_onboarded_time',
  ];
  const pending = await readFields(sim, PENDING_ID, fields);
  assert.deepEqual(pending, {
    status: 'PENDING',
    code_verification_status: 'VERIFIED',
    name_status: 'APPROVED',
    platform_type: 'NOT_APPLICABLE',
    throughput: { level: 'STANDARD' },
    account_mode: 'LIVE',
    is_pin_enabled: false,
    messaging_limit_tier: 'TIER_250',
    id: PENDING_ID,
  }); // never onboarded: last_onboarded_time is omitted

  const connected = await readFields(sim, CONNECTED_ID, [
    'status',
    'platform_type',
    'is_pin_enabled',
    'last_onboarded_time',
  ]);
  assert.equal(connected.status, 'CONNECTED');
  assert.equal(connected.platform_type, 'CLOUD_API');
  assert.equal(connected.is_pin_enabled, true);
  assert.match(String(connected.last_onboarded_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);

  const onlyId = await readFields(sim, CONNECTED_ID, ['id']);
  assert.deepEqual(onlyId, { id: CONNECTED_ID });
});

void test('unknown field → HTTP 400 code 100 "Tried accessing nonexisting field"', async (t) => {
  const sim = await startTestSimulator(t);
  const res = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`, {
    query: { fields: 'status,health_statuz' },
  });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 100);
  assert.equal(res.json.error.error_subcode, undefined);
  assert.equal(
    res.json.error.message,
    '(#100) Tried accessing nonexisting field (health_statuz) on node type (WhatsAppBusinessPhoneNumber)',
  );
});
