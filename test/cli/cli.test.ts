// End to end through the real `wa-number` CLI: every test spawns `node bin/wa-number.js …` as its own
// process against a real Temporal dev server, a worker with the real activities and the Graph simulator
// over HTTP, and asserts on the exit code, stdout and stderr.
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import packageJson from '../../package.json';
import path from 'node:path';
import type { LifecycleSnapshot, OperationSummary, OperationTicket } from '../../client';
import { seedVerified } from '../helpers/seed';
import { TEST_ENCRYPTION_KEYS, TEST_TOKEN, type TestStack } from '../helpers/stack';
import { assertExit, closedPort, createCliHarness, ROOT } from './cli-harness';

const TEST_TIMEOUT = { timeout: 240_000 };

const harness = createCliHarness({
  tmpPrefix: 'wa-number-cli-test-',
  // Generous: a spawned CLI compiles TypeScript on the fly and may wait for an operation to finish.
  commandTimeoutMs: 60_000,
  pollTimeoutMs: 60_000,
  // The only secrets this file handles are PINs.
  secretLabel: 'PIN',
});
const { run, cli, statusJson, finishedOperation, assertNoSecret: assertNoPin, transcript } = harness;

let stack: TestStack;
let tmpDir: string;

before(async () => {
  ({ stack, tmpDir } = await harness.start());
});
after(() => harness.stop());

async function seed(id: string, extra: Record<string, unknown> = {}): Promise<void> {
  await seedVerified(stack.sim, id, extra);
}

async function graphRequests(id: string) {
  return stack.sim.requests({ phoneNumberId: id });
}

test(
  'register --pin-env --wait: exit 0, prints completed, the number is CONNECTED in Meta',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000101';
    const pin = '482913';
    await seed(id);
    const r = await cli(['register', id, '--pin-env', 'WA_PIN', '--wait', '--requested-by', 'cli-test'], {
      env: { WA_PIN: pin },
    });
    assertExit(r, 0);
    assert.match(r.stdout, new RegExp(`^phone-number:${id}:register:1: completed$`, 'm'));
    assert.match(r.stderr, new RegExp(`register ${id}: started phone-number:${id}:register:1; waiting`));
    assertNoPin(r, pin);
    assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
    assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);

    const s = await statusJson(id);
    assert.ok('recentOperations' in s);
    assert.equal(s.state, 'registered');
    assert.equal(s.recentOperations[0]?.requestedBy, 'cli-test');
  },
);

test('register --wait --json: stdout is one JSON object with status completed', TEST_TIMEOUT, async () => {
  const id = '7770000102';
  const pin = '593024';
  await seed(id);
  const r = await cli(['register', id, '--pin-env', 'WA_PIN', '--wait', '--json'], { env: { WA_PIN: pin } });
  assertExit(r, 0);
  assertNoPin(r, pin);
  assert.equal(r.stdout.trim().split('\n').length, 1, `one line of JSON, got: ${r.stdout}`);
  const outcome = JSON.parse(r.stdout) as OperationSummary;
  assert.equal(outcome.status, 'completed');
  assert.equal(outcome.operation, 'register');
  assert.equal(outcome.outcome, 'completed');
  assert.equal(outcome.operationId, `phone-number:${id}:register:1`);
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
});

test('the PIN can come from --pin-file', TEST_TIMEOUT, async () => {
  const id = '7770000103';
  const pin = '604135';
  await seed(id, { pin });
  const file = path.join(tmpDir, 'pin.txt');
  writeFileSync(file, `${pin}\n`, { mode: 0o600 });
  const r = await cli(['register', id, '--pin-file', file, '--wait']);
  assertExit(r, 0);
  assert.match(r.stdout, /: completed$/m);
  assertNoPin(r, pin);
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
});

test('the PIN can be piped on standard input', TEST_TIMEOUT, async () => {
  const id = '7770000104';
  const pin = '715246';
  await seed(id, { pin }); // the simulator checks it: a mangled PIN would fail with a PIN mismatch
  const r = await cli(['register', id, '--wait'], { input: `${pin}\n` });
  assertExit(r, 0);
  assert.match(r.stdout, /: completed$/m);
  assertNoPin(r, pin);
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
});

