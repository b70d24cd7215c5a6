// End to end through the real `wa-number` CLI for changing a number's data-localization region and for
// migrating a number from the On-Premises API to Cloud API: every test spawns `node bin/wa-number.js …` as
// its own process against a real Temporal dev server, a worker with the real activities and the Graph
// simulator (with its per-number On-Prem clients under /onprem/{id}) over HTTP, and asserts on the exit
// code, stdout and stderr.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { seedOnCloudApi, seedOnPremises } from '../helpers/seed';
import type { TestStack } from '../helpers/stack';
import { assertExit, createCliHarness, type RunOptions, type RunResult } from './cli-harness';

const TEST_TIMEOUT = { timeout: 300_000 };

/** The On-Prem client's admin credentials as seeded, and the password that encrypts the backup. */
const ONPREM_USER = 'admin';
const ONPREM_PASSWORD = 'onprem-secret';
const BACKUP_PASSWORD = 'backup-pw-Xq7vR2';
/** The PIN every seeded number has. */
const SEEDED_PIN = '123456';

const harness = createCliHarness({
  tmpPrefix: 'wa-number-region-migration-cli-test-',
  // Backup registers take 2 s in the simulator: a Graph timeout above that keeps a migration's register a
  // plain success or failure (not an unknown outcome read back afterwards).
  stack: { configEnv: { WA_GRAPH_REQUEST_TIMEOUT_MS: '5000' } },
  // Generous: a spawned CLI compiles TypeScript on the fly and may wait for an operation to finish.
  commandTimeoutMs: 90_000,
  pollTimeoutMs: 120_000,
  // A secret counts only as a token of its own: for the passwords, not inside a longer word or
  // hyphenated token; for a PIN, not inside a longer run of digits.
  secretBoundary: '[\\w-]',
  // PINs, the On-Prem password and the backup password must never be echoed, not even by status.
  alwaysSecret: [ONPREM_PASSWORD, BACKUP_PASSWORD],
});
const {
  cli,
  statusJson,
  statusUntil,
  finishedOperation,
  requestCount: count,
  assertNoSecret,
  transcript,
  secretsUsed,
} = harness;
// Checked in every output at the end, though not every command is given it.
secretsUsed.add(SEEDED_PIN);

let stack: TestStack;
let tmpDir: string;

before(async () => {
  ({ stack, tmpDir } = await harness.start());
});
after(() => harness.stop());

async function assertNoWorkflow(id: string): Promise<void> {
  assert.deepEqual(
    await statusJson(id),
    { phoneNumberId: id, state: 'unknown', operations: 0 },
    'no lifecycle workflow was started',
  );
}

/** The endpoints of the POST requests Meta (and the On-Prem client) received for the number, in order. */
async function posts(id: string): Promise<string[]> {
  return (await stack.sim.requests({ phoneNumberId: id }))
    .filter((r) => r.method === 'POST')
    .map((r) => r.endpoint);
}

interface SimNumber {
  status: string;
  platform_type: string;
  data_localization_region: string | null;
  onprem: { running: boolean; backups: number } | null;
}

async function simNumber(id: string): Promise<SimNumber> {
  return (await stack.sim.phoneNumber(id)) as unknown as SimNumber;
}

async function seedCloud(id: string, pin: string): Promise<void> {
  await seedOnCloudApi(stack.sim, id, pin);
}

async function seedOnPrem(id: string): Promise<void> {
  await seedOnPremises(stack.sim, id, SEEDED_PIN, { username: ONPREM_USER, password: ONPREM_PASSWORD });
}

function onPremUrl(id: string): string {
  return `${stack.simulator.url}/onprem/${id}`;
}

/** `migrate <id>` with every secret from an environment variable (see migrateEnv). */
function migrateArgs(id: string, ...extra: string[]): string[] {
  return [
    'migrate',
    id,
    '--onprem-url',
    onPremUrl(id),
    '--onprem-user-env',
    'ONPREM_USER',
    '--onprem-password-env',
    'ONPREM_PASSWORD',
    '--backup-password-env',
    'BACKUP_PASSWORD',
    '--pin-env',
    'WA_PIN',
    ...extra,
  ];
}

