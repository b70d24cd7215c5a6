// Events no subscription wants, end to end on the dev server with the worker's subscription cache on: a
// number's lifecycle learns with its policy which event types are wanted and skips the others without a
// local activity, while every wanted event still reaches its receiver once; a subscription created through
// the API takes effect for operations that start after the cache time.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebhookSubscriptionsClient, type WebhookEvent } from '../../client';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { generateWebhookSecret } from '../../platform/webhook-signature';
import { localActivityTypes } from '../helpers/history-markers';
import { until } from '../helpers/poll';
import { seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

const PIN = '123456';
const CACHE_SECONDS = 2;

let stack: TestStack;
let receiver: Server;
let base: string;
const received: { path: string; event: WebhookEvent }[] = [];

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', event: JSON.parse(body) as WebhookEvent });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  process.env.WA_TEST_OFFLINE_SECRET = generateWebhookSecret();
  stack = await startTestStack({
    configEnv: {
      WA_WEBHOOKS_ALLOWED_URL_PREFIXES: `${base}/`,
      WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([
        {
          id: 'offline',
          url: `${base}/offline`,
          events: ['number.offline'],
          secretEnv: 'WA_TEST_OFFLINE_SECRET',
        },
      ]),
      WA_WEBHOOKS_SUBSCRIPTION_CACHE_SECONDS: String(CACHE_SECONDS),
    },
  });
});
after(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function lifecycleHistory(id: string) {
  return (await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).fetchHistory()).events ?? [];
}

async function run(id: string, request: Parameters<TestStack['client']['requestOperation']>[1]) {
  const ticket = await stack.client.requestOperation(id, request);
  const done = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(done.status, 'completed', JSON.stringify(done.failure));
  return done;
}

test('a first register nobody subscribed to reads nothing but its recovery; a wanted event still arrives once', async () => {
  const id = '6680000001';
  await seedVerified(stack.sim, id, { pin: PIN });
  await run(id, { operation: 'register', pin: PIN });
  // The recovery read the policy too, and operation.succeeded was not wanted: no other local activity.
  assert.deepEqual(localActivityTypes(await lifecycleHistory(id)), ['recoverLedger']);

  // A region change takes the number offline (wanted) and back online (not wanted).
  const moved = await run(id, { operation: 'change-region', region: 'DE', pin: PIN });
  const offline = await until(
    () => `number.offline at /offline; got ${JSON.stringify(received)}`,
    async () => received.find((r) => r.path === '/offline'),
    { timeoutMs: 30_000 },
  );
  assert.equal(offline.event.type, 'number.offline');
  assert.equal(offline.event.operationId, moved.operationId);
  await new Promise((r) => setTimeout(r, 1_000)); // a late extra delivery would arrive now
  assert.deepEqual(
    received.map((r) => [r.path, r.event.type]),
    [['/offline', 'number.offline']],
  );
});

test('a subscription created through the API takes effect for operations started after the cache time', async () => {
  const subscriptions = new WebhookSubscriptionsClient(
    stack.env.client,
    stack.config.temporal.taskQueue,
    stack.config.webhooks,
  );
  await subscriptions.createWebhookSubscription({
    id: 'succeeded',
    url: `${base}/succeeded`,
    events: ['operation.succeeded'],
  });
  await new Promise((r) => setTimeout(r, CACHE_SECONDS * 1000 + 500)); // every worker cache has expired
  const id = '6680000002';
  await seedVerified(stack.sim, id, { pin: PIN });
  const registered = await run(id, { operation: 'register', pin: PIN });
  const event = await until(
    () => `operation.succeeded at /succeeded; got ${JSON.stringify(received)}`,
    async () => received.find((r) => r.path === '/succeeded')?.event,
    { timeoutMs: 30_000 },
  );
  assert.equal(event.type, 'operation.succeeded');
  assert.equal(event.operationId, registered.operationId);
  assert.deepEqual(localActivityTypes(await lifecycleHistory(id)), ['recoverLedger', 'emitWebhookEvent']);
});
