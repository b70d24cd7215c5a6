// A lifecycle terminated (Temporal UI, API) while its register is on the wire, on the dev server with real
// processes: the request reaches Meta anyway. The next request starts a new lifecycle that recovers the
// terminated run's ledger (the in-flight register counted from the terminate), reads the number and sends
// nothing Meta already has. Meta's count equals the ledger's; no 133016. A region change terminated
// past its point of no return is resumed by the successor, or, if it waited for a corrected PIN, recorded
// as failed for a retry with the new PIN.
import { temporal } from '@temporalio/proto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleWorkflowId } from '../../domain/phone-number';
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

test('terminated with a register in flight: the successor recovers it as counted and does not send it again', async () => {
  const id = '7710000001';
  await seedVerified(stack.sim, id);
  await stack.sim.faults([
    { endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 3000, count: 1 },
  ]);
  await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  await until(
    'the register to be in flight',
    async () =>
      (await stack.client.getState(id))?.ledger.entries.some((e) => e.inFlight) ? true : undefined,
    { timeoutMs: 20_000, intervalMs: 50 },
  );
  const { runId } = await handle.describe();
  await handle.terminate('terminated from the UI mid-register');
  const terminatedAt = Date.now();
  // Meta receives and applies the register after the terminate.
  await until(
    'Meta to apply the register',
    async () => ((await stack.sim.phoneNumber(id)).status === 'CONNECTED' ? true : undefined),
    { timeoutMs: 20_000, intervalMs: 100 },
  );

  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  const done = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(done.status, 'completed', JSON.stringify(done.failure));
  assert.equal(done.outcome, 'already-done', 'read back: registered, nothing sent');
  const state = await stack.client.getState(id);
  assert.equal(state?.recovered?.runId, runId);
  assert.equal(state?.recovered?.status, 'TERMINATED');
  assert.equal(state?.recovered?.inFlight, 1);
  const [entry] = state!.ledger.entries;
  assert.ok(entry && !entry.inFlight && entry.at >= terminatedAt - 2000, 'counted from the terminate');

  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.equal(registers.length, 1, 'Meta saw one register');
  assert.equal(state!.ledger.entries.filter((e) => e.endpoint === 'register').length, registers.length);
  assert.ok(registers.every((r) => r.errorCode !== 133016));
  await stack.sim.faults([]);
});

test("terminated between a region change's deregister and its register: the successor resumes it and the number comes back", async () => {
  const id = '7710000002';
  await seedOnCloudApi(stack.sim, id, '123456');
  await stack.sim.faults([
    { endpoint: 'deregister', phoneNumberId: id, kind: 'latency', latencyMs: 3000, count: 1 },
  ]);
  const first = await stack.client.requestOperation(id, {
    operation: 'change-region',
    region: 'DE',
    pin: '123456',
  });
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  await until(
    'the deregister to be in flight',
    async () =>
      (await stack.client.getState(id))?.ledger.entries.some((e) => e.inFlight && e.endpoint === 'deregister')
        ? true
        : undefined,
    { timeoutMs: 20_000, intervalMs: 50 },
  );
  // Recorded in flight when scheduled; terminated before a worker started it, it would never be sent.
  await until(
    'a worker to have started the deregister',
    async () =>
      (await handle.describe()).raw.pendingActivities?.some(
        (a) =>
          a.activityType?.name === 'deregisterPhoneNumber' &&
          a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      )
        ? true
        : undefined,
    { timeoutMs: 20_000, intervalMs: 50 },
  );
  await handle.terminate('terminated from the UI mid-region-change');
  await until(
    'Meta to apply the deregister: the number is offline',
    async () => ((await stack.sim.phoneNumber(id)).status === 'DISCONNECTED' ? true : undefined),
    { timeoutMs: 20_000, intervalMs: 100 },
  );

  // Any request starts the successor; `retry` is the one an operator reaches for, and it joins the resumed run.
  const ticket = await stack.client.retryOperation(id);
  assert.notEqual(ticket.operationId, first.operationId, 'operation IDs continue the sequence, never repeat');
  assert.equal(ticket.joined, true);
  const done = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(done.status, 'completed', JSON.stringify(done.failure));
  assert.equal(done.retryOf, first.operationId);
  const number = await stack.sim.phoneNumber(id);
  assert.equal(number.status, 'CONNECTED', 'back online');
  const state = await stack.client.getState(id);
  assert.deepEqual(state?.recovered?.interrupted, {
    operationId: first.operationId,
    operation: 'change-region',
    resumedAs: ticket.operationId,
  });

  for (const endpoint of ['register', 'deregister'] as const) {
    const sent = await stack.sim.requests({ phoneNumberId: id, endpoint });
    assert.equal(sent.length, 1, `Meta saw one ${endpoint}`);
    assert.equal(state!.ledger.entries.filter((e) => e.endpoint === endpoint).length, sent.length);
  }
  await stack.sim.faults([]);
});

test('terminated while a region change waits for a corrected PIN: the refused PIN is never resent; retry --pin brings the number back', async () => {
  const id = '7710000003';
  await seedOnCloudApi(stack.sim, id, '123456');
  const first = await stack.client.requestOperation(id, {
    operation: 'change-region',
    region: 'DE',
    pin: '999999',
  });
  await until(
    'the region change to wait for a corrected PIN',
    async () =>
      (await stack.client.getState(id))?.currentOperation?.activeState === 'waiting-for-pin'
        ? true
        : undefined,
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).terminate('terminated while waiting');

  const ticket = await stack.client.retryOperation(id, { pin: '123456' });
  assert.notEqual(ticket.operationId, first.operationId);
  const done = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(done.status, 'completed', JSON.stringify(done.failure));
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
  const state = await stack.client.getState(id);
  assert.equal(state?.recovered?.interrupted?.operationId, first.operationId);
  assert.equal(state?.recovered?.interrupted?.resumedAs, undefined, 'not re-run with the refused PIN');
  const interrupted = state?.recentOperations.find((o) => o.operationId === first.operationId);
  assert.equal(interrupted?.failure?.type, 'Interrupted');
  assert.doesNotMatch(JSON.stringify(state), /999999|123456/, 'no PIN in the state');

  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.equal(registers.length, 2, 'the refused register, then the one with the corrected PIN');
  assert.equal(state!.ledger.entries.filter((e) => e.endpoint === 'register').length, 2);
  assert.ok(registers.every((r) => r.errorCode !== 133016));
});