function migrateEnv(pin: string, overrides: Record<string, string | undefined> = {}) {
  return {
    ONPREM_USER,
    ONPREM_PASSWORD,
    BACKUP_PASSWORD,
    WA_PIN: pin,
    ...overrides,
  };
}

function changeRegion(id: string, pin: string, ...flags: string[]): Promise<RunResult> {
  return cli(['change-region', id, ...flags, '--pin-env', 'WA_PIN', '--wait'], { env: { WA_PIN: pin } });
}

/** The operation id in a ticket line (`migrate 123: started phone-number:123:migrate:1`). */
function ticketOperationId(text: string, operation: string, id: string, how = 'started'): string {
  const m = new RegExp(`^${operation} ${id}: ${how} (phone-number:${id}:${operation}:\\d+)`, 'm').exec(text);
  assert.ok(m, `${operation} ${how}: operation id in: ${text}`);
  return m[1]!;
}

// ---------------------------------------------------------------------------------------------------
// change-region

test(
  'change-region --region CH --wait on a registered Cloud number: exit 0, deregister → settings → ' +
    'register, CONNECTED in CH; --no-region turns it off; CH again; CH once more is already done, nothing sent',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000101';
    const pin = '274915';
    await seedCloud(id, pin);
    assert.equal((await simNumber(id)).data_localization_region, null, 'seeded without local storage');

    const toCh = await changeRegion(id, pin, '--region', 'CH');
    assertExit(toCh, 0);
    assertNoSecret(toCh, pin);
    assert.match(toCh.stdout, new RegExp(`^phone-number:${id}:change-region:1: completed$`, 'm'));
    assert.match(
      toCh.stderr,
      new RegExp(`change-region ${id}: started phone-number:${id}:change-region:1; waiting`),
    );
    let number = await simNumber(id);
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.platform_type, 'CLOUD_API');
    assert.equal(number.data_localization_region, 'CH');
    assert.deepEqual(await posts(id), ['deregister', 'settings', 'register']);
    let s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.state, 'registered');
    assert.equal(s.registration, 'registered');
    assert.equal(s.recentOperations[0]?.operation, 'change-region');
    assert.equal(s.recentOperations[0]?.outcome, 'completed');

    const off = await changeRegion(id, pin, '--no-region');
    assertExit(off, 0);
    assertNoSecret(off, pin);
    assert.match(off.stdout, new RegExp(`^phone-number:${id}:change-region:2: completed$`, 'm'));
    number = await simNumber(id);
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.data_localization_region, null, 'local storage off');
    assert.deepEqual((await posts(id)).slice(3), ['deregister', 'settings', 'register']);

    const back = await changeRegion(id, pin, '--region', 'CH');
    assertExit(back, 0);
    assertNoSecret(back, pin);
    assert.match(back.stdout, new RegExp(`^phone-number:${id}:change-region:3: completed$`, 'm'));
    assert.doesNotMatch(back.stdout, /already in that state/);
    number = await simNumber(id);
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.data_localization_region, 'CH');
    assert.deepEqual((await posts(id)).slice(6), ['deregister', 'settings', 'register']);

    const again = await changeRegion(id, pin, '--region', 'CH');
    assertExit(again, 0);
    assertNoSecret(again, pin);
    assert.match(
      again.stdout,
      new RegExp(
        `^phone-number:${id}:change-region:4: completed \\(already in that state; no request sent\\)$`,
        'm',
      ),
    );
    assert.equal((await posts(id)).length, 9, 'no POST for a region the number is already in');
    assert.equal(await count(id, 'register'), 3);
    assert.equal(await count(id, 'deregister'), 3);
    number = await simNumber(id);
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.data_localization_region, 'CH');
    s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.state, 'registered');
    assert.equal(s.recentOperations[0]?.outcome, 'already-done');
  },
);

