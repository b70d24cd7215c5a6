// Meta's webhooks in, without Temporal: the signature check and the handshake (api/meta-webhooks.ts), reading
// payloads into events (domain/meta-webhooks.ts), the lifecycle book's record of them (meta-facts.ts), and
// the metaWebhooks: configuration with its secrets.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkMetaSignature, handshakeChallenge, metaSignatureFor } from '../../api/meta-webhooks';
import { digitsOf, extractMetaEvents, type MetaNumberEvent } from '../../domain/meta-webhooks';
import { loadConfig, ConfigError } from '../../platform/config';
import { readMetaWebhookSecrets } from '../../platform/meta-webhook-secrets';
import { LifecycleBook } from '../../workflows/lifecycle-book';
import { emptyLedger } from '../../domain/ledger';

const SECRET = 'app-secret-for-tests';
const WABA = '102290129340398';
const T0 = Date.parse('2026-12-05T00:00:00Z');

const delivery = (...changes: { field: string; value: unknown }[]) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA, time: T0 / 1000, changes }],
});
const nameUpdate = (decision: string) => ({
  field: 'phone_number_name_update',
  value: { display_phone_number: '15550783881', decision, requested_verified_name: 'Lucky Shrub' },
});

test('signature: the HMAC-SHA256 of the exact body with the app secret is valid; anything else is not', () => {
  const body = Buffer.from(JSON.stringify(delivery(nameUpdate('APPROVED'))));
  const good = metaSignatureFor(body, SECRET);
  assert.match(good, /^sha256=[0-9a-f]{64}$/);
  assert.equal(checkMetaSignature(body, good, SECRET), 'valid');
  assert.equal(checkMetaSignature(body, good.toUpperCase().replace('SHA256=', 'sha256='), SECRET), 'valid');
  assert.equal(checkMetaSignature(body, undefined, SECRET), 'missing');
  assert.equal(checkMetaSignature(body, '', SECRET), 'missing');
  assert.equal(checkMetaSignature(body, metaSignatureFor(body, 'another-secret'), SECRET), 'invalid');
  assert.equal(checkMetaSignature(body, 'sha256=abc', SECRET), 'invalid');
  assert.equal(checkMetaSignature(body, good.replace('sha256=', 'sha1='), SECRET), 'invalid');
  // One byte changed anywhere: refused.
  for (const at of [0, Math.floor(body.length / 2), body.length - 1]) {
    const altered = Buffer.from(body);
    altered[at] = altered[at]! ^ 0x01;
    assert.equal(checkMetaSignature(altered, good, SECRET), 'invalid', `byte ${at}`);
  }
  // The same JSON re-serialised (other spacing) is other bytes: refused.
  const respaced = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
  assert.equal(checkMetaSignature(respaced, good, SECRET), 'invalid');
});

test('handshake: the challenge comes back only for hub.mode=subscribe and the right verify token', () => {
  const ok = { 'hub.mode': 'subscribe', 'hub.verify_token': 'vt-123', 'hub.challenge': '1158201444' };
  assert.equal(handshakeChallenge(ok, 'vt-123'), '1158201444');
  assert.equal(handshakeChallenge({ ...ok, 'hub.verify_token': 'vt-124' }, 'vt-123'), undefined);
  assert.equal(handshakeChallenge({ ...ok, 'hub.verify_token': 'vt-12' }, 'vt-123'), undefined);
  assert.equal(handshakeChallenge({ ...ok, 'hub.mode': 'unsubscribe' }, 'vt-123'), undefined);
  assert.equal(
    handshakeChallenge({ 'hub.mode': 'subscribe', 'hub.verify_token': 'vt-123' }, 'vt-123'),
    undefined,
  );
  assert.equal(handshakeChallenge({}, 'vt-123'), undefined);
});

