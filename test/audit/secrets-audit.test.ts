// Secrets audit: run workflows that carry every kind of secret we handle, then read what the Temporal
// server stored (raw histories, without our codec) and what the worker logged, and look for each secret
// in the clear. Decrypting with the key must give them back (the codec, not luck, hid them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { AesGcmPayloadCodec } from '../../platform/security/payload-codec';
import { until } from '../helpers/poll';
import {
  capturedJsonLogs,
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

// Distinctive values ('000000' occurs in phone-number ids), so a hit is a leak, not a coincidence.
const CODE_WRONG = '481516';
const ONPREM_PASSWORD = 'onprem-Pa55-audit';
const BACKUP_PASSWORD = 'backup-Pa55-audit';
const NEW_PIN = '572038';

async function runToEnd(id: string, request: Parameters<TestStack['client']['requestOperation']>[1]) {
  const t = await stack.client.requestOperation(id, request);
  return stack.client.waitForOperation(id, t.operationId, { pollIntervalMs: 100 });
}

test('no PIN, code, password, backup, token or key appears in raw histories, search attributes or logs; the key restores them', async () => {
  const [ok, wrong, unverified, onPrem] = ['8880000001', '8880000002', '8880000005', '8880000006'];
  await stack.sim.seed({ id: ok, code_verification_status: 'VERIFIED', name_status: 'APPROVED' });
  await stack.sim.seed({
    id: wrong,
    code_verification_status: 'VERIFIED',
    name_status: 'APPROVED',
    pin: SEEDED_PIN,
  });
  await stack.sim.seed({ id: unverified, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
  await stack.sim.seed({
    id: onPrem,
    code_verification_status: 'VERIFIED',
    name_status: 'APPROVED',
    platform_type: 'ON_PREMISE',
    pin: SEEDED_PIN,
    onprem: { username: 'admin', password: ONPREM_PASSWORD },
  });

  // PINs: a register, a refused one, a deregister, a set-pin.
  await runToEnd(ok, { operation: 'register', pin: PIN, region: 'DE', requestedBy: 'audit' });
  assert.equal(
    (await runToEnd(wrong, { operation: 'register', pin: WRONG_PIN })).failure?.type,
    'GraphPinMismatch',
  );
  assert.equal((await runToEnd(ok, { operation: 'deregister' })).status, 'completed');
  assert.equal((await runToEnd(ok, { operation: 'set-pin', pin: NEW_PIN })).status, 'completed');

  // Verification codes: a wrong one and the right one.
  const verify = await stack.client.requestOperation(unverified, { operation: 'verify' });
  await until(
    'waiting-for-code',
    async () => {
      const s = await stack.client.getState(unverified);
      return s?.state === 'waiting-for-code' ? s : undefined;
    },
    { timeoutMs: 20_000 },
  );
  const { code } = (await (await fetch(`${stack.simulator.url}/_sim/codes/${unverified}`)).json()) as {
    code: string;
  };
  assert.equal((await stack.client.submitVerificationCode(unverified, CODE_WRONG)).accepted, false);
  assert.equal((await stack.client.submitVerificationCode(unverified, code)).accepted, true);
  await stack.client.waitForOperation(unverified, verify.operationId, { pollIntervalMs: 100 });

  // Migration: On-Prem credentials, backup password, backup data.
  const migrated = await runToEnd(onPrem, {
    operation: 'migrate',
    pin: SEEDED_PIN,
    onPrem: { url: `${stack.simulator.url}/onprem/${onPrem}`, username: 'admin', password: ONPREM_PASSWORD },
    backupPassword: BACKUP_PASSWORD,
  });
  assert.equal(migrated.status, 'completed', JSON.stringify(migrated.failure));

  // What anyone with access to the Temporal server (or its UI without the key) sees.
  const raw = new Client({ connection: stack.env.connection });
  const rawTexts: string[] = [];
  const decodedTexts: string[] = [];
  const ids = [ok, wrong, unverified, onPrem].map((id) => `WaPhoneNumberId = "${id}"`).join(' OR ');
  // Listed with the key (a lifecycle's memo, its ledger, is encrypted too); histories fetched raw.
  for await (const wf of stack.env.client.workflow.list({ query: ids })) {
    const history = await raw.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    rawTexts.push(textsOf(history).join('\n') + JSON.stringify(wf.searchAttributes) + wf.workflowId);
    // With the key, the payloads open again.
    const decoded = await stack.dataConverter.payloadCodecs![0]!.decode(
      payloadsOf(history as temporal.api.history.v1.IHistory),
    );
    for (const p of decoded)
      decodedTexts.push(JSON.stringify(defaultPayloadConverter.fromPayload(p) ?? null));
  }
  assert.ok(
    rawTexts.length >= 5,
    `expected the 4 lifecycles and the verification's child run, saw ${rawTexts.length} runs`,
  );
  const decoded = decodedTexts.join('\n');
  // Failure messages travel encrypted too (encodeCommonAttributes): Meta's text for the refused PIN is
  // only in the decrypted history.
  assert.ok(!rawTexts.join('\n').includes('PIN Mismatch'), 'a failure message in plaintext history');
  assert.ok(decoded.includes('PIN Mismatch'), 'the key restores the failure message');
  // The backup blob is the On-Prem backup activity's result: only the decrypted history holds it.
  const backupData = decodedTexts
    .map((t) => JSON.parse(t) as unknown)
    .find((v): v is string => typeof v === 'string' && v.length > 100);
  assert.ok(backupData, 'the backup data is in the (encrypted) migrate history');
  const secrets = {
    PIN,
    WRONG_PIN,
    SEEDED_PIN,
    NEW_PIN,
    code,
    CODE_WRONG,
    ONPREM_PASSWORD,
    BACKUP_PASSWORD,
    backupData: backupData.slice(0, 40),
    token: TEST_TOKEN,
    key: TEST_ENCRYPTION_KEYS.split('=')[1]!,
  };
  const everything = rawTexts.join('\n');
  for (const [name, secret] of Object.entries(secrets)) {
    assert.ok(!everything.includes(secret), `${name} is stored in the clear`);
  }
  for (const name of [
    'PIN',
    'WRONG_PIN',
    'NEW_PIN',
    'code',
    'CODE_WRONG',
    'ONPREM_PASSWORD',
    'BACKUP_PASSWORD',
  ] as const) {
    assert.ok(decoded.includes(secrets[name]), `decrypting restores ${name}`);
  }

  // The worker logged failures (the wrong PIN, the wrong code); none of its lines holds a secret.
  assert.ok(
    capturedLogs.some((l) => l.includes('PIN Mismatch')),
    'the failure was logged',
  );
  const logs = capturedLogs.join('\n');
  for (const [name, secret] of Object.entries(secrets))
    assert.ok(!logs.includes(secret), `${name} is in the logs`);
  // The same entries as JSON lines (logging.format json): attributes are written whole, not inspected.
  const jsonLines = capturedJsonLogs.join('').split('\n').filter(Boolean);
  assert.ok(
    jsonLines.some((l) =>
      (JSON.parse(l) as { error?: { message?: string } }).error?.message?.includes('PIN Mismatch'),
    ),
    'the failure was logged as JSON, its error an object',
  );
  for (const [name, secret] of Object.entries(secrets))
    assert.ok(!jsonLines.some((l) => l.includes(secret)), `${name} is in the JSON logs`);

  // The simulator's own request log masks them too.
  const simLog = JSON.stringify(await stack.sim.requests());
  for (const [name, secret] of Object.entries(secrets)) {
    if (name !== 'token' && name !== 'key')
      assert.ok(!simLog.includes(secret), `the simulator logged ${name}`);
  }
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
  const message = await until(
    'a failed workflow task',
    async () => {
      const history = await raw.workflow.getHandle(handle.workflowId).fetchHistory();
      const failure = history.events?.find((e) => e.workflowTaskFailedEventAttributes)
        ?.workflowTaskFailedEventAttributes?.failure;
      if (!failure) return undefined;
      // The message travels encrypted (encodeCommonAttributes); the worker's key opens it.
      assert.equal(failure.message, 'Encoded failure');
      const [attributes] = await stack.dataConverter.payloadCodecs![0]!.decode([failure.encodedAttributes!]);
      return (defaultPayloadConverter.fromPayload(attributes!) as { message: string }).message;
    },
    { timeoutMs: 10_000 },
  );
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
