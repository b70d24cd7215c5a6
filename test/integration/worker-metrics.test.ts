// The worker's Prometheus endpoint during a real run: `node worker/main.ts` as its own process (its Runtime
// installs the exporter; the test process already has one), on the dev server and the simulator. One number
// registers, one waits out a 133016 block (shortened to seconds), one is refused its PIN; the counters move as
// the run did, Meta's count of registers equals ours, and no ID, token or PIN is in any metric line. The worker
// also delivers those operations' webhooks (from WA_WEBHOOKS_SUBSCRIPTIONS) to two in-test receivers, one
// that accepts and one that always answers 500: the delivery counters move as the deliveries did. Every
// metric the Grafana dashboard (deploy/grafana) uses is among those scraped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createApiServer } from '../../api/server';
import { verifyWebhook, type WebhookEvent } from '../../client';
import { generateWebhookSecret } from '../../platform/webhook-signature';
import { ROOT_DIR } from '../../platform/config';
import { freePort, startProcess, type RunningProcess } from '../helpers/processes';
import { until } from '../helpers/poll';
import { seedOnCloudApi, seedVerified } from '../helpers/seed';
import { startTestStack, TEST_TOKEN, workerProcessEnv, type TestStack } from '../helpers/stack';

const REGISTERED = '491700000000001';
const BLOCKED = '491700000000002';
const WRONG_PIN = '491700000000003';
const MOVING = '491700000000004';
const PIN = '918273';
const SET_PIN = '564738';
const OTHER_PIN = '302917';
/** The block the worker waits out after a 133016. */
const BLOCK_SECONDS = 12;
/** Webhook secrets of the two subscriptions (in the worker's env, as an operator gives them). */
const HOOK_SECRET_OK = generateWebhookSecret();
const HOOK_SECRET_DOWN = generateWebhookSecret();
/** A delivery nobody accepts is given up after this long (72 h by default). */
const GIVE_UP_SECONDS = 6;

interface HookRequest {
  path: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}
/** Every POST the two receivers got: /ok answers 204, /down always 500. */
const hookRequests: HookRequest[] = [];
let receiver: Server;
let receiverBase: string;

