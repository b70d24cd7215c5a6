// The lifecycle owns every request Meta counts (issue 11): whatever becomes of an operation or of the
// lifecycle run itself, Meta's count of register/deregister requests for the number (the simulator's
// log) equals the ledger's, and no request earns 133016. Time-skipping server, real activities over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import type { RequestLedger } from '../../domain/ledger';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { seedOnCloudApi, seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  // A PIN wait shorter than the lifecycle's 7-day run age, so the run that failed it has not continued as new
  // (which would prune the ledger to Meta's 72-hour window) when the test compares it with Meta's whole log.
  stack = await startTestStack({ timeSkipping: true, configEnv: { WA_POLICY_MAX_PIN_WAIT_HOURS: '24' } });
});
after(async () => {
  await stack?.stop();
});

/** Meta's count (the simulator's log) against the ledger's, per budgeted endpoint; and no 133016. */
async function assertLedgerMatchesMeta(id: string, ledger: RequestLedger): Promise<void> {
  const requests = (await stack.sim.requests({ phoneNumberId: id })).filter(
    (r) => r.endpoint === 'register' || r.endpoint === 'deregister',
  );
  for (const endpoint of ['register', 'deregister'] as const) {
    assert.equal(
      ledger.entries.filter((e) => e.endpoint === endpoint).length,
      requests.filter((r) => r.endpoint === endpoint).length,
      `${endpoint}: ledger vs Meta`,
    );
  }
  assert.deepEqual(
    requests.filter((r) => r.errorCode === 133016),
    [],
    'no request was refused with 133016',
  );
}

test('a region change whose register is refused (wrong PIN) and never gets a corrected PIN: both requests stay in the ledger', async () => {
  const id = '5553000001';
  await seedOnCloudApi(stack.sim, id, '123456');
  const ticket = await stack.client.requestOperation(id, {
    operation: 'change-region',
    region: 'DE',
    pin: '654321',
  });
  const report = await stack.operationResult(ticket);
  assert.equal(report.failure?.type, 'PinNotProvided', JSON.stringify(report.failure));
  const state = await stack.client.getState(id);
  assert.equal(state?.registration, 'not-registered', 'the lifecycle knows the number is offline');
  await assertLedgerMatchesMeta(id, state!.ledger);
  assert.equal(state!.ledger.entries.length, 2, 'the deregister and the refused register');
});

test('a terminated lifecycle is replaced by one that recovers its ledger and says so', async () => {
  const id = '5553000002';
  await seedVerified(stack.sim, id);
  const registered = await stack.operationResult(
    await stack.client.requestOperation(id, { operation: 'register', pin: '123456' }),
  );
  assert.equal(registered.outcome, 'completed');
  const first = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  const { runId } = await first.describe();
  await first.terminate('operator terminated it from the UI');

  const ticket = await stack.client.requestOperation(id, { operation: 'deregister' });
  const report = await stack.operationResult(ticket);
  assert.equal(report.outcome, 'completed');
  const state = await stack.client.getState(id);
  assert.equal(state?.recovered?.runId, runId, 'recovered from the terminated run');
  assert.equal(state?.recovered?.status, 'TERMINATED');
  assert.equal(state?.recovered?.requests, 1);
  await assertLedgerMatchesMeta(id, state!.ledger);
});

test("a fleet whose member's lifecycle is terminated mid-operation still finishes: reconciled, not left waiting", async () => {
  const id = '5553000003';
  await seedVerified(stack.sim, id);
  const now = await stack.env.currentTimeMs();
  // The budget is spent: the member's register waits hours for a slot, so its end signal is a long way off.
  await startLifecycleWithLedger(stack, id, hourlyRegisters(now, 10, 60), 'not-registered');
  await stack.client.startFleet({
    fleetId: 'reconcile-lost-signal',
    operation: 'register',
    concurrency: 1,
    members: [{ phoneNumberId: id, request: { operation: 'register', pin: '123456' } }],
  });
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  for (let i = 0; (await stack.client.getState(id))?.state !== 'waiting-for-rate-limit'; i++) {
    assert.ok(i < 200, 'the member never started waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.terminate('operator terminated it: the end signal will never come');
  const progress = await stack.client.waitForFleet('reconcile-lost-signal');
  assert.equal(progress.phase, 'finished');
  const [member] = progress.numbers;
  assert.equal(member?.status, 'failed');
  assert.equal(member?.failureType, 'OperationLost');
  assert.deepEqual(await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' }), []);
});
