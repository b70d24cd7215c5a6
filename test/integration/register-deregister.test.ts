// End to end on the real dev server: client library → lifecycle workflow → child operation → real
// activities → the simulator over HTTP, with injected faults.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { InputError, OperationRejectedError } from '../../client';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { requestOperationUpdate } from '../../workflows/messages';
import { seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack({
    // Suggest continue-as-new early, so these tests also cross run boundaries of the lifecycle workflow.
    devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=30'],
  });
});
after(async () => {
  await stack?.stop();
});

async function runToEnd(id: string, request: Parameters<TestStack['client']['requestOperation']>[1]) {
  const ticket = await stack.client.requestOperation(id, request);
  return stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
}

test('register then deregister: status transitions in Meta, ledger and state in the lifecycle', async () => {
  const id = '6660000001';
  await seedVerified(stack.sim, id);
  const registered = await runToEnd(id, { operation: 'register', pin: '123456', requestedBy: 'test' });
  assert.equal(registered.status, 'completed');
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');

  const deregistered = await runToEnd(id, { operation: 'deregister' });
  assert.equal(deregistered.status, 'completed');
  const number = await stack.sim.phoneNumber(id);
  assert.equal(number.status, 'DISCONNECTED');
  assert.equal(number.platform_type, 'NOT_APPLICABLE');

  const state = await stack.client.getState(id);
  assert.equal(state?.state, 'deregistered');
  assert.deepEqual(
    state?.ledger.entries.map((e) => e.endpoint),
    ['register', 'deregister'],
  );
  assert.equal(state?.recentOperations.length, 2);
});

test('transient faults (throttling, a proxy 502) are retried within the budget and succeed', async () => {
  const id = '6660000002';
  await seedVerified(stack.sim, id);
  await stack.sim.faults([
    {
      endpoint: 'register',
      phoneNumberId: id,
      kind: 'throttle',
      code: 80007,
      regainAccessMinutes: 0,
      count: 2,
    },
    { endpoint: 'register', phoneNumberId: id, kind: 'http-5xx', count: 1 },
  ]);
  const outcome = await runToEnd(id, { operation: 'register', pin: '123456' });
  assert.equal(outcome.status, 'completed');
  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.deepEqual(
    registers.map((r) => r.fault ?? r.status),
    ['throttle', 'throttle', 'http-5xx', 200],
  );
  // The 502 had an unknown outcome: the number was read before the next register was sent.
  const all = await stack.sim.requests({ phoneNumberId: id });
  const afterFault = all.slice(all.findIndex((r) => r.fault === 'http-5xx') + 1);
  assert.equal(afterFault[0]?.endpoint, 'get');
  await stack.sim.faults([]);
});

test('a wrong PIN fails the operation with a clear reason, after exactly one request', async () => {
  const id = '6660000003';
  await seedVerified(stack.sim, id, { pin: '111111' });
  const outcome = await runToEnd(id, { operation: 'register', pin: '222222' });
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.failure?.type, 'GraphPinMismatch');
  assert.equal(outcome.failure?.graphCode, 133005);
  assert.match(outcome.failure?.message ?? '', /PIN Mismatch/i);
  assert.doesNotMatch(JSON.stringify(outcome), /222222|111111/, 'no PIN in the outcome');
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);
  assert.equal((await stack.client.getState(id))?.state, 'failed');
});

test('bad input is refused before any Graph request, by the client and by the workflow validator', async () => {
  const id = '6660000004';
  await seedVerified(stack.sim, id);
  await assert.rejects(stack.client.requestOperation(id, { operation: 'register', pin: '12345' }), (err) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.field, 'pin');
    return true;
  });
  await assert.rejects(
    stack.client.requestOperation('12ab', { operation: 'deregister' }),
    /phoneNumberId: must be all digits/,
  );
  // A caller that skips our client (another language, say) meets the same rules in the update validator.
  const start = new WithStartWorkflowOperation('phoneNumberLifecycle', {
    workflowId: lifecycleWorkflowId(id),
    taskQueue: stack.config.temporal.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [{ phoneNumberId: id }],
  });
  await assert.rejects(
    stack.env.client.workflow.executeUpdateWithStart(requestOperationUpdate, {
      args: [{ operation: 'register', pin: '12345', region: 'US' } as never],
      startWorkflowOperation: start,
    }),
    (err: Error) => /pin: must be exactly 6 digits/.test(String((err as { cause?: Error }).cause?.message)),
  );
  const history = await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).fetchHistory();
  const accepted = history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes) ?? [];
  assert.equal(accepted.length, 0, 'a rejected update leaves no trace in history');
  assert.deepEqual(await stack.sim.requests({ phoneNumberId: id }), [], 'no Graph request');
});