test(
  'a PIN of the wrong length is bad input (exit 2) naming pin and the rule; nothing reaches Meta',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000105';
    await seed(id);
    for (const pin of ['98765', '1234567']) {
      const r = await cli(['register', id, '--pin-env', 'WA_PIN', '--wait'], { env: { WA_PIN: pin } });
      assertExit(r, 2);
      assert.match(r.stderr, /pin: must be exactly 6 digits/);
      assert.equal(r.stdout, '');
      assertNoPin(r, pin);
    }
    const r = await cli(['register', id, '--wait'], { input: '98765\n' });
    assertExit(r, 2);
    assert.match(r.stderr, /pin: must be exactly 6 digits/);
    assertNoPin(r, '98765');
    assert.deepEqual(await graphRequests(id), [], 'no Graph request');
    assert.deepEqual(
      await statusJson(id),
      { phoneNumberId: id, state: 'unknown', operations: 0 },
      'no workflow',
    );
  },
);

test('no PIN source and an empty, non-TTY standard input: exit 2 naming pin', TEST_TIMEOUT, async () => {
  const id = '7770000106';
  await seed(id);
  const piped = await cli(['register', id, '--wait'], { input: '' });
  assertExit(piped, 2);
  assert.match(piped.stderr, /pin: /);
  const devNull = await cli(['register', id, '--wait']); // stdin is /dev/null
  assertExit(devNull, 2);
  assert.match(devNull.stderr, /pin: /);
  assert.deepEqual(await graphRequests(id), [], 'no Graph request');
});

test(
  'PIN source mistakes are bad input: unset --pin-env variable, unreadable file, both sources',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000107';
    const pin = '826357';
    await seed(id);
    const unset = await cli(['register', id, '--pin-env', 'WA_PIN_NOT_SET']);
    assertExit(unset, 2);
    assert.match(unset.stderr, /pin: environment variable WA_PIN_NOT_SET/);

    const missing = await cli(['register', id, '--pin-file', path.join(tmpDir, 'no-such-file')]);
    assertExit(missing, 2);
    assert.match(missing.stderr, /pin: cannot read file/);

    const file = path.join(tmpDir, 'pin-both.txt');
    writeFileSync(file, pin, { mode: 0o600 });
    const both = await cli(['register', id, '--pin-env', 'WA_PIN', '--pin-file', file], {
      env: { WA_PIN: pin },
    });
    assertExit(both, 2);
    assert.match(both.stderr, /pin: give either --pin-env or --pin-file, not both/);
    for (const r of [unset, missing, both]) assertNoPin(r, pin);
    assert.deepEqual(await graphRequests(id), [], 'no Graph request');
  },
);

test(
  '--idempotency-key: the same command run again returns the first operation, nothing new is queued',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000121';
    await seed(id);
    const run = () =>
      cli(['register', id, '--pin-env', 'WA_PIN', '--idempotency-key', 'deploy-7:register'], {
        env: { WA_PIN: '135790' },
      });
    const first = await run();
    const second = await run();
    assertExit(first, 0);
    assertExit(second, 0);
    const opId = (r: { stdout: string }) => /started (phone-number:\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(opId(first), first.stdout);
    assert.equal(opId(second), opId(first));
    const state = await stack.client.getState(id);
    const ops = [state?.currentOperation, ...(state?.queued ?? []), ...(state?.recentOperations ?? [])];
    assert.equal(ops.filter(Boolean).length, 1, 'one operation for two runs');
    const bad = await cli(['register', id, '--pin-env', 'WA_PIN', '--idempotency-key', 'no spaces please'], {
      env: { WA_PIN: '135790' },
    });
    assertExit(bad, 2);
    assert.match(bad.stderr, /idempotency-key: must be 1 to 200 letters/);
  },
);

