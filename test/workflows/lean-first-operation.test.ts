// A number's first register without the reads it does not need (issue 18): the fresh run's recovery hands
// its policy to the first operation, and an event type no subscription wanted when the policy was read is
// not emitted. Histories recorded before either (a recovery without a policy, a policy without the wanted
// types) take the old path, and every history written here replays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import { lifecycleStartOperation } from '../../client/lifecycle-start';
import { operationRequestSchema, type OperationPolicy } from '../../domain/operations';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import type { WebhookEvent } from '../../domain/webhook-events';
import { requestOperationUpdate, type LedgerRecovery } from '../../workflows/messages';
import { localActivityTypes } from '../helpers/history-markers';
import { operationReport } from '../helpers/operation-report';
import { UNIT_POLICY, useWorkflowUnitEnv } from '../helpers/workflow-unit';

const suite = useWorkflowUnitEnv();

interface Seen {
  policyReads: number;
  emitted: string[];
  history: temporal.api.history.v1.IHistory;
}

/**
 * Registers then deregisters number `id` on a fresh lifecycle whose recovery returns `recovered` (either
 * recorded shape) and whose own policy reads return `policy`. Returns what the activities saw and the history.
 */
async function registerThenDeregister(
  id: string,
  recovered: LedgerRecovery | undefined,
  policy: OperationPolicy,
): Promise<Seen> {
  const { env, workflowBundle } = suite.current;
  const taskQueue = `lean-${id}`;
  let registered = false;
  const seen = { policyReads: 0, emitted: [] as string[] };
  const activities: Partial<Activities> & Record<string, unknown> = {
    loadPolicy: async () => (seen.policyReads++, policy),
    recoverLedger: async () => recovered,
    emitWebhookEvent: async (event: WebhookEvent) => (
      seen.emitted.push(event.type),
      'no-subscriber' as const
    ),
    readPhoneNumber: async (phoneNumberId: string): Promise<PhoneNumberSnapshot> => ({
      phoneNumberId,
      registration: registered ? 'registered' : 'not-registered',
      verification: 'verified',
    }),
    registerPhoneNumber: async () => void (registered = true),
    deregisterPhoneNumber: async () => void (registered = false),
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities,
  });
  return worker.runUntil(async () => {
    for (const request of [{ operation: 'register', pin: '123456' }, { operation: 'deregister' }]) {
      const ticket = await env.client.workflow.executeUpdateWithStart(requestOperationUpdate, {
        args: [operationRequestSchema().parse(request)],
        startWorkflowOperation: lifecycleStartOperation(id, taskQueue),
      });
      const report = await operationReport(env.client, id, ticket.operationId, { timeSkipping: env });
      assert.equal(report.outcome, 'completed', JSON.stringify(report.failure));
    }
    const history = await env.client.workflow.getHandle(lifecycleWorkflowId(id)).fetchHistory();
    return { ...seen, history };
  });
}

async function replays(history: temporal.api.history.v1.IHistory, workflowId: string): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: suite.current.workflowBundle }, history, workflowId);
}

const noSubscriber = { types: [], forMs: 60_000 };

test('the first operation uses the policy its recovery read; the next one reads its own', async () => {
  const seen = await registerThenDeregister('961', { policy: UNIT_POLICY }, UNIT_POLICY);
  assert.equal(seen.policyReads, 1, 'only the deregister read the policy');
  // Nothing said what was wanted: every event is emitted (and the worker checks each).
  assert.deepEqual(seen.emitted, ['operation.succeeded', 'operation.succeeded']);
  assert.deepEqual(localActivityTypes(seen.history.events ?? []), [
    'recoverLedger', // the register's policy came with it
    'emitWebhookEvent',
    'loadPolicy',
    'emitWebhookEvent',
  ]);
  await replays(seen.history, lifecycleWorkflowId('961'));
});

test('a recovery recorded without a policy (before 2026-12-07): every operation reads its own', async () => {
  const seen = await registerThenDeregister('962', undefined, UNIT_POLICY);
  assert.equal(seen.policyReads, 2);
  assert.deepEqual(localActivityTypes(seen.history.events ?? []), [
    'recoverLedger',
    'loadPolicy',
    'emitWebhookEvent',
    'loadPolicy',
    'emitWebhookEvent',
  ]);
  await replays(seen.history, lifecycleWorkflowId('962'));
});

test('an event type no subscription wanted when the policy was read is not emitted at all', async () => {
  const policy = { ...UNIT_POLICY, eventsWanted: noSubscriber };
  const seen = await registerThenDeregister('963', { policy }, policy);
  assert.deepEqual(seen.emitted, [], 'no local activity asked about any event');
  // The register's only read is its lifecycle's recovery; the deregister reads its own policy.
  assert.deepEqual(localActivityTypes(seen.history.events ?? []), ['recoverLedger', 'loadPolicy']);
  await replays(seen.history, lifecycleWorkflowId('963'));
});

test('a wanted event type is emitted, and one that was not wanted is not', async () => {
  const policy = { ...UNIT_POLICY, eventsWanted: { types: ['operation.succeeded' as const], forMs: 60_000 } };
  const seen = await registerThenDeregister('964', { policy }, policy);
  assert.deepEqual(seen.emitted, ['operation.succeeded', 'operation.succeeded']);
  const failedOnly = {
    ...UNIT_POLICY,
    eventsWanted: { types: ['operation.failed' as const], forMs: 60_000 },
  };
  const other = await registerThenDeregister('965', { policy: failedOnly }, failedOnly);
  assert.deepEqual(other.emitted, []);
  await replays(seen.history, lifecycleWorkflowId('964'));
});
