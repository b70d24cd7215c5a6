// On-Premises → Cloud API migration end to end on the dev server, against the simulator's On-Prem client
// and Graph API over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationRequestInput } from '../../client';
import { until } from '../helpers/poll';
import { seedOnPremises } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
before(async () => {
  // Backup registers take 2 s in the simulator: the Graph timeout leaves room for them (Meta: up to 15 s).
  stack = await startTestStack({ configEnv: { WA_GRAPH_REQUEST_TIMEOUT_MS: '4000' } });
});
after(async () => {
  await stack?.stop();
});

async function seedOnPrem(id: string) {
  await seedOnPremises(stack.sim, id, '123456', { username: 'admin', password: 'onprem-secret' });
}

const migrate = (id: string, pin: string): OperationRequestInput => ({
  operation: 'migrate',
  pin,
  onPrem: { url: `${stack.simulator.url}/onprem/${id}`, username: 'admin', password: 'onprem-secret' },
  backupPassword: 'backup-secret',
});

test('migrate: backup on the On-Prem client, register with it, post-check; On-Prem shut down', async () => {
  const id = '6662000001';
  await seedOnPrem(id);
  const ticket = await stack.client.requestOperation(id, migrate(id, '123456'));
  const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 200 });
  assert.equal(outcome.status, 'completed', JSON.stringify(outcome.failure));
  const number = await stack.sim.phoneNumber(id);
  assert.equal(number.platform_type, 'CLOUD_API');
  assert.equal(number.status, 'CONNECTED');
  assert.equal((number.onprem as { running: boolean }).running, false);
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);
  assert.equal((await stack.client.getState(id))?.state, 'registered');
});

test('migrate with a wrong PIN: reported on neither API, waits; the same command with the right PIN resumes', async () => {
  const id = '6662000002';
  await seedOnPrem(id);
  const first = await stack.client.requestOperation(id, migrate(id, '654321'));
  const waiting = await until('waiting-for-pin', async () => {
    const s = await stack.client.getState(id);
    return s?.state === 'waiting-for-pin' ? s : undefined;
  });
  assert.match(waiting.currentOperation?.waitingFor ?? '', /NUMBER IS ON NEITHER API/);
  const down = await stack.sim.phoneNumber(id);
  assert.equal(down.platform_type, 'NOT_APPLICABLE');
  assert.equal((down.onprem as { running: boolean }).running, false, 'the wrong PIN took On-Prem down');

  const again = await stack.client.requestOperation(id, migrate(id, '123456'));
  assert.equal(again.operationId, first.operationId, 'the corrected PIN goes to the waiting operation');
  assert.equal(again.joined, true);
  const outcome = await stack.client.waitForOperation(id, first.operationId, { pollIntervalMs: 200 });
  assert.equal(outcome.status, 'completed', JSON.stringify(outcome.failure));
  assert.equal((await stack.sim.phoneNumber(id)).platform_type, 'CLOUD_API');
  const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
  assert.deepEqual(
    registers.map((r) => r.errorCode ?? r.status),
    [133005, 200],
    'the same backup was reused: no new backup could be made once On-Prem was down',
  );
});

test('migrate where the register call times out but succeeded: read back, no second register', async () => {
  const id = '6662000003';
  await seedOnPrem(id);
  await stack.sim.faults([
    { endpoint: 'register', phoneNumberId: id, kind: 'timeout-after-apply', hangMs: 8000, count: 1 },
  ]);
  const ticket = await stack.client.requestOperation(id, migrate(id, '123456'));
  const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 200 });
  assert.equal(outcome.status, 'completed', JSON.stringify(outcome.failure));
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);
  assert.equal((await stack.sim.phoneNumber(id)).platform_type, 'CLOUD_API');
  await stack.sim.faults([]);
});

test('migrate of a number already on Cloud API: says so, sends nothing', async () => {
  const id = '6662000004';
  await stack.sim.seed({
    id,
    code_verification_status: 'VERIFIED',
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    pin: '123456',
  });
  const ticket = await stack.client.requestOperation(id, migrate(id, '123456'));
  const outcome = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 200 });
  assert.equal(outcome.failure?.type, 'AlreadyOnCloudApi');
  assert.match(outcome.failure?.message ?? '', /already on Cloud API/);
  const posts = (await stack.sim.requests({ phoneNumberId: id })).filter((r) => r.method === 'POST');
  assert.deepEqual(posts, []);
});
