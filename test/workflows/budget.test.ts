// Budget rules on the time-skipping server: 72-hour waits take no real time. Real activities talk to the
// simulator over HTTP, and the simulator's clock follows the server's (see test/helpers/stack.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { operationPolicy } from '../../platform/config';
import { getStateQuery } from '../../workflows/messages';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { until } from '../helpers/poll';
import { seedVerified } from '../helpers/seed';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { startTestStack, TEST_TOKEN, type TestStack } from '../helpers/stack';

const HOUR = 3_600_000;
let stack: TestStack;

before(async () => {
  stack = await startTestStack({ timeSkipping: true });
});
after(async () => {
  await stack?.stop();
});

// The wait lets the time-skipping server skip time while the operation sleeps.
const operationResult = (ticket: { operationId: string }) => stack.operationResult(ticket);

test('133016 from Meta: the operation waits out the 72-hour block on a durable timer, then registers', async () => {
  const id = '5550000001';
  await seedVerified(stack.sim, id, { pin: '123456' });
  // Someone else spent the number's register budget: 10 requests just now, unknown to our ledger.
  await stack.sim.setClock(await stack.env.currentTimeMs());
  for (let i = 0; i < 10; i++) {
    await fetch(`${stack.simulator.url}/v25.0/${id}/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', pin: '000000' }), // wrong PIN: refused, but counted
    });
  }
  const startedAt = await stack.env.currentTimeMs();
  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  const report = await operationResult(ticket);
  assert.equal(report.outcome, 'completed');
  assert.equal(report.registration, 'registered');
  const ours = report.ledger.entries.filter((e) => e.endpoint === 'register');
  assert.equal(ours.length, 2, 'one request refused with 133016, one accepted after the block');
  assert.ok(ours[1]!.at - ours[0]!.at >= 72 * HOUR, 'the retry waited at least 72 hours');
  assert.ok(report.ledger.blockedUntil.register! >= startedAt + 72 * HOUR);
  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.deepEqual(
    registers.slice(10).map((r) => r.errorCode ?? r.status),
    [133016, 200],
    'exactly one refused request, then success: no retry loop inside the block',
  );
  const number = await stack.sim.phoneNumber(id);
  assert.equal(number.status, 'CONNECTED');
});

test('the 11th register inside 72 hours is not sent: the operation waits for the window', async () => {
  const id = '5550000002';
  await seedVerified(stack.sim, id);
  const policy = operationPolicy(stack.config);
  const now = await stack.env.currentTimeMs();
  // Our own ledger: 10 register requests in the last 71..62 hours.
  const entries = hourlyRegisters(now, 10, 71);
  await startLifecycleWithLedger(stack, id, entries, 'not-registered');
  {
    const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '654321' });
    // Until time moves, the operation must be waiting, and must not have sent a register.
    const state = await until(
      'the register to wait',
      async () => {
        const s = await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).query(getStateQuery);
        return s.currentOperation?.status === 'waiting' ? s : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(state.state, 'waiting-for-rate-limit');
    const expectedSlot = entries[0]!.at + policy.windowMs + policy.safetyMarginMs;
    assert.equal(state.currentOperation?.nextAttemptAt, new Date(expectedSlot).toISOString());
    assert.deepEqual(await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' }), []);

    const report = await operationResult(ticket);
    assert.equal(report.outcome, 'completed');
    const [sent] = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
    assert.ok(
      sent && Date.parse(sent.at) >= expectedSlot,
      `register sent at ${sent?.at}, not before the free slot`,
    );
  }
});

test('unknown outcome (timeout after Meta applied it) + state shows registered: no second register', async () => {
  const id = '5550000003';
  await seedVerified(stack.sim, id);
  await stack.sim.faults([
    { endpoint: 'register', phoneNumberId: id, kind: 'timeout-after-apply', hangMs: 4000, count: 1 },
  ]);
  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  const report = await operationResult(ticket);
  assert.equal(report.outcome, 'completed');
  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.equal(registers.length, 1, 'the timed-out register was read back, not repeated');
  assert.equal(report.ledger.entries.length, 1);
  await stack.sim.faults([]);
});

test('two commands on one number run one after the other', async () => {
  const id = '5550000004';
  await seedVerified(stack.sim, id);
  {
    const first = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
    const second = await stack.client.requestOperation(id, { operation: 'deregister' });
    const joined = await stack.client.requestOperation(id, { operation: 'deregister' });
    assert.equal(second.position, 1);
    assert.equal(joined.joined, true, 'an identical request joins the queued one');
    assert.equal(joined.operationId, second.operationId);
    const a = await operationResult(first);
    const b = await operationResult(second);
    assert.ok(b.ledger.entries[0]!.at >= a.ledger.entries[0]!.at, 'deregister sent after the register');
  }
  const mutations = (await stack.sim.requests({ phoneNumberId: id })).filter((r) => r.endpoint !== 'get');
  assert.deepEqual(
    mutations.map((r) => r.endpoint),
    ['register', 'deregister'],
  );
});
