import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../simulator/prng';
import {
  CONNECTED_ID,
  PENDING_ID,
  VERSION,
  admin,
  graph,
  readFields,
  register,
  requestLog,
  simNumber,
  startTestSimulator,
} from './helpers';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;

async function setFaults(sim: Sim, faults: unknown[], mode?: 'append' | 'replace') {
  const res = await admin(sim, 'POST', '/_sim/faults', mode === undefined ? { faults } : { faults, mode });
  assert.equal(res.status, 200, res.text);
  return res.json.faults as Array<Record<string, unknown>>;
}

async function lastEntry(sim: Sim) {
  const log = await requestLog(sim);
  return log[log.length - 1] ?? {};
}

void test('latency delays the response, then the call is handled normally; it combines with a later rule', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'get', kind: 'latency', latencyMs: 300, count: 2 }]);
  let started = performance.now();
  const slow = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(slow.status, 200);
  assert.ok(performance.now() - started >= 280, 'response came too early');
  assert.equal((await lastEntry(sim)).fault, 'latency');

  await setFaults(sim, [{ endpoint: 'get', kind: 'error-131000', count: 1 }]);
  started = performance.now();
  const slowFailure = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.ok(performance.now() - started >= 280, 'latency should apply before the error rule');
  assert.equal(slowFailure.status, 500);
  assert.equal(slowFailure.json.error.code, 131000);
  assert.equal((await lastEntry(sim)).fault, 'error-131000');
});

void test('http-5xx: 502 with a non-JSON body, nothing applied and nothing counted', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'register', kind: 'http-5xx', count: 1 }]);
  const res = await register(sim, PENDING_ID, '111111');
  assert.equal(res.status, 502);
  assert.equal(res.json, undefined, 'body must not be JSON');
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  const state = await simNumber(sim, PENDING_ID);
  assert.equal(state.status, 'PENDING');
  assert.equal(state.rateLimits.register.callsInWindow, 0);
  const entry = await lastEntry(sim);
  assert.deepEqual(
    [entry.status, entry.counted, entry.applied, entry.fault],
    [502, false, false, 'http-5xx'],
  );
  // count: 1 → the next call goes through.
  assert.equal((await register(sim, PENDING_ID, '111111')).status, 200);
});

void test('error-131000: HTTP 500 with the Meta envelope; counted but not applied', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'register', kind: 'error-131000' }]);
  const res = await register(sim, PENDING_ID, '111111');
  assert.equal(res.status, 500);
  assert.equal(res.json.error.code, 131000);
  assert.equal(res.json.error.message, '(#131000) Something went wrong');
  assert.equal(res.json.error.error_data.messaging_product, 'whatsapp');
  const state = await simNumber(sim, PENDING_ID);
  assert.equal(state.status, 'PENDING');
  assert.equal(state.is_pin_enabled, false);
  assert.equal(state.rateLimits.register.callsInWindow, 1);
  const entry = await lastEntry(sim);
  assert.deepEqual([entry.counted, entry.applied, entry.errorCode], [true, false, 131000]);
});

void test('timeout-after-apply: the client gives up, yet the register was applied and counted', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'register', kind: 'timeout-after-apply', hangMs: 1500, count: 1 }]);
  const started = performance.now();
  await assert.rejects(
    graph(sim, 'POST', `/${VERSION}/${PENDING_ID}/register`, {
      json: { messaging_product: 'whatsapp', pin: '111111' },
      signal: AbortSignal.timeout(300),
    }),
    (err: Error) => err.name === 'TimeoutError' || err.name === 'AbortError',
  );
  assert.ok(performance.now() - started < 1400, 'the client should have given up before the held response');
  const fields = await readFields(sim, PENDING_ID, ['status', 'platform_type', 'is_pin_enabled']);
  assert.deepEqual(fields, {
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    is_pin_enabled: true,
    id: PENDING_ID,
  });
  const [entry] = await requestLog(sim, '?endpoint=register');
  assert.deepEqual(
    [entry?.status, entry?.counted, entry?.applied, entry?.fault],
    [200, true, true, 'timeout-after-apply'],
  );
});

void test('timeout-after-apply: a patient client gets the real response after hangMs', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'deregister', kind: 'timeout-after-apply', hangMs: 400 }]);
  const started = performance.now();
  const res = await graph(sim, 'POST', `/${VERSION}/${CONNECTED_ID}/deregister`);
  assert.ok(performance.now() - started >= 380);
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { success: true });
  assert.equal((await readFields(sim, CONNECTED_ID, ['status'])).status, 'DISCONNECTED');
});

