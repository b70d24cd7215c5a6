// End to end through the real `wa-number` CLI for ownership verification, the two-step PIN and
// onboarding: every test spawns `node bin/wa-number.js …` as its own process against a real Temporal dev
// server, a worker with the real activities and the Graph simulator over HTTP, and asserts on the exit
// code, stdout and stderr. The "person" reads the code Meta "sent" from the simulator's /_sim/codes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CodeSubmissionResult, LifecycleSnapshot, OperationTicket } from '../../client';
import type { TestStack } from '../helpers/stack';
import { assertExit, createCliHarness, type RunResult } from './cli-harness';

/** A CLI left running in the background while the test acts as the person who receives the code. */
const BACKGROUND_TIMEOUT_MS = 180_000;
const TEST_TIMEOUT = { timeout: 240_000 };

// The secrets here are PINs and codes (both forms): none may be echoed, even when the code was given as an
// argument.
const harness = createCliHarness({
  tmpPrefix: 'wa-number-verification-cli-test-',
  // Generous: a spawned CLI compiles TypeScript on the fly and may wait for an operation to finish.
  commandTimeoutMs: 60_000,
  pollTimeoutMs: 90_000,
});
const {
  cli,
  statusJson,
  statusUntil,
  finishedOperation,
  requestCount: count,
  secretPattern,
  assertNoSecret,
  transcript,
  secretsUsed,
} = harness;

let stack: TestStack;
let tmpDir: string;

before(async () => {
  ({ stack, tmpDir } = await harness.start());
});
after(() => harness.stop());

function waitingForCode(id: string): Promise<LifecycleSnapshot> {
  return statusUntil(
    id,
    'waiting-for-code',
    (s) => s.state === 'waiting-for-code' && s.currentOperation?.activeState === 'waiting-for-code',
  );
}

interface SentCode {
  code: string;
  display: string;
  method: string;
  language: string;
  used: boolean;
}

/** The newest code Meta "sent" to the number, as the person holding the phone sees it. */
async function sentCode(id: string): Promise<SentCode> {
  const res = await fetch(`${stack.simulator.url}/_sim/codes/${id}`);
  assert.equal(res.status, 200, `GET /_sim/codes/${id}: ${res.status}`);
  const sent = (await res.json()) as SentCode;
  secretsUsed.add(sent.code);
  secretsUsed.add(sent.display);
  return sent;
}

