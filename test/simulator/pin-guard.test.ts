// The two-step PIN on register under the per-number guessing rules: the code a wrong PIN gets (133005 or 131031),
// too many wrong PINs (133008 and a lockout), PINs guessed too fast (133009); waits in error_data.details, on the
// simulator's clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONNECTED_ID,
  admin,
  advanceClock,
  register,
  requestLog,
  simNow,
  simNumber,
  startTestSimulator,
} from './helpers';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;

const MINUTE_MS = 60_000;
const ID = '5552000';
const PIN = '424242';
const WRONG = '979797';

/** A registered number with PIN 424242 and the given rules; the budget is raised so only the PIN rules answer. */
async function guardedNumber(t: Parameters<typeof startTestSimulator>[0], rules: Record<string, unknown>) {
  const sim = await startTestSimulator(t, { requestsPerWindow: 100 });
  const res = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: ID,
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    pin: PIN,
    ...rules,
  });
  assert.equal(res.status, 201, res.text);
  return sim;
}

async function expectError(sim: Sim, pin: string, code: number, details?: string) {
  const res = await register(sim, ID, pin);
  assert.equal(res.json?.error?.code, code, res.text);
  if (details !== undefined) assert.equal(res.json.error.error_data.details, details);
  assert.ok(!res.text.includes(pin), 'the PIN is never echoed');
  return res;
}

void test('pin_mismatch_code 131031: a wrong PIN is "(#131031) Account has been locked" (HTTP 403), details say the PIN does not match', async (t) => {
  const sim = await guardedNumber(t, { pin_mismatch_code: 131031 });
  const res = await expectError(sim, WRONG, 131031);
  assert.equal(res.status, 403);
  assert.equal(res.json.error.message, '(#131031) Account has been locked');
  assert.match(res.json.error.error_data.details, /PIN in the request does not match/);
  assert.equal((await register(sim, ID, PIN)).status, 200, 'the right PIN still registers');
  // Back to the default by PATCH.
  await admin(sim, 'PATCH', `/_sim/phone-numbers/${ID}`, { pin_mismatch_code: 133005 });
  assert.equal((await expectError(sim, WRONG, 133005)).status, 400);
});

void test('pin_guess_limit: the guess that reaches it is 133008 with the lockout; during it even the right PIN is 133008 with the time left', async (t) => {
  const sim = await guardedNumber(t, { pin_guess_limit: 3 });
  await expectError(sim, WRONG, 133005);
  await expectError(sim, WRONG, 133005);
  assert.equal((await simNumber(sim, ID)).pinGuesses.wrongGuesses, 2);
  const locked = await expectError(
    sim,
    WRONG,
    133008,
    'Too many two-step verification PIN guesses for this phone number. Try again in 60 minutes.',
  );
  assert.equal(locked.status, 400);
  assert.equal(locked.json.error.message, '(#133008) Too Many two step verification PIN Guesses');
  const view = await simNumber(sim, ID);
  assert.equal(view.pinGuesses.wrongGuesses, 3);
  assert.ok(Math.abs(Date.parse(view.pinGuesses.lockedUntil) - (await simNow(sim)) - 60 * MINUTE_MS) < 2_000);

  await advanceClock(sim, 20 * MINUTE_MS);
  await expectError(
    sim,
    PIN,
    133008,
    'Too many two-step verification PIN guesses for this phone number. Try again in 40 minutes.',
  );
  await advanceClock(sim, 39 * MINUTE_MS + 30_000);
  await expectError(
    sim,
    WRONG,
    133008,
    'Too many two-step verification PIN guesses for this phone number. Try again in 30 seconds.',
  );

  // After the lockout the count starts again: two wrong PINs are mismatches, the third locks again.
  await advanceClock(sim, 30_000);
  assert.equal((await simNumber(sim, ID)).pinGuesses.lockedUntil, null);
  await expectError(sim, WRONG, 133005);
  await expectError(sim, WRONG, 133005);
  await expectError(sim, WRONG, 133008);
  await advanceClock(sim, 60 * MINUTE_MS);
  assert.equal((await register(sim, ID, PIN)).status, 200);

  // Every one of these register calls counted toward the budget.
  const log = await requestLog(sim, `?phone_number_id=${ID}&endpoint=register`);
  assert.equal(log.length, 9);
  assert.ok(log.every((e) => e.counted === true && e.applied === false));
  assert.equal((await simNumber(sim, ID)).rateLimits.register.callsInWindow, 9);
});

