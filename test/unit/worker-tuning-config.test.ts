// The `worker` section of temporal.yaml (task slots, pollers, shutdown grace): its defaults, WA_WORKER_*
// overrides, the refusals that name the key and the rule, and the SDK options it becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../../platform/config';
import { workerTuningOptions } from '../../worker/create-worker';
import { HEARTBEAT_EVERY_MS } from '../../activities';

const load = (env: Record<string, string> = {}) => loadConfig({ file: DEFAULT_CONFIG_FILE, env });

function refusal(env: Record<string, string>): string {
  try {
    load(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

test('the shipped defaults: the SDK defaults for slots and pollers, a 20 s shutdown grace', () => {
  assert.deepEqual(load().worker, {
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 40,
    workflowTaskPollers: 10,
    activityTaskPollers: 10,
    shutdownGraceSeconds: 20,
  });
  assert.equal(load().temporal.maxCachedWorkflows, 0, 'the cache key stays where it was');
});

test('every key has its WA_WORKER_* override, read as a number', () => {
  const worker = load({
    WA_WORKER_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS: '250',
    WA_WORKER_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS: '60',
    WA_WORKER_WORKFLOW_TASK_POLLERS: '20',
    WA_WORKER_ACTIVITY_TASK_POLLERS: '30',
    WA_WORKER_SHUTDOWN_GRACE_SECONDS: '2.5',
  }).worker;
  assert.deepEqual(worker, {
    maxConcurrentActivityTaskExecutions: 250,
    maxConcurrentWorkflowTaskExecutions: 60,
    workflowTaskPollers: 20,
    activityTaskPollers: 30,
    shutdownGraceSeconds: 2.5,
  });
  assert.equal(load({ WA_WORKER_SHUTDOWN_GRACE_SECONDS: '0' }).worker.shutdownGraceSeconds, 0);
});

test('bad values are refused with the key, its env var and the rule', () => {
  const cases: [Record<string, string>, string][] = [
    [
      { WA_WORKER_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS: '0' },
      'temporal.yaml: worker.maxConcurrentActivityTaskExecutions (env WA_WORKER_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS): must be > 0',
    ],
    [
      { WA_WORKER_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS: '1' },
      'temporal.yaml: worker.maxConcurrentWorkflowTaskExecutions (env WA_WORKER_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS): must be >= 2',
    ],
    [
      { WA_WORKER_WORKFLOW_TASK_POLLERS: '1' },
      'temporal.yaml: worker.workflowTaskPollers (env WA_WORKER_WORKFLOW_TASK_POLLERS): must be >= 2',
    ],
    [
      { WA_WORKER_ACTIVITY_TASK_POLLERS: '2.5' },
      'temporal.yaml: worker.activityTaskPollers (env WA_WORKER_ACTIVITY_TASK_POLLERS): must be an integer',
    ],
    [
      { WA_WORKER_SHUTDOWN_GRACE_SECONDS: '-1' },
      'temporal.yaml: worker.shutdownGraceSeconds (env WA_WORKER_SHUTDOWN_GRACE_SECONDS): must be >= 0',
    ],
    [
      { WA_WORKER_SHUTDOWN_GRACE_SECONDS: '20s' },
      'temporal.yaml: worker.shutdownGraceSeconds (env WA_WORKER_SHUTDOWN_GRACE_SECONDS): must be a number',
    ],
    [
      { WA_WORKER_ACTIVITY_TASK_POLLERS: '11', WA_WORKER_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS: '10' },
      'temporal.yaml: worker.activityTaskPollers (env WA_WORKER_ACTIVITY_TASK_POLLERS): ' +
        'must be at most worker.maxConcurrentActivityTaskExecutions (10): a poller needs a free slot',
    ],
    [
      { WA_WORKER_WORKFLOW_TASK_POLLERS: '10', WA_WORKER_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS: '4' },
      'temporal.yaml: worker.workflowTaskPollers (env WA_WORKER_WORKFLOW_TASK_POLLERS): ' +
        'must be at most worker.maxConcurrentWorkflowTaskExecutions (4): a poller needs a free slot',
    ],
  ];
  for (const [env, message] of cases) assert.equal(refusal(env), message, JSON.stringify(env));
  // Slots within the cache are fine; so is any number with the cache at the SDK's default (0).
  assert.equal(
    load({ WA_TEMPORAL_MAX_CACHED_WORKFLOWS: '30', WA_WORKER_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS: '30' })
      .worker.maxConcurrentWorkflowTaskExecutions,
    30,
  );
});

test('a key the worker section does not have is refused, naming it (the cache size lives under temporal)', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-worker-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'temporal.yaml');
  const shipped = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
  writeFileSync(
    file,
    shipped.replace('  shutdownGraceSeconds: 20', '  shutdownGraceSeconds: 20\n  maxCachedWorkflows: 10'),
  );
  assert.throws(() => loadConfig({ file, env: {} }), {
    name: 'ConfigError',
    message: 'temporal.yaml: worker: unknown key(s) maxCachedWorkflows',
  });
});

test('the SDK options: slots, simple-maximum pollers, grace in ms, heartbeats let through every interval', () => {
  const options = workerTuningOptions(
    load({ WA_WORKER_SHUTDOWN_GRACE_SECONDS: '1.5', WA_WORKER_ACTIVITY_TASK_POLLERS: '4' }),
  );
  assert.deepEqual(options, {
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 40,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 10 },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
    shutdownGraceTime: 1500,
    maxHeartbeatThrottleInterval: HEARTBEAT_EVERY_MS,
  });
});

test('a smaller cache lowers the workflow slots and pollers the worker asks for, instead of refusing to start', () => {
  const options = workerTuningOptions(loadConfig({ env: { WA_TEMPORAL_MAX_CACHED_WORKFLOWS: '2' } }));
  assert.equal(options.maxConcurrentWorkflowTaskExecutions, 2);
  assert.deepEqual(options.workflowTaskPollerBehavior, { type: 'simple-maximum', maximum: 2 });
  const uncapped = workerTuningOptions(loadConfig({ env: {} }));
  assert.equal(uncapped.maxConcurrentWorkflowTaskExecutions, 40);
  assert.deepEqual(uncapped.workflowTaskPollerBehavior, { type: 'simple-maximum', maximum: 10 });
});