/** A well-formed 6-digit code that is not the one sent. */
function wrongCodeFor(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

async function endpoints(id: string): Promise<string[]> {
  return (await stack.sim.requests({ phoneNumberId: id })).map((r) => r.endpoint);
}

/** The operation id in a ticket line (`verify 123: started phone-number:123:verify:1`). */
function ticketOperationId(r: RunResult, operation: string, id: string): string {
  const m = new RegExp(`^${operation} ${id}: started (phone-number:${id}:${operation}:\\d+)$`, 'm').exec(
    r.stdout,
  );
  assert.ok(m, `${r.command}: operation id in stdout: ${r.stdout}`);
  return m[1]!;
}

function submitHintPattern(id: string): RegExp {
  return new RegExp(`wa-number submit-code ${id} <code>`);
}

test(
  'verify without --wait: exit 0 with the operation id and the submit-code hint; a wrong code is ' +
    'rejected (exit 1, attempts left), malformed codes are bad input, the displayed code is accepted',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000101';
    await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });

    const started = await cli(['verify', id]);
    assertExit(started, 0);
    const operationId = ticketOperationId(started, 'verify', id);
    assert.match(started.stdout, submitHintPattern(id));

    const waiting = await waitingForCode(id);
    assert.equal(waiting.currentOperation?.operationId, operationId);
    assert.equal(waiting.verification, 'unknown');
    assert.match(waiting.currentOperation?.waitingFor ?? '', /code sent by SMS/);
    const human = await cli(['status', id]);
    assertExit(human, 0);
    assert.match(human.stdout, new RegExp(`^phone number ${id}: waiting-for-code `, 'm'));
    assert.match(human.stdout, /^ {4}waiting-for-code: the verification code sent by SMS/m);

    const sent = await sentCode(id);
    assert.equal(sent.method, 'SMS', 'default method');
    assert.equal(sent.language, 'en_US', 'default language');
    assertNoSecret(started, sent.code, sent.display);
    assertNoSecret(human, sent.code, sent.display);

    // Malformed codes: refused by the CLI before anything is sent; they cost no attempt.
    for (const bad of ['12a4', '123', '123456789', '12-34-56']) {
      const r = await cli(['submit-code', id, bad]);
      assertExit(r, 2);
      assert.match(r.stderr, /code: must be 6 digits/, `${r.command}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assertNoSecret(r, sent.code, sent.display);
    }
    assert.equal(await count(id, 'verify_code'), 0, 'no verify_code for malformed codes');

    const wrong = wrongCodeFor(sent.code);
    const rejected = await cli(['submit-code', id, wrong]);
    assertExit(rejected, 1);
    assert.match(rejected.stdout, /^code rejected: .*wrong.*\(4 attempt\(s\) left\)$/m);
    assertNoSecret(rejected, wrong, sent.code, sent.display);
    assert.equal(await count(id, 'verify_code'), 1);

    // Still waiting for the right code after a wrong one.
    await waitingForCode(id);
    const accepted = await cli(['submit-code', id, sent.display]);
    assertExit(accepted, 0);
    assert.match(accepted.stdout, new RegExp(`^code accepted: ${id} is verified$`, 'm'));
    assertNoSecret(accepted, sent.code, sent.display);

    const finished = await finishedOperation(id, operationId);
    assert.equal(finished.status, 'completed');
    assert.equal(finished.outcome, 'completed');
    const final = await statusJson(id);
    assert.ok('recentOperations' in final);
    assert.equal(final.verification, 'verified');
    assert.equal(final.currentOperation, undefined);
    assert.equal((await stack.sim.phoneNumber(id)).code_verification_status, 'VERIFIED');
    assert.deepEqual(
      (await endpoints(id)).filter((e) => e !== 'get'),
      ['request_code', 'verify_code', 'verify_code'],
    );

    // The code was used: nothing waits for one any more.
    const again = await cli(['submit-code', id, sent.code]);
    assertExit(again, 2);
    assert.match(again.stderr, new RegExp(`no verification is waiting for a code on ${id}`));
    assertNoSecret(again, sent.code, sent.display);
    assert.equal(await count(id, 'verify_code'), 2, 'no verify_code sent for it');
  },
);

test(
  'verify --wait in the background: another CLI process submits the code, the waiting one exits 0 ' +
    'and prints completed',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000102';
    await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });

    const waiter = cli(
      ['verify', id, '--method', 'VOICE', '--language', 'de_DE', '--no-voice-fallback', '--wait'],
      {
        timeoutMs: BACKGROUND_TIMEOUT_MS,
      },
    );
    const waiting = await waitingForCode(id);
    assert.match(waiting.currentOperation?.waitingFor ?? '', /code sent by VOICE/);
    const sent = await sentCode(id);
    assert.equal(sent.method, 'VOICE');
    assert.equal(sent.language, 'de_DE');

    const submitted = await cli(['submit-code', id, sent.code, '--json']);
    assertExit(submitted, 0);
    assert.equal(submitted.stdout.trim().split('\n').length, 1, `one line of JSON: ${submitted.stdout}`);
    const answer = JSON.parse(submitted.stdout) as CodeSubmissionResult;
    assert.equal(answer.accepted, true);
    assert.equal(answer.attemptsLeft, 5);
    assertNoSecret(submitted, sent.code, sent.display);

    const r = await waiter;
    assertExit(r, 0);
    const operationId = `phone-number:${id}:verify:1`;
    assert.match(r.stdout, new RegExp(`^${operationId}: completed$`, 'm'));
    assert.match(r.stderr, new RegExp(`verify ${id}: started ${operationId}`));
    assert.match(r.stderr, submitHintPattern(id));
    assert.match(r.stderr, /waiting for it to finish/);
    assertNoSecret(r, sent.code, sent.display);
    assert.equal((await stack.sim.phoneNumber(id)).code_verification_status, 'VERIFIED');
    assert.equal(await count(id, 'request_code'), 1);
    assert.equal(await count(id, 'verify_code'), 1);
  },
);

test(
  'verify --wait on an already verified number: exit 0, completed with no request sent, no request_code',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000103';
    await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED' });
    const r = await cli(['verify', id, '--wait']);
    assertExit(r, 0);
    assert.match(
      r.stdout,
      new RegExp(
        `^phone-number:${id}:verify:1: completed \\(already in that state; no request sent\\)$`,
        'm',
      ),
    );
    assert.equal(await count(id, 'request_code'), 0, 'no request_code');
    assert.equal(await count(id, 'verify_code'), 0, 'no verify_code');
    const s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.verification, 'verified');
    assert.equal(s.recentOperations[0]?.outcome, 'already-done');
  },
);

test(
  'submit-code when no verification waits: exit 2, saying so and what the number is doing; nothing sent',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000104';
    const pin = '317205';
    await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED' });

    const fresh = await cli(['submit-code', id, '123456']);
    assertExit(fresh, 2);
    assert.match(
      fresh.stderr,
      new RegExp(
        `no verification is waiting for a code on ${id}: the number is unknown \\(no operations yet\\)`,
      ),
    );
    assert.equal(fresh.stdout, '');

    const reg = await cli(['register', id, '--pin-env', 'WA_PIN', '--wait'], { env: { WA_PIN: pin } });
    assertExit(reg, 0);
    assertNoSecret(reg, pin);

    const registered = await cli(['submit-code', id, '123-456']);
    assertExit(registered, 2);
    assert.match(
      registered.stderr,
      new RegExp(`no verification is waiting for a code on ${id}: the number is registered`),
    );
    assert.equal(registered.stdout, '');
    assertNoSecret(registered, '123456', '123-456', pin);

    for (const bad of ['12a4', '123', '123456789']) {
      const r = await cli(['submit-code', id, bad]);
      assertExit(r, 2);
      assert.match(r.stderr, /code: must be 6 digits \(one hyphen allowed/);
      assert.equal(r.stdout, '');
    }
    assert.equal(await count(id, 'verify_code'), 0, 'no verify_code');
    assert.equal(await count(id, 'request_code'), 0, 'no request_code');
  },
);

test(
  'bad verify/onboard/set-pin input is refused (exit 2) naming the field; nothing reaches Meta',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000105';
    await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
    const cases: { args: string[]; env?: Record<string, string>; error: RegExp; secret?: string }[] = [
      { args: ['verify', id, '--method', 'EMAIL'], error: /method: must be SMS or VOICE/ },
      {
        args: ['verify', id, '--language', 'english'],
        error: /language: must be a locale like en_US/,
      },
      { args: ['verify', id, '--language', 'EN_us'], error: /language: must be a locale like en_US/ },
      {
        args: ['verify', id, '--language', 'en'],
        error: /language: must be a locale like en_US \(language_COUNTRY\)/,
      },
      {
        args: ['onboard', id, '--pin-env', 'WA_PIN', '--wait'],
        env: { WA_PIN: '24680' },
        error: /pin: must be exactly 6 digits/,
        secret: '24680',
      },
      {
        args: ['onboard', id, '--pin-env', 'WA_PIN', '--region', 'XX'],
        env: { WA_PIN: '246802' },
        error: /region: must be one of Meta's data-localization regions/,
        secret: '246802',
      },
      {
        args: ['onboard', id, '--pin-env', 'WA_PIN', '--method', 'EMAIL'],
        env: { WA_PIN: '246802' },
        error: /method: must be SMS or VOICE/,
        secret: '246802',
      },
      {
        args: ['set-pin', id, '--pin-env', 'WA_PIN', '--wait'],
        env: { WA_PIN: '1357924' },
        error: /pin: must be exactly 6 digits/,
        secret: '1357924',
      },
    ];
    const results = await Promise.all(cases.map((c) => cli(c.args, { env: c.env })));
    results.forEach((r, i) => {
      const c = cases[i]!;
      assertExit(r, 2);
      assert.match(r.stderr, c.error, `${r.command}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${r.command}: nothing on stdout`);
      if (c.secret) assertNoSecret(r, c.secret);
    });
    assert.deepEqual(await stack.sim.requests({ phoneNumberId: id }), [], 'no Graph request');
    assert.deepEqual(
      await statusJson(id),
      { phoneNumberId: id, state: 'unknown', operations: 0 },
      'no workflow',
    );
  },
);

test(
  'set-pin --pin-file --wait: exit 0; register with that PIN succeeds, with the old PIN fails (exit 1, ' +
    'PIN mismatch); status shows pinSet; the PIN never appears in any output',
  TEST_TIMEOUT,
  async () => {
    const first = '7771000106';
    const second = '7771000107';
    const oldPin = '135790';
    const newPin = '864213';
    for (const id of [first, second]) {
      await stack.sim.seed({
        id,
        code_verification_status: 'VERIFIED',
        name_status: 'APPROVED',
        pin: oldPin,
      });
    }
    const file = path.join(tmpDir, 'new-pin.txt');
    writeFileSync(file, `${newPin}\n`, { mode: 0o600 });

    for (const id of [first, second]) {
      const r = await cli(['set-pin', id, '--pin-file', file, '--wait']);
      assertExit(r, 0);
      assert.match(r.stdout, new RegExp(`^phone-number:${id}:set-pin:1: completed$`, 'm'));
      assert.match(r.stderr, new RegExp(`set-pin ${id}: started phone-number:${id}:set-pin:1`));
      assertNoSecret(r, newPin, oldPin);
      assert.equal(await count(id, 'set_pin'), 1);
      assert.equal((await stack.sim.phoneNumber(id)).is_pin_enabled, true);
      const s = await statusJson(id);
      assert.ok('recentOperations' in s);
      assert.equal(s.pinSet, true);
      assert.doesNotMatch(JSON.stringify(s), secretPattern(newPin), 'no PIN in status --json');
    }

    const ok = await cli(['register', first, '--pin-env', 'WA_PIN', '--wait'], { env: { WA_PIN: newPin } });
    assertExit(ok, 0);
    assert.match(ok.stdout, /: completed$/m);
    assertNoSecret(ok, newPin, oldPin);
    assert.equal((await stack.sim.phoneNumber(first)).status, 'CONNECTED');

    const mismatch = await cli(['register', second, '--pin-env', 'WA_PIN', '--wait'], {
      env: { WA_PIN: oldPin },
    });
    assertExit(mismatch, 1);
    assert.match(mismatch.stdout, /failed: .*PIN Mismatch.*\[GraphPinMismatch\]/i);
    assertNoSecret(mismatch, newPin, oldPin);
    assert.notEqual((await stack.sim.phoneNumber(second)).status, 'CONNECTED');
    assert.equal(await count(second, 'register'), 1);

    for (const id of [first, second]) {
      const human = await cli(['status', id]);
      assertExit(human, 0);
      assert.match(human.stdout, /two-step PIN: set\)/);
      assertNoSecret(human, newPin, oldPin);
    }
  },
);

test(
  'onboard --pin-env --region DE --wait on an unverified number: the code is submitted from another ' +
    'process, onboard exits 0, the number is CONNECTED in DE after one register',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000108';
    const pin = '592746';
    await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });

    const onboard = cli(['onboard', id, '--pin-env', 'WA_PIN', '--region', 'DE', '--wait'], {
      env: { WA_PIN: pin },
      timeoutMs: BACKGROUND_TIMEOUT_MS,
    });
    const waiting = await waitingForCode(id);
    const operationId = `phone-number:${id}:onboard:1`;
    assert.equal(waiting.currentOperation?.operationId, operationId);
    assert.equal(await count(id, 'register'), 0, 'no register before the number is verified');
    const sent = await sentCode(id);
    assert.equal(sent.method, 'SMS', 'default method');
    assert.equal(sent.language, 'en_US', 'default language');

    const submitted = await cli(['submit-code', id, sent.display]);
    assertExit(submitted, 0);
    assert.match(submitted.stdout, new RegExp(`^code accepted: ${id} is verified$`, 'm'));
    assertNoSecret(submitted, sent.code, sent.display, pin);

    const r = await onboard;
    assertExit(r, 0);
    assert.match(r.stdout, new RegExp(`^${operationId}: completed$`, 'm'));
    assert.match(r.stderr, new RegExp(`onboard ${id}: started ${operationId}`));
    assert.match(r.stderr, submitHintPattern(id));
    assertNoSecret(r, pin, sent.code, sent.display);

    const number = await stack.sim.phoneNumber(id);
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.code_verification_status, 'VERIFIED');
    assert.equal(number.data_localization_region, 'DE');
    assert.equal(await count(id, 'register'), 1, 'one register request');
    assert.equal(await count(id, 'request_code'), 1);
    assert.equal(await count(id, 'verify_code'), 1);

    const s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.state, 'registered');
    assert.equal(s.registration, 'registered');
    assert.equal(s.verification, 'verified');
    assert.equal(s.pinSet, true);
    assert.equal(s.recentOperations[0]?.operationId, operationId);
    assert.equal(s.recentOperations[0]?.status, 'completed');
  },
);

test(
  'onboard of a verified number whose display name is not approved (NONE): waits in ' +
    'waiting-for-display-name, sends no register; submit-code there is refused naming that state',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000109';
    const pin = '613058';
    await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'NONE' });

    const started = await cli(['onboard', id, '--pin-env', 'WA_PIN'], { env: { WA_PIN: pin } });
    assertExit(started, 0);
    const operationId = ticketOperationId(started, 'onboard', id);
    assertNoSecret(started, pin);

    const s = await statusUntil(
      id,
      'waiting-for-display-name',
      (x) =>
        x.state === 'waiting-for-display-name' &&
        x.currentOperation?.activeState === 'waiting-for-display-name',
    );
    assert.equal(s.currentOperation?.operationId, operationId);
    assert.equal(s.currentOperation?.status, 'waiting');
    assert.match(s.currentOperation?.waitingFor ?? '', /display name not usable yet \(NONE\)/);
    assert.ok(s.currentOperation?.nextAttemptAt, 'when it re-checks');

    const human = await cli(['status', id]);
    assertExit(human, 0);
    assert.match(human.stdout, /waiting-for-display-name: display name not usable yet \(NONE\)/);
    assertNoSecret(human, pin);

    const submit = await cli(['submit-code', id, '123456']);
    assertExit(submit, 2);
    assert.match(
      submit.stderr,
      new RegExp(
        `no verification is waiting for a code on ${id}: the number is waiting-for-display-name; ` +
          `current operation ${operationId} is waiting-for-display-name`,
      ),
    );

    assert.equal(await count(id, 'register'), 0, 'no register request');
    assert.equal(await count(id, 'request_code'), 0, 'verified already: no request_code');
    assert.equal(await count(id, 'verify_code'), 0);
    assert.notEqual((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
  },
);

/**
 * A request with other parameters than the queued or running one of the same kind must not be merged
 * into it: either it is queued as its own operation (exit 0, joined false) or refused (exit 2) naming
 * the operation in the way. Joining would report success while the caller's PIN/region is dropped.
 */
function assertNotJoined(later: RunResult, existingOperationId: string): void {
  if (later.code === 2) {
    assert.match(later.stderr, new RegExp(existingOperationId), `${later.command}: refused, naming why`);
    return;
  }
  assertExit(later, 0);
  const ticket = JSON.parse(later.stdout) as OperationTicket;
  assert.equal(
    ticket.joined,
    false,
    `${later.command} joined ${ticket.operationId}, an operation with other parameters: the caller's ` +
      'parameters would be dropped while it is told the request was accepted',
  );
}

