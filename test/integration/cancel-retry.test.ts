// Operator commands on the dev server: cancel stops an operation only at a safe point (never between a
// deregister and the register that must follow), and retry re-runs the last failed operation with its
// original parameters or a corrected PIN.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OperationRejectedError } from '../../client';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { until } from '../helpers/poll';
import { seedOnCloudApi, seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

async function currentState(id: string, wanted: (s: string | undefined) => boolean) {
  return until(`the operation on ${id} to reach the wanted state`, async () => {
    const state = await stack.client.getState(id);
    return wanted(state?.currentOperation?.activeState) ? state : undefined;
  });
}

test('cancel while a register waits for Meta budget: it stops there, no request sent, the ledger kept', async () => {
  const id = '7500000001';
  await seedVerified(stack.sim, id, { pin: '123456' });
  // 10 registers in the last 10 hours: the next one is allowed only in ~62 h.
  await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  await currentState(id, (s) => s === 'waiting-for-rate-limit');

  const result = await stack.client.cancelOperation(id, { requestedBy: 'ops' });
  assert.equal(result.status, 'cancel-requested');
  assert.equal(result.operationId, ticket.operationId);
  const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.failure?.type, 'Cancelled');
  assert.equal(outcome.cancelRequestedBy, 'ops');
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);
  const state = await stack.client.getState(id);
  assert.equal(state?.state, 'deregistered', 'a cancel leaves the number as it was, not "failed"');
  assert.equal(state?.ledger.entries.filter((e) => e.endpoint === 'register').length, 10);
  await assert.rejects(stack.client.cancelOperation(id), OperationRejectedError, 'nothing left to cancel');
});

test('cancel a region change while it waits online: no deregister is sent, the number stays registered', async () => {
  const id = '7500000002';
  await seedOnCloudApi(stack.sim, id, '123456');
  await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'registered');
  const ticket = await stack.client.requestOperation(id, {
    operation: 'change-region',
    region: 'DE',
    pin: '123456',
  });
  await currentState(id, (s) => s === 'waiting-for-rate-limit');
  await stack.client.cancelOperation(id, { operationId: ticket.operationId });
  const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(outcome.failure?.type, 'Cancelled');
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'deregister' })).length, 0);
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
});

test('cancel after the deregister of a region change: the register that must follow still runs', async () => {
  const id = '7500000003';
  await seedOnCloudApi(stack.sim, id, '123456');
  await stack.sim.faults([{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 2500 }]);
  try {
    const ticket = await stack.client.requestOperation(id, {
      operation: 'change-region',
      region: 'CH',
      pin: '123456',
    });
    await until('the deregister to be sent', async () =>
      (await stack.sim.requests({ phoneNumberId: id, endpoint: 'deregister' })).length ? true : undefined,
    );
    const result = await stack.client.cancelOperation(id, { requestedBy: 'ops' });
    assert.equal(result.status, 'cancel-requested');
    assert.match(result.note, /registered again/);
    const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
    assert.equal(outcome.status, 'completed', `${outcome.failure?.type}: ${outcome.failure?.message}`);
    assert.equal(outcome.cancelRequestedBy, 'ops', 'the summary says a cancel was asked for');
    const number = await stack.sim.phoneNumber(id);
    assert.equal(number.status, 'CONNECTED', 'the number is back online');
  } finally {
    await stack.sim.faults([]);
  }
});

test('cancel a queued operation: it is dropped at once and never runs; the running one is untouched', async () => {
  const id = '7500000004';
  await seedVerified(stack.sim, id, { pin: '123456' });
  await stack.sim.faults([{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 1500 }]);
  try {
    const register = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
    const deregister = await stack.client.requestOperation(id, { operation: 'deregister' });
    assert.equal(deregister.position, 1);
    const result = await stack.client.cancelOperation(id, {
      operationId: deregister.operationId,
      requestedBy: 'ops',
    });
    assert.equal(result.status, 'cancelled');
    const done = await stack.client.waitForOperation(id, register.operationId, { pollIntervalMs: 100 });
    assert.equal(done.status, 'completed');
    const state = await stack.client.getState(id);
    const dropped = state?.recentOperations.find((o) => o.operationId === deregister.operationId);
    assert.equal(dropped?.failure?.type, 'Cancelled');
    assert.match(dropped?.failure?.message ?? '', /before it started/);
    assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'deregister' })).length, 0);
    assert.equal(state?.state, 'registered');
  } finally {
    await stack.sim.faults([]);
  }
});

test('retry re-runs the last failed operation: with a corrected PIN, or as it was once the cause is fixed', async () => {
  const id = '7500000005';
  await seedVerified(stack.sim, id, { pin: '654321' });
  await assert.rejects(stack.client.retryOperation(id), /no lifecycle yet/);
  const first = await stack.client.requestOperation(id, {
    operation: 'register',
    pin: '123456',
    requestedBy: 'alice',
  });
  const failed = await stack.client.waitForOperation(id, first.operationId, { pollIntervalMs: 100 });
  assert.equal(failed.status, 'failed');
  await assert.rejects(stack.client.retryOperation(id, { pin: '12' }), /pin/);

  const retry = await stack.client.retryOperation(id, { pin: '654321', requestedBy: 'bob' });
  assert.notEqual(retry.operationId, first.operationId);
  const done = await stack.client.waitForOperation(id, retry.operationId, { pollIntervalMs: 100 });
  assert.equal(done.status, 'completed');
  assert.equal(done.retryOf, first.operationId);
  assert.equal(done.requestedBy, 'bob');
  await assert.rejects(
    stack.client.retryOperation(id),
    /nothing to retry/,
    'a later success of the same kind clears it',
  );

  // Without a PIN the original request is used as it was.
  const other = '7500000006';
  await stack.sim.seed({ id: other, code_verification_status: 'NOT_VERIFIED', pin: '123456' });
  const refused = await stack.client.requestOperation(other, { operation: 'register', pin: '123456' });
  assert.equal(
    (await stack.client.waitForOperation(other, refused.operationId, { pollIntervalMs: 100 })).status,
    'failed',
  );
  const res = await fetch(`${stack.simulator.url}/_sim/phone-numbers/${other}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code_verification_status: 'VERIFIED', name_status: 'APPROVED' }),
  });
  assert.equal(res.status, 200);
  const again = await stack.client.retryOperation(other);
  assert.equal(
    (await stack.client.waitForOperation(other, again.operationId, { pollIntervalMs: 100 })).status,
    'completed',
  );
  assert.equal((await stack.sim.phoneNumber(other)).status, 'CONNECTED');
});
