// Secrets audit: run workflows that carry every kind of secret we handle, then read what the Temporal
// server stored (raw histories, without our codec) and what the worker logged, and look for each secret
// in the clear. Decrypting with the key must give them back (the codec, not luck, hid them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { AesGcmPayloadCodec } from '../../worker/security/payload-codec';
import {
  capturedLogs,
  startTestStack,
  TEST_ENCRYPTION_KEYS,
  TEST_TOKEN,
  type TestStack,
} from '../helpers/stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

/** Distinct values, so a hit cannot be a coincidence with timestamps or ids. */
const PIN = '907531';
const WRONG_PIN = '864209';
const SEEDED_PIN = '315792';

/** Every string and byte field of a history (payload bytes read as latin1), numbers left out. */
function textsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('latin1'));
  else if (Array.isArray(value)) value.forEach((v) => textsOf(v, out));
  else if (value && typeof value === 'object' && !('low' in value && 'high' in value)) {
    Object.values(value).forEach((v) => textsOf(v, out));
  }
  return out;
}

function payloadsOf(value: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(value)) value.forEach((v) => payloadsOf(v, out));
  else if (value && typeof value === 'object') {
    if ('data' in value && 'metadata' in value) out.push(value as Payload);
    else Object.values(value).forEach((v) => payloadsOf(v, out));
  }
  return out;
}

test('no PIN, token or key appears in raw histories, search attributes or logs; the key restores them', async () => {
  const ok = '8880000001';
  const wrong = '8880000002';
  await stack.sim.seed({ id: ok, code_verification_status: 'VERIFIED', name_status: 'APPROVED' });
  await stack.sim.seed({
    id: wrong,
    code_verification_status: 'VERIFIED',
    name_status: 'APPROVED',
    pin: SEEDED_PIN,
  });
  for (const [id, pin] of [
    [ok, PIN],
    [wrong, WRONG_PIN],
  ] as const) {
    const t = await stack.client.requestOperation(id, {
      operation: 'register',
      pin,
      region: 'DE',
      requestedBy: 'audit',
    });
    await stack.client.waitForOperation(id, t.operationId, { pollIntervalMs: 100 });
  }
  const d = await stack.client.requestOperation(ok, { operation: 'deregister' });
  assert.equal(
    (await stack.client.waitForOperation(ok, d.operationId, { pollIntervalMs: 100 })).status,
    'completed',
  );

  // What anyone with access to the Temporal server (or its UI without the key) sees.
  const raw = new Client({ connection: stack.env.connection });
  const secrets = [PIN, WRONG_PIN, SEEDED_PIN, TEST_TOKEN, TEST_ENCRYPTION_KEYS.split('=')[1]!];
  const decodedPins = new Set<string>();
  let histories = 0;
  for await (const wf of raw.workflow.list({
    query: `WaPhoneNumberId = "${ok}" OR WaPhoneNumberId = "${wrong}"`,
  })) {
    histories += 1;
    const history = await raw.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const texts = textsOf(history).join('\n') + JSON.stringify(wf.searchAttributes) + wf.workflowId;
    for (const secret of secrets) {
      assert.ok(!texts.includes(secret), `${wf.workflowId}: a secret is stored in the clear`);
    }
    // With the key, the payloads open again.
    const decoded = await stack.dataConverter.payloadCodecs![0]!.decode(
      payloadsOf(history as temporal.api.history.v1.IHistory),
    );
    for (const p of decoded) {
      const text = JSON.stringify(defaultPayloadConverter.fromPayload(p) ?? null);
      for (const pin of [PIN, WRONG_PIN]) if (text.includes(pin)) decodedPins.add(pin);
    }
  }
  assert.ok(histories >= 5, `expected the lifecycles and their operations, saw ${histories} runs`);
  assert.deepEqual([...decodedPins].sort(), [PIN, WRONG_PIN].sort(), 'decrypting restores the PINs');

  // The worker logged failures (the wrong PIN); none of its lines holds a secret.
  assert.ok(
    capturedLogs.some((l) => l.includes('PIN Mismatch')),
    'the failure was logged',
  );
  const logs = capturedLogs.join('\n');
  for (const secret of secrets) assert.ok(!logs.includes(secret), 'a secret is in the logs');

  // The simulator's own request log masks PINs too.
  const simLog = JSON.stringify(await stack.sim.requests());
  for (const pin of [PIN, WRONG_PIN]) assert.ok(!simLog.includes(pin), 'the simulator logged a PIN');
});

test('a payload encrypted with an unknown key fails its workflow task, naming the key id; the worker keeps running', async () => {
  const id = '8880000003';
  const stranger = new Client({
    connection: stack.env.connection,
    dataConverter: {
      payloadCodecs: [
        new AesGcmPayloadCodec({
          encryptWith: 'k9',
          keys: new Map([['k9', Buffer.alloc(32, 9)]]),
          source: 'test',
        }),
      ],
    },
  });
  const handle = await stranger.workflow.start('phoneNumberLifecycle', {
    workflowId: lifecycleWorkflowId(id),
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ phoneNumberId: id }],
  });
  const raw = new Client({ connection: stack.env.connection });
  let message = '';
  for (let i = 0; i < 100 && !message; i++) {
    const history = await raw.workflow.getHandle(handle.workflowId).fetchHistory();
    const failed = history.events?.find((e) => e.workflowTaskFailedEventAttributes);
    message = failed?.workflowTaskFailedEventAttributes?.failure?.message ?? '';
    if (!message) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(message, /unknown key id "k9"/);
  await handle.terminate('audit test done');
  // The same worker still serves everything else.
  const ok = '8880000004';
  await stack.sim.seed({ id: ok, code_verification_status: 'VERIFIED', name_status: 'APPROVED' });
  const t = await stack.client.requestOperation(ok, { operation: 'register', pin: PIN });
  assert.equal(
    (await stack.client.waitForOperation(ok, t.operationId, { pollIntervalMs: 100 })).status,
    'completed',
  );
});
