// Ownership verification and onboarding on the time-skipping server, against the simulator over HTTP:
// code timeouts, resends and the VOICE fallback take no real time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../helpers/poll';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
before(async () => {
  stack = await startTestStack({
    timeSkipping: true,
    configEnv: { WA_VERIFICATION_MAX_CODE_REQUESTS: '3', WA_ONBOARDING_MAX_DISPLAY_NAME_WAIT_HOURS: '24' },
  });
});
after(async () => {
  await stack?.stop();
});

async function waitForState(id: string, state: string) {
  let last: Awaited<ReturnType<TestStack['client']['getState']>>;
  return until(
    () => `${id} to reach ${state}; last state: ${JSON.stringify(last)}`,
    async () => {
      last = await stack.client.getState(id);
      return last?.currentOperation?.activeState === state ? last : undefined;
    },
    { timeoutMs: 20_000 },
  );
}

async function sentCode(id: string): Promise<{ code: string; method: string }> {
  const res = await fetch(`${stack.simulator.url}/_sim/codes/${id}`);
  return (await res.json()) as { code: string; method: string };
}

async function failureOf(ticket: { operationId: string }): Promise<{ type?: string; message: string }> {
  const { failure } = await stack.operationResult(ticket);
  if (!failure) throw new Error('the operation did not fail');
  return failure;
}

test('a wrong code is answered as rejected, the operation keeps waiting, the right code verifies', async () => {
  const id = '5551000001';
  await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED' });
  const ticket = await stack.client.requestOperation(id, {
    operation: 'verify',
    method: 'SMS',
    language: 'de_DE',
  });
  await waitForState(id, 'waiting-for-code');
  const { code, method } = await sentCode(id);
  assert.equal(method, 'SMS');

  const wrong = await stack.client.submitVerificationCode(id, code === '000000' ? '111111' : '000000');
  assert.equal(wrong.accepted, false);
  assert.match(wrong.reason ?? '', /rejected/);
  assert.equal(wrong.attemptsLeft, 4);
  await waitForState(id, 'waiting-for-code'); // still waiting for the next try

  const right = await stack.client.submitVerificationCode(id, `${code.slice(0, 3)}-${code.slice(3)}`); // as the SMS shows it
  assert.equal(right.accepted, true);
  const report = await stack.operationResult(ticket);
  assert.equal(report.outcome, 'completed');
  assert.equal(report.verification, 'verified');
  assert.equal((await stack.sim.phoneNumber(id)).code_verification_status, 'VERIFIED');
  const state = await stack.client.getState(id);
  assert.equal(state?.verification, 'verified');
});

test('request_code whose answer is lost after Meta sent the code: no second request_code, the sent code verifies', async () => {
  const id = '5551000011';
  await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED' });
  // Meta sends the code, but its answer comes after our Graph timeout (2 s): an unknown outcome.
  await stack.sim.faults([
    { endpoint: 'request_code', phoneNumberId: id, kind: 'timeout-after-apply', hangMs: 3000, count: 1 },
  ]);
  const ticket = await stack.client.requestOperation(id, { operation: 'verify' });
  await waitForState(id, 'waiting-for-code');
  const { code } = await sentCode(id);
  assert.equal((await stack.client.submitVerificationCode(id, code)).accepted, true);
  assert.equal((await stack.operationResult(ticket)).outcome, 'completed');
  const requests = await stack.sim.requests({ phoneNumberId: id, endpoint: 'request_code' });
  assert.equal(requests.length, 1, 'one request_code: the person got one code, not two');
  await stack.sim.faults([]);
});

test('request_code throttled (80007, nothing sent): asked again after the wait, then the code verifies', async () => {
  const id = '5551000012';
  await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED' });
  await stack.sim.faults([
    // Meta's X-Business-Use-Case-Usage says access is back at once (a longer regain time is waited out:
    // test/workflows/graph-waits.test.ts).
    {
      endpoint: 'request_code',
      phoneNumberId: id,
      kind: 'throttle',
      code: 80007,
      regainAccessMinutes: 0,
      count: 1,
    },
  ]);
  const ticket = await stack.client.requestOperation(id, { operation: 'verify' });
  await waitForState(id, 'waiting-for-code');
  const { code } = await sentCode(id);
  assert.equal((await stack.client.submitVerificationCode(id, code)).accepted, true);
  assert.equal((await stack.operationResult(ticket)).outcome, 'completed');
  const requests = await stack.sim.requests({ phoneNumberId: id, endpoint: 'request_code' });
  assert.deepEqual(
    requests.map((r) => r.errorCode ?? r.status),
    [80007, 200],
  );
  await stack.sim.faults([]);
});

