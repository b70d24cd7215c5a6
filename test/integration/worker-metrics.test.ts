// The worker's Prometheus endpoint during a real run: `node worker/main.ts` as its own process (its Runtime
// installs the exporter; the test process already has one), on the dev server and the simulator. One number
// registers, one waits out a 133016 block (shortened to seconds), one is refused its PIN; the counters move as
// the run did, Meta's count of registers equals ours, and no ID, token or PIN is in any metric line. Every
// metric the Grafana dashboard (deploy/grafana) uses is among those scraped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createApiServer } from '../../api/server';
import { ROOT_DIR } from '../../platform/config';
import { freePort, startProcess, type RunningProcess } from '../helpers/processes';
import { until } from '../helpers/poll';
import { seedOnCloudApi, seedVerified } from '../helpers/seed';
import { startTestStack, TEST_ENCRYPTION_KEYS, TEST_TOKEN, type TestStack } from '../helpers/stack';

const REGISTERED = '491700000000001';
const BLOCKED = '491700000000002';
const WRONG_PIN = '491700000000003';
const MOVING = '491700000000004';
const PIN = '918273';
const SET_PIN = '564738';
const OTHER_PIN = '302917';
/** The block the worker waits out after a 133016. */
const BLOCK_SECONDS = 12;

let stack: TestStack;
let worker: RunningProcess;
let metricsUrl: string;

before(async () => {
  stack = await startTestStack();
  // The stack's in-process worker stops; the spawned one takes its task queue.
  stack.worker.shutdown();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('WA_') && !k.startsWith('TEMPORAL_')) env[k] = v;
  }
  const port = await freePort();
  Object.assign(env, {
    TEMPORAL_CONFIG_FILE: path.join(ROOT_DIR, '.no-temporal-profile', 'temporal.toml'),
    WA_TEMPORAL_ADDRESS: stack.config.temporal.address,
    WA_TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
    WA_GRAPH_BASE_URL: stack.sim.url,
    WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
    WA_GRAPH_REQUEST_TIMEOUT_MS: '2000',
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    WA_POLICY_TRANSIENT_BACKOFF_SECONDS: '0.2',
    WA_WORKER_SHUTDOWN_GRACE_SECONDS: '0',
    WA_METRICS_HOST: '127.0.0.1',
    WA_METRICS_WORKER_PORT: String(port),
    WA_METRICS_OFFLINE_REFRESH_SECONDS: '1',
    // A 133016 block lasts BLOCK_SECONDS here (72 h at Meta), so the run waits one out for real.
    WA_POLICY_BLOCK_HOURS: String(BLOCK_SECONDS / 3600),
    WA_POLICY_SAFETY_MARGIN_SECONDS: '0',
  });
  worker = startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'worker', 'main.ts')], {
    cwd: ROOT_DIR,
    env,
  });
  metricsUrl = (await worker.waitFor(/worker: Prometheus metrics at (\S+)/, 120_000))[1]!;
  await worker.waitFor(/worker: polling /, 120_000);
});