void test('close() does not wait for a held response', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'get', kind: 'timeout-after-apply' }]); // default hang: 60 s
  const pending = graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`).catch((err: unknown) => err);
  while ((await requestLog(sim)).length === 0) await new Promise((r) => setTimeout(r, 20));
  const started = performance.now();
  await sim.close();
  assert.ok(performance.now() - started < 1000, 'close() should destroy the held socket');
  assert.ok((await pending) instanceof Error, 'the held request ends with a socket error');
});

void test('throttle: code 80007 by default or code 4, HTTP 400; not counted, not applied', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    { endpoint: 'register', kind: 'throttle', count: 1 },
    { endpoint: 'register', kind: 'throttle', code: 4, count: 1 },
  ]);
  const waba = await register(sim, PENDING_ID, '111111');
  assert.equal(waba.status, 400);
  assert.equal(waba.json.error.code, 80007);
  const app = await register(sim, PENDING_ID, '111111');
  assert.equal(app.status, 400);
  assert.equal(app.json.error.code, 4);
  assert.equal(app.json.error.message, '(#4) Application request limit reached');
  const state = await simNumber(sim, PENDING_ID);
  assert.equal(state.status, 'PENDING');
  assert.equal(state.rateLimits.register.callsInWindow, 0);
  const log = await requestLog(sim, '?endpoint=register');
  assert.deepEqual(
    log.map((e) => [e.fault, e.counted, e.applied]),
    [
      ['throttle', false, false],
      ['throttle', false, false],
    ],
  );
});

void test('rules match by endpoint and phone number, in order; count limits them; replace and delete', async (t) => {
  const sim = await startTestSimulator(t);
  let listed = await setFaults(sim, [
    { endpoint: '*', phoneNumberId: CONNECTED_ID, kind: 'error-131000', count: 2 },
    { endpoint: 'get', kind: 'throttle' },
  ]);
  assert.equal(listed.length, 2);

  assert.equal(
    (await register(sim, PENDING_ID, '111111')).status,
    200,
    'other number, other endpoint: no fault',
  );
  assert.equal(
    (await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`)).json.error.code,
    131000,
    'first rule wins',
  );
  assert.equal((await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`)).json.error.code, 131000);
  assert.equal(
    (await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`)).json.error.code,
    80007,
    'first rule used up',
  );

  listed = (await admin(sim, 'GET', '/_sim/faults')).json.faults;
  assert.deepEqual([listed[0]?.remaining, listed[0]?.fired], [0, 2]);

  listed = await setFaults(sim, [{ endpoint: 'deregister', kind: 'http-5xx' }], 'replace');
  assert.equal(listed.length, 1);
  assert.equal((await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`)).status, 200);

  assert.equal((await admin(sim, 'DELETE', '/_sim/faults')).status, 200);
  assert.deepEqual((await admin(sim, 'GET', '/_sim/faults')).json.faults, []);
  assert.equal((await graph(sim, 'POST', `/${VERSION}/${CONNECTED_ID}/deregister`)).status, 200);
});

void test('seeded probability: the same seed gives the same fault schedule', async (t) => {
  const sim = await startTestSimulator(t);
  const rule = { endpoint: 'get', kind: 'throttle', probability: 0.5, seed: 42 };
  const run = async () => {
    await setFaults(sim, [rule], 'replace');
    const pattern: boolean[] = [];
    for (let i = 0; i < 24; i++)
      pattern.push((await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`)).status === 400);
    return pattern;
  };
  const first = await run();
  const second = await run();
  assert.deepEqual(second, first);
  const draw = mulberry32(42);
  assert.deepEqual(
    first,
    Array.from({ length: 24 }, () => draw() < 0.5),
    'draws follow mulberry32(seed)',
  );
  assert.ok(first.includes(true) && first.includes(false), 'a 50% rule should both fire and not fire');
});

void test('bad fault rules are rejected with the offending field', async (t) => {
  const sim = await startTestSimulator(t);
  const cases: Array<[unknown, string]> = [
    [{ endpoint: 'get', kind: 'latency' }, 'faults.0.latencyMs'],
    [{ endpoint: 'request_codes', kind: 'http-5xx' }, 'faults.0.endpoint'],
    [{ endpoint: 'get', kind: 'throttle', probability: 1.5 }, 'faults.0.probability'],
    [{ endpoint: 'get', kind: 'throttle', code: 17 }, 'faults.0.code'],
    [{ endpoint: 'get', kind: 'throttle', probablity: 0.5 }, 'faults.0'],
  ];
  for (const [rule, field] of cases) {
    const res = await admin(sim, 'POST', '/_sim/faults', { faults: [rule] });
    assert.equal(res.status, 400, JSON.stringify(rule));
    assert.equal(res.json.error.field, field, JSON.stringify(res.json));
  }
  assert.deepEqual((await admin(sim, 'GET', '/_sim/faults')).json.faults, []);
});
