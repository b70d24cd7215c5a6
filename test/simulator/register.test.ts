import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONNECTED_ID,
  NOT_VERIFIED_ID,
  NO_NAME_ID,
  PENDING_ID,
  VERSION,
  admin,
  deregister,
  graph,
  readFields,
  register,
  requestLog,
  simNumber,
  startTestSimulator,
} from './helpers';

const LIFECYCLE_FIELDS = ['status', 'platform_type', 'is_pin_enabled', 'last_onboarded_time'];

void test('register sets the PIN and connects; deregister disconnects; re-register needs the same PIN (133005)', async (t) => {
  const sim = await startTestSimulator(t);
  const first = await register(sim, PENDING_ID, '111111');
  assert.equal(first.status, 200);
  assert.deepEqual(first.json, { success: true });
  const connected = await readFields(sim, PENDING_ID, LIFECYCLE_FIELDS);
  assert.equal(connected.status, 'CONNECTED');
  assert.equal(connected.platform_type, 'CLOUD_API');
  assert.equal(connected.is_pin_enabled, true);
  assert.equal(typeof connected.last_onboarded_time, 'string');

  const dereg = await deregister(sim, PENDING_ID);
  assert.equal(dereg.status, 200);
  assert.deepEqual(dereg.json, { success: true });
  const disconnected = await readFields(sim, PENDING_ID, LIFECYCLE_FIELDS);
  assert.equal(disconnected.status, 'DISCONNECTED');
  assert.equal(disconnected.platform_type, 'NOT_APPLICABLE');
  assert.equal(disconnected.is_pin_enabled, true, 'deregister keeps the two-step PIN');

  const mismatch = await register(sim, PENDING_ID, '222222');
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.json.error.code, 133005);
  assert.equal(mismatch.json.error.message, '(#133005) Two step verification PIN Mismatch');
  assert.equal(mismatch.json.error.error_data.messaging_product, 'whatsapp');
  assert.equal((await readFields(sim, PENDING_ID, ['status'])).status, 'DISCONNECTED');

  const again = await register(sim, PENDING_ID, '111111');
  assert.equal(again.status, 200);
  assert.equal((await readFields(sim, PENDING_ID, ['status'])).status, 'CONNECTED');
});

void test('register of a NOT_VERIFIED number → 133006, nothing changes', async (t) => {
  const sim = await startTestSimulator(t);
  const res = await register(sim, NOT_VERIFIED_ID, '111111');
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 133006);
  const after = await readFields(sim, NOT_VERIFIED_ID, ['status', 'platform_type', 'is_pin_enabled']);
  assert.deepEqual(after, {
    status: 'PENDING',
    platform_type: 'NOT_APPLICABLE',
    is_pin_enabled: false,
    id: NOT_VERIFIED_ID,
  });
});

void test('register with name_status NONE or EXPIRED on v25 → (#100) "Cannot Create Certificate" without a subcode', async (t) => {
  const sim = await startTestSimulator(t);
  const none = await register(sim, NO_NAME_ID, '111111');
  assert.equal(none.status, 400);
  assert.equal(none.json.error.code, 100);
  assert.equal(none.json.error.message, '(#100) Cannot Create Certificate');
  assert.equal('error_subcode' in none.json.error, false, 'v16.0+ returns no error_subcode (ERR)');
  assert.equal((await readFields(sim, NO_NAME_ID, ['status'])).status, 'PENDING');

  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550001', name_status: 'EXPIRED' });
  const expired = await register(sim, '5550001', '111111');
  assert.equal(expired.json.error.message, '(#100) Cannot Create Certificate');
  assert.equal(expired.json.error.error_subcode, undefined);
  const log = await requestLog(sim, '?endpoint=register');
  assert.deepEqual(
    log.map((e) => [e.errorCode, e.errorSubcode, e.counted]),
    [
      [100, undefined, true],
      [100, undefined, true],
    ],
  );
});