after(async () => {
  await worker?.stop();
  await stack?.stop();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const text = await (await fetch(metricsUrl)).text();
  const samples = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(match, `malformed line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
  return { text, samples };
}

/** The sum of a metric's samples whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function runToEnd(id: string, request: Parameters<TestStack['client']['requestOperation']>[1]) {
  const ticket = await stack.client.requestOperation(id, request);
  return stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
}

test('the counters follow a run: a register, a 133016 block waited out, a wrong PIN', async () => {
  await seedVerified(stack.sim, REGISTERED);
  await seedVerified(stack.sim, BLOCKED);
  await seedVerified(stack.sim, WRONG_PIN, { pin: SET_PIN });

  assert.equal((await runToEnd(REGISTERED, { operation: 'register', pin: PIN })).status, 'completed');

  // Meta answers the first register 133016: the lifecycle records the block, waits it out on a timer (72 h
  // at Meta, BLOCK_SECONDS here) and registers then.
  await stack.sim.faults([
    { endpoint: 'register', phoneNumberId: BLOCKED, kind: 'graph-error', code: 133016, count: 1 },
  ]);
  const blocked = await stack.client.requestOperation(BLOCKED, { operation: 'register', pin: PIN });
  await until('the blocked number to wait', async () =>
    (await stack.client.getState(BLOCKED))?.state === 'waiting-for-rate-limit' ? true : undefined,
  );
  const waitedOut = await stack.client.waitForOperation(BLOCKED, blocked.operationId, {
    pollIntervalMs: 100,
  });
  assert.equal(waitedOut.status, 'completed', JSON.stringify(waitedOut.failure));
  const blockedRegisters = await stack.sim.requests({ endpoint: 'register', phoneNumberId: BLOCKED });
  assert.equal(blockedRegisters.length, 2, 'the refused register and the one after the block');
  const waited = Date.parse(blockedRegisters[1]!.at) - Date.parse(blockedRegisters[0]!.at);
  assert.ok(waited >= BLOCK_SECONDS * 1000, `the second register came ${waited} ms after the 133016`);

  const refused = await runToEnd(WRONG_PIN, { operation: 'register', pin: OTHER_PIN });
  assert.equal(refused.failure?.type, 'GraphPinMismatch');

  const metaRegisters = (await stack.sim.requests({ endpoint: 'register' })).length;
  assert.equal(metaRegisters, 4, 'one register per number reached Meta, and one more after the block');

  // Workflow metrics travel through the SDK's sinks after each workflow task: ask until they are all in.
  const { text, samples } = await until(
    'the metrics of the run',
    async () => {
      const scraped = await scrape();
      const finished = total(scraped.samples, 'wa_operations_finished_total', { operation: 'register' });
      return finished === 3 ? scraped : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  );

  assert.equal(total(samples, 'wa_operations_started_total', { operation: 'register' }), 3);
  const finished = (labels: Record<string, string>) =>
    total(samples, 'wa_operations_finished_total', { operation: 'register', ...labels });
  assert.equal(finished({ outcome: 'completed', failure_type: 'none' }), 2);
  assert.equal(finished({ outcome: 'failed', failure_type: 'Cancelled' }), 0);
  assert.equal(finished({ outcome: 'failed', failure_type: 'GraphPinMismatch' }), 1);

  // The budget spent, as the ledger counts it, is what Meta counted.
  assert.equal(total(samples, 'wa_budget_requests_sent_total', { endpoint: 'register' }), metaRegisters);
  assert.equal(total(samples, 'wa_waits_entered_total', { reason: 'block' }), 1);
  assert.equal(total(samples, 'wa_waits_entered_total', { reason: 'rate_limit_slot' }), 0);

  const graph = (labels: Record<string, string>) => total(samples, 'wa_graph_requests_total', labels);
  assert.equal(graph({ endpoint: 'register', error_code: 'none' }), 2);
  assert.equal(graph({ endpoint: 'register', error_code: '133016' }), 1);
  assert.equal(graph({ endpoint: 'register', error_code: '133005' }), 1);
  assert.ok(graph({ endpoint: 'phone_number', error_code: 'none' }) >= 3, 'the reads before each register');
  assert.ok(
    samples.some(
      (s) => s.name === 'wa_graph_requests_total' && s.labels.activityType === 'registerPhoneNumber',
    ),
    // The SDK names the labels it adds to custom metrics in camelCase (activityType, taskQueue).
    `the activity's own labels come with it:\n${text
      .split('\n')
      .filter((l) => l.startsWith('wa_'))
      .join('\n')}`,
  );

  // The SDK's own metrics share the endpoint, by Prometheus conventions.
  assert.ok(
    samples.some((s) => s.name === 'temporal_activity_task_received_total'),
    'SDK counters end in _total',
  );
  assert.ok(
    samples.some((s) => s.name.startsWith('temporal_activity_execution_latency_seconds')),
    'SDK durations in seconds',
  );
  const offline = await until('the offline gauge', async () => {
    const s = (await scrape()).samples.find((x) => x.name === 'wa_numbers_offline');
    return s;
  });
  assert.equal(offline.value, 0);

  // No number, token or PIN anywhere: not in a name, not in a label.
  for (const secret of [REGISTERED, BLOCKED, WRONG_PIN, MOVING, TEST_TOKEN]) {
    assert.ok(!text.includes(secret), `${secret} appears in the metrics`);
  }
  for (const s of samples) {
    const labelText = `${s.name} ${JSON.stringify(s.labels)}`;
    for (const pin of [PIN, SET_PIN, OTHER_PIN]) assert.ok(!labelText.includes(pin), `a PIN in ${labelText}`);
  }
  // Nor in the worker's log lines: no token, no PIN, no phone number as Meta shows it.
  const logs = worker.output();
  assert.match(logs, /polling task queue/, 'the log was captured');
  const phoneNumbers = await Promise.all(
    [REGISTERED, BLOCKED, WRONG_PIN].map(async (id) =>
      String((await stack.sim.phoneNumber(id)).display_phone_number),
    ),
  );
  for (const shown of phoneNumbers) assert.match(shown, /\d{6}/);
  for (const secret of [TEST_TOKEN, PIN, SET_PIN, OTHER_PIN, ...phoneNumbers]) {
    assert.ok(!logs.includes(secret), `${secret} appears in the worker's log`);
  }
});