test(
  'set-pin with another PIN does not join a queued set-pin with a different PIN',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000110';
    const firstPin = '402917';
    const laterPin = '730154';
    const onboardPin = '640281';
    // An onboard parked in waiting-for-display-name (60 min) keeps the set-pins queued behind it.
    await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'NONE' });
    const onboard = await cli(['onboard', id, '--pin-env', 'WA_PIN'], { env: { WA_PIN: onboardPin } });
    assertExit(onboard, 0);
    await statusUntil(id, 'waiting-for-display-name', (x) => x.state === 'waiting-for-display-name');

    const first = await cli(['set-pin', id, '--pin-env', 'WA_PIN', '--json'], { env: { WA_PIN: firstPin } });
    assertExit(first, 0);
    const firstTicket = JSON.parse(first.stdout) as OperationTicket;
    assert.equal(firstTicket.joined, false);
    assert.equal(firstTicket.position, 1, 'queued behind the onboard');

    const later = await cli(['set-pin', id, '--pin-env', 'WA_PIN', '--json'], { env: { WA_PIN: laterPin } });
    for (const r of [onboard, first, later]) assertNoSecret(r, firstPin, laterPin, onboardPin);
    assertNotJoined(later, firstTicket.operationId);
    assert.equal(await count(id, 'set_pin'), 0, 'nothing sent while queued');
  },
);

