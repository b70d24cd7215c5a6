// Outbound webhooks end to end on the real dev server: a receiver over real HTTP (node:http, here) that
// refuses its first three deliveries; a subscription from config (secret in an env var) and two created
// through the client library (stored in the webhook-subscriptions workflow). A register, a region change
// (offline, then back online) and a register with a wrong PIN must each reach the receiver exactly once
// per event ID after deduplication, signed, with no secret in any body; a delivery that never succeeds is
// given up after webhooks.maxDeliveryHours and its workflow fails saying so.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import {
  WebhookSubscriptionsClient,
  verifyWebhook,
  type WebhookEvent,
  type WebhookEventType,
} from '../../client';
import { webhookDeliveryWorkflowId } from '../../domain/webhook-events';
import { generateWebhookSecret } from '../../platform/webhook-signature';
import { until } from '../helpers/poll';
import { seedVerified } from '../helpers/seed';
import { startTestStack, TEST_ENCRYPTION_KEYS, TEST_TOKEN, type TestStack } from '../helpers/stack';

interface Received {
  path: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

const CONFIG_SECRET = generateWebhookSecret();
const CONFIG_EVENTS: WebhookEventType[] = [
  'fleet.finished',
  'operation.succeeded',
  'operation.failed',
  'number.offline',
  'number.online',
];
const PIN = '123456';
const OTHER_PIN = '654321';

let stack: TestStack;
let receiver: Server;
let base: string;
const received: Received[] = [];
let refusalsLeft = 3;
const secrets = new Map<string, string>(); // receiver path → secret

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      // The first three deliveries fail (the receiver is "down"); /dead never accepts anything.
      const status = path === '/dead' || refusalsLeft-- > 0 ? 500 : 204;
      received.push({ path, status, headers: req.headers, body, at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  process.env.WA_TEST_WEBHOOK_SECRET = CONFIG_SECRET;
  secrets.set('/config', CONFIG_SECRET);
  stack = await startTestStack({
    configEnv: {
      WA_WEBHOOKS_ALLOWED_URL_PREFIXES: `${base}/`,
      WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([
        {
          id: 'from-config',
          url: `${base}/config`,
          events: CONFIG_EVENTS,
          secretEnv: 'WA_TEST_WEBHOOK_SECRET',
        },
      ]),
      // Seconds instead of minutes and hours: 0.2 s, 0.4 s, 0.8 s, then every second, for 12 s in all.
      WA_WEBHOOKS_INITIAL_RETRY_SECONDS: '0.2',
      WA_WEBHOOKS_MAX_RETRY_INTERVAL_SECONDS: '1',
      WA_WEBHOOKS_MAX_DELIVERY_HOURS: String(12 / 3600),
      WA_WEBHOOKS_SUBSCRIPTION_CACHE_SECONDS: '0',
    },
  });
});
after(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** Every event a path accepted (2xx), each once, checked against its subscription's secret. */
function acceptedEvents(path: string): WebhookEvent[] {
  const byId = new Map<string, WebhookEvent>();
  for (const r of received.filter((x) => x.path === path && x.status < 300)) {
    const event = verifyWebhook<WebhookEvent>(
      secrets.get(path)!,
      r.headers as Record<string, string>,
      r.body,
    );
    assert.equal(r.headers['webhook-id'], event.id);
    byId.set(event.id, event);
  }
  return [...byId.values()];
}

test('every event reaches its subscribers once per ID, signed, in order, despite a receiver that was down', async () => {
  const subscriptions = new WebhookSubscriptionsClient(
    stack.env.client,
    stack.config.temporal.taskQueue,
    stack.config.webhooks,
  );
  const created = await subscriptions.createWebhookSubscription({
    id: 'failures',
    url: `${base}/store`,
    events: ['operation.failed'],
  });
  secrets.set('/store', created.secret);
  const dead = await subscriptions.createWebhookSubscription({
    id: 'dead',
    url: `${base}/dead`,
    events: ['operation.failed'],
  });
  secrets.set('/dead', dead.secret);
  assert.deepEqual(
    (await subscriptions.listWebhookSubscriptions()).map((s) => [s.id, s.source]),
    [
      ['from-config', 'config'],
      ['failures', 'api'],
      ['dead', 'api'],
    ],
  );

  const good = '6670000001';
  const wrongPin = '6670000002';
  await seedVerified(stack.sim, good);
  await seedVerified(stack.sim, wrongPin, { pin: OTHER_PIN });
  const run = async (id: string, request: Parameters<TestStack['client']['requestOperation']>[1]) => {
    const ticket = await stack.client.requestOperation(id, request);
    return stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  };
  const registered = await run(good, { operation: 'register', pin: PIN });
  assert.equal(registered.status, 'completed');
  const moved = await run(good, { operation: 'change-region', region: 'DE', pin: PIN });
  assert.equal(moved.status, 'completed', JSON.stringify(moved.failure));
  const refused = await run(wrongPin, { operation: 'register', pin: PIN });
  assert.equal(refused.status, 'failed');
  const inFleet = '6670000003';
  await seedVerified(stack.sim, inFleet, { pin: PIN });
  await stack.client.startFleet({
    fleetId: 'webhooks-fleet',
    operation: 'register',
    concurrency: 1,
    members: [{ phoneNumberId: inFleet, request: { operation: 'register', pin: PIN } }],
  });
  assert.equal((await stack.client.waitForFleet('webhooks-fleet')).counts.completed, 1);
  const finishedAt = Date.now();

  const events = await until(
    () => `7 events at /config; got ${JSON.stringify(acceptedEvents('/config').map((e) => e.type))}`,
    async () => {
      const found = acceptedEvents('/config');
      return found.length >= 7 && acceptedEvents('/store').length >= 1 ? found : undefined;
    },
    { timeoutMs: 30_000 },
  );
  await new Promise((r) => setTimeout(r, 1_500)); // any late duplicate or extra event arrives now
  assert.equal(acceptedEvents('/config').length, 7, 'no extra event');
  const fleetFinished = events.find((e) => e.type === 'fleet.finished');
  assert.deepEqual(fleetFinished?.data, {
    fleetId: 'webhooks-fleet',
    operation: 'register',
    status: 'finished',
    succeeded: 1,
    failed: 0,
    notStarted: 0,
  });
  assert.equal(fleetFinished?.phoneNumberId, undefined);
  const fleetMember = events.find((e) => e.phoneNumberId === inFleet);
  assert.equal(fleetMember?.type, 'operation.succeeded');
  assert.ok(fleetMember.time <= fleetFinished.time, 'the member finished before its fleet');

  // In time order (events of one workflow task share a time: those are compared as a set).
  const of = (id: string) =>
    events
      .filter((e) => e.phoneNumberId === id)
      .sort((a, b) => a.time.localeCompare(b.time) || a.type.localeCompare(b.type))
      .map((e) => [e.type, e.operationId]);
  assert.deepEqual(of(good), [
    ['operation.succeeded', registered.operationId],
    ['number.offline', moved.operationId],
    ['number.online', moved.operationId],
    ['operation.succeeded', moved.operationId],
  ]);
  const timeOf = (type: string, operationId: string) =>
    events.find((e) => e.type === type && e.operationId === operationId)!.time;
  assert.ok(timeOf('number.offline', moved.operationId) < timeOf('number.online', moved.operationId));
  assert.deepEqual(of(wrongPin), [['operation.failed', refused.operationId]]);
  const failed = events.find((e) => e.type === 'operation.failed')!;
  assert.equal((failed.data as { failureType: string }).failureType, refused.failure?.type);
  assert.equal((failed.data as { graphCode?: number }).graphCode, refused.failure?.graphCode);
  assert.match(failed.time, /^\d{4}-\d\d-\d\dT/);

  // The store's subscription got its one event, with its own secret; the first three POSTs were refused.
  const storeEvents = acceptedEvents('/store');
  assert.deepEqual(
    storeEvents.map((e) => e.id),
    [failed.id],
  );
  assert.equal(received.filter((r) => r.status === 500 && r.path !== '/dead').length, 3);
  assert.ok(
    received.filter((r) => r.path !== '/dead').every((r) => r.headers['content-type'] === 'application/json'),
  );

  // No secret in any body or header, refused deliveries included.
  const everything = JSON.stringify(received.map((r) => [r.body, r.headers['user-agent']]));
  for (const secret of [
    PIN,
    OTHER_PIN,
    TEST_TOKEN,
    CONFIG_SECRET,
    created.secret,
    dead.secret,
    TEST_ENCRYPTION_KEYS,
  ]) {
    assert.ok(!everything.includes(secret), 'a secret in a delivery');
  }

  // Latency: from the event's time to its first accepted POST, for events the refusals did not hold back.
  const firstAccepted = new Map<string, number>();
  for (const r of received)
    if (r.status < 300)
      firstAccepted.set(
        String(r.headers['webhook-id']),
        Math.min(firstAccepted.get(String(r.headers['webhook-id'])) ?? Infinity, r.at),
      );
  const latencies = events.map((e) => firstAccepted.get(e.id)! - Date.parse(e.time)).sort((a, b) => a - b);
  console.log(
    `webhook latency (event → accepted POST), ms: ${latencies.join(', ')}; all in ${Date.now() - finishedAt} ms after the last operation`,
  );

  // The receiver that never accepts: its delivery is given up after maxDeliveryHours (12 s here).
  const handle = stack.env.client.workflow.getHandle(webhookDeliveryWorkflowId(failed.id));
  await assert.rejects(handle.result(), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String(err.cause?.message), /operation\.failed .*: delivery to dead gave up/);
    return true;
  });
  assert.ok(received.filter((r) => r.path === '/dead').length >= 5, 'the dead receiver was retried');
});