void test('a right PIN resets the wrong-guess count; pin_lockout_minutes sets the lockout; changing the rule by PATCH forgets the count', async (t) => {
  const sim = await guardedNumber(t, { pin_guess_limit: 2, pin_lockout_minutes: 5 });
  await expectError(sim, WRONG, 133005);
  assert.equal((await register(sim, ID, PIN)).status, 200);
  assert.equal((await simNumber(sim, ID)).pinGuesses.wrongGuesses, 0);
  await expectError(sim, WRONG, 133005);
  await expectError(
    sim,
    WRONG,
    133008,
    'Too many two-step verification PIN guesses for this phone number. Try again in 5 minutes.',
  );
  const patched = await admin(sim, 'PATCH', `/_sim/phone-numbers/${ID}`, { pin_guess_limit: 4 });
  assert.equal(patched.status, 200, patched.text);
  assert.deepEqual(
    [patched.json.pin_guess_limit, patched.json.pinGuesses.wrongGuesses, patched.json.pinGuesses.lockedUntil],
    [4, 0, null],
  );
  assert.equal((await register(sim, ID, PIN)).status, 200, 'the lockout was lifted with the rule change');

  // null turns the limit off: wrong PINs stay mismatches.
  await admin(sim, 'PATCH', `/_sim/phone-numbers/${ID}`, { pin_guess_limit: null });
  for (let i = 0; i < 5; i++) await expectError(sim, WRONG, 133005);
});

void test('pin_min_interval_seconds: a PIN sooner than that after the previous attempt is 133009 with the wait, unchecked', async (t) => {
  const sim = await guardedNumber(t, { pin_min_interval_seconds: 30, pin_guess_limit: 2 });
  await expectError(sim, WRONG, 133005);
  const tooFast = await expectError(
    sim,
    PIN,
    133009,
    'Two-step verification PIN guessed too fast. Try again in 30 seconds.',
  );
  assert.equal(tooFast.status, 400);
  assert.equal(tooFast.json.error.message, '(#133009) Two step verification PIN Guessed Too Fast');
  await advanceClock(sim, 10_000);
  await expectError(
    sim,
    WRONG,
    133009,
    'Two-step verification PIN guessed too fast. Try again in 20 seconds.',
  );
  assert.equal((await simNumber(sim, ID)).pinGuesses.wrongGuesses, 1, 'a too-fast PIN is not checked');
  await advanceClock(sim, 20_000);
  assert.equal((await register(sim, ID, PIN)).status, 200);
  // The right PIN was an attempt too: the next one must wait again.
  await expectError(sim, PIN, 133009);
  const log = await requestLog(sim, `?phone_number_id=${ID}&endpoint=register`);
  assert.deepEqual(
    log.map((e) => [e.errorCode ?? e.status, e.counted]),
    [
      [133005, true],
      [133009, true],
      [133009, true],
      [200, true],
      [133009, true],
    ],
  );
});

void test('the guessing rules are per number; the seeded numbers have none', async (t) => {
  const sim = await guardedNumber(t, { pin_guess_limit: 1 });
  await expectError(sim, WRONG, 133008);
  for (let i = 0; i < 3; i++) {
    assert.equal((await register(sim, CONNECTED_ID, WRONG)).json.error.code, 133005, 'no limit by default');
  }
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200);
});