test(
  'register without --wait: exit 0 with the operation id; status shows it and the request ledger',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000108';
    const pin = '937468';
    await seed(id);
    const r = await cli(['register', id, '--pin-env', 'WA_PIN'], { env: { WA_PIN: pin } });
    assertExit(r, 0);
    assertNoPin(r, pin);
    const m = new RegExp(`^register ${id}: started (phone-number:${id}:register:\\d+)$`, 'm').exec(r.stdout);
    assert.ok(m, `operation id in: ${r.stdout}`);
    const operationId = m[1]!;

    const finished = await finishedOperation(id, operationId);
    assert.equal(finished.status, 'completed');
    assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');

    const human = await cli(['status', id]);
    assertExit(human, 0);
    assertNoPin(human, pin);
    assert.match(
      human.stdout,
      new RegExp(
        `^phone number ${id}: registered \\(registration: registered, verification: verified, two-step PIN: set\\)$`,
        'm',
      ),
    );
    assert.match(
      human.stdout,
      /^ {2}register: 1 of 10 register requests used in the last 72 h, next free slot now$/m,
    );
    assert.match(
      human.stdout,
      /^ {2}deregister: 0 of 10 deregister requests used in the last 72 h, next free slot now$/m,
    );
    assert.match(human.stdout, new RegExp(`last: ${operationId}: completed`));
  },
);

test('status of a number with no operations: exit 0, says so', TEST_TIMEOUT, async () => {
  const id = '7770000109';
  const r = await cli(['status', id]);
  assertExit(r, 0);
  assert.match(r.stdout, new RegExp(`phone number ${id}: no operations yet`));
});

test(
  'deregister --wait on a registered number: exit 0; a second deregister is refused (exit 2), nothing sent',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000110';
    const pin = '148579';
    await seed(id);
    const reg = await cli(['register', id, '--pin-env', 'WA_PIN', '--wait'], { env: { WA_PIN: pin } });
    assertExit(reg, 0);
    assertNoPin(reg, pin);

    const first = await cli(['deregister', id, '--wait']);
    assertExit(first, 0);
    assert.match(first.stdout, new RegExp(`^phone-number:${id}:deregister:\\d+: completed$`, 'm'));
    assert.equal((await stack.sim.phoneNumber(id)).status, 'DISCONNECTED');
    const sent = (await graphRequests(id)).length;

    const second = await cli(['deregister', id, '--wait']);
    assertExit(second, 2);
    assert.match(second.stderr, /not registered/);
    assert.equal(second.stdout, '');
    assert.equal((await graphRequests(id)).length, sent, 'nothing sent to the simulator');
    assertNoPin(first, pin);
    assertNoPin(second, pin);
  },
);

test('a wrong PIN: exit 1 with the failure reason (PIN mismatch) printed', TEST_TIMEOUT, async () => {
  const id = '7770000111';
  await seed(id, { pin: '111111' });
  const r = await cli(['register', id, '--pin-env', 'WA_PIN', '--wait'], { env: { WA_PIN: '222222' } });
  assertExit(r, 1);
  assert.match(
    r.stdout,
    new RegExp(`^phone-number:${id}:register:1: failed: .*PIN Mismatch.*\\[GraphPinMismatch\\]$`, 'im'),
  );
  assertNoPin(r, '111111', '222222');
  assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);

  const json = await cli(['status', id, '--json']);
  assertExit(json, 0);
  assertNoPin(json, '111111', '222222');
  assert.equal((JSON.parse(json.stdout) as LifecycleSnapshot).state, 'failed');
});

test(
  'a bad phone-number id (12ab) is bad input naming the field, for every command',
  TEST_TIMEOUT,
  async () => {
    const pin = '259680';
    const results = await Promise.all([
      cli(['register', '12ab', '--pin-env', 'WA_PIN', '--wait'], { env: { WA_PIN: pin } }),
      cli(['deregister', '12ab']),
      cli(['status', '12ab']),
    ]);
    for (const r of results) {
      assertExit(r, 2);
      assert.match(r.stderr, /phone-number-id: must be all digits/);
      assert.equal(r.stdout, '');
      assertNoPin(r, pin);
    }
  },
);

