import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONNECTED_ID,
  HOUR_MS,
  NOT_VERIFIED_ID,
  PENDING_ID,
  advanceClock,
  deregister,
  register,
  simNow,
  simNumber,
  startTestSimulator,
} from './helpers';

void test('10 registers in the window, the 11th → 133016, and the 72 h block outlasts the window', async (t) => {
  const sim = await startTestSimulator(t);
  for (let i = 0; i < 10; i++)
    assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200, `call ${i + 1}`);

  await advanceClock(sim, HOUR_MS);
  const eleventhAt = await simNow(sim);
  const eleventh = await register(sim, CONNECTED_ID, '123456');
  assert.equal(eleventh.status, 400);
  assert.equal(eleventh.json.error.code, 133016);
  const until = /Try again after (\S+)$/.exec(eleventh.json.error.error_data.details)?.[1];
  assert.ok(until, eleventh.json.error.error_data.details);
  const blockMs = Date.parse(until) - eleventhAt;
  assert.ok(Math.abs(blockMs - 72 * HOUR_MS) < 5_000, `block of ${blockMs} ms`);
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.register.blockedUntil, until);

  // 72 h after the first ten calls, the window holds only the 11th call, but the block still runs.
  await advanceClock(sim, 71 * HOUR_MS + 1_000);
  const whileBlocked = await register(sim, CONNECTED_ID, '123456');
  assert.equal(whileBlocked.json.error.code, 133016);

  // After the block ends (a further hour), calls go through again.
  await advanceClock(sim, HOUR_MS);
  const afterBlock = await register(sim, CONNECTED_ID, '123456');
  assert.equal(afterBlock.status, 200, afterBlock.text);
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.register.blockedUntil, null);
});

void test('window edge: once the oldest call is 72 h old, one more call fits; the next one is over the budget', async (t) => {
  const sim = await startTestSimulator(t);
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200); // oldest call, t0
  await advanceClock(sim, HOUR_MS);
  for (let i = 0; i < 9; i++) assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200);
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.register.callsInWindow, 10);

  await advanceClock(sim, 71 * HOUR_MS + 1_000); // t0 + 72 h + 1 s: the oldest call has left the window
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.register.callsInWindow, 9);
  const fits = await register(sim, CONNECTED_ID, '123456');
  assert.equal(fits.status, 200, fits.text);
  const over = await register(sim, CONNECTED_ID, '123456');
  assert.equal(over.json.error.code, 133016);
  assert.notEqual((await simNumber(sim, CONNECTED_ID)).rateLimits.register.blockedUntil, null);
});

void test('rejected calls count too, and the budget is checked before the PIN and verification checks', async (t) => {
  const sim = await startTestSimulator(t);
  for (let i = 0; i < 10; i++)
    assert.equal((await register(sim, CONNECTED_ID, '000000')).json.error.code, 133005);
  const rightPin = await register(sim, CONNECTED_ID, '123456');
  assert.equal(rightPin.json.error.code, 133016);

  for (let i = 0; i < 10; i++)
    assert.equal((await register(sim, NOT_VERIFIED_ID, '111111')).json.error.code, 133006);
  assert.equal((await register(sim, NOT_VERIFIED_ID, '111111')).json.error.code, 133016);
});

void test('deregister has its own budget, separate from register', async (t) => {
  const sim = await startTestSimulator(t);
  for (let i = 0; i < 11; i++) await register(sim, PENDING_ID, '111111');
  assert.notEqual((await simNumber(sim, PENDING_ID)).rateLimits.register.blockedUntil, null);

  for (let i = 0; i < 10; i++)
    assert.equal((await deregister(sim, PENDING_ID)).status, 200, `deregister ${i + 1}`);
  let state = await simNumber(sim, PENDING_ID);
  assert.equal(state.status, 'DISCONNECTED');
  assert.equal(state.rateLimits.deregister.callsInWindow, 10);
  assert.equal(state.rateLimits.register.callsInWindow, 11);

  const eleventh = await deregister(sim, PENDING_ID);
  assert.equal(eleventh.status, 400);
  assert.equal(eleventh.json.error.code, 133016);
  assert.match(eleventh.json.error.error_data.details, /deregister/);
  state = await simNumber(sim, PENDING_ID);
  assert.notEqual(state.rateLimits.deregister.blockedUntil, null);

  // Another number's budget is untouched.
  assert.equal((await deregister(sim, CONNECTED_ID)).status, 200);
});

void test('window size, budget and block length follow the options', async (t) => {
  const sim = await startTestSimulator(t, { windowHours: 1, requestsPerWindow: 2, blockHours: 3 });
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200);
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200);
  const third = await register(sim, CONNECTED_ID, '123456');
  assert.equal(third.json.error.code, 133016);
  await advanceClock(sim, 2 * HOUR_MS);
  assert.equal(
    (await register(sim, CONNECTED_ID, '123456')).json.error.code,
    133016,
    'still inside the 3 h block',
  );
  await advanceClock(sim, HOUR_MS + 1_000);
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200);
});