test(
  'change-region bad input is exit 2 naming the problem, nothing sent and no workflow: --region US, ' +
    'ch, DEU; --region with --no-region; neither; a 5-digit PIN',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000102';
    const pin = '385026';
    await seedCloud(id, pin);
    const cases: { flags: string[]; pin: string; error: RegExp }[] = [
      { flags: ['--region', 'US'], pin, error: /region: must be one of Meta's data-localization regions/ },
      { flags: ['--region', 'ch'], pin, error: /region: must be one of Meta's data-localization regions/ },
      { flags: ['--region', 'DEU'], pin, error: /region: must be one of Meta's data-localization regions/ },
      {
        flags: ['--region', 'CH', '--no-region'],
        pin,
        error: /region: give either --region CODE or --no-region/,
      },
      {
        flags: ['--no-region', '--region', 'CH'],
        pin,
        error: /region: give either --region CODE or --no-region/,
      },
      { flags: [], pin, error: /region: give --region CODE .* or --no-region/ },
      { flags: ['--region', 'CH'], pin: '38502', error: /pin: must be exactly 6 digits/ },
    ];
    const results = await Promise.all(cases.map((c) => changeRegion(id, c.pin, ...c.flags)));
    results.forEach((r, i) => {
      assertExit(r, 2);
      assert.match(r.stderr, cases[i]!.error, `${r.command}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${r.command}: nothing on stdout`);
      assertNoSecret(r, pin, '38502');
    });
    assert.deepEqual(await stack.sim.requests({ phoneNumberId: id }), [], 'no Graph request');
    await assertNoWorkflow(id);
    const number = await simNumber(id);
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.data_localization_region, null);
  },
);

// ---------------------------------------------------------------------------------------------------
// migrate

test(
  'migrate --wait with every secret from env: exit 0, the number is CLOUD_API/CONNECTED, On-Prem stopped, ' +
    'one backup, one register',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000103';
    await seedOnPrem(id);
    const r = await cli(migrateArgs(id, '--wait'), { env: migrateEnv(SEEDED_PIN) });
    assertExit(r, 0);
    assertNoSecret(r, SEEDED_PIN);
    assert.match(r.stdout, new RegExp(`^phone-number:${id}:migrate:1: completed$`, 'm'));
    assert.match(r.stderr, new RegExp(`migrate ${id}: started phone-number:${id}:migrate:1; waiting`));
    const number = await simNumber(id);
    assert.equal(number.platform_type, 'CLOUD_API');
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.onprem?.running, false, 'the On-Prem client was shut down');
    assert.equal(number.onprem?.backups, 1);
    assert.equal(await count(id, 'register'), 1);
    assert.deepEqual(await posts(id), ['onprem', 'onprem', 'register'], 'login, backup, register');
    const s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.state, 'registered');
  },
);

test(
  'migrate --wait with the On-Prem password from --onprem-password-file and the PIN from stdin: exit 0',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000104';
    await seedOnPrem(id);
    const file = path.join(tmpDir, 'onprem-password.txt');
    writeFileSync(file, `${ONPREM_PASSWORD}\n`, { mode: 0o600 });
    const r = await cli(
      [
        'migrate',
        id,
        '--onprem-url',
        onPremUrl(id),
        '--onprem-user-env',
        'ONPREM_USER',
        '--onprem-password-file',
        file,
        '--backup-password-env',
        'BACKUP_PASSWORD',
        '--wait',
      ],
      { env: { ONPREM_USER, BACKUP_PASSWORD }, input: `${SEEDED_PIN}\n` },
    );
    assertExit(r, 0);
    assertNoSecret(r, SEEDED_PIN);
    assert.match(r.stdout, new RegExp(`^phone-number:${id}:migrate:1: completed$`, 'm'));
    const number = await simNumber(id);
    assert.equal(number.platform_type, 'CLOUD_API');
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.onprem?.running, false);
    assert.equal(await count(id, 'register'), 1);
  },
);