test('--region US is bad input naming region; nothing reaches Meta', TEST_TIMEOUT, async () => {
  const id = '7770000112';
  const pin = '360791';
  await seed(id);
  const r = await cli(['register', id, '--pin-env', 'WA_PIN', '--region', 'US', '--wait'], {
    env: { WA_PIN: pin },
  });
  assertExit(r, 2);
  assert.match(r.stderr, /region: must be one of Meta's data-localization regions/);
  assertNoPin(r, pin);
  assert.deepEqual(await graphRequests(id), [], 'no Graph request');
});

test(
  'unknown commands, options and missing arguments are bad input (exit 2); --help is exit 0',
  TEST_TIMEOUT,
  async () => {
    const [unknown, unknownOption, missingArg, help] = await Promise.all([
      cli(['frobnicate', '7770000113']),
      cli(['status', '7770000113', '--frobnicate']),
      cli(['deregister']),
      cli(['--help']),
    ]);
    assertExit(unknown, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assertExit(unknownOption, 2);
    assert.match(unknownOption.stderr, /unknown option '--frobnicate'/);
    assertExit(missingArg, 2);
    assert.match(missingArg.stderr, /missing required argument/);
    assertExit(help, 0);
    assert.match(help.stdout, /register/);
  },
);

test('Temporal unreachable: exit 3 within a few seconds, naming the address', TEST_TIMEOUT, async () => {
  const port = await closedPort();
  const address = `127.0.0.1:${port}`;
  const pin = '471802';
  const results = await Promise.all([
    cli(['status', '7770000114'], { env: { WA_TEMPORAL_ADDRESS: address } }),
    cli(['register', '7770000114', '--pin-env', 'WA_PIN', '--wait'], {
      env: { WA_TEMPORAL_ADDRESS: address, WA_PIN: pin },
    }),
    cli(['deregister', '7770000114', '--wait'], { env: { WA_TEMPORAL_ADDRESS: address } }),
  ]);
  for (const r of results) {
    assertExit(r, 3);
    assert.ok(r.elapsedMs < 10_000, `${r.command}: took ${r.elapsedMs} ms`);
    assert.match(r.stderr, new RegExp(`Temporal is unreachable at ${address}`));
    assertNoPin(r, pin);
  }
});

test(
  'global flags: --version; --address and --namespace win over the environment; a bad flag is named',
  TEST_TIMEOUT,
  async () => {
    const version = await cli(['--version']);
    assertExit(version, 0);
    assert.equal(version.stdout.trim(), packageJson.version);

    const bad = await cli(['--address', 'nope', 'status', '7770000115']);
    assertExit(bad, 2);
    assert.match(bad.stderr, /address: must be host:port/);

    // The environment points at a closed port: the flag wins and reaches the stack's server.
    const closed = `127.0.0.1:${await closedPort()}`;
    const viaFlag = await cli(
      ['--address', stack.config.temporal.address, 'status', '7770000115', '--json'],
      {
        env: { WA_TEMPORAL_ADDRESS: closed },
      },
    );
    assertExit(viaFlag, 0);
    assert.equal((JSON.parse(viaFlag.stdout) as { phoneNumberId: string }).phoneNumberId, '7770000115');
    const unreachable = await cli(['--address', closed, 'status', '7770000115']);
    assertExit(unreachable, 3);
    assert.match(unreachable.stderr, new RegExp(`Temporal is unreachable at ${closed}`));

    const otherNamespace = await cli(['--namespace', 'no-such-namespace', 'status', '7770000115']);
    assert.notEqual(otherNamespace.code, 0, otherNamespace.stderr);
    assert.match(otherNamespace.stderr, /no-such-namespace/);
  },
);

test(
  'a Temporal profile: --profile or TEMPORAL_PROFILE picks it (from --config-file, TEMPORAL_CONFIG_FILE or HOME); it beats temporal.yaml, WA_* and flags beat it; a bad name is named',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000116';
    const closed = `127.0.0.1:${await closedPort()}`;
    const home = path.join(tmpDir, 'profile-home');
    const profileFile = path.join(home, '.config', 'temporalio', 'temporal.toml');
    mkdirSync(path.dirname(profileFile), { recursive: true });
    writeFileSync(
      profileFile,
      `[profile.default]\naddress = "${closed}"\n\n` +
        `[profile.stack]\naddress = "${stack.config.temporal.address}"\nnamespace = "default"\n`,
    );
    // temporal.yaml points at the closed port too: only the profile reaches the stack's server.
    const yaml = path.join(tmpDir, 'closed-temporal.yaml');
    const shipped = readFileSync(path.join(ROOT, 'temporal.yaml'), 'utf8');
    writeFileSync(yaml, shipped.replace('address: 127.0.0.1:7233', `address: ${closed}`));
    const noWa = { WA_TEMPORAL_ADDRESS: undefined };
    const status = ['--config', yaml, 'status', id, '--json'];
    const reached = (r: Awaited<ReturnType<typeof cli>>) => {
      assertExit(r, 0);
      assert.equal((JSON.parse(r.stdout) as { phoneNumberId: string }).phoneNumberId, id);
    };

    reached(
      await cli(['--profile', 'stack', ...status], { env: { ...noWa, TEMPORAL_CONFIG_FILE: profileFile } }),
    );
    reached(await cli(['--config-file', profileFile, '--profile', 'stack', ...status], { env: noWa }));
    // The file where the temporal CLI keeps it: $HOME/.config/temporalio/temporal.toml.
    reached(
      await cli(status, {
        env: {
          ...noWa,
          HOME: home,
          XDG_CONFIG_HOME: undefined,
          TEMPORAL_CONFIG_FILE: undefined,
          TEMPORAL_PROFILE: 'stack',
        },
      }),
    );

    // No profile asked for: the file's default profile, which beats temporal.yaml.
    const viaDefault = await cli(status, { env: { ...noWa, TEMPORAL_CONFIG_FILE: profileFile } });
    assertExit(viaDefault, 3);
    assert.match(
      viaDefault.stderr,
      new RegExp(`Temporal is unreachable at ${closed} \\(from profile default;`),
    );
    // WA_* beats the profile; a flag beats both.
    const other = `127.0.0.1:${await closedPort()}`;
    const viaWa = await cli(['--profile', 'stack', ...status], {
      env: { WA_TEMPORAL_ADDRESS: other, TEMPORAL_CONFIG_FILE: profileFile },
    });
    assertExit(viaWa, 3);
    assert.match(
      viaWa.stderr,
      new RegExp(`Temporal is unreachable at ${other} \\(from env WA_TEMPORAL_ADDRESS;`),
    );
    reached(
      await cli(['--address', stack.config.temporal.address, ...status], {
        env: { WA_TEMPORAL_ADDRESS: other, TEMPORAL_CONFIG_FILE: profileFile },
      }),
    );

    const unknown = await cli(['--profile', 'nope', ...status], {
      env: { ...noWa, TEMPORAL_CONFIG_FILE: profileFile },
    });
    assertExit(unknown, 2);
    assert.equal(
      unknown.stderr.trim(),
      `wa-number: Temporal profile: no profile "nope": ${profileFile} (env TEMPORAL_CONFIG_FILE) has only ` +
        'default, stack; set by --profile',
    );
    const missing = path.join(tmpDir, 'no-such-profiles.toml');
    const noFile = await cli(['--config-file', missing, ...status], { env: noWa });
    assertExit(noFile, 2);
    assert.match(
      noFile.stderr,
      new RegExp(`Temporal profile file: cannot read ${missing} \\(ENOENT\\); set by --config-file`),
    );
    const withApi = await cli(['--api', 'http://127.0.0.1:1', '--profile', 'stack', 'status', id]);
    assertExit(withApi, 2);
    assert.match(withApi.stderr, /give either --api .* or --address\/--namespace\/--profile\/--config-file/);

    // An API key never goes out without TLS: refused before connecting, the key never printed.
    const apiKey = 'cli-test-temporal-api-key-secret';
    const plain = await cli(status, { env: { TEMPORAL_API_KEY: apiKey, TEMPORAL_TLS: 'false' } });
    assertExit(plain, 2);
    assert.match(
      plain.stderr,
      /an API key is never sent without TLS: TLS is off \(env TEMPORAL_TLS\) while an API key is set \(env TEMPORAL_API_KEY\)/,
    );
    assertNoPin(plain, apiKey);
  },
);

test(
  'npm run worker connects where the Temporal profile says, and its start-up line says where that came from',
  TEST_TIMEOUT,
  async () => {
    const profileFile = path.join(tmpDir, 'worker-profile.toml');
    writeFileSync(profileFile, `[profile.lifecycle]\naddress = "${stack.config.temporal.address}"\n`);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('WA_') && !k.startsWith('TEMPORAL_')) env[k] = v;
    }
    Object.assign(env, {
      TEMPORAL_CONFIG_FILE: profileFile,
      TEMPORAL_PROFILE: 'lifecycle',
      TEMPORAL_NAMESPACE: 'default',
      WA_TEMPORAL_TASK_QUEUE: `cli-test-profile-worker-${process.pid}`,
      WA_GRAPH_BASE_URL: stack.sim.url,
      WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
      WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    });
    const worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    const polling = new Promise<string | undefined>((resolve) => {
      const watch = (chunk: Buffer) => {
        output += chunk.toString();
        const line = /^worker: polling .*$/m.exec(output)?.[0];
        if (line) resolve(line);
      };
      worker.stdout.on('data', watch);
      worker.stderr.on('data', watch);
      void exited.then(() => resolve(undefined));
    });
    const timer = setTimeout(() => worker.kill('SIGKILL'), 120_000);
    try {
      const line = await polling;
      assert.ok(line, `the worker never polled:\n${output}`);
      assert.ok(
        line.includes(
          `on ${stack.config.temporal.address} (from profile lifecycle), namespace default (from env ` +
            `TEMPORAL_NAMESPACE), no TLS, Temporal profile lifecycle (${profileFile});`,
        ),
        line,
      );
    } finally {
      clearTimeout(timer);
      worker.kill('SIGTERM');
      await exited;
    }
  },
);

