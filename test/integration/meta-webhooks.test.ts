// Meta's webhooks end to end on the dev server: the simulator (subscribed to the HTTP API's /webhooks/meta,
// handshake included) signs and sends what its admin API changes; the API checks the signature and starts
// the intake workflow; the worker resolves the display number through GET /{waba}/phone_numbers and signals
// the number's lifecycle. An onboarding waiting on its display name (shipped 1-hour recheck) finishes within
// seconds of the approval; quality and restriction show in getState, and each change goes on to our own
// subscribers as a signed outbound webhook; forged or oversized posts signal nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createApiServer, type ApiServer } from '../../api/server';
import { metaSignatureFor } from '../../api/meta-webhooks';
import { metaWebhookWorkflowId, temporalMetaWebhookIntake } from '../../api/meta-webhook-intake';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { WaLifecycleState } from '../../domain/search-attributes';
import type { MetaWebhookIntakeResult } from '../../workflows/meta-webhook-intake';
import { verifyWebhook } from '../../platform/webhook-signature';
import type { WebhookEvent } from '../../domain/webhook-events';
import { until } from '../helpers/poll';
import { startTestStack, type TestStack } from '../helpers/stack';

const SECRET = 'integration-meta-app-secret';
const VERIFY = 'integration-meta-verify-token';
const WABA = '556600112233';
const PIN = '135790';
const MAX_BODY = 8192;

let stack: TestStack;
let api: ApiServer;
const apiLog: string[] = [];
/** Our own subscriber of the events Meta's webhooks give rise to (outbound webhooks, from the config). */
let receiver: Server;
const OUTBOUND_SECRET = `whsec_${Buffer.alloc(24, 5).toString('base64')}`;
const outbound: { headers: IncomingHttpHeaders; body: string }[] = [];

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      outbound.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/meta-events`;
  process.env.WA_TEST_META_EVENTS_SECRET = OUTBOUND_SECRET;
  stack = await startTestStack({
    configEnv: {
      WA_WEBHOOKS_ALLOWED_URL_PREFIXES: receiverUrl,
      WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([
        {
          id: 'meta-events',
          url: receiverUrl,
          events: ['display_name.approved', 'number.quality_changed', 'number.status_changed'],
          secretEnv: 'WA_TEST_META_EVENTS_SECRET',
        },
      ]),
    },
  });
  assert.equal(stack.config.onboarding.displayNameRecheckMinutes, 60, 'the shipped recheck interval');
  api = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
    metaWebhooks: {
      verifyToken: VERIFY,
      appSecret: SECRET,
      maxBodyBytes: MAX_BODY,
      intake: temporalMetaWebhookIntake(stack.env.client, stack.config.temporal.taskQueue),
      log: (line) => apiLog.push(line),
    },
  });
  // Subscribe the simulator's app to the API, as an app is subscribed at Meta: the handshake runs now.
  const res = await fetch(`${stack.simulator.url}/_sim/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ callbackUrl: `${api.url}/webhooks/meta`, verifyToken: VERIFY, appSecret: SECRET }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { verified: boolean }).verified, true);
});
after(async () => {
  await api?.close();
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** The outbound event of `type` about `id` our subscriber received (signature checked), once it is there. */
function outboundEvent(type: string, id: string): Promise<WebhookEvent> {
  return until(`${type} at our subscriber`, async () =>
    outbound
      .map((r) => verifyWebhook<WebhookEvent>(OUTBOUND_SECRET, r.headers as Record<string, string>, r.body))
      .find((e) => e.type === type && e.phoneNumberId === id),
  );
}

const display = (id: string) => `+1 555-${id.slice(-7, -4)}-${id.slice(-4)}`;
const digits = (id: string) => `1555${id.slice(-7)}`;

async function stateOf(id: string) {
  const s = await stack.client.getState(id);
  assert.ok(s, `${id} has a lifecycle`);
  return s;
}

/** Posts `body` signed with the app secret, or with the given header (null: none at all). */
async function signedPost(body: string, signature: string | null = metaSignatureFor(body, SECRET)) {
  return fetch(`${api.url}/webhooks/meta`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature ? { 'x-hub-signature-256': signature } : {}),
    },
    body,
  });
}

const deliveryBody = (field: string, value: Record<string, unknown>) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: WABA, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] }],
  });

const intakeOf = (body: string) =>
  stack.env.client.workflow.getHandle(metaWebhookWorkflowId(createHash('sha256').update(body).digest('hex')));

