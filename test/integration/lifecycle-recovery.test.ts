// A lifecycle terminated (Temporal UI, API) while its register is on the wire, on the dev server with real
// processes: the request reaches Meta anyway. The next request starts a new lifecycle that recovers the
// terminated run's ledger (the in-flight register counted from the terminate), reads the number and sends
// nothing Meta already has. Meta's count equals the ledger's; no 133016.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { until } from '../helpers/poll';
import { seedVerified } from '../helpers/seed';
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
