// Holes in the budget promise that the lifecycle must not have (issue 11), as workflow unit tests with
// stand-in activities on the time-skipping server: stamps Meta can't beat, a cancel that lands with the
// timer that ends a wait, and a lifecycle that survives its own failures and cancellation requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { phoneNumberLifecycle } from '../../workflows';
import { getStateQuery, requestOperationUpdate } from '../../workflows/messages';
import { hourlyRegisters } from '../helpers/lifecycle';
import { operationReport } from '../helpers/operation-report';
import { runOnLifecycle, UNIT_POLICY, useWorkflowUnitEnv } from '../helpers/workflow-unit';

const suite = useWorkflowUnitEnv();

const notRegistered = (id: string): PhoneNumberSnapshot => ({
  phoneNumberId: id,
  registration: 'not-registered',
  verification: 'verified',
});

test('a register Meta receives late (behind a queue) is stamped when its answer is observed, never before Meta saw it', async () => {
  let metaReceivedAt = 0;
  const report = await runOnLifecycle(suite.current, {
    taskQueue: 'holes-stamp',
    phoneNumberId: '901',
    request: { operation: 'register', pin: '123456' },
    policy: UNIT_POLICY,
    activities: {
      readPhoneNumber: async (id) => notRegistered(id),
      async registerPhoneNumber() {
        // Scheduled, then held back (a task-queue cap, no worker polling) before it reaches Meta.
        await suite.current.env.sleep(20_000); // within the 30 s heartbeat timeout
        metaReceivedAt = await suite.current.env.currentTimeMs();
      },
    },
  });
  assert.equal(report.outcome, 'completed');
  const [entry] = report.ledger.entries;
  assert.ok(entry && !entry.inFlight, 'one settled register entry');
  assert.ok(
    entry.at >= metaReceivedAt,
    `stamped ${new Date(entry.at).toISOString()}, before Meta received it at ${new Date(metaReceivedAt).toISOString()}`,
  );
});

