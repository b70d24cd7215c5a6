// End to end: `wa-number --api URL` drives everything through the real HTTP API (api/server.ts with an
// API key, in front of a real stack). The CLI processes get no payload key and a Temporal address where
// nothing listens, so any command that went to Temporal instead of the API would fail. The API key must
// never show in any output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApiServer, type ApiServer } from '../../api/server';
import type { FleetStatus, LifecycleSnapshot, OperationSummary, OperationTicket } from '../../client';
import { until } from '../helpers/poll';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { seedVerified } from '../helpers/seed';
import type { TestStack } from '../helpers/stack';
import { assertExit, closedPort, createCliHarness, type RunOptions, type RunResult } from './cli-harness';

const TEST_TIMEOUT = { timeout: 300_000 };
const API_KEY = 'api-cli-test-key-7d1e0b93';
const WRONG_KEY = 'api-cli-wrong-key-40c2aa17';
const PIN = '583920';
const OTHER_PIN = '604117';

const harness = createCliHarness({
  tmpPrefix: 'wa-number-api-cli-test-',
  commandTimeoutMs: 120_000,
  pollTimeoutMs: 60_000,
  // Any character of a word around it makes it part of a longer token, not a leak.
  secretBoundary: '[\\w-]',
  alwaysSecret: [API_KEY, WRONG_KEY],
});
const { assertNoSecret, assertNoSecretInTranscript, secretsUsed } = harness;
secretsUsed.add(PIN);
secretsUsed.add(OTHER_PIN);

let stack: TestStack;
let tmpDir: string;
let api: ApiServer;
/** Where the CLI's Temporal settings point: nothing listens there. */
let bogusTemporal: string;

before(async () => {
  ({ stack, tmpDir } = await harness.start());
  api = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [API_KEY],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
  });
  bogusTemporal = `127.0.0.1:${await closedPort()}`;
});
after(async () => {
  await api?.close();
  await harness.stop();
});

/** The key in WA_API_KEY, no payload key, Temporal unreachable; `extra` on top. */
function apiEnv(extra: RunOptions['env'] = {}): RunOptions['env'] {
  return { WA_API_KEY: API_KEY, WA_ENCRYPTION_KEYS: undefined, WA_TEMPORAL_ADDRESS: bogusTemporal, ...extra };
}

/** `wa-number --api <url> <args>` in apiEnv. */
function viaApi(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return harness.cli(['--api', api.url, ...args], { ...options, env: apiEnv(options.env) });
}

/** Polls `status --json` over the API until `accept` says yes. */
function statusUntil(id: string, what: string, accept: (s: LifecycleSnapshot) => boolean) {
  return until(
    () => `${id}: ${what}`,
    async () => {
      const s = JSON.parse((await ok(['status', id, '--json'])).stdout) as LifecycleSnapshot;
      return 'recentOperations' in s && accept(s) ? s : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

async function ok(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await viaApi(args, options);
  assertExit(r, 0);
  assertNoSecret(r);
  return r;
}

test(
  'register --wait, status, list, retry after a refused PIN, and bad input named, all over HTTP',
  TEST_TIMEOUT,
  async () => {
    const id = '7610000001';
    await seedVerified(stack.sim, id, { pin: PIN, waba_id: '990000000077' });

    const badPin = await viaApi(['register', id, '--pin-env', 'P'], { env: { P: '12ab' } });
    assertExit(badPin, 2);
    assert.match(badPin.stderr, /pin: must be exactly 6 digits/);

    const none = await ok(['status', id]);
    assert.match(none.stdout, /no operations yet/);

    const refused = await viaApi(['register', id, '--pin-env', 'P', '--waba', '990000000077', '--wait'], {
      env: { P: OTHER_PIN },
    });
    assertExit(refused, 1);
    assert.match(refused.stdout, /failed: .*PIN/i);

    const nothingToCancel = await viaApi(['cancel', id]);
    assertExit(nothingToCancel, 2);
    assert.match(nothingToCancel.stderr, /wa-number: .*(nothing|no operation)/i);

    const retried = await ok(['retry', id, '--pin-env', 'P', '--wait', '--json'], { env: { P: PIN } });
    const outcome = JSON.parse(retried.stdout) as OperationSummary;
    assert.equal(outcome.status, 'completed', retried.stdout);
    assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');

    const again = await viaApi(['retry', id]);
    assertExit(again, 2);
    assert.match(again.stderr, /nothing to retry/);

    const status = await ok(['status', id, '--json']);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'registered');
    const text = await ok(['status', id]);
    assert.match(text.stdout, /register: \d+ of 10 register requests used in the last 72 h/);

    const listed = await ok(['list', '--waba', '990000000077', '--json']);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phoneNumberId: string; state: string });
    assert.deepEqual(
      rows.map((r) => [r.phoneNumberId, r.state]),
      [[id, 'registered']],
    );
    const badFilter = await viaApi(['list', '--state', 'sleeping']);
    assertExit(badFilter, 2);
    assert.match(badFilter.stderr, /state: must be one of/);
  },
);

