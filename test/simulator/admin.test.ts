import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CONNECTED_ID,
  HOUR_MS,
  PENDING_ID,
  TOKEN,
  VERSION,
  admin,
  advanceClock,
  deregister,
  graph,
  launchSimulator,
  readFields,
  register,
  requestLog,
  simNow,
  simNumber,
  startTestSimulator,
  tempDir,
} from './helpers';

void test('request log and log lines redact PINs wherever they were sent', async (t) => {
  const lines: string[] = [];
  const sim = await startTestSimulator(t, { log: (line) => lines.push(line) });
  await register(sim, PENDING_ID, '987654');
  await graph(sim, 'POST', `/${VERSION}/${CONNECTED_ID}/register`, {
    query: { messaging_product: 'whatsapp', pin: '876543' },
  });
  await graph(sim, 'POST', `/${VERSION}/${CONNECTED_ID}/register`, {
    form: { messaging_product: 'whatsapp', pin: '765432' },
  });
  const raw = (await admin(sim, 'GET', '/_sim/requests')).text;
  for (const pin of ['987654', '876543', '765432']) {
    assert.ok(!raw.includes(pin), `request log leaks ${pin}`);
    assert.ok(!lines.join('\n').includes(pin), `log line leaks ${pin}`);
  }
  assert.ok(!raw.includes(TOKEN) && !lines.join('\n').includes(TOKEN), 'token leaked');
  const log = await requestLog(sim, '?endpoint=register');
  assert.equal(log.length, 3);
  for (const entry of log) {
    assert.equal((entry.params as Record<string, unknown>).pin, '***');
    assert.equal((entry.params as Record<string, unknown>).messaging_product, 'whatsapp');
    assert.ok(!String(entry.path).includes('?'));
  }
  assert.ok(
    lines.some((l) => l.startsWith(`POST /${VERSION}/${CONNECTED_ID}/register?`) && l.includes('pin=***')),
  );
});

