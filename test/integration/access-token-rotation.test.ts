// The Graph access token end to end, on the dev server with the simulator over HTTP: the worker reads its
// token from a file (graph.accessTokenFile) and picks up a rotated one without a restart; a revoked token
// fails an operation with the typed GraphAccessTokenInvalid before any register is sent; and the real
// worker process (worker/main.ts) refuses to start, exit 2, when Meta refuses its token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphErrorType } from '../../domain/graph-errors';
import { ROOT_DIR } from '../../platform/config';
import { seedVerified } from '../helpers/seed';
import { startTestStack, TEST_ENCRYPTION_KEYS, TEST_TOKEN, type TestStack } from '../helpers/stack';

const ROTATED = 'rotated-graph-token-2';
const ROTATED_AGAIN = 'rotated-graph-token-3';
const ALL_TOKENS = [TEST_TOKEN, ROTATED, ROTATED_AGAIN];

let stack: TestStack;
const dir = mkdtempSync(path.join(tmpdir(), 'wa-token-rotation-'));
const tokenFile = path.join(dir, 'graph-token');

before(async () => {
  writeFileSync(tokenFile, `${TEST_TOKEN}\n`);
  stack = await startTestStack({ configEnv: { WA_GRAPH_ACCESS_TOKEN_FILE: tokenFile } });
});
after(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function assertNoToken(text: string): void {
  for (const token of ALL_TOKENS) assert.ok(!text.includes(token), `a token leaked: ${text}`);
}

test('the token file is rotated while the worker runs: the next operation goes out with the new token', async () => {
  const id = '7610000001';
  await seedVerified(stack.sim, id, { pin: '123456' });
  const first = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  assert.equal((await stack.client.waitForOperation(id, first.operationId)).status, 'completed');

  // Meta's rotation for system users: refresh (a new token; the old one still works), deploy, revoke the old.
  await stack.sim.accessTokens({ issue: ROTATED });
  writeFileSync(tokenFile, `${ROTATED}\n`);
  await stack.sim.accessTokens({ revoke: TEST_TOKEN });

  const second = await stack.client.requestOperation(id, { operation: 'deregister' });
  const outcome = await stack.client.waitForOperation(id, second.operationId);
  assert.equal(outcome.status, 'completed', JSON.stringify(outcome.failure));
  const refused = (await stack.sim.requests({ phoneNumberId: id })).filter((r) => r.errorCode === 190);
  assert.deepEqual(refused, [], 'no call went out with the revoked token');
  assert.equal((await stack.sim.phoneNumber(id)).status, 'DISCONNECTED');
});

test('a revoked token: the operation fails GraphAccessTokenInvalid, says to fix the token, spends no budget; fixed, retry succeeds', async () => {
  const id = '7610000002';
  await seedVerified(stack.sim, id, { pin: '123456' });
  await stack.sim.accessTokens({ revoke: ROTATED }); // the token in the file is now refused

  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: '123456' });
  const failed = await stack.client.waitForOperation(id, ticket.operationId);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.failure?.type, GraphErrorType.AccessTokenInvalid);
  assert.match(failed.failure?.message ?? '', /\(#190\)/);
  assert.match(failed.failure?.message ?? '', new RegExp(`fix or rotate it in the file ${tokenFile}`));
  assertNoToken(JSON.stringify(failed));

  const calls = await stack.sim.requests({ phoneNumberId: id });
  assert.deepEqual(
    calls.map((c) => `${c.endpoint} ${c.errorCode}`),
    ['get 190'],
    'one read, refused, not retried; no register sent',
  );
  const state = await stack.client.getState(id);
  assert.equal(state?.ledger.entries.length, 0, 'no register or deregister in the ledger');

  await stack.sim.accessTokens({ issue: ROTATED_AGAIN });
  writeFileSync(tokenFile, ROTATED_AGAIN);
  const retry = await stack.client.retryOperation(id);
  const done = await stack.client.waitForOperation(id, retry.operationId);
  assert.equal(done.status, 'completed', JSON.stringify(done.failure));
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
});

/** Runs `node --import tsx worker/main.ts` with the given Graph token; resolves when it exits (or is stopped). */
function runWorkerProcess(token: string, stopWhen?: RegExp) {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('WA_')),
  );
  Object.assign(env, {
    WA_GRAPH_BASE_URL: stack.simulator.url,
    WA_GRAPH_ACCESS_TOKEN: token,
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    WA_TEMPORAL_ADDRESS: stack.config.temporal.address,
    WA_TEMPORAL_TASK_QUEUE: `token-check-${process.pid}`, // never takes the stack's tasks
    WA_WORKER_SHUTDOWN_GRACE_SECONDS: '0',
  });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'worker/main.ts')], {
    cwd: ROOT_DIR,
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stopWhen?.test(stdout)) child.kill('SIGTERM');
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

test('the real worker process with a token Meta refuses: exit 2, a clear message, no token in it', async () => {
  const started = Date.now();
  const run = await runWorkerProcess(TEST_TOKEN); // revoked in the first test
  assert.equal(run.code, 2, `exit code; stderr: ${run.stderr}`);
  assert.match(run.stderr, /worker: not started: GET \/me: \(#190\) Invalid OAuth 2\.0 Access Token/);
  assert.match(run.stderr, /fix or rotate it in the environment variable WA_GRAPH_ACCESS_TOKEN/);
  assertNoToken(run.stdout + run.stderr);
  assert.doesNotMatch(run.stdout, /polling task queue/, 'it never started polling');
  console.log(`worker with a refused token exited 2 after ${Date.now() - started} ms`);

  const good = await runWorkerProcess(ROTATED_AGAIN, /polling task queue/);
  assert.match(good.stdout, /Graph access token accepted \(GET \/me: "Simulator System User", id \d+\)/);
  assert.match(good.stdout, /polling task queue token-check-/);
  assert.equal(good.code, 0, `stopped by SIGTERM, exits cleanly; stderr: ${good.stderr}`);
  assertNoToken(good.stdout + good.stderr);
});