test('deregister of a number the lifecycle knows is not registered is refused, nothing sent', async () => {
  const id = '6660000005';
  await seedVerified(stack.sim, id);
  assert.equal((await runToEnd(id, { operation: 'deregister' })).outcome, 'already-done');
  const before = (await stack.sim.requests({ phoneNumberId: id })).length;
  await assert.rejects(
    stack.client.requestOperation(id, { operation: 'deregister' }),
    (err) => err instanceof OperationRejectedError && /not registered/.test(err.message),
  );
  assert.equal((await stack.sim.requests({ phoneNumberId: id })).length, before);
});

test('the ledger survives continue-as-new, and runs are searchable by our search attributes', async () => {
  const id = '6660000006';
  await seedVerified(stack.sim, id);
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  const keyed = await stack.client.requestOperation(
    id,
    { operation: 'register', pin: '123456', wabaId: '102290129340398' },
    { idempotencyKey: 'first-register' },
  );
  await stack.client.waitForOperation(id, keyed.operationId, { pollIntervalMs: 100 });
  await runToEnd(id, { operation: 'deregister' });
  for (let i = 0; i < 2; i++) {
    await runToEnd(id, { operation: 'register', pin: '123456', wabaId: '102290129340398' });
    await runToEnd(id, { operation: 'deregister' });
  }
  const state = await stack.client.getState(id);
  assert.equal(state?.ledger.entries.filter((e) => e.endpoint === 'register').length, 3);
  assert.equal(state?.ledger.entries.filter((e) => e.endpoint === 'deregister').length, 3);
  // With suggestContinueAsNew=30 the lifecycle has moved to a new run by now.
  const runs = [];
  for await (const wf of stack.env.client.workflow.list({
    query: `WorkflowId = "${lifecycleWorkflowId(id)}"`,
  })) {
    runs.push(wf.runId);
  }
  assert.ok(runs.length > 1, `expected continue-as-new, saw ${runs.length} run(s)`);
  assert.equal((await handle.describe()).status.name, 'RUNNING');
  // A caller retrying its first call (same idempotency key) after continue-as-new gets the same ticket;
  // nothing is queued (the number stays deregistered).
  const again = await stack.client.requestOperation(
    id,
    { operation: 'register', pin: '123456', wabaId: '102290129340398' },
    { idempotencyKey: 'first-register' },
  );
  assert.deepEqual(again, keyed);
  const after = await stack.client.getState(id);
  assert.equal(after?.currentOperation, undefined);
  assert.deepEqual(after?.queued, []);

  // Operations run inside the lifecycle (issue 11): the number's runs are its lifecycle's, found by number and WABA.
  const found = new Set<string>();
  for await (const wf of stack.env.client.workflow.list({
    query: `WaPhoneNumberId = "${id}" AND WaWabaId = "102290129340398"`,
  })) {
    found.add(`${wf.type}:${wf.workflowId}`);
  }
  assert.deepEqual([...found], [`phoneNumberLifecycle:${lifecycleWorkflowId(id)}`]);
  const lifecycles = [];
  for await (const wf of stack.env.client.workflow.list({
    query: `WaWabaId = "102290129340398" AND WaLifecycleState = "deregistered" AND ExecutionStatus = "Running"`,
  })) {
    lifecycles.push(wf.workflowId);
  }
  assert.deepEqual(lifecycles, [lifecycleWorkflowId(id)], 'the number is listed by WABA and lifecycle state');
});

test('register with a region on v25: local storage set through /settings, then register without the field', async () => {
  const id = '6660000007';
  await seedVerified(stack.sim, id);
  const outcome = await runToEnd(id, { operation: 'register', pin: '123456', region: 'DE' });
  assert.equal(outcome.status, 'completed');
  const calls = (await stack.sim.requests({ phoneNumberId: id })).filter((r) => r.endpoint !== 'get');
  assert.deepEqual(
    calls.map((r) => r.endpoint),
    ['settings', 'register'],
  );
  assert.equal(calls[1]?.params?.data_localization_region, undefined, 'v21+ rejects the field on register');
  const number = await stack.sim.phoneNumber(id);
  assert.equal(number.data_localization_region, 'DE');
  assert.equal(number.status, 'CONNECTED');
});
