// End to end through the real `wa-number` CLI for the operator commands: `retry` re-runs a number's last
// failed operation (optionally with a corrected PIN), `cancel` drops a queued operation or stops the running
// one at a safe point, and `list` finds the numbers in between. Each command is its own process against a
// real dev server, worker and simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { seedVerified } from '../helpers/seed';
import type { TestStack } from '../helpers/stack';
import { assertExit, createCliHarness } from './cli-harness';

const TEST_TIMEOUT = { timeout: 300_000 };
const RIGHT_PIN = '482913';
const WRONG_PIN = '111222';

const harness = createCliHarness({
  tmpPrefix: 'wa-number-operator-cli-test-',
  commandTimeoutMs: 90_000,
  pollTimeoutMs: 60_000,
});
const { cli, statusJson, statusUntil, requestCount, assertNoSecretInTranscript, secretsUsed } = harness;
secretsUsed.add(RIGHT_PIN);
secretsUsed.add(WRONG_PIN);

let stack: TestStack;

before(async () => {
  ({ stack } = await harness.start());
});
after(() => harness.stop());

test(
  'retry: a register refused for its PIN is re-run with a corrected PIN from the environment',
  TEST_TIMEOUT,
  async () => {
    const id = '7600000001';
    await seedVerified(stack.sim, id, { pin: RIGHT_PIN });
    const nothing = await cli(['retry', id]);
    assertExit(nothing, 2);
    assert.match(nothing.stderr, /no lifecycle yet/);

    const failed = await cli(['register', id, '--pin-env', 'P', '--wait'], { env: { P: WRONG_PIN } });
    assertExit(failed, 1);
    assert.match(failed.stdout, /failed: .*PIN/i);

    const badPin = await cli(['retry', id, '--pin-env', 'P'], { env: { P: '12ab' } });
    assertExit(badPin, 2);
    assert.match(badPin.stderr, /pin: must be exactly 6 digits/);

    const retried = await cli(['retry', id, '--pin-env', 'P', '--requested-by', 'ops', '--wait', '--json'], {
      env: { P: RIGHT_PIN },
    });
    assertExit(retried, 0);
    const outcome = JSON.parse(retried.stdout) as { status: string; retryOf?: string; requestedBy?: string };
    assert.equal(outcome.status, 'completed');
    assert.match(outcome.retryOf ?? '', new RegExp(`^phone-number:${id}:register:1$`));
    assert.equal(outcome.requestedBy, 'ops');
    assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');

    const again = await cli(['retry', id]);
    assertExit(again, 2);
    assert.match(again.stderr, /nothing to retry/);
  },
);

test(
  'cancel: a queued operation is dropped; a running one stops at its safe point; list shows the wait',
  TEST_TIMEOUT,
  async () => {
    const id = '7600000002';
    await seedVerified(stack.sim, id, { pin: RIGHT_PIN, waba_id: '990000000001' });
    // 10 registers in the last 10 hours: the register must wait ~62 h for Meta's window.
    await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
    const register = await cli(['register', id, '--pin-env', 'P', '--waba', '990000000001'], {
      env: { P: RIGHT_PIN },
    });
    assertExit(register, 0);
    await statusUntil(id, 'the register to wait for the window', (s) => s.state === 'waiting-for-rate-limit');

    const listed = await cli([
      'list',
      '--state',
      'waiting-for-rate-limit',
      '--waba',
      '990000000001',
      '--json',
    ]);
    assertExit(listed, 0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phoneNumberId: string; nextAttemptAt?: string });
    assert.deepEqual(
      rows.map((r) => r.phoneNumberId),
      [id],
    );
    assert.ok(
      Date.parse(rows[0]!.nextAttemptAt ?? '') > Date.now() + 60 * 3_600_000,
      'the wait ends in ~62 h',
    );

    const status = await cli(['status', id]);
    assert.match(
      status.stdout,
      /register: 10 of 10 register requests used in the last 72 h, next free slot at \d{4}-/,
    );

    const queued = await cli(['set-pin', id, '--pin-env', 'P'], { env: { P: RIGHT_PIN } });
    assertExit(queued, 0);
    const setPinId = /started ([^\s,]+)/.exec(queued.stdout)?.[1];
    assert.ok(setPinId, queued.stdout);
    const dropped = await cli(['cancel', id, '--operation-id', setPinId!, '--json']);
    assertExit(dropped, 0);
    assert.equal((JSON.parse(dropped.stdout) as { status: string }).status, 'cancelled');

    const cancelled = await cli(['cancel', id, '--requested-by', 'ops', '--wait']);
    assertExit(cancelled, 0);
    assert.match(cancelled.stdout, /failed: cancelled before register succeeded .*\[Cancelled\]/);
    const after = await statusJson(id);
    assert.equal(after.state, 'deregistered', 'the number is as it was');
    assert.equal(await requestCount(id, 'register'), 0, 'no register was sent');
    assert.equal(await requestCount(id, 'set_pin'), 0, 'the dropped set-pin never ran');

    const none = await cli(['cancel', id]);
    assertExit(none, 2);
    assert.match(none.stderr, /nothing to cancel/);
  },
);

test('no PIN was ever printed', () => {
  assertNoSecretInTranscript();
});
