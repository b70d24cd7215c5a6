// Answers of the real Graph API that our simulator used to leave out (issue 12), end to end on the dev
// server: client → lifecycle → activities → the simulator over HTTP, the answer switched on per number
// through its admin API. Each test checks what Meta saw (the simulator's request log) against what the
// lifecycle did and recorded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationRequestInput } from '../../domain/operations';
import { until } from '../helpers/poll';
import { seedOnCloudApi, seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

async function runToEnd(id: string, request: OperationRequestInput) {
  const ticket = await stack.client.requestOperation(id, request);
  return stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
}

const sent = async (id: string, endpoint: string) => stack.sim.requests({ phoneNumberId: id, endpoint });

/** Meta's count of register/deregister for the number equals the lifecycle's ledger; no 133016. */
async function assertLedgerMatchesMeta(id: string): Promise<void> {
  const state = await stack.client.getState(id);
  for (const endpoint of ['register', 'deregister'] as const) {
    const calls = await sent(id, endpoint);
    assert.equal(
      state!.ledger.entries.filter((e) => e.endpoint === endpoint).length,
      calls.length,
      `${endpoint}: the ledger holds what Meta counted`,
    );
    assert.ok(calls.every((c) => c.errorCode !== 133016));
  }
}

// 1. Registration state

for (const [i, status] of (['FLAGGED', 'RESTRICTED', 'RATE_LIMITED'] as const).entries()) {
  test(`a ${status} Cloud API number is registered: deregister sends and deregisters it; register sends nothing`, async () => {
    const id = `812000000${i}`;
    await seedOnCloudApi(stack.sim, id, '123456', { status });
    const register = await runToEnd(id, { operation: 'register', pin: '123456' });
    assert.equal(register.outcome, 'already-done');
    assert.equal((await sent(id, 'register')).length, 0);
    const deregister = await runToEnd(id, { operation: 'deregister' });
    assert.equal(deregister.outcome, 'completed', JSON.stringify(deregister.failure));
    assert.equal((await sent(id, 'deregister')).length, 1);
    assert.equal((await stack.sim.phoneNumber(id)).platform_type, 'NOT_APPLICABLE');
    await assertLedgerMatchesMeta(id);
  });
}

test('a FLAGGED number changing region is deregistered first, then registered in the new region', async () => {
  const id = '8120000010';
  await seedOnCloudApi(stack.sim, id, '123456', { status: 'FLAGGED' });
  const done = await runToEnd(id, { operation: 'change-region', region: 'DE', pin: '123456' });
  assert.equal(done.outcome, 'completed', JSON.stringify(done.failure));
  const calls = (await stack.sim.requests({ phoneNumberId: id })).filter((r) => r.method === 'POST');
  assert.deepEqual(
    calls.map((r) => r.endpoint),
    ['deregister', 'settings', 'register'],
  );
  await assertLedgerMatchesMeta(id);
});

test('a status Meta reports as UNKNOWN is read again, never guessed: the operation stops and says so, nothing sent', async () => {
  const id = '8120000011';
  await seedOnCloudApi(stack.sim, id, '123456', { status: 'UNKNOWN' });
  const done = await runToEnd(id, { operation: 'deregister' });
  assert.equal(done.failure?.type, 'RegistrationUnknown');
  assert.match(done.failure!.message, /status UNKNOWN, platform_type CLOUD_API/);
  assert.equal((await sent(id, 'deregister')).length, 0);
  assert.ok((await sent(id, 'get')).length > 1, 'read more than once before giving up');
});

// 2. Unknown outcomes

const APPLIED_BUT_UNANSWERED: [string, Record<string, unknown>][] = [
  ['code 2', { kind: 'graph-error', code: 2, applied: true }],
  ['133004', { kind: 'graph-error', code: 133004, applied: true }],
  ['is_transient: true', { kind: 'graph-error', code: 42, isTransient: true, applied: true }],
  ["a 503 with Meta's envelope", { kind: 'http-5xx', httpStatus: 503, envelope: true, applied: true }],
  ['a 504 without an envelope', { kind: 'http-5xx', httpStatus: 504, applied: true }],
  ['a 2xx whose body is cut off', { kind: 'unreadable-2xx', body: 'truncated' }],
  ['a 2xx with an HTML body', { kind: 'unreadable-2xx', body: 'html' }],
];

for (const [i, [label, fault]] of APPLIED_BUT_UNANSWERED.entries()) {
  test(`register answered with ${label} after Meta applied it: read back, not sent again`, async () => {
    const id = `812000010${i}`;
    await seedVerified(stack.sim, id);
    await stack.sim.faults([{ endpoint: 'register', phoneNumberId: id, count: 1, ...fault }], 'append');
    const done = await runToEnd(id, { operation: 'register', pin: '123456' });
    assert.equal(done.status, 'completed', JSON.stringify(done.failure));
    assert.equal((await sent(id, 'register')).length, 1, 'one register: the read showed it took effect');
    assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
    await assertLedgerMatchesMeta(id);
  });
}

test('deregister answered with code 2 that Meta did not apply: read back (still registered), sent once more', async () => {
  const id = '8120000200';
  await seedOnCloudApi(stack.sim, id, '123456');
  await stack.sim.faults(
    [{ endpoint: 'deregister', phoneNumberId: id, kind: 'graph-error', code: 2, count: 1 }],
    'append',
  );
  const done = await runToEnd(id, { operation: 'deregister' });
  assert.equal(done.outcome, 'completed', JSON.stringify(done.failure));
  assert.equal((await sent(id, 'deregister')).length, 2);
  await assertLedgerMatchesMeta(id);
});

// 3. 131031

test('131031 on a locked account: its own terminal failure, one register, no PIN asked for', async () => {
  const id = '8120000300';
  await seedVerified(stack.sim, id, { pin: '123456', account_locked: true });
  const done = await runToEnd(id, { operation: 'register', pin: '123456' });
  assert.equal(done.failure?.type, 'GraphAccountLocked');
  assert.match(done.failure!.message, /locked or restricted \(health_status BLOCKED/);
  assert.equal((await sent(id, 'register')).length, 1);
  await assertLedgerMatchesMeta(id);
});

test('131031 for a wrong PIN on an account that is not locked: a PIN mismatch', async () => {
  const id = '8120000301';
  await seedVerified(stack.sim, id, { pin: '123456', pin_mismatch_code: 131031 });
  const done = await runToEnd(id, { operation: 'register', pin: '654321' });
  assert.equal(done.failure?.type, 'GraphPinMismatch');
  assert.match(done.failure!.message, /not locked/);
  assert.doesNotMatch(done.failure!.message, /654321|123456/);
});

// 4. PIN errors

test('133009 (PIN entered too fast): the retry with the corrected PIN waits the time Meta gives, then goes once', async () => {
  const id = '8120000400';
  await seedVerified(stack.sim, id, { pin: '123456', pin_min_interval_seconds: 5 });
  const wrong = await runToEnd(id, { operation: 'register', pin: '654321' });
  assert.equal(wrong.failure?.type, 'GraphPinMismatch');
  const ticket = await stack.client.retryOperation(id, { pin: '123456' });
  const done = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
  assert.equal(done.status, 'completed', JSON.stringify(done.failure));
  const codes = (await sent(id, 'register')).map((r) => r.errorCode ?? r.status);
  // The wrong PIN; the corrected one refused as too fast (unchecked); the same corrected PIN once more.
  assert.deepEqual(codes, [133005, 133009, 200]);
  await assertLedgerMatchesMeta(id);
});

// 5. 133000

test("133000 (incomplete deregistration): Meta's remedy inside the register operation", async () => {
  const id = '8120000500';
  await seedVerified(stack.sim, id, { deregistration_incomplete: true });
  const done = await runToEnd(id, { operation: 'register', pin: '123456' });
  assert.equal(done.outcome, 'completed', JSON.stringify(done.failure));
  const calls = (await stack.sim.requests({ phoneNumberId: id })).filter((r) => r.method === 'POST');
  assert.deepEqual(
    calls.map((r) => `${r.endpoint}:${r.errorCode ?? r.status}`),
    ['register:133000', 'deregister:200', 'register:200'],
  );
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
  await assertLedgerMatchesMeta(id);
});

// 6. Deregister of a number Meta says is not registered

for (const [i, answer] of (['133010', 'invalid-parameter'] as const).entries()) {
  test(`deregister answered "${answer}" (deregistered by someone else meanwhile): already done, not a failure`, async () => {
    const id = `812000060${i}`;
    await seedOnCloudApi(stack.sim, id, '123456', { deregister_when_not_registered: answer });
    await stack.sim.faults(
      [{ endpoint: 'deregister', phoneNumberId: id, kind: 'latency', latencyMs: 1500, count: 1 }],
      'append',
    );
    const ticket = await stack.client.requestOperation(id, { operation: 'deregister' });
    await until(
      'the deregister to be in flight',
      async () =>
        (await stack.client.getState(id))?.ledger.entries.some((e) => e.inFlight) ? true : undefined,
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    // Someone deregisters the number in WhatsApp Manager while our request is on its way.
    await stack.sim.patchPhoneNumber(id, { status: 'DISCONNECTED', platform_type: 'NOT_APPLICABLE' });
    const done = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 100 });
    assert.equal(done.status, 'completed', JSON.stringify(done.failure));
    assert.equal(done.outcome, 'already-done');
    const [call] = await sent(id, 'deregister');
    assert.equal(call?.errorCode, answer === '133010' ? 133010 : 100);
    await assertLedgerMatchesMeta(id);
  });
}

// 7. Region change refused at /settings

test('region refused at /settings: the previous region is set back before the register, and the failure says so', async () => {
  const id = '8120000700';
  await seedOnCloudApi(stack.sim, id, '123456', {
    data_localization_region: 'CH',
    unavailable_regions: ['DE'],
  });
  const done = await runToEnd(id, { operation: 'change-region', region: 'DE', pin: '123456' });
  assert.equal(done.failure?.type, 'RegionNotChanged');
  assert.match(done.failure!.message, /registered again with local storage in CH \(its previous setting\)/);
  const number = await stack.sim.phoneNumber(id);
  assert.equal(number.status, 'CONNECTED');
  assert.deepEqual(number.storage_configuration, {
    status: 'IN_COUNTRY_STORAGE_ENABLED',
    data_localization_region: 'CH',
  });
  await assertLedgerMatchesMeta(id);
});

test('region refused, and the previous one refused too: back online, and the failure says local storage is now off', async () => {
  const id = '8120000701';
  await seedOnCloudApi(stack.sim, id, '123456', {
    data_localization_region: 'CH',
    unavailable_regions: ['DE', 'CH'],
  });
  const done = await runToEnd(id, { operation: 'change-region', region: 'DE', pin: '123456' });
  assert.equal(done.failure?.type, 'RegionNotChanged');
  assert.match(
    done.failure!.message,
    /registered again with no local storage, NOT its previous setting \(local storage in CH\)/,
  );
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
});

// 8. Display name without subcode 2388001 (v16+)

test('register refused with (#100) and no subcode while the display name cannot be used: the failure names the display name', async () => {
  const id = '8120000800';
  await seedVerified(stack.sim, id, { name_status: 'NONE' });
  const done = await runToEnd(id, { operation: 'register', pin: '123456' });
  assert.equal(done.failure?.type, 'GraphDisplayNameNotReady');
  assert.match(done.failure!.message, /name_status is NONE/);
  const [call] = await sent(id, 'register');
  assert.equal(call?.errorCode, 100);
  assert.equal(call?.errorSubcode, undefined, 'Meta sends no subcode from v16');
});

// 10. Error envelope

test('error envelopes of other shapes keep their code: string error_data, minimal, extra fields', async () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['8120001000', { code: 133005, envelope: 'string-error-data' }, 'GraphPinMismatch'],
    ['8120001001', { code: 133005, envelope: 'minimal' }, 'GraphPinMismatch'],
    ['8120001002', { code: 133005, envelope: 'extra-fields' }, 'GraphPinMismatch'],
    ['8120001003', { code: 200, envelope: 'minimal' }, 'GraphPermissionDenied'],
  ];
  for (const [id, fault, type] of cases) {
    await seedVerified(stack.sim, id);
    await stack.sim.faults(
      [{ endpoint: 'register', phoneNumberId: id, kind: 'graph-error', count: 1, ...fault }],
      'append',
    );
    const done = await runToEnd(id, { operation: 'register', pin: '123456' });
    assert.equal(done.failure?.type, type, `${JSON.stringify(fault)}: ${done.failure?.message}`);
    assert.equal(done.failure?.graphCode, fault.code);
  }
});
