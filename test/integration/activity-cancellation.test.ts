// Activities abort their HTTP calls when they are cancelled: a read blocked on a slow Graph answer stops
// when its operation is cancelled, and a register in flight when the worker shuts down is aborted once the
// shutdown grace (worker.shutdownGraceSeconds) has passed. The simulator holds the answers back with a
// latency fault and records when the client closed the connection. Dev server; the last test stops the
// file's worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { until } from '../helpers/poll';
import { seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

/** How long Meta (the simulator) takes to answer the blocked call: far longer than any abort should take. */
const SLOW_MS = 40_000;
const GRACE_SECONDS = 1;
const { EventType } = temporal.api.enums.v1;

let stack: TestStack;

before(async () => {
  stack = await startTestStack({
    configEnv: {
      WA_WORKER_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
      // No client timeout gets in first: only a cancellation can end these calls early.
      WA_GRAPH_REQUEST_TIMEOUT_MS: '120000',
    },
  });
});
after(async () => {
  await stack?.stop();
});

/** Waits until the lifecycle's activity of that type runs on a worker (and, if asked, has heartbeated). */
async function activityStarted(id: string, activityType: string, heartbeated = false): Promise<void> {
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  await until(
    `${activityType} to start${heartbeated ? ' and heartbeat' : ''}`,
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const started = pending.some(
        (a) =>
          a.activityType?.name === activityType &&
          a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
          (!heartbeated || a.lastHeartbeatTime),
      );
      return started ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** The event that closed the lifecycle's (only) activity of that type, once the server has it. */
async function activityEnd(id: string, activityType: string, timeoutMs: number) {
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  return until(
    `${activityType} to end`,
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
      );
      const scheduledId = Number(scheduled?.eventId);
      return events.find(
        (e) =>
          Number(
            e.activityTaskCanceledEventAttributes?.scheduledEventId ??
              e.activityTaskFailedEventAttributes?.scheduledEventId ??
              e.activityTaskCompletedEventAttributes?.scheduledEventId ??
              e.activityTaskTimedOutEventAttributes?.scheduledEventId,
          ) === scheduledId,
      );
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** The simulator's log entry of the held call: written when the latency has run out. */
async function heldCall(id: string, endpoint: string) {
  return until(
    `the simulator to log the held ${endpoint}`,
    async () => (await stack.sim.requests({ phoneNumberId: id, endpoint }))[0],
    { timeoutMs: SLOW_MS + 15_000, intervalMs: 250 },
  );
}

test('cancel an operation blocked on a slow Graph read: the read is aborted within a heartbeat, not after Meta answers', async () => {
  const id = '7600000001';
  await seedVerified(stack.sim, id, { pin: '123456' });
  await stack.sim.faults([{ endpoint: 'get', phoneNumberId: id, kind: 'latency', latencyMs: SLOW_MS }]);
  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  // After the first heartbeat (10 s in): by default the SDK would hold the next one back for 0.8 × the
  // 30 s heartbeat timeout, past Meta's answer, unless the worker lets every heartbeat through.
  await activityStarted(id, 'readPhoneNumber', true);

  const cancelledAt = Date.now();
  await stack.client.cancelOperation(id, { requestedBy: 'ops' });
  const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(outcome.failure?.type, 'Cancelled');

  const end = await activityEnd(id, 'readPhoneNumber', SLOW_MS);
  const abortedAfterMs = Date.now() - cancelledAt;
  assert.equal(
    end.eventType,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
    'the activity confirmed the cancellation (not a network error, not a timeout)',
  );
  // A cancel reaches the activity with its next heartbeat (every 10 s, none held back by the SDK).
  assert.ok(
    abortedAfterMs < 12_000,
    `activity ended ${abortedAfterMs} ms after the cancel (Meta: ${SLOW_MS} ms)`,
  );

  const call = await heldCall(id, 'get');
  assert.ok(
    call.clientClosedAfterMs !== undefined && call.clientClosedAfterMs < 25_000,
    `the simulator saw the connection closed after ${call.clientClosedAfterMs} ms of ${SLOW_MS}`,
  );
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);
  console.log(
    `cancel → activity cancelled: ${abortedAfterMs} ms; connection closed ${call.clientClosedAfterMs} ms after the read arrived`,
  );
  await stack.sim.faults([]);
});

test('a worker shut down with a short grace aborts its in-flight register: the attempt fails as WorkerShutdown', async () => {
  const id = '7600000002';
  await seedVerified(stack.sim, id, { pin: '123456' });
  await stack.sim.faults([{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: SLOW_MS }]);
  await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  await activityStarted(id, 'registerPhoneNumber');

  const shutdownAt = Date.now();
  stack.worker.shutdown();
  await until('the worker to stop', async () => (stack.worker.getState() === 'STOPPED' ? true : undefined), {
    timeoutMs: SLOW_MS,
    intervalMs: 50,
  });
  const stoppedAfterMs = Date.now() - shutdownAt;
  assert.ok(stoppedAfterMs >= GRACE_SECONDS * 1000, `the grace was given (${stoppedAfterMs} ms)`);
  assert.ok(
    stoppedAfterMs < 10_000,
    `stopped ${stoppedAfterMs} ms after the shutdown began (Meta: ${SLOW_MS} ms)`,
  );

  // The register may have reached Meta: the workflow (on the next worker) reads the number before sending again.
  const end = await activityEnd(id, 'registerPhoneNumber', 10_000);
  assert.equal(end.eventType, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED);
  assert.equal(
    end.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type,
    'WorkerShutdown',
  );

  const call = await heldCall(id, 'register');
  const closed = call.clientClosedAfterMs;
  assert.ok(
    closed !== undefined && closed >= GRACE_SECONDS * 1000 - 100 && closed < 10_000,
    `the simulator saw the connection closed after ${closed} ms of ${SLOW_MS}`,
  );
  console.log(
    `shutdown (grace ${GRACE_SECONDS} s) → worker stopped: ${stoppedAfterMs} ms; register connection closed after ${closed} ms`,
  );
});