test(
  'the worker without WA_GRAPH_ACCESS_TOKEN exits 2 quickly, naming the variable and no token',
  TEST_TIMEOUT,
  async () => {
    const port = await closedPort();
    for (const token of [undefined, '   ']) {
      const r = await run(['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
        env: {
          WA_GRAPH_ACCESS_TOKEN: token,
          // Should it get past the config check after all, it must not poll anything real.
          WA_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
          WA_TEMPORAL_TASK_QUEUE: `cli-test-no-token-${process.pid}`,
        },
        timeoutMs: 30_000,
      });
      assertExit(r, 2);
      assert.ok(r.elapsedMs < 20_000, `took ${r.elapsedMs} ms`);
      assert.match(r.stderr, /WA_GRAPH_ACCESS_TOKEN/);
      const out = r.stdout + r.stderr;
      for (const secret of [
        TEST_TOKEN,
        stack.config.local.simulatorAccessToken,
        process.env.WA_GRAPH_ACCESS_TOKEN,
      ]) {
        if (secret) assert.ok(!out.includes(secret), 'no token in the output');
      }
    }
  },
);

test(
  'two registers of the same number with the same PIN at the same time: one operation, the second joined',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000115';
    const pin = '582913';
    await seed(id, { pin });
    // Slow Meta down a little so the first operation is surely still running when the second CLI arrives.
    await stack.sim.faults(
      [
        { endpoint: 'get', phoneNumberId: id, kind: 'latency', latencyMs: 1500, count: 1 },
        { endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 1500, count: 1 },
      ],
      'append',
    );
    try {
      const results = await Promise.all(
        [0, 1].map(() => cli(['register', id, '--pin-env', 'WA_PIN', '--json'], { env: { WA_PIN: pin } })),
      );
      for (const r of results) {
        assertExit(r, 0);
        assertNoPin(r, pin);
      }
      const tickets = results.map((r) => JSON.parse(r.stdout) as OperationTicket);
      assert.equal(tickets[0]!.operationId, tickets[1]!.operationId, 'the same operation id');
      assert.deepEqual(
        tickets.map((t) => t.joined).sort(),
        [false, true],
        'one started it, the other joined',
      );
      const finished = await finishedOperation(id, tickets[0]!.operationId);
      assert.equal(finished.status, 'completed');
      assert.equal((await stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);
      assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');
    } finally {
      await stack.sim.faults([], 'replace');
    }
  },
);

