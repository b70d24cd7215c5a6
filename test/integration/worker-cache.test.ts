// temporal.maxCachedWorkflows bounds the worker's workflow cache (the memory that numbers waiting out a
// 72-hour block hold, docs/benchmarks.md). With a cache of 2 nearly every workflow task of a fleet, its
// lifecycles and their operation runs replays from history: everything must still complete, once, with
// nothing non-deterministic. Dev server, real activities, the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { getStateQuery } from '../../workflows/messages';
import { seedManyVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack({
    configEnv: { WA_TEMPORAL_MAX_CACHED_WORKFLOWS: '2', WA_GRAPH_MAX_REQUESTS_PER_SECOND: '200' },
  });
});
after(async () => {
  await stack?.stop();
});

test('a worker with a 2-workflow cache runs a 16-number register fleet to the end, one register each', async () => {
  assert.equal(stack.worker.options.maxCachedWorkflows, 2);
  const numbers = Array.from({ length: 16 }, (_, i) => `59100000${String(i).padStart(2, '0')}`);
  await seedManyVerified(stack.sim, numbers, { pin: '123456' });
  await stack.client.startFleet({
    fleetId: 'small-cache',
    operation: 'register',
    concurrency: 8,
    requestedBy: 'worker-cache-test',
    members: numbers.map((phoneNumberId) => ({
      phoneNumberId,
      request: { operation: 'register', pin: '123456' },
    })),
  });
  const progress = await stack.client.waitForFleet('small-cache');
  assert.equal(progress.phase, 'finished');
  assert.equal(progress.counts.completed, 16, JSON.stringify(progress.counts));

  const registers = await stack.sim.requests({ endpoint: 'register' });
  assert.equal(registers.length, 16, 'one register request per number');
  for (const id of numbers) {
    const state = await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).query(getStateQuery);
    assert.equal(state.registration, 'registered', id);
    assert.equal(state.ledger.entries.filter((e) => e.endpoint === 'register').length, 1, id);
  }
});