test(
  'cancel over HTTP: a queued operation dropped, a waiting one stopped (--wait)',
  TEST_TIMEOUT,
  async () => {
    const id = '7610000002';
    await seedVerified(stack.sim, id, { pin: PIN });
    // 10 registers in the last 10 hours: the register waits ~62 h for Meta's window.
    await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
    const register = await ok(['register', id, '--pin-env', 'P', '--json'], { env: { P: PIN } });
    const ticket = JSON.parse(register.stdout) as OperationTicket;
    await statusUntil(id, 'the register to wait', (s) => s.state === 'waiting-for-rate-limit');

    const queued = await ok(['set-pin', id, '--pin-env', 'P', '--json'], { env: { P: PIN } });
    const setPin = JSON.parse(queued.stdout) as OperationTicket;
    const dropped = await ok(['cancel', id, '--operation-id', setPin.operationId, '--json']);
    assert.equal((JSON.parse(dropped.stdout) as { status: string }).status, 'cancelled');

    const stopped = await ok(['cancel', id, '--requested-by', 'ops', '--wait', '--json']);
    const outcome = JSON.parse(stopped.stdout) as OperationSummary;
    assert.equal(outcome.operationId, ticket.operationId);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.failure?.type, 'Cancelled');
  },
);

test('fleet start (watched to the end), status, retry and cancel over HTTP', TEST_TIMEOUT, async () => {
  const good = '7610000010';
  const bad = '7610000011';
  await seedVerified(stack.sim, good, { pin: PIN });
  await seedVerified(stack.sim, bad, { pin: OTHER_PIN }); // the fleet's PIN is refused for this one
  const file = path.join(tmpDir, 'numbers.csv');
  writeFileSync(file, `phone_number_id\n${good}\n${bad}\n`);

  const start = await viaApi(
    [
      'fleet',
      'start',
      '--operation',
      'register',
      '--file',
      file,
      '--pin-env',
      'P',
      '--fleet-id',
      'api-fleet-1',
    ],
    { env: { P: PIN } },
  );
  assertExit(start, 1); // one number failed
  assertNoSecret(start);
  const lines = start.stdout.trim().split('\n');
  const final = JSON.parse(lines.at(-1)!) as { status: string; counts: Record<string, number> };
  assert.equal(final.status, 'COMPLETED', start.stdout);
  assert.equal(final.counts.completed, 1);
  assert.equal(final.counts.failed, 1);

  const status = await ok(['fleet', 'status', 'api-fleet-1', '--json']);
  const described = JSON.parse(status.stdout) as FleetStatus;
  assert.deepEqual(
    described.progress?.numbers.map((n) => [n.phoneNumberId, n.status]),
    [[bad, 'failed']],
  );

  const taken = await viaApi([
    'fleet',
    'start',
    '--operation',
    'deregister',
    '--file',
    file,
    '--fleet-id',
    'api-fleet-1',
  ]);
  assertExit(taken, 2);
  assert.match(taken.stderr, /fleetId: .*already exists/);

  const cancelDone = await viaApi(['fleet', 'cancel', 'api-fleet-1']);
  assertExit(cancelDone, 2);
  assert.match(cancelDone.stderr, /fleetId: fleet api-fleet-1 is not running/);

  const retry = await ok([
    'fleet',
    'retry',
    'api-fleet-1',
    '--fleet-id',
    'api-fleet-1-again',
    '--detach',
    '--json',
  ]);
  assert.equal((JSON.parse(retry.stdout) as { fleetId: string }).fleetId, 'api-fleet-1-again');

  const missing = await viaApi(['fleet', 'status', 'no-such-fleet']);
  assertExit(missing, 2);
  assert.match(missing.stderr, /fleetId: no fleet with ID no-such-fleet/);
});

test(
  'a wrong or missing key is refused clearly; --api-key-file works; the key is never printed',
  TEST_TIMEOUT,
  async () => {
    const wrong = await viaApi(['list'], { env: { WA_API_KEY: WRONG_KEY } });
    assertExit(wrong, 2);
    assert.match(wrong.stderr, /refused the API key \(HTTP 401\): check WA_API_KEY or --api-key-file/);

    const missing = await viaApi(['list'], { env: { WA_API_KEY: undefined } });
    assertExit(missing, 2);
    assert.match(missing.stderr, /wants an API key/);

    const keyFile = path.join(tmpDir, 'api-key');
    writeFileSync(keyFile, `${API_KEY}\n`, { mode: 0o600 });
    await ok(['--api-key-file', keyFile, 'list'], { env: { WA_API_KEY: undefined } });
    // A key file given on the command line wins over WA_API_KEY.
    await ok(['--api-key-file', keyFile, 'list'], { env: { WA_API_KEY: WRONG_KEY } });
    await ok(['list'], { env: { WA_API_KEY: undefined, WA_API_KEY_FILE: keyFile } });

    const fromEnv = await harness.cli(['list'], { env: apiEnv({ WA_API_URL: api.url }) });
    assertExit(fromEnv, 0);
    const badUrl = await harness.cli(['list'], { env: apiEnv({ WA_API_URL: 'not a url' }) });
    assertExit(badUrl, 2);
    assert.match(badUrl.stderr, /api: must be an http\(s\) URL.*--api/);
    const both = await viaApi(['--address', '127.0.0.1:7233', 'list']);
    assertExit(both, 2);
    assert.match(both.stderr, /give either --api .* or --address/);

    const downUrl = `http://127.0.0.1:${await closedPort()}`;
    const down = await harness.cli(['--api', downUrl, 'status', '7610000001'], { env: apiEnv() });
    assertExit(down, 3);
    assert.match(down.stderr, /is unreachable \(ECONNREFUSED\)/);

    assertNoSecretInTranscript();
  },
);
