// Graph activities heartbeat while their call runs (activities/index.ts), so the workflows can use a 30 s
// heartbeat timeout to notice a dead worker quickly (the kill-worker drill, docs/drills.md). The other
// side of that bargain: a slow but live call must not be timed out. Here Meta takes 40 s to answer a
// register, well past the heartbeat timeout: it must complete after exactly one request. Dev server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack({ configEnv: { WA_GRAPH_REQUEST_TIMEOUT_MS: '60000' } });
});
after(async () => {
  await stack?.stop();
});

test(
  'a register Meta answers after 40 s completes after one request: heartbeats keep it alive',
  { timeout: 120_000 },
  async () => {
    const id = '5920000001';
    await seedVerified(stack.sim, id, { pin: '123456' });
    await stack.sim.faults([{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 40_000 }]);
    const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
    const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 500 });
    assert.equal(outcome.status, 'completed');
    const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
    assert.equal(registers.length, 1, 'no second register: the first was never given up on');

    const history = await stack.env.client.workflow.getHandle(ticket.workflowId).fetchHistory();
    const { EventType } = temporal.api.enums.v1;
    const timedOut = history.events?.filter(
      (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    );
    assert.equal(timedOut?.length, 0, 'no activity timed out');
    const scheduled = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'registerPhoneNumber',
    );
    const heartbeat = scheduled?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds;
    assert.equal(Number(heartbeat), 30, 'the register runs under a 30 s heartbeat timeout');
    await stack.sim.faults([]);
  },
);
