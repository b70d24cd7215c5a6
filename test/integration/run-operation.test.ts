// runOperation on the dev server: the caller waits for an operation on the server's long poll (the
// runOperation Update answers when the operation ends), so nothing reads the number while it runs, and the
// lifecycle writes the same events as for requestOperation. A number that starts a long wait answers early,
// and the client waits on by reading.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OperationRejectedError } from '../../client';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { runOperationUpdate } from '../../workflows/messages';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { until } from '../helpers/poll';
import { seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
/** getState reads made through the stack's client since the last reset (runOperation's fallback uses it). */
let reads = 0;

before(async () => {
  stack = await startTestStack();
  const read = stack.client.getState.bind(stack.client);
  stack.client.getState = (id) => {
    reads++;
    return read(id);
  };
});
after(async () => {
  await stack?.stop();
});

/** Event types of the number's lifecycle history, counted. */
async function eventCounts(id: string): Promise<Record<string, number>> {
  const history = await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).fetchHistory();
  const counts: Record<string, number> = {};
  for (const e of history.events ?? []) counts[String(e.eventType)] = (counts[String(e.eventType)] ?? 0) + 1;
  return counts;
}

test('a register ends on the long poll: no read while it runs, the same events as requestOperation', async () => {
  const [waited, polled] = ['7600000001', '7600000002'];
  await seedVerified(stack.sim, waited, { pin: '123456' });
  await seedVerified(stack.sim, polled, { pin: '123456' });
  reads = 0;
  let accepted = 0;
  const summary = await stack.client.runOperation(
    waited,
    { operation: 'register', pin: '123456' },
    { onAccepted: () => accepted++ },
  );
  assert.equal(summary.status, 'completed');
  assert.equal(summary.operation, 'register');
  assert.equal(accepted, 1);
  assert.equal(reads, 0, 'the client did not read the number while the operation ran');
  assert.equal((await stack.sim.phoneNumber(waited)).status, 'CONNECTED');
  const state = await stack.client.getState(waited);
  assert.deepEqual(state?.recentOperations[0], summary, 'the answer is the summary the lifecycle keeps');

  const ticket = await stack.client.requestOperation(polled, { operation: 'register', pin: '123456' });
  await stack.client.waitForOperation(polled, ticket.operationId, { pollIntervalMs: 100 });
  assert.deepEqual(await eventCounts(waited), await eventCounts(polled));
});

test('a number waiting out its budget answers early; the client waits on by reading until the end', async () => {
  const id = '7600000003';
  await seedVerified(stack.sim, id, { pin: '123456' });
  // 10 registers in the last 10 hours: the next one is allowed only in ~62 h.
  await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
  reads = 0;
  const running = stack.client.runOperation(
    id,
    { operation: 'register', pin: '123456' },
    { pollIntervalMs: 100 },
  );
  await until('the register to wait for budget', async () => (reads > 0 ? true : undefined));
  const state = await stack.client.getState(id);
  assert.equal(state?.currentOperation?.activeState, 'waiting-for-rate-limit');

  // The Update itself, sent again: it joins the waiting operation and answers at once, without a summary.
  const early = await stack.env.client.workflow
    .getHandle(lifecycleWorkflowId(id))
    .executeUpdate(runOperationUpdate, { args: [{ operation: 'register', pin: '123456' }] });
  assert.equal(early.finished, undefined);
  assert.equal(early.ticket.operationId, state?.currentOperation?.operationId);
  assert.equal(early.ticket.joined, true);

  await stack.client.cancelOperation(id, { requestedBy: 'test' });
  const outcome = await running;
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.failure?.type, 'Cancelled');
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);
});

test('a request the lifecycle refuses is refused as requestOperation refuses it, nothing sent', async () => {
  const id = '7600000004';
  await seedVerified(stack.sim, id, { pin: '123456' });
  assert.equal((await stack.client.runOperation(id, { operation: 'deregister' })).outcome, 'already-done');
  const sent = (await stack.sim.requests({ phoneNumberId: id })).length;
  await assert.rejects(
    stack.client.runOperation(id, { operation: 'deregister' }),
    (err: Error) => err instanceof OperationRejectedError && /not registered/.test(err.message),
  );
  assert.equal((await stack.sim.requests({ phoneNumberId: id })).length, sent);
});

test('many callers of one register at once: every one gets a completed summary, Meta gets one register', async () => {
  const id = '7600000005';
  await seedVerified(stack.sim, id, { pin: '123456' });
  // The register answers after 1.8 s (the test stack's Graph timeout is 2 s): the callers arrive while it runs.
  await stack.sim.faults([{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 1800 }]);
  const summaries = await Promise.all(
    Array.from({ length: 12 }, () =>
      stack.client.runOperation(id, { operation: 'register', pin: '123456' }, { pollIntervalMs: 200 }),
    ),
  );
  // A caller whose Update the server admitted only after the register ended (past its in-flight limit,
  // retried by the client) asked for a register on a registered number: already done.
  for (const s of summaries) assert.equal(s.status, 'completed', JSON.stringify(s));
  assert.ok(summaries.every((s) => s.outcome === 'completed' || s.outcome === 'already-done'));
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);
});
