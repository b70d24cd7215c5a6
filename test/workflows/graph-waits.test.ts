// Waits Meta imposes through its answers (issue 12), on the time-skipping server with real activities and
// the simulator over HTTP (its clock follows the server's): a PIN lockout after too many guesses (133008)
// and throttling with the regain time in X-Business-Use-Case-Usage. An hour of waiting takes no real time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { getStateQuery } from '../../workflows/messages';
import { seedOnCloudApi, seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

const MINUTE = 60_000;
let stack: TestStack;

before(async () => {
  stack = await startTestStack({ timeSkipping: true });
});
after(async () => {
  await stack?.stop();
});

test('133008 while a region change brings the number back: no PIN is resent into the lockout; the corrected one goes out after it, once', async () => {
  const id = '8130000001';
  await seedOnCloudApi(stack.sim, id, '123456', { pin_guess_limit: 1, pin_lockout_minutes: 60 });
  const request = { operation: 'change-region' as const, region: 'DE' as const, pin: '999999' };
  const ticket = await stack.client.requestOperation(id, request);
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  for (let i = 0; ; i++) {
    const s = await handle.query(getStateQuery);
    if (s.currentOperation?.activeState === 'waiting-for-pin') break;
    assert.ok(i < 400, 'the region change should wait for a corrected PIN');
    await new Promise((r) => setTimeout(r, 50));
  }
  const joined = await stack.client.requestOperation(id, { ...request, pin: '123456' });
  assert.equal(joined.operationId, ticket.operationId);
  const report = await stack.operationResult(ticket);
  assert.equal(report.outcome, 'completed', JSON.stringify(report.failure));

  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.deepEqual(
    registers.map((r) => r.errorCode ?? r.status),
    [133008, 200],
    'the wrong PIN reached the limit (133008); the corrected PIN only after the lockout, no 133008 in between',
  );
  const [first, second] = report.ledger.entries.filter((e) => e.endpoint === 'register');
  assert.ok(second!.at - first!.at >= 60 * MINUTE, 'the corrected PIN waited out the lockout');
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
});

test('a throttled register (80007) waits the regain time Meta gives in X-Business-Use-Case-Usage, then sends once', async () => {
  const id = '8130000002';
  await seedVerified(stack.sim, id, { waba_id: '102290129340398' });
  await stack.sim.faults([
    {
      endpoint: 'register',
      phoneNumberId: id,
      kind: 'throttle',
      code: 80007,
      regainAccessMinutes: 45,
      count: 1,
    },
  ]);
  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  const report = await stack.operationResult(ticket);
  assert.equal(report.outcome, 'completed', JSON.stringify(report.failure));
  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.deepEqual(
    registers.map((r) => r.errorCode ?? r.status),
    [80007, 200],
  );
  const [first, second] = report.ledger.entries;
  assert.ok(second!.at - first!.at >= 45 * MINUTE, 'waited the regain time, not the short backoff');
  // Kept in our ledger although the simulator did not count it (docs/graph-api-notes.md): never fewer.
  assert.equal(report.ledger.entries.length, 2);
  await stack.sim.faults([]);
});