test(
  'onboard with another PIN and region does not join a waiting onboard with different ones',
  TEST_TIMEOUT,
  async () => {
    const id = '7771000111';
    const firstPin = '529401';
    const laterPin = '918273';
    await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'NONE' });
    const first = await cli(['onboard', id, '--pin-env', 'WA_PIN', '--region', 'DE', '--json'], {
      env: { WA_PIN: firstPin },
    });
    assertExit(first, 0);
    const firstTicket = JSON.parse(first.stdout) as OperationTicket;
    await statusUntil(id, 'waiting-for-display-name', (x) => x.state === 'waiting-for-display-name');

    const later = await cli(['onboard', id, '--pin-env', 'WA_PIN', '--region', 'CH', '--json'], {
      env: { WA_PIN: laterPin },
    });
    for (const r of [first, later]) assertNoSecret(r, firstPin, laterPin);
    assertNotJoined(later, firstTicket.operationId);
    assert.equal(await count(id, 'register'), 0, 'no register request');
  },
);

test('no PIN or verification code appears in the stdout or stderr of any command this file ran', () => {
  assert.ok(transcript.length > 30, `ran ${transcript.length} commands`);
  assert.ok(secretsUsed.size > 8, `checked ${secretsUsed.size} secrets`);
  harness.assertNoSecretInTranscript();
});
