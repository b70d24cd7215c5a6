// Region changes on the time-skipping server against the simulator: budget-aware deregister → register,
// a number taken offline by a 133016 and brought back, and both region mechanisms (v25 settings, v20 field).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { operationPolicy } from '../../platform/config';
import { until } from '../helpers/poll';
import { seedOnCloudApi } from '../helpers/seed';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { startTestStack, TEST_TOKEN, type TestStack } from '../helpers/stack';

let v25: TestStack;
let v20: TestStack;
before(async () => {
  v25 = await startTestStack({ timeSkipping: true });
  v20 = await startTestStack({ timeSkipping: true, configEnv: { WA_GRAPH_API_VERSION: 'v20.0' } });
});
after(async () => {
  await v25?.stop();
  await v20?.stop();
});

type LifecycleState = Awaited<ReturnType<TestStack['client']['getState']>>;

/** Polls the number's lifecycle state until `ok` maps it to a value. */
async function stateMatching<T>(stack: TestStack, id: string, ok: (s: LifecycleState) => T | undefined) {
  let last: LifecycleState;
  return until(
    () => `the state to match; last state: ${JSON.stringify(last)}`,
    async () => ok((last = await stack.client.getState(id))),
    { timeoutMs: 20_000 },
  );
}

test('v25: the deregister waits (number online) until the register that must follow fits the budget', async () => {
  const id = '5552000001';
  await seedOnCloudApi(v25.sim, id, '123456');
  const policy = operationPolicy(v25.config);
  const now = await v25.env.currentTimeMs();
  const entries = hourlyRegisters(now, 10, 70);
  await startLifecycleWithLedger(v25, id, entries, 'registered');
  const ticket = await v25.client.requestOperation(id, {
    operation: 'change-region',
    region: 'CH',
    pin: '123456',
  });
  const waiting = await stateMatching(v25, id, (s) =>
    s?.state === 'waiting-for-rate-limit' ? s : undefined,
  );
  assert.match(waiting.currentOperation?.waitingFor ?? '', /stays online/);
  assert.equal(
    waiting.currentOperation?.nextAttemptAt,
    new Date(entries[0]!.at + policy.windowMs + policy.safetyMarginMs).toISOString(),
  );
  assert.deepEqual(await v25.sim.requests({ phoneNumberId: id, endpoint: 'deregister' }), [], 'still online');

  const report = await v25.operationResult(ticket);
  assert.equal(report.outcome, 'completed');
  const calls = (await v25.sim.requests({ phoneNumberId: id })).filter((r) => r.method === 'POST');
  assert.deepEqual(
    calls.map((r) => r.endpoint),
    ['deregister', 'settings', 'register'],
  );
  assert.ok(
    Date.parse(calls[0]!.at) >= entries[0]!.at + policy.windowMs,
    'deregistered only once the window allowed',
  );
  const number = await v25.sim.phoneNumber(id);
  assert.equal(number.data_localization_region, 'CH');
  assert.equal(number.status, 'CONNECTED');
});

test('v25: 133016 on the register after the deregister: the number is reported offline, waits, comes back', async () => {
  const id = '5552000002';
  await seedOnCloudApi(v25.sim, id, '123456');
  // Someone else spent the register budget (wrong PINs, counted by Meta, unknown to our ledger).
  await v25.sim.setClock(await v25.env.currentTimeMs());
  for (let i = 0; i < 10; i++) {
    await fetch(`${v25.simulator.url}/v25.0/${id}/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', pin: '000000' }),
    });
  }
  const ticket = await v25.client.requestOperation(id, {
    operation: 'change-region',
    region: 'DE',
    pin: '123456',
  });
  const offline = await stateMatching(v25, id, (s) => (s?.state === 'offline' ? s : undefined));
  assert.match(offline.currentOperation?.waitingFor ?? '', /NUMBER IS OFFLINE/);
  assert.equal((await v25.sim.phoneNumber(id)).status, 'DISCONNECTED');

  const report = await v25.operationResult(ticket);
  assert.equal(report.outcome, 'completed');
  assert.equal(report.ledger.blockedUntil.register !== undefined, true, 'the block was learned');
  const number = await v25.sim.phoneNumber(id);
  assert.equal(number.status, 'CONNECTED');
  assert.equal(number.data_localization_region, 'DE');
  const registers = await v25.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.deepEqual(
    registers.slice(10).map((r) => r.errorCode ?? r.status),
    [133016, 200],
    'one refused register, then one after the block: no retry loop',
  );
  assert.equal((await v25.client.getState(id))?.state, 'registered');
});

test('v25: already in the target region and registered: nothing is sent', async () => {
  const id = '5552000003';
  await seedOnCloudApi(v25.sim, id, '123456', {
    storage_configuration: { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: 'BR' },
  });
  const ticket = await v25.client.requestOperation(id, {
    operation: 'change-region',
    region: 'BR',
    pin: '123456',
  });
  const report = await v25.operationResult(ticket);
  assert.equal(report.outcome, 'already-done');
  const mutations = (await v25.sim.requests({ phoneNumberId: id })).filter((r) => r.method === 'POST');
  assert.deepEqual(mutations, []);
});

test('v20: the region travels on register (no settings endpoint); --no-region turns local storage off', async () => {
  const id = '5552000004';
  await seedOnCloudApi(v20.sim, id, '123456');
  const to = await v20.client.requestOperation(id, {
    operation: 'change-region',
    region: 'GB',
    pin: '123456',
  });
  assert.equal((await v20.operationResult(to)).outcome, 'completed');
  const calls = (await v20.sim.requests({ phoneNumberId: id })).filter((r) => r.method === 'POST');
  assert.deepEqual(
    calls.map((r) => r.endpoint),
    ['deregister', 'register'],
  );
  assert.equal(calls[1]?.params?.data_localization_region, 'GB');
  assert.equal((await v20.sim.phoneNumber(id)).data_localization_region, 'GB');

  const off = await v20.client.requestOperation(id, {
    operation: 'change-region',
    region: null,
    pin: '123456',
  });
  assert.equal((await v20.operationResult(off)).outcome, 'completed');
  const number = await v20.sim.phoneNumber(id);
  assert.equal(number.data_localization_region ?? null, null);
  assert.equal(number.status, 'CONNECTED');
});