test('payloads: name, quality and account updates become events; unknown fields and events are ignored', () => {
  const { events, ignored } = extractMetaEvents(
    delivery(
      nameUpdate('APPROVED'),
      {
        field: 'phone_number_quality_update',
        value: {
          display_phone_number: '15550783881',
          event: 'DOWNGRADE',
          current_limit: 'TIER_250',
          old_limit: 'TIER_1K',
        },
      },
      {
        field: 'account_update',
        value: {
          phone_number: '15550783881',
          event: 'ACCOUNT_RESTRICTION',
          restriction_info: [
            { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-12T00:00:00Z' },
          ],
        },
      },
      {
        field: 'account_update',
        value: {
          event: 'DISABLED_UPDATE',
          ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'December 5, 2026' },
        },
      },
      { field: 'messages', value: { messages: [{ from: '4915112345678', text: { body: 'hi' } }] } },
      nameUpdate('MAYBE_LATER'),
      {
        field: 'phone_number_quality_update',
        value: { display_phone_number: '15550783881', event: 'SOMETHING_NEW' },
      },
      { field: 'account_update', value: { event: 'VOLUME_BASED_PRICING_TIER_UPDATE' } },
      { field: 'phone_number_name_update', value: { decision: 'APPROVED' } },
    ),
  );
  assert.deepEqual(events, [
    {
      wabaId: WABA,
      displayPhoneNumber: '15550783881',
      at: T0,
      change: { kind: 'name', decision: 'APPROVED', requestedName: 'Lucky Shrub' },
    },
    {
      wabaId: WABA,
      displayPhoneNumber: '15550783881',
      at: T0,
      change: { kind: 'quality', event: 'DOWNGRADE', currentLimit: 'TIER_250', oldLimit: 'TIER_1K' },
    },
    {
      wabaId: WABA,
      displayPhoneNumber: '15550783881',
      at: T0,
      change: {
        kind: 'account',
        event: 'ACCOUNT_RESTRICTION',
        status: 'restricted',
        restrictions: [{ type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-12T00:00:00Z' }],
      },
    },
    {
      wabaId: WABA,
      at: T0,
      change: { kind: 'account', event: 'DISABLED_UPDATE', status: 'banned', banState: 'DISABLE' },
    },
  ]);
  assert.equal(ignored.length, 5, ignored.join('\n'));
  assert.ok(ignored.some((i) => i.includes('messages')));
  assert.ok(!ignored.join(' ').includes('hi'), 'no message content in what is logged');
  assert.deepEqual(extractMetaEvents({ object: 'page', entry: [] }).events, []);
  assert.deepEqual(extractMetaEvents('not json at all').events, []);
  assert.deepEqual(extractMetaEvents(null).events, []);
  assert.equal(digitsOf('+1 555-078-3881'), '15550783881');
});

const event = (change: MetaNumberEvent['change'], at = T0): MetaNumberEvent => ({
  wabaId: WABA,
  displayPhoneNumber: '15550783881',
  at,
  change,
});
const newBook = () => new LifecycleBook('4477', undefined, { waiting: false, provide: () => undefined });

test('the book records what Meta reported: getState shows it, the state shows a restriction or ban', () => {
  const book = newBook();
  assert.equal(book.snapshot(emptyLedger()).meta, undefined, 'nothing reported: no meta in getState');
  assert.equal(book.state(), 'unknown');

  const approved = book.learnFromMeta(
    event({ kind: 'name', decision: 'APPROVED', requestedName: 'Lucky Shrub' }),
    T0,
  );
  assert.deepEqual(
    approved.map((e) => e.type),
    ['display_name.approved'],
  );
  const quality = book.learnFromMeta(
    event({ kind: 'quality', event: 'FLAGGED', currentLimit: 'TIER_1K' }, T0 + 1000),
    T0,
  );
  assert.deepEqual(
    quality.map((e) => e.type),
    ['number.quality_changed'],
  );
  const restricted = book.learnFromMeta(
    event(
      {
        kind: 'account',
        event: 'ACCOUNT_RESTRICTION',
        status: 'restricted',
        restrictions: [{ type: 'RESTRICTED_BIZ_INITIATED_MESSAGING' }],
      },
      T0 + 2000,
    ),
    T0,
  );
  assert.deepEqual(
    restricted.map((e) => {
      const data = e.data as { status?: string; previousStatus?: string };
      return [e.type, data.status, data.previousStatus];
    }),
    [['number.status_changed', 'restricted', 'active']],
  );

  const snap = book.snapshot(emptyLedger());
  assert.equal(snap.state, 'restricted');
  assert.deepEqual(snap.meta, {
    displayName: { decision: 'APPROVED', requestedName: 'Lucky Shrub', at: new Date(T0).toISOString() },
    quality: { event: 'FLAGGED', messagingLimit: 'TIER_1K', at: new Date(T0 + 1000).toISOString() },
    account: {
      status: 'restricted',
      event: 'ACCOUNT_RESTRICTION',
      restrictions: [{ type: 'RESTRICTED_BIZ_INITIATED_MESSAGING' }],
      at: new Date(T0 + 2000).toISOString(),
    },
  });
  assert.match(
    book.details(),
    /Meta reports: display name APPROVED; quality FLAGGED \(TIER_1K\); account restricted/,
  );

  // A violation notice changes no standing (no status event); a ban does; an older event changes nothing.
  assert.deepEqual(
    book.learnFromMeta(
      event({ kind: 'account', event: 'ACCOUNT_VIOLATION', violationType: 'SCAM' }, T0 + 3000),
      T0,
    ),
    [],
  );
  assert.equal(book.state(), 'restricted');
  book.learnFromMeta(
    event({ kind: 'account', event: 'DISABLED_UPDATE', status: 'banned', banState: 'DISABLE' }, T0 + 4000),
    T0,
  );
  assert.equal(book.state(), 'banned');
  assert.deepEqual(
    book.learnFromMeta(event({ kind: 'account', event: 'ACCOUNT_RECONNECTED', status: 'active' }, T0), T0),
    [],
  );
  assert.equal(book.state(), 'banned', 'an event older than the recorded one is ignored');

  // A rejected name; carried across continue-as-new; reinstated → the state is the registration's again.
  assert.deepEqual(
    book.learnFromMeta(event({ kind: 'name', decision: 'REJECTED' }, T0 + 5000), T0).map((e) => e.type),
    ['display_name.rejected'],
  );
  const next = new LifecycleBook('4477', book.carried(emptyLedger()), {
    waiting: false,
    provide: () => undefined,
  });
  assert.deepEqual(next.meta, book.meta);
  assert.equal(next.state(), 'banned');
  next.learnFromMeta(
    event({ kind: 'account', event: 'DISABLED_UPDATE', status: 'active', banState: 'REINSTATE' }, T0 + 6000),
    T0,
  );
  assert.equal(next.state(), 'unknown');
  // A book that never heard from Meta carries nothing new (continue-as-new input unchanged).
  assert.equal('meta' in newBook().carried(emptyLedger()), false);
});

test('config: metaWebhooks is off by default; secrets come from env vars or files and are required when on', () => {
  const config = loadConfig({ env: {} });
  assert.deepEqual(config.metaWebhooks, {
    enabled: false,
    verifyTokenEnv: 'WA_META_VERIFY_TOKEN',
    verifyTokenFile: '',
    appSecretEnv: 'WA_META_APP_SECRET',
    appSecretFile: '',
    maxBodyBytes: 262144,
  });
  assert.equal(readMetaWebhookSecrets(config, {}), undefined);

  const on = loadConfig({
    env: { WA_META_WEBHOOKS_ENABLED: 'true', WA_META_WEBHOOKS_MAX_BODY_BYTES: '1000' },
  });
  assert.deepEqual(readMetaWebhookSecrets(on, { WA_META_VERIFY_TOKEN: 'vt', WA_META_APP_SECRET: 'as' }), {
    verifyToken: 'vt',
    appSecret: 'as',
    maxBodyBytes: 1000,
  });
  assert.throws(
    () => readMetaWebhookSecrets(on, { WA_META_VERIFY_TOKEN: 'vt' }),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /WA_META_APP_SECRET must be set/);
      return true;
    },
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'meta-secrets-'));
  const file = path.join(dir, 'secret.txt');
  writeFileSync(file, 'from-file\n');
  const fromFile = loadConfig({
    env: { WA_META_WEBHOOKS_ENABLED: 'true', WA_META_WEBHOOKS_APP_SECRET_FILE: file },
  });
  assert.equal(
    readMetaWebhookSecrets(fromFile, { WA_META_VERIFY_TOKEN: 'vt', WA_META_APP_SECRET: 'env' })?.appSecret,
    'from-file',
  );
  assert.throws(
    () => loadConfig({ env: { WA_META_WEBHOOKS_MAX_BODY_BYTES: '0' } }),
    /metaWebhooks\.maxBodyBytes/,
  );
});
