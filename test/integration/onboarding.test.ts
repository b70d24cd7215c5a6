// Onboarding end to end on the dev server: verification with the code a "person" reads from the
// simulator, then register with the PIN and region; and set-pin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../helpers/poll';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

test('onboard a new number: code by SMS, submitted by a person, then registered in DE with the PIN', async () => {
  const id = '6661000001';
  await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
  const ticket = await stack.client.requestOperation(id, {
    operation: 'onboard',
    pin: '246810',
    region: 'DE',
    language: 'en_US',
  });
  const waiting = await until('waiting-for-code', async () => {
    const s = await stack.client.getState(id);
    return s?.state === 'waiting-for-code' ? s : undefined;
  });
  assert.match(waiting.currentOperation?.waitingFor ?? '', /code sent by SMS/);
  const sent = (await (await fetch(`${stack.simulator.url}/_sim/codes/${id}`)).json()) as { display: string };
  const answer = await stack.client.submitVerificationCode(id, sent.display);
  assert.deepEqual(answer, { accepted: true, attemptsLeft: 5 });

  const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(outcome.status, 'completed');
  const number = await stack.sim.phoneNumber(id);
  assert.equal(number.code_verification_status, 'VERIFIED');
  assert.equal(number.status, 'CONNECTED');
  assert.equal(number.data_localization_region, 'DE');
  const calls = (await stack.sim.requests({ phoneNumberId: id }))
    .map((r) => r.endpoint)
    .filter((e) => e !== 'get');
  assert.deepEqual(calls, ['request_code', 'verify_code', 'settings', 'register']);
  const state = await stack.client.getState(id);
  assert.equal(state?.state, 'registered');
  assert.equal(state?.verification, 'verified');
  assert.equal(state?.pinSet, true);
});

test('set-pin changes the two-step PIN: the old PIN no longer registers, the new one does', async () => {
  const id = '6661000002';
  await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED', pin: '111111' });
  const set = await stack.client.requestOperation(id, { operation: 'set-pin', pin: '222222' });
  assert.equal(
    (await stack.client.waitForOperation(id, set.operationId, { pollIntervalMs: 100 })).status,
    'completed',
  );
  assert.equal((await stack.client.getState(id))?.pinSet, true);

  const old = await stack.client.requestOperation(id, { operation: 'register', pin: '111111' });
  const refused = await stack.client.waitForOperation(id, old.operationId, { pollIntervalMs: 100 });
  assert.equal(refused.failure?.type, 'GraphPinMismatch');
  const fresh = await stack.client.requestOperation(id, { operation: 'register', pin: '222222' });
  assert.equal(
    (await stack.client.waitForOperation(id, fresh.operationId, { pollIntervalMs: 100 })).status,
    'completed',
  );
});