let stack: TestStack;
let worker: RunningProcess;
let metricsUrl: string;

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const status = req.url === '/ok' ? 204 : 500;
      hookRequests.push({ path: req.url ?? '/', status, headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startTestStack();
  // The stack's in-process worker stops; the spawned one takes its task queue.
  stack.worker.shutdown();
  const port = await freePort();
  const env = workerProcessEnv(stack, {
    WA_GRAPH_REQUEST_TIMEOUT_MS: '2000',
    WA_POLICY_TRANSIENT_BACKOFF_SECONDS: '0.2',
    WA_METRICS_HOST: '127.0.0.1',
    WA_METRICS_WORKER_PORT: String(port),
    WA_METRICS_OFFLINE_REFRESH_SECONDS: '1',
    // A 133016 block lasts BLOCK_SECONDS here (72 h at Meta), so the run waits one out for real.
    WA_POLICY_BLOCK_HOURS: String(BLOCK_SECONDS / 3600),
    WA_POLICY_SAFETY_MARGIN_SECONDS: '0',
    // Webhooks of the run's operations: every outcome to /ok (accepts), failures also to /down (never does).
    // Events no one subscribed to (number.offline, waits) start no delivery.
    WA_WEBHOOKS_ALLOWED_URL_PREFIXES: `${receiverBase}/`,
    WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([
      {
        id: 'accepting',
        url: `${receiverBase}/ok`,
        events: ['operation.succeeded', 'operation.failed'],
        secretEnv: 'WA_TEST_HOOK_SECRET_OK',
      },
      {
        id: 'down',
        url: `${receiverBase}/down`,
        events: ['operation.failed'],
        secretEnv: 'WA_TEST_HOOK_SECRET_DOWN',
      },
    ]),
    WA_TEST_HOOK_SECRET_OK: HOOK_SECRET_OK,
    WA_TEST_HOOK_SECRET_DOWN: HOOK_SECRET_DOWN,
    // 0.2 s, 0.4 s, 0.8 s, then every second, for GIVE_UP_SECONDS in all.
    WA_WEBHOOKS_INITIAL_RETRY_SECONDS: '0.2',
    WA_WEBHOOKS_MAX_RETRY_INTERVAL_SECONDS: '1',
    WA_WEBHOOKS_MAX_DELIVERY_HOURS: String(GIVE_UP_SECONDS / 3600),
    WA_WEBHOOKS_SUBSCRIPTION_CACHE_SECONDS: '0',
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
  await new Promise((resolve) => receiver?.close(resolve));
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

/**
 * The run's numbers as Meta shows them (`+1 555-000-0001`) and as its webhooks carry them (`15550000001`).
 */
async function metaPhoneNumbers(): Promise<string[]> {
  const shown = await Promise.all(
    [REGISTERED, BLOCKED, WRONG_PIN].map(async (id) =>
      String((await stack.sim.phoneNumber(id)).display_phone_number),
    ),
  );
  const digits = shown.map((s) => s.replace(/\D/g, ''));
  for (const d of digits) assert.match(d, /^\d{10,15}$/, 'a display number was read');
  return [...shown, ...digits];
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
  const phoneNumbers = await metaPhoneNumbers();
  for (const secret of [TEST_TOKEN, PIN, SET_PIN, OTHER_PIN, ...phoneNumbers]) {
    assert.ok(!logs.includes(secret), `${secret} appears in the worker's log`);
  }
});

test("the webhook counters follow the run's deliveries: delivered to the receiver that accepts, given up on the one that never does", async () => {
  // The first test's operations: two registers succeeded, one failed (GraphPinMismatch). Each goes to /ok;
  // the failure also to /down, which answers 500 until the delivery is given up after GIVE_UP_SECONDS.
  const { text, samples } = await until(
    () => `a delivery given up; /down got ${hookRequests.filter((r) => r.path === '/down').length} POSTs`,
    async () => {
      const scraped = await scrape();
      return total(scraped.samples, 'wa_webhook_deliveries_total', { outcome: 'gave_up' }) >= 1
        ? scraped
        : undefined;
    },
    { timeoutMs: (GIVE_UP_SECONDS + 20) * 1000, intervalMs: 250 },
  );
  const accepted = hookRequests.filter((r) => r.path === '/ok');
  assert.ok(accepted.every((r) => r.status === 204));
  const events = new Map<string, WebhookEvent>();
  for (const r of accepted) {
    const event = verifyWebhook<WebhookEvent>(HOOK_SECRET_OK, r.headers as Record<string, string>, r.body);
    events.set(event.id, event);
  }
  assert.deepEqual(
    [...events.values()].map((e) => `${e.type} ${e.phoneNumberId}`).sort(),
    [
      `operation.failed ${WRONG_PIN}`,
      `operation.succeeded ${REGISTERED}`,
      `operation.succeeded ${BLOCKED}`,
    ].sort(),
    'one event per operation of the first test, accepted',
  );
  const refused = hookRequests.filter((r) => r.path === '/down');
  assert.ok(refused.length >= 3, `the receiver that is down was retried: ${refused.length} POSTs`);
  assert.deepEqual(
    new Set(refused.map((r) => r.headers['webhook-id'])),
    new Set([...events.values()].filter((e) => e.type === 'operation.failed').map((e) => e.id)),
    'only the failure went to /down',
  );

  const deliveries = (outcome: string) => total(samples, 'wa_webhook_deliveries_total', { outcome });
  assert.equal(deliveries('delivered'), events.size, 'one per event accepted by /ok');
  assert.equal(deliveries('gave_up'), 1);
  assert.equal(deliveries('skipped'), 0);
  const attemptFailures = (reason?: string) =>
    total(samples, 'wa_webhook_delivery_attempt_failures_total', reason ? { reason } : {});
  assert.equal(attemptFailures('http_5xx'), refused.length, 'one per 500 /down answered');
  assert.equal(attemptFailures(), refused.length, 'no other reason (4xx, network, timeout)');
  assert.ok(
    samples.some(
      (s) =>
        s.name === 'wa_webhook_delivery_attempt_failures_total' && s.labels.activityType === 'deliverWebhook',
    ),
    'counted by the delivery activity',
  );
  assert.ok(
    samples.some(
      (s) => s.name === 'wa_webhook_deliveries_total' && s.labels.workflowType === 'webhookDelivery',
    ),
    'counted by the delivery workflow',
  );

  // No secret, number or receiver URL in any line, and no webhook secret in the worker's log.
  const phoneNumbers = await metaPhoneNumbers();
  for (const line of text.split('\n')) {
    for (const secret of [
      HOOK_SECRET_OK,
      HOOK_SECRET_DOWN,
      TEST_TOKEN,
      REGISTERED,
      BLOCKED,
      WRONG_PIN,
      ...phoneNumbers,
      receiverBase,
      ...[...events.keys()],
    ]) {
      assert.ok(!line.includes(secret), `a secret, number, URL or event ID in: ${line}`);
    }
  }
  const logs = worker.output();
  for (const secret of [HOOK_SECRET_OK, HOOK_SECRET_DOWN]) {
    assert.ok(!logs.includes(secret), "a webhook secret in the worker's log");
    assert.ok(!logs.includes(secret.replace(/^whsec_/, '')), "a webhook key in the worker's log");
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
