// Signing and verification of outbound webhooks (Standard Webhooks): a delivery signed by the worker
// verifies with the subscription's secret; a changed body, another secret, a stale or future timestamp, or
// a missing header is refused with a message saying which.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifyWebhook, WebhookVerificationError } from '../../client/index';
import { generateWebhookSecret, signWebhook, webhookHeaders } from '../../platform/webhook-signature';

const secret = generateWebhookSecret();
const body = JSON.stringify({ id: 'evt-1', type: 'number.online', time: '2026-01-01T00:00:00Z', data: {} });
const now = Date.UTC(2026, 0, 1);

test('a signed delivery verifies and returns the parsed body', () => {
  const headers = webhookHeaders(secret, 'evt-1', body, now);
  assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
  assert.equal(headers['webhook-timestamp'], String(now / 1000));
  const parsed = verifyWebhook<{ id: string }>(secret, headers, body, { nowMs: now + 10_000 });
  assert.equal(parsed.id, 'evt-1');
  // Headers as a fetch Headers object, in another case, and a Buffer body work the same.
  const fetchHeaders = new Headers(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
  verifyWebhook(secret, fetchHeaders, Buffer.from(body), { nowMs: now });
});

test('the signature is the Standard Webhooks one: HMAC-SHA256 of id.timestamp.body keyed by the base64 secret', () => {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`evt-1.1767225600.${body}`).digest('base64');
  assert.equal(signWebhook(secret, 'evt-1', 1767225600, body), `v1,${expected}`);
});

test('a changed body or another secret is refused as a bad signature', () => {
  const headers = webhookHeaders(secret, 'evt-1', body, now);
  const refused = (fn: () => unknown) =>
    assert.throws(
      fn,
      (err: Error) => err instanceof WebhookVerificationError && /does not match/.test(err.message),
    );
  refused(() => verifyWebhook(secret, headers, body.replace('online', 'offline'), { nowMs: now }));
  refused(() => verifyWebhook(generateWebhookSecret(), headers, body, { nowMs: now }));
  refused(() => verifyWebhook(secret, { ...headers, 'webhook-id': 'evt-2' }, body, { nowMs: now }));
  // Several signatures (a rotation): one matching is enough.
  const other = signWebhook(generateWebhookSecret(), 'evt-1', now / 1000, body);
  verifyWebhook(
    secret,
    { ...headers, 'webhook-signature': `${other} ${headers['webhook-signature']}` },
    body,
    {
      nowMs: now,
    },
  );
});

test('a stale or future timestamp is refused, even with a valid signature', () => {
  const headers = webhookHeaders(secret, 'evt-1', body, now);
  assert.throws(
    () => verifyWebhook(secret, headers, body, { nowMs: now + 301_000 }),
    /webhook-timestamp is too old \(301 s; tolerance 300 s\)/,
  );
  assert.throws(
    () => verifyWebhook(secret, headers, body, { nowMs: now - 301_000 }),
    /webhook-timestamp is in the future/,
  );
  assert.throws(
    () => verifyWebhook(secret, headers, body, { nowMs: now + 61_000, toleranceSeconds: 60 }),
    /too old/,
  );
  verifyWebhook(secret, headers, body, { nowMs: now + 299_000 });
});

test('missing headers and a secret without whsec_ are refused', () => {
  const headers = webhookHeaders(secret, 'evt-1', body, now);
  const { 'webhook-signature': _s, ...unsigned } = headers;
  assert.throws(() => verifyWebhook(secret, unsigned, body, { nowMs: now }), /missing header/);
  assert.throws(
    () => verifyWebhook(secret, { ...headers, 'webhook-timestamp': 'soon' }, body),
    /unix seconds/,
  );
  assert.throws(() => verifyWebhook('not-a-secret', headers, body, { nowMs: now }), /must start with whsec_/);
});
