// History hygiene of the lifecycle (issue 13): a run older than a week continues as new after its next
// operation (behind the patch that introduced the rule), carrying everything; a younger run does not.
import { WEBHOOK_EVENTS_PATCH } from '../../workflows/webhook-emitter';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleStartOperation } from '../../client/lifecycle-start';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import { operationRequestSchema, type OperationRequestInput } from '../../domain/operations';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { CONTINUE_AS_NEW_WHEN_OLD } from '../../workflows/lifecycle';
import { getStateQuery, requestOperationUpdate } from '../../workflows/messages';
import { patchIds } from '../helpers/history-markers';
import { operationReport } from '../helpers/operation-report';
import { UNIT_POLICY, useWorkflowUnitEnv } from '../helpers/workflow-unit';

const suite = useWorkflowUnitEnv();

/** A number that registers and deregisters as asked (stand-in activities). */
function standInNumber(): Partial<Activities> & Record<string, unknown> {
  let registered = false;
  return {
    loadPolicy: async () => UNIT_POLICY,
    recoverLedger: async () => undefined,
    // The worker always has it: no subscription here, so nothing is delivered.
    emitWebhookEvent: async () => undefined,
    readPhoneNumber: async (id: string): Promise<PhoneNumberSnapshot> => ({
      phoneNumberId: id,
      registration: registered ? 'registered' : 'not-registered',
      verification: 'verified',
    }),
    registerPhoneNumber: async () => void (registered = true),
    deregisterPhoneNumber: async () => void (registered = false),
  };
}

async function runOperation(id: string, taskQueue: string, request: OperationRequestInput): Promise<void> {
  const { env } = suite.current;
  const ticket = await env.client.workflow.executeUpdateWithStart(requestOperationUpdate, {
    args: [operationRequestSchema().parse(request)],
    // Started as the client library starts it (its search attributes included).
    startWorkflowOperation: lifecycleStartOperation(id, taskQueue),
  });
  const report = await operationReport(env.client, id, ticket.operationId, { timeSkipping: env });
  assert.equal(report.outcome, 'completed', JSON.stringify(report.failure));
}

/** A worker for number `id` on its own task queue, with the stand-in number. */
async function hygieneWorker(id: string) {
  const { env, workflowBundle } = suite.current;
  const taskQueue = `hygiene-${id}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: standInNumber(),
  });
  return { worker, taskQueue };
}

async function lifecycleAfterSleep(id: string, sleepMs: number) {
  const { env } = suite.current;
  const { worker, taskQueue } = await hygieneWorker(id);
  return worker.runUntil(async () => {
    await runOperation(id, taskQueue, { operation: 'register', pin: '123456' });
    const first = await env.client.workflow.getHandle(lifecycleWorkflowId(id)).describe();
    await env.sleep(sleepMs);
    await runOperation(id, taskQueue, { operation: 'deregister' });
    const firstRun = env.client.workflow.getHandle(lifecycleWorkflowId(id), first.runId);
    const latest = env.client.workflow.getHandle(lifecycleWorkflowId(id));
    return {
      firstRunStatus: (await firstRun.describe()).status.name,
      // The webhook patch marks every new run that emits an event; these tests are about the age rule's.
      patches: patchIds((await firstRun.fetchHistory()).events ?? []).filter(
        (p) => p !== WEBHOOK_EVENTS_PATCH,
      ),
      latestRunId: (await latest.describe()).runId,
      firstRunId: first.runId,
      state: await latest.query(getStateQuery),
    };
  });
}

test('a run older than a week continues as new after its next operation, with the patch marker and its state', async () => {
  const r = await lifecycleAfterSleep('951', 8 * 24 * 3_600_000);
  assert.equal(r.firstRunStatus, 'CONTINUED_AS_NEW');
  assert.notEqual(r.latestRunId, r.firstRunId);
  assert.deepEqual(r.patches, [CONTINUE_AS_NEW_WHEN_OLD], 'the patch marker is in the old run');
  // Everything travels: both operations, the registration the last one left, and the counted requests still
  // inside Meta's 72-hour window (the register of 8 days ago is pruned at continue-as-new).
  assert.deepEqual(
    r.state.recentOperations.map((o) => o.operation),
    ['deregister', 'register'],
  );
  assert.deepEqual(
    r.state.ledger.entries.map((e) => e.endpoint),
    ['deregister'],
  );
  assert.equal(r.state.registration, 'not-registered');
});

test('a run younger than a week keeps going after an operation, and records no patch marker', async () => {
  const r = await lifecycleAfterSleep('952', 2 * 24 * 3_600_000);
  assert.equal(r.firstRunStatus, 'RUNNING');
  assert.equal(r.latestRunId, r.firstRunId);
  assert.deepEqual(r.patches, []);
});

test('a register upserts a search attribute only when its value changes', async () => {
  const { env } = suite.current;
  const id = '953';
  const { worker, taskQueue } = await hygieneWorker(id);
  const events = await worker.runUntil(async () => {
    await runOperation(id, taskQueue, { operation: 'register', pin: '123456' });
    return (await env.client.workflow.getHandle(lifecycleWorkflowId(id)).fetchHistory()).events ?? [];
  });
  // The run's attributes as the history sets them: those given at start, then each upsert.
  const held = new Map<string, string>();
  const fields = (f: Record<string, temporal.api.common.v1.IPayload> | null | undefined) =>
    Object.entries(f ?? {}).map(([key, p]) => [key, Buffer.from(p.data ?? []).toString('utf8')] as const);
  for (const [key, value] of fields(
    events[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields,
  )) {
    held.set(key, value);
  }
  const upserts = events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
  for (const e of upserts) {
    for (const [key, value] of fields(
      e.upsertWorkflowSearchAttributesEventAttributes!.searchAttributes?.indexedFields,
    )) {
      const before = held.get(key) ?? 'null';
      assert.notEqual(value, before, `event ${e.eventId} upserts ${key}=${value}, which the run already had`);
      held.set(key, value);
    }
  }
  assert.equal(held.get('WaLifecycleState'), '"registered"');
  assert.equal(held.get('WaOperation') ?? 'null', 'null');
  // The operation starting, the operation ending, and the patch's own TemporalChangeVersion.
  assert.ok(upserts.length <= 3, `${upserts.length} upserts`);
});
