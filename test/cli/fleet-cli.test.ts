// End to end through the real `wa-number fleet start|status|retry|cancel` commands: every test spawns
// `node bin/wa-number.js fleet …` as its own process against a real Temporal dev server, a worker with the
// real activities and the Graph simulator over HTTP, and asserts on the exit code, stdout and stderr. The
// spawned commands' stdout is a pipe (not a TTY), so watching a fleet prints JSON lines.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FleetProgress, FleetStatus } from '../../client';
import { until } from '../helpers/poll';
import type { TestStack } from '../helpers/stack';
import { assertExit, CLI, closedPort, createCliHarness, type RunResult } from './cli-harness';

const TEST_TIMEOUT = { timeout: 120_000 };

const harness = createCliHarness({
  tmpPrefix: 'wa-number-fleet-cli-test-',
  // Generous: a spawned CLI compiles TypeScript on the fly and may follow a fleet to its end.
  commandTimeoutMs: 90_000,
  pollTimeoutMs: 60_000,
  secretLabel: 'PIN',
});
const { cli, assertNoSecret, transcript, secretsUsed } = harness;

let stack: TestStack;
let tmpDir: string;

before(async () => {
  ({ stack, tmpDir } = await harness.start());
});
after(() => harness.stop());

/** n phone-number IDs `{prefix}0000`, `{prefix}0001`, … */
const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

/** A 6-digit PIN of the number's own (no two numbers of this file share one). */
function pinOf(id: string): string {
  return String(100_000 + ((Number(id) * 7919 + 271_828) % 900_000));
}

/** A file in the test's temporary directory; returns its path. */
function writeTmp(name: string, text: string): string {
  const file = path.join(tmpDir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function numbersCsv(name: string, numbers: string[]): string {
  return writeTmp(name, ['phone_number_id', ...numbers].join('\n') + '\n');
}

function pinsCsv(name: string, numbers: string[]): string {
  return writeTmp(
    name,
    ['phone_number_id,pin', ...numbers.map((id) => `${id},${pinOf(id)}`)].join('\n') + '\n',
  );
}

function seed(numbers: string[], fields: Record<string, unknown> = {}): Promise<string[]> {
  return stack.sim.seedMany(
    numbers.map((id) => ({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED', ...fields })),
  );
}

async function patchNumber(id: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.simulator.url}/_sim/phone-numbers/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `PATCH ${id}: ${await res.text()}`);
}

/** What `fleet start|retry` prints on a pipe: a JSON line per change of the counts, then the final report. */
interface ProgressLine {
  fleetId: string;
  phase: string;
  total: number;
  counts: FleetProgress['counts'];
}
type FinalReport = FleetProgress & { status: string };

function jsonLines(r: RunResult): unknown[] {
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length >= 2, `${r.command}: progress and a final report on stdout: ${r.stdout}`);
  return lines.map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      assert.fail(`${r.command}: stdout line ${i + 1} is not JSON: ${l}\nstdout: ${r.stdout}`);
    }
  });
}

const settled = (c: FleetProgress['counts']) => c.completed + c['already-done'] + c.failed + c['not-started'];

/** The JSON lines of a watched fleet: progress moving forward, then the final report, which it returns. */
function watched(r: RunResult, fleetId: string, total: number): FinalReport {
  const parsed = jsonLines(r);
  const final = parsed.at(-1) as FinalReport;
  const progress = parsed.slice(0, -1) as ProgressLine[];
  let last = -1;
  for (const p of progress) {
    assert.equal(p.fleetId, fleetId);
    assert.equal(p.total, total, `${r.command}: total in ${JSON.stringify(p)}`);
    const now = settled(p.counts);
    assert.ok(now >= last, `${r.command}: settled count went back from ${last} to ${now}:\n${r.stdout}`);
    last = now;
  }
  assert.equal(final.fleetId, fleetId);
  assert.equal(final.total, total);
  assert.ok(final.status !== 'RUNNING', `final report of a finished fleet: ${JSON.stringify(final)}`);
  assert.ok(settled(final.counts) >= last);
  assert.equal(settled(final.counts), total, 'every number settled in the final report');
  return final;
}

async function fleetStatus(fleetId: string, ...secrets: string[]): Promise<FleetStatus> {
  const r = await cli(['fleet', 'status', fleetId, '--json']);
  assertExit(r, 0);
  assertNoSecret(r, ...secrets);
  return JSON.parse(r.stdout) as FleetStatus;
}