test('no PIN appears in the stdout or stderr of any command this file ran', () => {
  assert.ok(transcript.length > 20, `ran ${transcript.length} commands`);
  harness.assertNoSecretInTranscript();
});

test(
  'without a payload encryption key the CLI refuses to send a PIN (exit 2); a malformed key is named',
  TEST_TIMEOUT,
  async () => {
    const id = '7770000120';
    await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED' });
    const emptyDataDir = mkdtempSync(path.join(os.tmpdir(), 'wa-no-key-'));
    try {
      const none = await run(['bin/wa-number.js', 'register', id, '--pin-env', 'WA_PIN'], {
        env: { WA_PIN: '123456', WA_ENCRYPTION_KEYS: undefined, WA_LOCAL_DATA_DIR: emptyDataDir },
      });
      assertExit(none, 2);
      assert.match(none.stderr, /no payload encryption key.*WA_ENCRYPTION_KEYS/);
      const short = await run(['bin/wa-number.js', 'status', id], {
        env: { WA_ENCRYPTION_KEYS: `k1=${Buffer.alloc(16).toString('base64')}` },
      });
      assertExit(short, 2);
      assert.match(short.stderr, /key "k1" must be 32 bytes \(AES-256\) of base64, got 16 bytes/);
    } finally {
      rmSync(emptyDataDir, { recursive: true, force: true });
    }
    assert.deepEqual(await stack.sim.requests({ phoneNumberId: id }), [], 'nothing sent');
  },
);