test('an onboarding waiting on its display name completes within seconds of the approval webhook', async () => {
  const id = '7771000001';
  await stack.sim.seed({
    id,
    waba_id: WABA,
    display_phone_number: display(id),
    code_verification_status: 'NOT_VERIFIED',
    name_status: 'NONE',
  });
  const ticket = await stack.client.requestOperation(id, {
    operation: 'onboard',
    pin: PIN,
    language: 'en_US',
  });
  await until('waiting-for-code', async () =>
    (await stateOf(id)).state === 'waiting-for-code' ? true : undefined,
  );
  const sent = (await (await fetch(`${stack.simulator.url}/_sim/codes/${id}`)).json()) as { display: string };
  assert.equal((await stack.client.submitVerificationCode(id, sent.display)).accepted, true);
  const waiting = await until('waiting-for-display-name', async () => {
    const s = await stateOf(id);
    return s.state === 'waiting-for-display-name' ? s : undefined;
  });
  // The next re-check is an hour away: only the webhook can end this wait within the test.
  const nextCheck = Date.parse(waiting.currentOperation?.nextAttemptAt ?? '');
  assert.ok(
    nextCheck - Date.now() > 50 * 60_000,
    `next re-check at ${waiting.currentOperation?.nextAttemptAt}`,
  );
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);

  const approvedAt = Date.now();
  await stack.sim.patchPhoneNumber(id, { name_status: 'APPROVED' }); // Meta decides → signed webhook
  // Bounded: without the webhook the next re-check is an hour away, and this fails instead of hanging.
  const outcome = await until(
    'the onboarding to finish',
    async () => (await stateOf(id)).recentOperations.find((o) => o.operationId === ticket.operationId),
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const elapsedMs = Date.now() - approvedAt;
  console.log(`approval → onboarding completed in ${elapsedMs} ms`);
  assert.equal(outcome.status, 'completed', JSON.stringify(outcome.failure));
  assert.ok(elapsedMs < 30_000, `completed ${elapsedMs} ms after the approval`);
  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.equal(registers.length, 1);
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
  const state = await stateOf(id);
  assert.equal(state.state, 'registered');
  assert.equal(state.meta?.displayName?.decision, 'APPROVED');
  const approved = await outboundEvent('display_name.approved', id);
  assert.equal((approved.data as { decision: string }).decision, 'APPROVED');
  // The resolution went through Graph's WABA listing (the API holds no token).
  assert.ok((await stack.sim.requests({ wabaId: WABA, endpoint: 'phone_numbers' })).length >= 1);
});

test('a quality change and an account restriction show in getState and the search attribute', async () => {
  const id = '7771000001'; // registered by the test above
  await stack.sim.patchPhoneNumber(id, { quality_rating: 'RED' });
  const flagged = await until('quality in getState', async () => {
    const s = await stateOf(id);
    return s.meta?.quality ? s : undefined;
  });
  assert.equal(flagged.meta?.quality?.event, 'FLAGGED');
  assert.equal(flagged.meta?.quality?.messagingLimit, 'TIER_250');
  assert.equal(flagged.state, 'registered');
  const quality = await outboundEvent('number.quality_changed', id);
  assert.deepEqual(
    [(quality.data as { event: string }).event, (quality.data as { messagingLimit?: string }).messagingLimit],
    ['FLAGGED', 'TIER_250'],
  );

  await stack.sim.patchPhoneNumber(id, { status: 'RESTRICTED' });
  const restricted = await until('restricted', async () => {
    const s = await stateOf(id);
    return s.state === 'restricted' ? s : undefined;
  });
  assert.equal(restricted.meta?.account?.status, 'restricted');
  assert.equal(restricted.meta?.account?.event, 'ACCOUNT_RESTRICTION');
  assert.equal(restricted.meta?.account?.restrictions?.[0]?.type, 'RESTRICTED_BIZ_INITIATED_MESSAGING');
  const described = await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).describe();
  assert.deepEqual(described.searchAttributes[WaLifecycleState.name], ['restricted']);
  const status = (await outboundEvent('number.status_changed', id)).data as Record<string, unknown>;
  assert.deepEqual([status.status, status.previousStatus], ['restricted', 'active']);
});

test('a bad signature, a missing one and an oversized body are refused; nothing is signalled', async () => {
  const id = '7771000001';
  const before = await stateOf(id);
  assert.equal(before.state, 'restricted');
  // A forged reinstatement would change the number's standing, if it got through.
  const forged = deliveryBody('account_update', { phone_number: digits(id), event: 'ACCOUNT_RECONNECTED' });
  const bad = await signedPost(forged, metaSignatureFor(forged, 'a-guessed-secret'));
  assert.equal(bad.status, 403);
  assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
  const missing = await signedPost(forged, null);
  assert.equal(missing.status, 401);
  const altered = forged.replace('ACCOUNT_RECONNECTED', 'ACCOUNT_RECONNECTEE');
  assert.equal((await signedPost(altered, metaSignatureFor(forged, SECRET))).status, 403);
  const padded = deliveryBody('account_update', {
    phone_number: digits(id),
    event: 'ACCOUNT_RECONNECTED',
    padding: 'x'.repeat(MAX_BODY),
  });
  const big = await signedPost(padded);
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');

  for (const body of [forged, altered, padded]) {
    await assert.rejects(intakeOf(body).describe(), /not found/i, 'no intake run was started');
  }
  await new Promise((r) => setTimeout(r, 500));
  const afterwards = await stateOf(id);
  assert.equal(afterwards.state, 'restricted');
  assert.deepEqual(afterwards.meta, before.meta);
});

test('a signed delivery for a number without a lifecycle is handed over and skipped; a retry is a duplicate', async () => {
  const id = '7771000002';
  await stack.sim.seed({ id, waba_id: WABA, display_phone_number: display(id), name_status: 'NONE' });
  const body = deliveryBody('phone_number_name_update', {
    display_phone_number: digits(id),
    decision: 'APPROVED',
  });
  const first = await signedPost(body);
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { received: true, events: 1, duplicate: false });
  const result = (await intakeOf(body).result()) as MetaWebhookIntakeResult;
  assert.deepEqual(result, { signalled: [], withoutLifecycle: [id], unresolved: 0 });
  const retry = await signedPost(body);
  assert.deepEqual(await retry.json(), { received: true, events: 1, duplicate: true });
  await assert.rejects(stack.client.getState(id).then((s) => s ?? Promise.reject(new Error('not found'))));

  const unknown = deliveryBody('phone_number_name_update', {
    display_phone_number: '19995550000',
    decision: 'APPROVED',
  });
  assert.equal((await signedPost(unknown)).status, 200);
  assert.deepEqual(await intakeOf(unknown).result(), { signalled: [], withoutLifecycle: [], unresolved: 1 });
  assert.ok(!apiLog.join('\n').includes(SECRET));
});
