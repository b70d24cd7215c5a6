// Webhook subscription rules: what a caller may subscribe (domain/webhook-events.ts) and how temporal.yaml's
// webhooks: section is read (platform/webhooks-config.ts). Each refusal names the field and the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAllowedUrl, webhookSubscriptionRequestSchema } from '../../domain/webhook-events';
import { InputError, parseInput } from '../../domain/validation';
import { loadConfig } from '../../platform/config';

const valid = { id: 'billing', url: 'https://billing.example/hooks', events: ['number.online'] };
const refusal = (input: unknown): string => {
  try {
    parseInput(webhookSubscriptionRequestSchema(), input);
  } catch (err) {
    assert.ok(err instanceof InputError);
    return err.message;
  }
  return 'accepted';
};

test('a valid request passes; bad ones are refused naming the field and the rule', () => {
  assert.equal(refusal(valid), 'accepted');
  assert.equal(
    refusal({ ...valid, url: 'ftp://billing.example/x' }),
    'url: must use the http or https scheme',
  );
  assert.equal(refusal({ ...valid, url: 'javascript:alert(1)' }), 'url: must use the http or https scheme');
  assert.equal(refusal({ ...valid, url: 'billing.example' }), 'url: must be an absolute URL');
  assert.match(
    refusal({ ...valid, url: 'https://user:pw@billing.example/' }),
    /^url: .*without spaces, user name or password/,
  );
  assert.match(
    refusal({ ...valid, events: ['number.exploded'] }),
    /^events\.0: must be one of operation\.succeeded, /,
  );
  assert.equal(refusal({ ...valid, events: [] }), 'events: must name at least one event type');
  assert.equal(
    refusal({ ...valid, events: ['number.online', 'number.online'] }),
    'events: must not repeat an event type',
  );
  assert.match(refusal({ ...valid, id: 'has space' }), /^id: must be 1-64 letters/);
  assert.equal(refusal({ ...valid, secret: 'whsec_x' }), 'input: unknown field(s) secret');
});

test('the operator allows URL prefixes: https:// by default, anything else only when listed', () => {
  assert.equal(checkAllowedUrl('https://a.example/', ['https://']), undefined);
  assert.equal(
    checkAllowedUrl('http://127.0.0.1:9000/x', ['https://']),
    'must start with one of https:// (webhooks.allowedUrlPrefixes)',
  );
  assert.equal(checkAllowedUrl('http://127.0.0.1:9000/x', ['https://', 'http://127.0.0.1:']), undefined);
});

test('the webhooks: section: defaults, env overrides and file subscriptions checked against the prefixes', () => {
  const defaults = loadConfig({ env: {} }).webhooks;
  assert.deepEqual(defaults.allowedUrlPrefixes, ['https://']);
  assert.equal(defaults.maxDeliveryHours, 72);
  assert.deepEqual(defaults.subscriptions, []);
  const overridden = loadConfig({
    env: {
      WA_WEBHOOKS_ALLOWED_URL_PREFIXES: 'http://127.0.0.1:, https://',
      WA_WEBHOOKS_MAX_DELIVERY_HOURS: '1',
      WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([
        { id: 'ops', url: 'http://127.0.0.1:9/hooks', events: ['number.offline'], secretEnv: 'OPS_SECRET' },
      ]),
    },
  }).webhooks;
  assert.deepEqual(overridden.allowedUrlPrefixes, ['http://127.0.0.1:', 'https://']);
  assert.equal(overridden.maxDeliveryHours, 1);
  assert.equal(overridden.subscriptions[0]!.secretEnv, 'OPS_SECRET');
  const sub = { id: 'ops', url: 'http://127.0.0.1:9/hooks', events: ['number.offline'], secretEnv: 'S' };
  assert.throws(
    () => loadConfig({ env: { WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([sub]) } }),
    /webhooks\.subscriptions\.0\.url: must start with one of https:\/\//,
  );
  assert.throws(
    () =>
      loadConfig({
        env: {
          WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([
            { ...sub, url: 'https://x.example', secretEnv: undefined },
          ]),
        },
      }),
    /webhooks\.subscriptions\.0\.secretEnv: give exactly one of secretEnv or secretFile/,
  );
  assert.throws(
    () =>
      loadConfig({
        env: {
          WA_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify([{ ...sub, url: 'https://x.example', events: ['nope'] }]),
        },
      }),
    /webhooks\.subscriptions\.0\.events\.0: must be one of/,
  );
  assert.throws(
    () => loadConfig({ env: { WA_WEBHOOKS_MAX_DELIVERY_HOURS: '0' } }),
    /WA_WEBHOOKS_MAX_DELIVERY_HOURS.*must be > 0/,
  );
});