test(
  'list: numbers by lifecycle state and WABA, as lines or JSON lines; a bad filter is exit 2',
  TEST_TIMEOUT,
  async () => {
    const [a, b, c] = ['7770000131', '7770000132', '7770000133'];
    for (const id of [a, b]) await seed(id);
    await seed(c, { pin: '111111' });
    for (const id of [a, b]) {
      assertExit(
        await cli(['register', id, '--pin-env', 'WA_PIN', '--waba', '555000111', '--wait'], {
          env: { WA_PIN: '246802' },
        }),
        0,
      );
    }
    assertExit(
      await cli(['register', c, '--pin-env', 'WA_PIN', '--waba', '555000111', '--wait'], {
        env: { WA_PIN: '222222' },
      }),
      1,
    );

    const registered = await cli(['list', '--waba', '555000111', '--state', 'registered', '--json']);
    assertExit(registered, 0);
    const rows = registered.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phoneNumberId: string; state: string });
    assert.deepEqual(
      rows.map((r) => [r.phoneNumberId, r.state]),
      [
        [a, 'registered'],
        [b, 'registered'],
      ],
    );
    const failed = await cli(['list', '--waba', '555000111', '--state', 'failed']);
    assertExit(failed, 0);
    // A failed number lists the operation that failed (WaOperation), so the UI finds failed migrations.
    assert.match(failed.stdout, new RegExp(`^${c}\\tfailed\\tregister\\t555000111$`, 'm'));
    assert.match(failed.stderr, /1 number\(s\)/);

    const bad = await cli(['list', '--state', 'sleeping']);
    assertExit(bad, 2);
    assert.match(bad.stderr, /state: must be one of/);
  },
);