void test('request log entries carry sequence, sim time, endpoint and outcome; filters work', async (t) => {
  const sim = await startTestSimulator(t);
  await advanceClock(sim, 10 * HOUR_MS);
  await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  await register(sim, PENDING_ID, '111111');
  await deregister(sim, CONNECTED_ID);
  await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`, { token: 'nope' });

  const all = await requestLog(sim);
  assert.deepEqual(
    all.map((e) => [e.seq, e.method, e.endpoint, e.phoneNumberId, e.status, e.counted, e.applied]),
    [
      [1, 'GET', 'get', PENDING_ID, 200, false, false],
      [2, 'POST', 'register', PENDING_ID, 200, true, true],
      [3, 'POST', 'deregister', CONNECTED_ID, 200, true, true],
      [4, 'GET', 'get', CONNECTED_ID, 401, false, false],
    ],
  );
  assert.equal(all[3]?.errorCode, 190);
  assert.ok(Date.parse(String(all[0]?.at)) > Date.now() + 9 * HOUR_MS, '`at` is simulator time');
  assert.equal((await requestLog(sim, `?phone_number_id=${CONNECTED_ID}`)).length, 2);
  assert.equal((await requestLog(sim, `?phone_number_id=${CONNECTED_ID}&endpoint=deregister`)).length, 1);
  assert.equal((await admin(sim, 'GET', '/_sim/requests?endpoint=bogus')).status, 400);
});

void test('seeding numbers: defaults, PIN shown only as is_pin_enabled, re-seed replaces and clears history', async (t) => {
  const sim = await startTestSimulator(t);
  const created = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '15550100',
    waba_id: '42',
    pin: '112233',
  });
  assert.equal(created.status, 201);
  assert.equal(created.json.status, 'PENDING');
  assert.equal(created.json.code_verification_status, 'VERIFIED');
  assert.equal(created.json.name_status, 'APPROVED');
  assert.equal(created.json.platform_type, 'NOT_APPLICABLE');
  assert.equal(created.json.is_pin_enabled, true);
  assert.ok(!created.text.includes('112233'));
  assert.deepEqual(created.json.rateLimits, {
    register: { callsInWindow: 0, blockedUntil: null },
    deregister: { callsInWindow: 0, blockedUntil: null },
  });

  // The seeded PIN is enforced.
  assert.equal((await register(sim, '15550100', '999999')).json.error.code, 133005);
  for (let i = 0; i < 10; i++) await register(sim, '15550100', '112233');
  assert.notEqual((await simNumber(sim, '15550100')).rateLimits.register.blockedUntil, null);

  const reseeded = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '15550100',
    code_verification_status: 'NOT_VERIFIED',
  });
  assert.equal(reseeded.status, 201);
  assert.equal(reseeded.json.is_pin_enabled, false);
  assert.deepEqual(reseeded.json.rateLimits.register, { callsInWindow: 0, blockedUntil: null });
  assert.equal((await register(sim, '15550100', '112233')).json.error.code, 133006);

  const list = await admin(sim, 'GET', '/_sim/phone-numbers');
  assert.equal(list.json.phone_numbers.length, 6);
});

void test('seeding rejects bad input with the field name; unknown numbers are 404', async (t) => {
  const sim = await startTestSimulator(t);
  const cases: Array<[unknown, string | null]> = [
    [{}, 'id'],
    [{ id: '12ab' }, 'id'],
    [{ id: '123', pin: '12345' }, 'pin'],
    [{ id: '123', status: 'SLEEPING' }, 'status'],
    [{ id: '123', code_verification_status: 'MAYBE' }, 'code_verification_status'],
    [{ id: '123', nme_status: 'NONE' }, null],
  ];
  for (const [body, field] of cases) {
    const res = await admin(sim, 'POST', '/_sim/phone-numbers', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(typeof res.json.error.message, 'string');
    assert.equal(res.json.error.field, field, JSON.stringify(res.json));
  }
  const badJson = await fetch(new URL('/_sim/phone-numbers', sim.url), { method: 'POST', body: '{' });
  assert.equal(badJson.status, 400);
  assert.equal((await admin(sim, 'GET', '/_sim/phone-numbers/777')).status, 404);
  assert.equal((await admin(sim, 'GET', '/_sim/nothing-here')).status, 404);
});

void test('clock: read, advance, set by ISO and by epoch ms; bad input rejected', async (t) => {
  const sim = await startTestSimulator(t);
  const start = await simNow(sim);
  assert.ok(Math.abs(start - Date.now()) < 2_000);
  const advanced = await advanceClock(sim, 5 * HOUR_MS);
  assert.ok(Math.abs(advanced - start - 5 * HOUR_MS) < 2_000);

  const iso = await admin(sim, 'POST', '/_sim/clock', { set: '2030-01-01T00:00:00.000Z' });
  assert.ok(Math.abs(Date.parse(iso.json.now) - Date.parse('2030-01-01T00:00:00.000Z')) < 2_000);
  const epoch = await admin(sim, 'POST', '/_sim/clock', { set: Date.parse('2031-06-01T12:00:00Z') });
  assert.ok(Math.abs(Date.parse(epoch.json.now) - Date.parse('2031-06-01T12:00:00Z')) < 2_000);
  // Simulator time drives the node too.
  await register(sim, PENDING_ID, '111111');
  assert.match(
    String((await readFields(sim, PENDING_ID, ['last_onboarded_time'])).last_onboarded_time),
    /^2031-06-01T12:00/,
  );

  for (const body of [{}, { advanceMs: 'soon' }, { set: 'not a date' }, { advanceMs: 1, set: 0 }]) {
    assert.equal((await admin(sim, 'POST', '/_sim/clock', body)).status, 400, JSON.stringify(body));
  }
});

void test('reset clears numbers, request log, faults and clock offset, then re-seeds', async (t) => {
  const sim = await startTestSimulator(t);
  await register(sim, PENDING_ID, '111111');
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5551234' });
  await admin(sim, 'POST', '/_sim/faults', {
    faults: [{ endpoint: 'get', kind: 'throttle', phoneNumberId: '1' }],
  });
  await advanceClock(sim, 100 * HOUR_MS);

  const reset = await admin(sim, 'POST', '/_sim/reset');
  assert.equal(reset.status, 200);
  assert.equal(reset.json.seed, 'default');
  assert.equal(reset.json.phone_numbers.length, 5);
  assert.ok(Math.abs((await simNow(sim)) - Date.now()) < 2_000);
  assert.deepEqual((await admin(sim, 'GET', '/_sim/faults')).json.faults, []);
  assert.deepEqual(await requestLog(sim), []);
  assert.equal((await admin(sim, 'GET', '/_sim/phone-numbers/5551234')).status, 404);
  const fresh = await simNumber(sim, PENDING_ID);
  assert.equal(fresh.status, 'PENDING');
  assert.equal(fresh.is_pin_enabled, false);
  assert.equal(fresh.rateLimits.register.callsInWindow, 0);

  const empty = await admin(sim, 'POST', '/_sim/reset', { seed: 'none' });
  assert.deepEqual(empty.json.phone_numbers, []);
  assert.equal((await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`)).json.error.error_subcode, 33);
});