test('a cancel that lands in the same workflow task as the timer ending a wait: nothing is sent, the lifecycle lives on', async () => {
  const id = '902';
  const taskQueue = 'holes-cancel-timer';
  const registers: number[] = [];
  const activities: Partial<Activities> & Record<string, unknown> = {
    loadPolicy: async () => UNIT_POLICY,
    recoverLedger: async () => undefined,
    // The worker always has it: no subscription here, so nothing is delivered.
    emitWebhookEvent: async () => undefined,
    readPhoneNumber: async (n: string) => notRegistered(n),
    registerPhoneNumber: async () => void registers.push(Date.now()),
  };
  const now = await suite.current.env.currentTimeMs();
  const handle = await suite.current.env.client.workflow.start(phoneNumberLifecycle, {
    taskQueue,
    workflowId: lifecycleWorkflowId(id),
    args: [
      {
        phoneNumberId: id,
        carried: {
          // The budget is spent: the next register is allowed in about an hour.
          ledger: { entries: hourlyRegisters(now, 10, 71), blockedUntil: {} },
          registration: 'not-registered',
          sequence: 0,
          queue: [],
          recent: [],
          lastFailed: false,
        },
      },
    ],
  });
  // No workflow cache: the next task goes to the task queue, not to this worker's sticky queue (the
  // test server never moves a task off a dead worker's sticky queue).
  const first = await Worker.create({
    connection: suite.current.env.nativeConnection,
    taskQueue,
    workflowBundle: suite.current.workflowBundle,
    activities,
    maxCachedWorkflows: 0,
  });
  const ticket = await first.runUntil(async () => {
    const t = await handle.executeUpdate(requestOperationUpdate, {
      args: [{ operation: 'register', pin: '123456' }],
    });
    for (;;) {
      const s = await handle.query(getStateQuery);
      if (s.state === 'waiting-for-rate-limit')
        return { ...t, until: Date.parse(s.currentOperation!.nextAttemptAt!) };
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  // No worker now: the wait's timer fires and a cancellation request arrives; one workflow task holds both.
  // (The test server skips to the timer, then waits in real time while its workflow task is pending.)
  await suite.current.env.sleep(ticket.until - (await suite.current.env.currentTimeMs()) + 1000);
  await handle.cancel();
  const second = await Worker.create({
    connection: suite.current.env.nativeConnection,
    taskQueue,
    workflowBundle: suite.current.workflowBundle,
    activities,
  });
  const report = await second.runUntil(
    operationReport(suite.current.env.client, id, ticket.operationId, { timeSkipping: suite.current.env }),
  );
  assert.equal(report.failure?.type, 'Cancelled', JSON.stringify(report.failure));
  assert.deepEqual(registers, [], 'no register was sent after the cancel');
  assert.equal(report.snapshot.ledger.entries.length, 10, 'the ledger holds what it held');
  assert.equal(
    (await handle.describe()).status.name,
    'RUNNING',
    'a cancellation request does not close the lifecycle',
  );
});

test('the policy cannot be read: the operation fails, the lifecycle keeps running and takes the next one', async () => {
  let policyReads = 0;
  const id = '903';
  const taskQueue = 'holes-policy';
  const failing = await runOnLifecycle(suite.current, {
    taskQueue,
    phoneNumberId: id,
    request: { operation: 'register', pin: '123456' },
    policy: UNIT_POLICY,
    activities: {
      loadPolicy: async () => {
        if (++policyReads === 1)
          throw ApplicationFailure.nonRetryable('temporal.yaml unreadable', 'ConfigError');
        return UNIT_POLICY;
      },
      readPhoneNumber: async (n) => notRegistered(n),
      registerPhoneNumber: async () => undefined,
    } as Partial<Activities>,
  });
  assert.equal(failing.failure?.type, 'ConfigError');
  const { runId } = await suite.current.env.client.workflow.getHandle(lifecycleWorkflowId(id)).describe();
  const next = await runOnLifecycle(suite.current, {
    taskQueue,
    phoneNumberId: id,
    request: { operation: 'register', pin: '123456' },
    policy: UNIT_POLICY,
    activities: {
      readPhoneNumber: async (n) => notRegistered(n),
      registerPhoneNumber: async () => undefined,
    },
  });
  assert.equal(next.outcome, 'completed');
  const after = await suite.current.env.client.workflow.getHandle(lifecycleWorkflowId(id)).describe();
  assert.equal(after.runId, runId, 'the same lifecycle run took the next operation');
});

test('waiting out the safety margin after a 133016 block says the number was blocked, not that the window is full', async () => {
  const id = '905';
  const taskQueue = 'holes-block-margin';
  const now = await suite.current.env.currentTimeMs();
  const handle = await suite.current.env.client.workflow.start(phoneNumberLifecycle, {
    taskQueue,
    workflowId: lifecycleWorkflowId(id),
    args: [
      {
        phoneNumberId: id,
        carried: {
          // Meta's block ended 10 s ago; the safety margin (60 s) is not over. The ledger holds no request.
          ledger: { entries: [], blockedUntil: { register: now - 10_000 } },
          registration: 'not-registered',
          sequence: 0,
          queue: [],
          recent: [],
          lastFailed: false,
        },
      },
    ],
  });
  const worker = await Worker.create({
    connection: suite.current.env.nativeConnection,
    taskQueue,
    workflowBundle: suite.current.workflowBundle,
    activities: {
      loadPolicy: async () => UNIT_POLICY,
      recoverLedger: async () => undefined,
      // The worker always has it: no subscription here, so nothing is delivered.
      emitWebhookEvent: async () => undefined,
      readPhoneNumber: async (n: string) => notRegistered(n),
      registerPhoneNumber: async () => undefined,
    },
  });
  const waitingFor = await worker.runUntil(async () => {
    await handle.executeUpdate(requestOperationUpdate, { args: [{ operation: 'register', pin: '123456' }] });
    for (;;) {
      const s = await handle.query(getStateQuery);
      if (s.state === 'waiting-for-rate-limit') return s.currentOperation!.waitingFor!;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  assert.match(waitingFor, /Meta blocked register for this number \(133016\)/);
  assert.doesNotMatch(waitingFor, /already sent/);
  await handle.terminate('test over');
});
