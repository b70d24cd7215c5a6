// Tracing on, end to end: a worker on its own task queue and a client connected from the product's config,
// both with tracing.enabled, send their spans to a tiny OTLP/HTTP receiver (JSON, as the exporter sends).
// A register's client start, its handling in the workflow and the register activity share one trace; no
// span holds the PIN.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { NumberLifecycleClient } from '../../client';
import type { AppConfig } from '../../platform/config';
import { flushTracing } from '../../platform/tracing';
import { createWorker } from '../../worker/create-worker';
import { seedVerified } from '../helpers/seed';
import { startTestStack, TEST_ENCRYPTION_KEYS, TEST_TOKEN, type TestStack } from '../helpers/stack';
import { until } from '../helpers/poll';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  attributes: { key: string }[];
}
interface OtlpBody {
  resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
}

let stack: TestStack;
let receiver: Server;
const bodies: string[] = [];
let worker: Worker;
let running: Promise<void>;
let client: NumberLifecycleClient;

before(async () => {
  stack = await startTestStack();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  const config: AppConfig = {
    ...stack.config,
    temporal: { ...stack.config.temporal, taskQueue: `tracing-${process.pid}` },
    tracing: { enabled: true, otlpEndpoint: `http://127.0.0.1:${port}/v1/traces`, serviceName: 'wa-test' },
  };
  // No bundle given: the worker bundles the workflows now, with the tracing workflow interceptors.
  worker = await createWorker({
    config,
    connection: stack.env.nativeConnection as NativeConnection,
    accessToken: TEST_TOKEN,
    dataConverter: stack.dataConverter,
  });
  running = worker.run();
  process.env.WA_ENCRYPTION_KEYS = TEST_ENCRYPTION_KEYS; // the client reads its key as the API does
  client = await NumberLifecycleClient.connect({ config });
});
after(async () => {
  await client?.close();
  worker?.shutdown();
  await running;
  receiver?.close();
  await stack?.stop();
});

function spans(): OtlpSpan[] {
  return bodies.flatMap((b) =>
    (JSON.parse(b) as OtlpBody).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
  );
}

test('a register is one trace: client start, the workflow handling it, the register activity; no PIN in any span', async () => {
  const id = '6660000901';
  const pin = '482915';
  await seedVerified(stack.sim, id);
  const ticket = await client.requestOperation(id, { operation: 'register', pin, requestedBy: 'test' });
  const done = await client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(done.status, 'completed');

  // The lifecycle runs the operation in its update handler; its own RunWorkflow span ends with the run.
  const found = await until(
    () =>
      `the register activity among: ${spans()
        .map((s) => s.name)
        .join(', ')}`,
    async () => {
      await flushTracing();
      const all = spans();
      return all.some((s) => s.name === 'RunActivity:registerPhoneNumber') ? all : undefined;
    },
  );
  const activity = found.find((s) => s.name === 'RunActivity:registerPhoneNumber')!;
  const trace = found.filter((s) => s.traceId === activity.traceId).map((s) => s.name);
  for (const span of [
    'UpdateWithStartWorkflow:requestOperation', // the client (the API's request)
    'HandleUpdate:requestOperation', // the workflow running the operation
    'StartActivity:registerPhoneNumber', // the workflow scheduling the call
  ]) {
    assert.ok(trace.includes(span), `${span} in the trace: ${trace.join(', ')}`);
  }
  // The workflow's spans name it (IDs, type, queue), without its memo or search attributes.
  const handled = found.find((s) => s.name === 'HandleUpdate:requestOperation')!;
  assert.deepEqual(handled.attributes.map((a) => a.key).sort(), [
    'attempt',
    'namespace',
    'runId',
    'taskQueue',
    'temporalUpdateId',
    'workflowId',
    'workflowType',
  ]);
  for (const body of bodies) assert.ok(!body.includes(pin), 'no span carries the PIN');
});