test('no code in time: a new code is requested, by VOICE after the SMS, then the operation fails clearly', async () => {
  const id = '5551000002';
  await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED' });
  const ticket = await stack.client.requestOperation(id, { operation: 'verify' });
  const failure = await failureOf(ticket);
  assert.equal(failure.type, 'VerificationNoCodeInTime');
  assert.match(failure.message, /no code was submitted within 10 min after each of 3 code requests/);
  const requests = await stack.sim.requests({ phoneNumberId: id, endpoint: 'request_code' });
  assert.equal(requests.length, 3);
  const sent = (await (await fetch(`${stack.simulator.url}/_sim/codes/${id}?all=true`)).json()) as {
    codes: { method: string; sentAt: string }[];
  };
  assert.deepEqual(sent.codes.map((c) => c.method).reverse(), ['SMS', 'VOICE', 'VOICE']);
  const gaps = sent.codes.map((c) => Date.parse(c.sentAt)).reverse();
  assert.ok(gaps[1]! - gaps[0]! >= 10 * 60_000, 'the second code was requested after the 10-minute wait');
  const state = await stack.client.getState(id);
  assert.equal(state?.state, 'failed');
  assert.equal(state?.recentOperations[0]?.failure?.type, 'VerificationNoCodeInTime');
});

test('an already verified number: no request_code is sent (Meta would refuse it with 136024)', async () => {
  const id = '5551000003';
  await stack.sim.seed({ id, code_verification_status: 'VERIFIED' });
  const ticket = await stack.client.requestOperation(id, { operation: 'verify' });
  const report = await stack.operationResult(ticket);
  assert.equal(report.outcome, 'already-done');
  assert.deepEqual(await stack.sim.requests({ phoneNumberId: id, endpoint: 'request_code' }), []);
});

test('submitting a code when none is awaited is refused, saying what the number is doing', async () => {
  const id = '5551000004';
  await stack.sim.seed({ id, code_verification_status: 'VERIFIED' });
  await assert.rejects(
    stack.client.submitVerificationCode(id, '123456'),
    /no verification is waiting for a code/,
  );
  await assert.rejects(stack.client.submitVerificationCode(id, '12a456'), /code: must be 6 digits/);
});

test('onboarding waits on a durable timer while the display name is not usable, then registers once', async () => {
  const id = '5551000005';
  await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'NONE' });
  const ticket = await stack.client.requestOperation(id, { operation: 'onboard', pin: '123456' });
  const waiting = await waitForState(id, 'waiting-for-display-name');
  assert.equal(waiting.state, 'waiting-for-display-name');
  assert.ok(waiting.currentOperation?.nextAttemptAt, 'shows when it re-checks');
  // Meta approves the name while the operation sleeps; no register request was spent meanwhile.
  assert.deepEqual(await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' }), []);
  await fetch(`${stack.simulator.url}/_sim/phone-numbers/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name_status: 'APPROVED' }),
  });
  const report = await stack.operationResult(ticket);
  assert.equal(report.outcome, 'completed');
  assert.equal(report.registration, 'registered');
  assert.equal(report.pinSet, true);
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);
});

test('onboarding gives up when the display name stays unusable, without spending register requests', async () => {
  const id = '5551000006';
  await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'EXPIRED' });
  const ticket = await stack.client.requestOperation(id, { operation: 'onboard', pin: '123456' });
  const failure = await failureOf(ticket);
  assert.equal(failure.type, 'DisplayNameNotUsable');
  assert.match(failure.message, /still not usable \(EXPIRED\) after 24 h/);
  assert.deepEqual(await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' }), []);
});
