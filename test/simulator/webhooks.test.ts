// The simulator's Meta webhooks: subscribing performs the verification handshake (refused when the callback
// does not echo the challenge); admin changes of a number send signed deliveries in Meta's shapes, retried
// when the callback fails.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { checkMetaSignature } from '../../api/meta-webhooks';
import { until } from '../helpers/poll';
import { admin, startTestSimulator } from './helpers';
import type { RunningSimulator } from '../../simulator/server';

const SECRET = 'sim-webhook-secret';
const VERIFY = 'sim-verify-token';

interface Received {
  body: Buffer;
  signature?: string;
}

/** A callback that answers the handshake (unless told not to) and records POSTs; `failFirst` answers 500 first. */
async function callback(t: TestContext, options: { echo?: boolean; failFirst?: number } = {}) {
  const received: Received[] = [];
  let failures = options.failFirst ?? 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const ok = url.searchParams.get('hub.verify_token') === VERIFY && options.echo !== false;
      res.writeHead(ok ? 200 : 403).end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'no');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const header = req.headers['x-hub-signature-256'];
      received.push({
        body: Buffer.concat(chunks),
        ...(typeof header === 'string' ? { signature: header } : {}),
      });
      if (failures > 0) {
        failures -= 1;
        res.writeHead(500).end();
      } else res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/meta`, received };
}

async function seedNumber(sim: RunningSimulator, id: string, fields: Record<string, unknown> = {}) {
  const res = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id,
    waba_id: '777000111',
    display_phone_number: '+1 555-010-4242',
    name_status: 'NONE',
    ...fields,
  });
  assert.equal(res.status, 201, res.text);
}

test('subscribing performs the handshake; a callback that does not echo the challenge is refused', async (t) => {
  const sim = await startTestSimulator(t);
  const good = await callback(t);
  const ok = await admin(sim, 'POST', '/_sim/webhooks', {
    callbackUrl: good.url,
    verifyToken: VERIFY,
    appSecret: SECRET,
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((ok.json as { verified: boolean }).verified, true);
  assert.ok(!ok.text.includes(SECRET), 'the app secret is never shown');

  const wrongToken = await admin(sim, 'POST', '/_sim/webhooks', {
    callbackUrl: good.url,
    verifyToken: 'nope',
    appSecret: SECRET,
  });
  assert.equal(wrongToken.status, 400);
  assert.match(wrongToken.text, /did not verify: HTTP 403/);
  const mute = await callback(t, { echo: false });
  const noEcho = await admin(sim, 'POST', '/_sim/webhooks', {
    callbackUrl: mute.url,
    verifyToken: VERIFY,
    appSecret: SECRET,
  });
  assert.equal(noEcho.status, 400);
  const view = await admin(sim, 'GET', '/_sim/webhooks');
  assert.equal(
    (view.json as { verified: boolean }).verified,
    false,
    'nothing is sent to an unverified callback',
  );
});

test('admin changes send signed deliveries in Meta shapes: name decided, quality, limit, restriction, ban', async (t) => {
  const sim = await startTestSimulator(t);
  const cb = await callback(t);
  await admin(sim, 'POST', '/_sim/webhooks', { callbackUrl: cb.url, verifyToken: VERIFY, appSecret: SECRET });
  await seedNumber(sim, '4242000001');
  const patch = (body: Record<string, unknown>) =>
    admin(sim, 'PATCH', '/_sim/phone-numbers/4242000001', body);

  await patch({ name_status: 'APPROVED' });
  await patch({ quality_rating: 'RED' });
  await patch({ messaging_limit_tier: 'TIER_1K' });
  await patch({ status: 'RESTRICTED' });
  await patch({ status: 'BANNED' });
  await patch({ verified_name: 'No webhook for this' });
  await until('5 deliveries', async () => (cb.received.length >= 5 ? true : undefined), { timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(cb.received.length, 5);

  const payloads = cb.received.map((r) => {
    // Signed over the exact bytes received.
    assert.equal(checkMetaSignature(r.body, r.signature, SECRET), 'valid');
    return JSON.parse(r.body.toString()) as {
      object: string;
      entry: { id: string; time: number; changes: { field: string; value: Record<string, unknown> }[] }[];
    };
  });
  for (const p of payloads) {
    assert.equal(p.object, 'whatsapp_business_account');
    assert.equal(p.entry[0]!.id, '777000111');
    assert.equal(typeof p.entry[0]!.time, 'number');
  }
  const changes = payloads.map((p) => p.entry[0]!.changes[0]!);
  assert.deepEqual(
    changes.map((c) => [c.field, c.value.decision ?? c.value.event]),
    [
      ['phone_number_name_update', 'APPROVED'],
      ['phone_number_quality_update', 'FLAGGED'],
      ['phone_number_quality_update', 'UPGRADE'],
      ['account_update', 'ACCOUNT_RESTRICTION'],
      ['account_update', 'DISABLED_UPDATE'],
    ],
  );
  assert.equal(changes[0]!.value.display_phone_number, '15550104242');
  assert.equal(changes[2]!.value.current_limit, 'TIER_1K');
  assert.equal(changes[3]!.value.phone_number, '15550104242');
  assert.deepEqual(changes[4]!.value.ban_info, {
    waba_ban_state: 'DISABLE',
    waba_ban_date: (changes[4]!.value.ban_info as { waba_ban_date: string }).waba_ban_date,
  });

  const view = (await admin(sim, 'GET', '/_sim/webhooks')).json as { deliveries: { status: string }[] };
  assert.deepEqual(
    view.deliveries.map((d) => d.status),
    Array(5).fill('delivered'),
  );
});

test('a failed delivery is retried with the same signed bytes, and given up after the bounded retries', async (t) => {
  const sim = await startTestSimulator(t);
  const flaky = await callback(t, { failFirst: 2 });
  await admin(sim, 'POST', '/_sim/webhooks', {
    callbackUrl: flaky.url,
    verifyToken: VERIFY,
    appSecret: SECRET,
    retryDelaysMs: [20, 20, 20],
  });
  await seedNumber(sim, '4242000002');
  await admin(sim, 'PATCH', '/_sim/phone-numbers/4242000002', { name_status: 'DECLINED' });
  const view = async () =>
    (
      (await admin(sim, 'GET', '/_sim/webhooks')).json as {
        deliveries: { status: string; attempts: number }[];
      }
    ).deliveries[0];
  const done = await until('the delivery', async () => {
    const d = await view();
    return d?.status === 'delivered' ? d : undefined;
  });
  assert.equal(done.attempts, 3);
  assert.equal(flaky.received.length, 3);
  assert.ok(
    flaky.received.every(
      (r) => r.body.equals(flaky.received[0]!.body) && r.signature === flaky.received[0]!.signature,
    ),
  );
  const value = JSON.parse(flaky.received[0]!.body.toString()).entry[0].changes[0].value;
  assert.equal(value.decision, 'REJECTED');

  const down = await callback(t, { failFirst: 100 });
  await admin(sim, 'POST', '/_sim/webhooks', {
    callbackUrl: down.url,
    verifyToken: VERIFY,
    appSecret: SECRET,
    retryDelaysMs: [10, 10],
  });
  await admin(sim, 'PATCH', '/_sim/phone-numbers/4242000002', {
    quality_rating: 'GREEN',
    status: 'RESTRICTED',
  });
  const failed = await until('the failures', async () => {
    const all = (
      (await admin(sim, 'GET', '/_sim/webhooks')).json as {
        deliveries: { status: string; attempts: number }[];
      }
    ).deliveries;
    return all.filter((d) => d.status === 'failed').length === 1 ? all : undefined;
  });
  assert.equal(failed.find((d) => d.status === 'failed')?.attempts, 3);
});

interface WebhooksView {
  subscribed: boolean;
  verified: boolean;
  callbackUrl?: string;
  deliveries: { status: string; attempts: number }[];
}
const webhooksView = async (sim: RunningSimulator) =>
  (await admin(sim, 'GET', '/_sim/webhooks')).json as WebhooksView;

test('/_sim/reset drops a subscription made through the admin API, and stops the retries of its deliveries', async (t) => {
  const sim = await startTestSimulator(t);
  const down = await callback(t, { failFirst: 100 });
  await admin(sim, 'POST', '/_sim/webhooks', {
    callbackUrl: down.url,
    verifyToken: VERIFY,
    appSecret: SECRET,
    retryDelaysMs: [300, 300, 300],
  });
  await seedNumber(sim, '4242000003');
  await admin(sim, 'PATCH', '/_sim/phone-numbers/4242000003', { name_status: 'APPROVED' });
  await until('the first attempt', async () => (down.received.length >= 1 ? true : undefined));

  const reset = await admin(sim, 'POST', '/_sim/reset', {});
  assert.equal(reset.status, 200, reset.text);
  const view = await webhooksView(sim);
  assert.equal(view.subscribed, false);
  assert.equal(view.verified, false);
  assert.equal(view.callbackUrl, undefined);
  assert.deepEqual(view.deliveries, [], 'the delivery log is emptied like the request log');

  // Nothing more reaches the old callback: neither the pending retries nor a new change.
  await seedNumber(sim, '4242000003');
  await admin(sim, 'PATCH', '/_sim/phone-numbers/4242000003', { name_status: 'APPROVED' });
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(down.received.length, 1, 'no retry after the reset, no delivery of a later change');
});

test('/_sim/reset keeps the start-up subscription (SIM_WEBHOOK_*), and restores it when one made later replaced it', async (t) => {
  const atStart = await callback(t);
  const sim = await startTestSimulator(t, {
    webhooks: { callbackUrl: atStart.url, verifyToken: VERIFY, appSecret: SECRET },
  });
  await until('the start-up handshake', async () => ((await webhooksView(sim)).verified ? true : undefined));

  // A reset with the start-up subscription in place keeps it.
  await admin(sim, 'POST', '/_sim/reset', {});
  let view = await webhooksView(sim);
  assert.deepEqual([view.subscribed, view.verified, view.callbackUrl], [true, true, atStart.url]);

  // Replaced through the admin API, then reset: the start-up one again, verified, and it gets the deliveries.
  const later = await callback(t);
  const replaced = await admin(sim, 'POST', '/_sim/webhooks', {
    callbackUrl: later.url,
    verifyToken: VERIFY,
    appSecret: 'another-secret',
  });
  assert.equal((replaced.json as WebhooksView).callbackUrl, later.url);
  await admin(sim, 'POST', '/_sim/reset', {});
  view = await webhooksView(sim);
  assert.deepEqual([view.subscribed, view.verified, view.callbackUrl], [true, true, atStart.url]);
  await seedNumber(sim, '4242000004');
  await admin(sim, 'PATCH', '/_sim/phone-numbers/4242000004', { name_status: 'APPROVED' });
  await until('the delivery to the start-up callback', async () =>
    atStart.received.length >= 1 ? true : undefined,
  );
  assert.equal(
    checkMetaSignature(atStart.received[0]!.body, atStart.received[0]!.signature, SECRET),
    'valid',
  );
  assert.equal(later.received.length, 0);

  // Dropped through the admin API (DELETE), then reset: back as well.
  await admin(sim, 'DELETE', '/_sim/webhooks');
  assert.equal((await webhooksView(sim)).subscribed, false);
  await admin(sim, 'POST', '/_sim/reset', {});
  view = await webhooksView(sim);
  assert.deepEqual([view.subscribed, view.verified, view.callbackUrl], [true, true, atStart.url]);
});
