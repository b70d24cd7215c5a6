// `wa-number webhooks create|list|delete` end to end: each command its own process against a real dev
// server and worker. The secret is printed by create only; bad input exits 2 naming the field, before any
// connection; a duplicate ID and an unknown one are refused by the store.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertExit, createCliHarness } from './cli-harness';

const harness = createCliHarness({
  tmpPrefix: 'wa-number-webhooks-cli-test-',
  commandTimeoutMs: 60_000,
  pollTimeoutMs: 30_000,
});
const { cli } = harness;

before(async () => {
  await harness.start();
});
after(() => harness.stop());

test(
  'create prints the secret once; list shows no secret; delete removes; bad input exits 2',
  { timeout: 180_000 },
  async () => {
    const created = await cli([
      'webhooks',
      'create',
      '--id',
      'crm',
      '--url',
      'https://crm.example/hooks',
      '--events',
      'operation.succeeded,number.offline',
      '--json',
    ]);
    assertExit(created, 0);
    const { secret, subscription } = JSON.parse(created.stdout) as {
      secret: string;
      subscription: { id: string };
    };
    assert.match(secret, /^whsec_/);
    assert.equal(subscription.id, 'crm');

    const list = await cli(['webhooks', 'list']);
    assertExit(list, 0);
    assert.match(
      list.stdout,
      /^crm\tapi\thttps:\/\/crm\.example\/hooks\toperation\.succeeded,number\.offline$/m,
    );
    assert.ok(!list.stdout.includes(secret) && !list.stdout.includes('whsec_'));

    const again = await cli([
      'webhooks',
      'create',
      '--id',
      'crm',
      '--url',
      'https://x.example',
      '--events',
      'number.online',
    ]);
    assertExit(again, 2);
    assert.match(again.stderr, /id: a subscription with id crm exists already/);

    const badScheme = await cli([
      'webhooks',
      'create',
      '--id',
      'x',
      '--url',
      'ftp://x.example',
      '--events',
      'number.online',
    ]);
    assertExit(badScheme, 2);
    assert.match(badScheme.stderr, /url: must use the http or https scheme/);
    const notAllowed = await cli([
      'webhooks',
      'create',
      '--id',
      'x',
      '--url',
      'http://x.example',
      '--events',
      'number.online',
    ]);
    assertExit(notAllowed, 2);
    assert.match(notAllowed.stderr, /url: must start with one of https:\/\//);

    assertExit(await cli(['webhooks', 'delete', 'crm']), 0);
    const gone = await cli(['webhooks', 'delete', 'crm']);
    assertExit(gone, 2);
    assert.match(gone.stderr, /id: no subscription with id crm/);
    assert.equal((await cli(['webhooks', 'list'])).stdout.trim(), 'no webhook subscriptions');
  },
);