test(
  'migrate with a wrong PIN: waiting-for-pin, on NEITHER API (NOT_APPLICABLE/DISCONNECTED, On-Prem down); ' +
    'the same command with the right PIN joins the operation, which then completes on Cloud API',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000105';
    const wrongPin = '654321';
    await seedOnPrem(id);

    const first = await cli(migrateArgs(id), { env: migrateEnv(wrongPin) });
    assertExit(first, 0);
    assertNoSecret(first, wrongPin, SEEDED_PIN);
    const operationId = ticketOperationId(first.stdout, 'migrate', id);

    const waiting = await statusUntil(id, 'waiting-for-pin', (s) => s.state === 'waiting-for-pin');
    assert.equal(waiting.currentOperation?.operationId, operationId);
    assert.equal(waiting.currentOperation?.activeState, 'waiting-for-pin');
    assert.match(waiting.currentOperation?.waitingFor ?? '', /NEITHER API/);
    const human = await cli(['status', id]);
    assertExit(human, 0);
    assert.match(human.stdout, /waiting-for-pin: NUMBER IS ON NEITHER API/);
    assertNoSecret(human, wrongPin, SEEDED_PIN);

    const down = await simNumber(id);
    assert.equal(down.platform_type, 'NOT_APPLICABLE');
    assert.equal(down.status, 'DISCONNECTED');
    assert.equal(down.onprem?.running, false, 'the wrong PIN took the On-Prem client down');

    const second = await cli(migrateArgs(id), { env: migrateEnv(SEEDED_PIN) });
    assertExit(second, 0);
    assertNoSecret(second, wrongPin, SEEDED_PIN);
    assert.equal(ticketOperationId(second.stdout, 'migrate', id, 'joined'), operationId);

    const finished = await finishedOperation(id, operationId);
    assert.equal(finished.status, 'completed', JSON.stringify(finished.failure));
    const number = await simNumber(id);
    assert.equal(number.platform_type, 'CLOUD_API');
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.onprem?.running, false);
    const registers = await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' });
    assert.deepEqual(
      registers.map((x) => x.errorCode ?? x.status),
      [133005, 200],
      'the wrong PIN, then the right one with the same backup',
    );
    const s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.state, 'registered');
    assert.equal(s.currentOperation, undefined);
  },
);

test(
  'migrate bad input is exit 2 with nothing sent and no workflow: ftp:// URL, no --onprem-url, an empty ' +
    'credential variable, two secrets left to standard input',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000106';
    await seedOnPrem(id);
    const ftp = migrateArgs(id);
    ftp[ftp.indexOf('--onprem-url') + 1] = 'ftp://x';
    const noUrl = migrateArgs(id).filter(
      (a, i, all) => a !== '--onprem-url' && all[i - 1] !== '--onprem-url',
    );
    const twoFromStdin = [
      'migrate',
      id,
      '--onprem-url',
      onPremUrl(id),
      '--onprem-user-env',
      'ONPREM_USER',
      '--pin-env',
      'WA_PIN',
    ];
    const cases: { args: string[]; options: RunOptions; error: RegExp }[] = [
      {
        args: ftp,
        options: { env: migrateEnv(SEEDED_PIN) },
        error: /onPrem\.url: must be an http\(s\) URL/,
      },
      {
        args: noUrl,
        options: { env: migrateEnv(SEEDED_PIN) },
        error: /required option '--onprem-url <url>' not specified/,
      },
      {
        args: migrateArgs(id),
        options: { env: migrateEnv(SEEDED_PIN, { ONPREM_PASSWORD: '' }) },
        error:
          /onprem-password: environment variable ONPREM_PASSWORD \(--onprem-password-env\) is not set or empty/,
      },
      {
        args: migrateArgs(id),
        options: { env: migrateEnv(SEEDED_PIN, { BACKUP_PASSWORD: undefined }) },
        error: /backup-password: environment variable BACKUP_PASSWORD .*is not set or empty/,
      },
      {
        args: twoFromStdin,
        options: { env: migrateEnv(SEEDED_PIN), input: `${ONPREM_PASSWORD}\n` },
        error: /only one secret can come from standard input/,
      },
    ];
    const results = await Promise.all(cases.map((c) => cli(c.args, c.options)));
    results.forEach((r, i) => {
      assertExit(r, 2);
      assert.match(r.stderr, cases[i]!.error, `${r.command}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${r.command}: nothing on stdout`);
      assertNoSecret(r, SEEDED_PIN);
    });
    assert.match(results[4]!.stderr, /--onprem-password-env/, 'names the sources still to give');
    assert.match(results[4]!.stderr, /--backup-password-env/);
    assert.deepEqual(await stack.sim.requests({ phoneNumberId: id }), [], 'nothing sent to Meta or On-Prem');
    await assertNoWorkflow(id);
    const number = await simNumber(id);
    assert.equal(number.platform_type, 'ON_PREMISE');
    assert.equal(number.onprem?.running, true);
  },
);