void test('subcode 2388001 below v16.0, and on any version with the legacySubcodes setting', async (t) => {
  const sim = await startTestSimulator(t);
  const v15 = await graph(sim, 'POST', `/v15.0/${NO_NAME_ID}/register`, {
    json: { messaging_product: 'whatsapp', pin: '111111' },
  });
  assert.equal(v15.status, 400);
  assert.equal(v15.json.error.error_subcode, 2388001);
  const v16 = await graph(sim, 'POST', `/v16.0/${NO_NAME_ID}/register`, {
    json: { messaging_product: 'whatsapp', pin: '111111' },
  });
  assert.equal(v16.json.error.error_subcode, undefined, 'v16.0 is the first version without subcodes');

  const on = await admin(sim, 'POST', '/_sim/settings', { legacySubcodes: true });
  assert.equal(on.status, 200, on.text);
  assert.equal(on.json.legacySubcodes, true);
  const legacy = await register(sim, NO_NAME_ID, '111111');
  assert.equal(legacy.json.error.code, 100);
  assert.equal(legacy.json.error.error_subcode, 2388001);
  assert.equal(legacy.json.error.message, '(#100) Cannot Create Certificate');
  const [, , entry] = await requestLog(sim, '?endpoint=register');
  assert.equal(entry?.errorSubcode, 2388001);

  const bad = await admin(sim, 'POST', '/_sim/settings', { legacySubcodes: 'yes' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'legacySubcodes');
  assert.match(bad.json.error.message, /legacySubcodes: must be a boolean/);

  await admin(sim, 'POST', '/_sim/reset');
  assert.equal((await admin(sim, 'GET', '/_sim/settings')).json.legacySubcodes, false, 'reset restores');
  assert.equal((await register(sim, NO_NAME_ID, '111111')).json.error.error_subcode, undefined);
});

void test('legacySubcodes startup option', async (t) => {
  const sim = await startTestSimulator(t, { legacySubcodes: true });
  assert.equal((await admin(sim, 'GET', '/_sim/settings')).json.legacySubcodes, true);
  assert.equal((await register(sim, NO_NAME_ID, '111111')).json.error.error_subcode, 2388001);
});

void test('registering an already registered number succeeds and changes nothing; the PIN is still checked', async (t) => {
  const sim = await startTestSimulator(t);
  const before = await readFields(sim, CONNECTED_ID, LIFECYCLE_FIELDS);
  const ok = await register(sim, CONNECTED_ID, '123456');
  assert.equal(ok.status, 200);
  assert.deepEqual(await readFields(sim, CONNECTED_ID, LIFECYCLE_FIELDS), before);
  const wrong = await register(sim, CONNECTED_ID, '654321');
  assert.equal(wrong.json.error.code, 133005);
  const log = await requestLog(sim, `?phone_number_id=${CONNECTED_ID}&endpoint=register`);
  assert.deepEqual(
    log.map((e) => [e.status, e.applied, e.counted]),
    [
      [200, false, true],
      [400, false, true],
    ],
  );
});

void test('deregistering a number that is not registered succeeds without a change', async (t) => {
  const sim = await startTestSimulator(t);
  const res = await deregister(sim, PENDING_ID);
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { success: true });
  assert.equal((await readFields(sim, PENDING_ID, ['status'])).status, 'PENDING');
  const [entry] = await requestLog(sim, '?endpoint=deregister');
  assert.equal(entry?.applied, false);
  assert.equal(entry?.counted, true);
});

void test('register parameters are accepted as a form body and as a query string', async (t) => {
  const sim = await startTestSimulator(t);
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550002' });

  const form = await graph(sim, 'POST', `/${VERSION}/${PENDING_ID}/register`, {
    form: { messaging_product: 'whatsapp', pin: '246810' },
  });
  assert.equal(form.status, 200, form.text);
  const query = await graph(sim, 'POST', `/${VERSION}/5550002/register`, {
    query: { messaging_product: 'whatsapp', pin: '135790', data_localization_region: 'BR' },
  });
  assert.equal(query.status, 200, query.text);
  assert.equal((await readFields(sim, PENDING_ID, ['status'])).status, 'CONNECTED');
  assert.equal((await readFields(sim, '5550002', ['status'])).status, 'CONNECTED');

  // The PINs given that way were stored: a different one is now a mismatch.
  await deregister(sim, PENDING_ID);
  const wrong = await graph(sim, 'POST', `/${VERSION}/${PENDING_ID}/register`, {
    form: { messaging_product: 'whatsapp', pin: '000000' },
  });
  assert.equal(wrong.json.error.code, 133005);
});

void test('missing or invalid register parameters → code 100, and the PIN is never echoed', async (t) => {
  const sim = await startTestSimulator(t);
  const path = `/${VERSION}/${PENDING_ID}/register`;
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ pin: '111111' }, /messaging_product is required/],
    [{ messaging_product: 'sms', pin: '111111' }, /messaging_product must be one of/],
    [{ messaging_product: 'whatsapp' }, /pin is required/],
    [{ messaging_product: 'whatsapp', pin: '98765' }, /pin must be a 6-digit number/],
    [{ messaging_product: 'whatsapp', pin: '98765x' }, /pin must be a 6-digit number/],
    [
      { messaging_product: 'whatsapp', pin: '111111', data_localization_region: 'US' },
      /data_localization_region/,
    ],
  ];
  for (const [json, message] of cases) {
    const res = await graph(sim, 'POST', path, { json });
    assert.equal(res.status, 400, JSON.stringify(json));
    assert.equal(res.json.error.code, 100);
    assert.match(res.json.error.message, message);
    assert.doesNotMatch(res.text, /98765/);
  }
  const badJson = await graph(sim, 'POST', path, { rawJson: '{"messaging_product":' });
  assert.equal(badJson.status, 400);
  assert.equal(badJson.json.error.code, 100);
  assert.equal((await readFields(sim, PENDING_ID, ['status', 'is_pin_enabled'])).is_pin_enabled, false);
});

void test('data_localization_region is stored on register and cleared by deregister', async (t) => {
  const sim = await startTestSimulator(t);
  assert.equal((await register(sim, PENDING_ID, '111111', { data_localization_region: 'DE' })).status, 200);
  assert.equal((await simNumber(sim, PENDING_ID)).data_localization_region, 'DE');
  await deregister(sim, PENDING_ID);
  const after = await simNumber(sim, PENDING_ID);
  assert.equal(after.data_localization_region, null);
  assert.equal(after.status, 'DISCONNECTED');
  assert.equal(after.platform_type, 'NOT_APPLICABLE');
});