void test('seed "none" starts without numbers', async (t) => {
  const sim = await startTestSimulator(t, { seed: 'none' });
  assert.deepEqual((await admin(sim, 'GET', '/_sim/phone-numbers')).json.phone_numbers, []);
});

void test('state file: numbers, PINs, budgets and clock offset survive a restart; the PIN is not stored in clear', async (t) => {
  const stateFile = join(tempDir(t, 'graph-sim-'), 'nested', 'sim-state.json');
  const first = await launchSimulator({ stateFile });
  try {
    await register(first, PENDING_ID, '314159');
    await register(first, CONNECTED_ID, '000000'); // rejected, but counted
    await admin(first, 'POST', '/_sim/phone-numbers', { id: '5550999', verified_name: 'Persisted Co' });
    await advanceClock(first, 6 * HOUR_MS);
  } finally {
    await first.close();
  }
  const content = readFileSync(stateFile, 'utf8');
  assert.ok(!content.includes('314159'), 'state file stores the PIN in clear');

  const second = await launchSimulator({ stateFile });
  t.after(() => second.close());
  assert.equal((await readFields(second, PENDING_ID, ['status'])).status, 'CONNECTED');
  assert.equal((await simNumber(second, PENDING_ID)).rateLimits.register.callsInWindow, 1);
  assert.equal((await simNumber(second, CONNECTED_ID)).rateLimits.register.callsInWindow, 1);
  assert.equal((await simNumber(second, '5550999')).verified_name, 'Persisted Co');
  assert.ok(Math.abs((await simNow(second)) - Date.now() - 6 * HOUR_MS) < 5_000, 'clock offset kept');
  await deregister(second, PENDING_ID);
  assert.equal((await register(second, PENDING_ID, '271828')).json.error.code, 133005, 'PIN kept');
  assert.equal((await register(second, PENDING_ID, '314159')).status, 200);
});

void test('state file: empty file seeds; invalid content refuses to start', async (t) => {
  const dir = tempDir(t, 'graph-sim-');
  const emptyFile = join(dir, 'empty.json');
  writeFileSync(emptyFile, '');
  const sim = await startTestSimulator(t, { stateFile: emptyFile });
  assert.equal((await admin(sim, 'GET', '/_sim/phone-numbers')).json.phone_numbers.length, 5);
  assert.match(readFileSync(emptyFile, 'utf8'), /1234567890/);

  const badFile = join(dir, 'bad.json');
  writeFileSync(badFile, '{"not": "a state file"}');
  await assert.rejects(launchSimulator({ stateFile: badFile }), /state file/);
});