test(
  'migrate --wait of a number already on Cloud API: exit 2 saying so; no register, no On-Prem call',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000107';
    await seedCloud(id, SEEDED_PIN);
    const r = await cli(migrateArgs(id, '--wait'), { env: migrateEnv(SEEDED_PIN) });
    assertExit(r, 2);
    assertNoSecret(r, SEEDED_PIN);
    assert.match(r.stdout + r.stderr, /already on Cloud API/);
    assert.equal(await count(id, 'register'), 0, 'no register');
    assert.equal(await count(id, 'onprem'), 0, 'no On-Prem call');
    assert.deepEqual(await posts(id), []);
    const number = await simNumber(id);
    assert.equal(number.platform_type, 'CLOUD_API');
    assert.equal(number.status, 'CONNECTED');
  },
);

test(
  'migrate --wait with wrong On-Prem credentials: exit 1 naming the On-Prem login; no backup, no ' +
    'register; the On-Prem client keeps running',
  TEST_TIMEOUT,
  async () => {
    const id = '7772000108';
    const wrongPassword = 'not-the-onprem-password';
    await seedOnPrem(id);
    const r = await cli(migrateArgs(id, '--wait'), {
      env: migrateEnv(SEEDED_PIN, { ONPREM_PASSWORD: wrongPassword }),
    });
    assertExit(r, 1);
    assertNoSecret(r, SEEDED_PIN, wrongPassword);
    assert.match(r.stdout, new RegExp(`^phone-number:${id}:migrate:1: failed: `, 'm'));
    assert.equal(await count(id, 'register'), 0, 'no register');
    const onprem = await stack.sim.requests({ phoneNumberId: id, endpoint: 'onprem' });
    assert.ok(onprem.length >= 1, 'the login was tried');
    assert.ok(
      onprem.every((x) => x.path.endsWith('/v1/users/login') && x.status === 401),
      `only refused logins: ${JSON.stringify(onprem.map((x) => [x.path, x.status]))}`,
    );
    const number = await simNumber(id);
    assert.equal(number.platform_type, 'ON_PREMISE');
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.onprem?.running, true, 'the On-Prem client still runs');
    assert.equal(number.onprem?.backups, 0);
    const s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.state, 'failed');
    // Last, so the checks above run either way: the operator must learn that the On-Prem login failed.
    assert.match(r.stdout + r.stderr, /On-Prem login/, 'the failure names the On-Prem login');
    assert.match(s.recentOperations[0]?.failure?.message ?? '', /On-Prem login/);
  },
);

test('no PIN, On-Prem password or backup password appears in any output of any command this file ran', () => {
  assert.ok(transcript.length > 25, `ran ${transcript.length} commands`);
  assert.ok(secretsUsed.size >= 8, `checked ${secretsUsed.size} secrets`);
  harness.assertNoSecretInTranscript();
});