function fleetStatusUntil(
  fleetId: string,
  what: string,
  accept: (s: FleetStatus) => boolean,
): Promise<FleetStatus> {
  let last: FleetStatus | undefined;
  return until(
    () => `fleet ${fleetId}: ${what}; last status: ${JSON.stringify(last)}`,
    async () => {
      last = await fleetStatus(fleetId);
      return accept(last) ? last : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

const registerCount = async () => (await stack.sim.requests({ endpoint: 'register' })).length;

// ---------------------------------------------------------------------------------------------------

test(
  'fleet start --operation register over 25 numbers with a pins file, concurrency 5: exit 0, JSON lines ' +
    'moving forward to a final report with 25 completed; fleet status --json and text agree',
  TEST_TIMEOUT,
  async () => {
    const numbers = ids('77810', 25);
    const pins = numbers.map(pinOf);
    await seed(numbers);
    const r = await cli([
      'fleet',
      'start',
      '--operation',
      'register',
      '--file',
      numbersCsv('numbers.csv', numbers),
      '--pin-file',
      pinsCsv('pins.csv', numbers),
      '--concurrency',
      '5',
      '--fleet-id',
      'fleet-cli-25',
      '--interval',
      '200',
    ]);
    assertExit(r, 0);
    assertNoSecret(r, ...pins);
    assert.match(r.stderr, /fleet fleet-cli-25 started/);
    const final = watched(r, 'fleet-cli-25', 25);
    assert.equal(final.status, 'COMPLETED');
    assert.equal(final.phase, 'finished');
    assert.equal(final.operation, 'register');
    assert.equal(final.concurrency, 5);
    assert.equal(final.counts.completed, 25, JSON.stringify(final.counts));
    assert.equal(final.counts.failed, 0);
    assert.deepEqual(final.numbers, [], 'no failures to list');

    for (const id of numbers.slice(0, 5)) assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
    const registers = await stack.sim.requests({ endpoint: 'register' });
    assert.deepEqual(new Set(registers.map((x) => x.phoneNumberId)), new Set(numbers), 'one per number');

    const s = await fleetStatus('fleet-cli-25', ...pins);
    assert.equal(s.fleetId, 'fleet-cli-25');
    assert.equal(s.status, 'COMPLETED');
    assert.equal(s.progress?.phase, 'finished');
    assert.equal(s.progress?.total, 25);
    assert.deepEqual(s.progress?.counts, final.counts);

    const text = await cli(['fleet', 'status', 'fleet-cli-25']);
    assertExit(text, 0);
    assertNoSecret(text, ...pins);
    assert.match(text.stdout, /^fleet fleet-cli-25: register over 25 number\(s\), finished$/m);
    assert.match(text.stdout, /completed 25, already done 0, failed 0, running 0, pending 0, not started 0/);
    assert.match(text.stdout, /concurrency 5/);
    assert.doesNotMatch(text.stdout, /failures:/);
  },
);

test(
  'numbers Meta refuses (NOT_VERIFIED): exit 1, the final report lists them with reasons; once verified, ' +
    'fleet retry --fleet-id runs exactly them: exit 0',
  TEST_TIMEOUT,
  async () => {
    const numbers = ids('77820', 8);
    const unverified = [numbers[1]!, numbers[4]!, numbers[6]!];
    const pins = numbers.map(pinOf);
    await seed(numbers.filter((n) => !unverified.includes(n)));
    await seed(unverified, { code_verification_status: 'NOT_VERIFIED' });
    const r = await cli([
      'fleet',
      'start',
      '--operation',
      'register',
      '--file',
      numbersCsv('refused.csv', numbers),
      '--pin-file',
      pinsCsv('refused-pins.csv', numbers),
      '--concurrency',
      '4',
      '--fleet-id',
      'fleet-cli-refused',
      '--interval',
      '200',
    ]);
    assertExit(r, 1);
    assertNoSecret(r, ...pins);
    const final = watched(r, 'fleet-cli-refused', 8);
    assert.equal(final.counts.completed, 5, JSON.stringify(final.counts));
    assert.equal(final.counts.failed, 3);
    assert.deepEqual(final.numbers.map((n) => n.phoneNumberId).sort(), unverified);
    for (const n of final.numbers) {
      assert.equal(n.status, 'failed');
      assert.match(n.reason ?? '', /verif/i, `${n.phoneNumberId}: the reason says what Meta refused`);
      assert.ok(n.failureType, `${n.phoneNumberId}: a failure type`);
    }

    const text = await cli(['fleet', 'status', 'fleet-cli-refused']);
    assertExit(text, 0);
    assertNoSecret(text, ...pins);
    assert.match(text.stdout, /completed 5, already done 0, failed 3/);
    assert.match(text.stdout, /failures:/);
    for (const id of unverified)
      assert.match(text.stdout, new RegExp(`^ {4}${id} {2}failed {2}\\S.*verif`, 'im'));
    assert.match(text.stdout, /retry them with: wa-number fleet retry fleet-cli-refused/);

    for (const id of unverified)
      await patchNumber(id, { code_verification_status: 'VERIFIED', name_status: 'APPROVED' });
    const before = await stack.sim.requests({ endpoint: 'register' });
    const retry = await cli([
      'fleet',
      'retry',
      'fleet-cli-refused',
      '--fleet-id',
      'fleet-cli-refused-2',
      '--interval',
      '200',
    ]);
    assertExit(retry, 0);
    assertNoSecret(retry, ...pins);
    const retried = watched(retry, 'fleet-cli-refused-2', 3);
    assert.equal(retried.counts.completed, 3);
    assert.equal(retried.retryOf, 'fleet-cli-refused');
    const registers = (await stack.sim.requests({ endpoint: 'register' })).slice(before.length);
    assert.deepEqual(
      [...new Set(registers.map((x) => x.phoneNumberId))].sort(),
      unverified,
      'the retry fleet registered only the refused numbers',
    );
    for (const id of unverified) assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED', id);
    const s = await fleetStatus('fleet-cli-refused-2', ...pins);
    assert.equal(s.progress?.total, 3);
    assert.equal(s.progress?.counts.completed, 3);
    assert.equal(s.progress?.retryOf, 'fleet-cli-refused');
  },
);

test(
  'fleet start --detach prints the fleet ID; fleet cancel stops a slow fleet: exit 0 saying how many ' +
    'will not be started; the fleet ends cancelled',
  TEST_TIMEOUT,
  async () => {
    const numbers = ids('77830', 12);
    const pins = numbers.map(pinOf);
    await seed(numbers);
    await stack.sim.faults([{ endpoint: 'register', kind: 'latency', latencyMs: 1500 }]);
    try {
      const start = await cli([
        'fleet',
        'start',
        '--operation',
        'register',
        '--file',
        numbersCsv('slow.csv', numbers),
        '--pin-file',
        pinsCsv('slow-pins.csv', numbers),
        '--concurrency',
        '2',
        '--fleet-id',
        'fleet-cli-slow',
        '--detach',
      ]);
      assertExit(start, 0);
      assertNoSecret(start, ...pins);
      assert.match(start.stdout, /fleet fleet-cli-slow started/);
      assert.match(start.stdout, /wa-number fleet status fleet-cli-slow/);

      await fleetStatusUntil(
        'fleet-cli-slow',
        'a number started',
        (s) => (s.progress?.counts.running ?? 0) + (s.progress?.counts.completed ?? 0) > 0,
      );
      const cancel = await cli(['fleet', 'cancel', 'fleet-cli-slow', '--requested-by', 'fleet-cli-test']);
      assertExit(cancel, 0);
      assertNoSecret(cancel, ...pins);
      const m =
        /^fleet fleet-cli-slow cancelled: (\d+) number\(s\) will not be started, (\d+) still running will finish$/m.exec(
          cancel.stdout,
        );
      assert.ok(m, `cancel says how many will not be started: ${cancel.stdout}`);
      const notStarted = Number(m[1]);
      assert.ok(notStarted >= 1 && notStarted <= 10, `${notStarted} not started of 12 at concurrency 2`);

      const done = await fleetStatusUntil(
        'fleet-cli-slow',
        'the fleet to end',
        (s) => s.status !== 'RUNNING',
      );
      assert.equal(done.status, 'COMPLETED');
      assert.equal(done.progress?.phase, 'cancelled');
      assert.equal(done.progress?.counts['not-started'], notStarted);
      assert.equal(done.progress?.counts.completed, 12 - notStarted);
      const skipped = done.progress?.numbers.filter((n) => n.status === 'not-started') ?? [];
      assert.equal(skipped.length, notStarted);
      for (const n of skipped) assert.match(n.reason ?? '', /cancelled by fleet-cli-test/);
      assert.equal(await registerCountOf(numbers), 12 - notStarted, 'no register for the skipped numbers');

      const text = await cli(['fleet', 'status', 'fleet-cli-slow']);
      assertExit(text, 0);
      assert.match(text.stdout, /^fleet fleet-cli-slow: register over 12 number\(s\), cancelled$/m);
      assert.match(text.stdout, new RegExp(`not started ${notStarted}`));

      const again = await cli(['fleet', 'cancel', 'fleet-cli-slow']);
      assertExit(again, 2);
      assert.match(again.stderr, /fleet fleet-cli-slow is not running/);
    } finally {
      await stack.sim.faults([]);
    }
  },
);

async function registerCountOf(numbers: string[]): Promise<number> {
  const wanted = new Set(numbers);
  return (await stack.sim.requests({ endpoint: 'register' })).filter((x) => wanted.has(x.phoneNumberId!))
    .length;
}

test(
  'fleet start --waba with a pins file registers every number of the WABA; an empty WABA is exit 2 ' +
    'naming it and "no phone numbers"',
  TEST_TIMEOUT,
  async () => {
    const waba = '881000000001';
    const numbers = ids('77840', 6);
    const pins = numbers.map(pinOf);
    await seed(numbers, { waba_id: waba });
    const pinFile = pinsCsv('waba-pins.csv', numbers);
    const r = await cli([
      'fleet',
      'start',
      '--operation',
      'register',
      '--waba',
      waba,
      '--pin-file',
      pinFile,
      '--concurrency',
      '3',
      '--fleet-id',
      'fleet-cli-waba',
      '--interval',
      '200',
    ]);
    assertExit(r, 0);
    assertNoSecret(r, ...pins);
    const final = watched(r, 'fleet-cli-waba', 6);
    assert.equal(final.counts.completed, 6, JSON.stringify(final));
    assert.equal(final.wabaId, waba);
    assert.equal(await registerCountOf(numbers), 6);

    const empty = '881000000002';
    await stack.sim.createWaba(empty);
    const before = await registerCount();
    const e = await cli([
      'fleet',
      'start',
      '--operation',
      'register',
      '--waba',
      empty,
      '--pin-file',
      pinFile,
      '--fleet-id',
      'fleet-cli-empty-waba',
    ]);
    assertExit(e, 2);
    assertNoSecret(e, ...pins);
    assert.match(e.stderr, new RegExp(`WABA ${empty}.*no phone numbers`));
    assert.equal(e.stdout, '');
    assert.equal(await registerCount(), before, 'no register');
  },
);

test(
  'bad input is exit 2 naming every problem, and nothing starts: a file without phone_number_id, bad rows ' +
    '(with their lines), concurrency 0 and 501, an unknown operation, --file with --waba, an unknown fleet',
  TEST_TIMEOUT,
  async () => {
    const numbers = ids('77850', 4);
    const pins = numbers.map(pinOf);
    await seed(numbers);
    const good = numbersCsv('bad-good.csv', numbers);
    const pinFile = pinsCsv('bad-pins.csv', numbers);
    const noIdColumn = writeTmp('no-id.csv', ['number', ...numbers].join('\n') + '\n');
    const badRows = writeTmp(
      'bad-rows.csv',
      [
        'phone_number_id,region',
        `${numbers[0]},DE`, // line 2: fine
        `${numbers[1]},`, // line 3: fine
        `${numbers[0]},IN`, // line 4: the same number again
        '77850abc,DE', // line 5: not digits
        `${numbers[2]},XX`, // line 6: no such region
        `${numbers[3]},CH`, // line 7: fine
      ].join('\n') + '\n',
    );
    const start = (...flags: string[]) => ['fleet', 'start', '--operation', 'register', ...flags];
    const cases: { args: string[]; error: RegExp[] }[] = [
      {
        args: start('--file', noIdColumn, '--pin-file', pinFile, '--fleet-id', 'fleet-cli-bad-1'),
        error: [
          /no-id\.csv line 1: phone_number_id: column missing/,
          /no-id\.csv line 1: number: unknown column/,
        ],
      },
      {
        args: start('--file', badRows, '--pin-file', pinFile, '--fleet-id', 'fleet-cli-bad-2'),
        error: [
          /problems in the fleet input/,
          /bad-rows\.csv line 4: phone_number_id: appears twice: first on line 2/,
          /bad-rows\.csv line 5: phone_number_id: /,
          /bad-rows\.csv line 6: region: /,
        ],
      },
      {
        args: start(
          '--file',
          good,
          '--pin-file',
          pinFile,
          '--concurrency',
          '0',
          '--fleet-id',
          'fleet-cli-bad-3',
        ),
        error: [/concurrency: must be a whole number from 1 to 500/],
      },
      {
        args: start(
          '--file',
          good,
          '--pin-file',
          pinFile,
          '--concurrency',
          '501',
          '--fleet-id',
          'fleet-cli-bad-4',
        ),
        error: [/concurrency: must be a whole number from 1 to 500/],
      },
      {
        args: [
          'fleet',
          'start',
          '--operation',
          'registr',
          '--file',
          good,
          '--pin-file',
          pinFile,
          '--fleet-id',
          'fleet-cli-bad-5',
        ],
        error: [/operation: must be one of register, /],
      },
      {
        args: start(
          '--file',
          good,
          '--waba',
          '881000000001',
          '--pin-file',
          pinFile,
          '--fleet-id',
          'fleet-cli-bad-6',
        ),
        error: [/give either --file FILE or --waba ID/],
      },
      {
        args: ['fleet', 'status', 'fleet-cli-no-such-fleet'],
        error: [/no fleet with ID fleet-cli-no-such-fleet/],
      },
    ];
    const before = await registerCount();
    const results = await Promise.all(cases.map((c) => cli(c.args)));
    results.forEach((r, i) => {
      assertExit(r, 2);
      for (const error of cases[i]!.error) assert.match(r.stderr, error, `${r.command}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${r.command}: nothing on stdout`);
      assertNoSecret(r, ...pins);
    });
    const badLines = new Set(
      [...results[1]!.stderr.matchAll(/^bad-rows\.csv line (\d+):/gm)].map((x) => Number(x[1])),
    );
    assert.deepEqual([...badLines].sort(), [4, 5, 6], `the bad rows and only them: ${results[1]!.stderr}`);
    assert.equal(await registerCount(), before, 'no register sent');
    for (let i = 1; i <= 6; i++) {
      await assert.rejects(stack.client.describeFleet(`fleet-cli-bad-${i}`), /no fleet with ID/, 'no fleet');
    }
  },
);

test(
  'on a terminal, fleet start draws one progress bar redrawn in place, then the text summary',
  TEST_TIMEOUT,
  async () => {
    const numbers = ids('77860', 8);
    await seed(numbers);
    const command = [
      process.execPath,
      CLI,
      'fleet',
      'start',
      '--operation',
      'register',
      '--file',
      numbersCsv('tty-numbers.csv', numbers),
      '--pin-file',
      pinsCsv('tty-pins.csv', numbers),
      '--concurrency',
      '2',
      '--fleet-id',
      'tty-fleet',
      '--interval',
      '200',
    ].join(' ');
    // `script` runs the command on a pseudo-terminal, so the CLI sees a TTY as it would for a person.
    const r = await harness.run([
      '-e',
      `const r = require('node:child_process').spawnSync('script', ['-qec', ${JSON.stringify(command)}, '/dev/null'], { stdio: 'inherit' }); process.exit(r.status ?? 1);`,
    ]);
    assertExit(r, 0);
    const redraws = r.stdout.split('\r\x1b[2K').slice(1);
    assert.ok(redraws.length >= 2, `the bar was redrawn: ${JSON.stringify(r.stdout)}`);
    for (const bar of redraws) assert.match(bar, /^\[[#-]{30}\] \d+\/8 /);
    assert.match(redraws.at(-1)!, /^\[#{30}\] 8\/8 finished · 8 done · 0 failed/);
    assert.match(r.stdout, /fleet tty-fleet: register over 8 number\(s\), finished/);
    assert.doesNotMatch(r.stdout, /^\{/m, 'no JSON on a terminal');
    assertNoSecret(r, ...numbers.map(pinOf));
  },
);

test('fleet status with Temporal unreachable: exit 3, naming the address', TEST_TIMEOUT, async () => {
  const address = `127.0.0.1:${await closedPort()}`;
  const r = await cli(['fleet', 'status', 'fleet-cli-25'], { env: { WA_TEMPORAL_ADDRESS: address } });
  assertExit(r, 3);
  assert.match(r.stderr, new RegExp(`Temporal is unreachable at ${address}`));
});

test('no PIN from any pins file appears in any output of any fleet command this file ran', () => {
  assert.ok(transcript.length >= 20, `ran ${transcript.length} commands`);
  assert.ok(secretsUsed.size >= 50, `checked ${secretsUsed.size} PINs`);
  // The check can see a PIN where there is one: every PIN is in the pins file the commands were given.
  const pinsText = readFileSync(path.join(tmpDir, 'pins.csv'), 'utf8');
  assert.match(pinsText, harness.secretPattern(pinOf('778100007')));
  harness.assertNoSecretInTranscript();
});