test('wa_numbers_offline counts a number a region change left deregistered while Meta blocks its register', async () => {
  await seedOnCloudApi(stack.sim, MOVING, PIN);
  await stack.sim.faults([
    { endpoint: 'register', phoneNumberId: MOVING, kind: 'graph-error', code: 133016, count: 1 },
  ]);
  await stack.client.requestOperation(MOVING, { operation: 'change-region', region: 'DE', pin: PIN });
  await until('the number to be offline', async () =>
    (await stack.client.getState(MOVING))?.state === 'offline' ? true : undefined,
  );
  const offline = await until(
    'wa_numbers_offline at 1',
    async () => {
      const { samples } = await scrape();
      return total(samples, 'wa_numbers_offline') === 1 ? samples : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  assert.equal(
    total(offline, 'wa_waits_entered_total', { reason: 'block' }),
    2,
    "this block and the first test's",
  );
  const text = (await scrape()).text;
  assert.ok(!text.includes(MOVING), 'no phone-number ID in the metrics');
});

/** The metric names a dashboard's PromQL uses (ours and the SDK's; functions and labels are not names). */
function dashboardMetrics(): Set<string> {
  const dashboard = JSON.parse(
    readFileSync(path.join(ROOT_DIR, 'deploy', 'grafana', 'whatsapp-number-lifecycle.json'), 'utf8'),
  ) as { panels: { targets: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  return new Set(exprs.flatMap((e) => e.match(/\b(?:wa|temporal)_[a-z0-9_]+/g) ?? []));
}

test('every metric the Grafana dashboard uses is in a real scrape: the worker after this run, the API after a request', async () => {
  const used = dashboardMetrics();
  assert.ok(used.size >= 8, [...used].join(', '));
  const workerNames = new Set((await scrape()).samples.map((s) => s.name));
  const key = 'dashboard-test-api-key-0123456789';
  const api = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [key],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
  });
  try {
    await fetch(`${api.url}/healthz`);
    const text = await (
      await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })
    ).text();
    const apiNames = new Set(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => /^[\w:]+/.exec(l)![0]),
    );
    const missing = [...used].filter((name) => !workerNames.has(name) && !apiNames.has(name));
    assert.deepEqual(missing, [], 'metrics the dashboard uses that nothing exports');
  } finally {
    await api.close();
  }
});
