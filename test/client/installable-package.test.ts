// The client library as another service gets it: `npm run build`, `npm pack`, the tarball installed into a
// fresh project with strict TypeScript flags, a consumer compiled against the package's declarations and run
// with plain `node`: it registers a number on a real stack (dev server, worker, simulator) with settings it
// passes itself. Nothing is read from the package's folder (it ships no temporal.yaml key or local key file).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NumberLifecycleClient } from '../../client';
import { seedVerified } from '../helpers/seed';
import { startTestStack, TEST_ENCRYPTION_KEYS, type TestStack } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '..', '..');
let stack: TestStack;
let tmp: string;

before(async () => {
  stack = await startTestStack();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wa-package-test-'));
});
after(async () => {
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Runs a command to its end, blocking: only while nothing in this process (the stack's worker) must run. */
function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    types: ['node'],
    outDir: 'out',
  },
  files: ['consumer.ts'],
};

const CONSUMER = `import { InputError, NumberLifecycleClient, type OperationTicket } from 'whatsapp-number-lifecycle';

async function main(): Promise<void> {
  const id = process.argv[2] ?? '';
  const client = await NumberLifecycleClient.connect({
    address: process.env['TEMPORAL_ADDRESS_FOR_TEST'] ?? '',
    taskQueue: process.env['TASK_QUEUE_FOR_TEST'] ?? '',
    encryptionKeys: process.env['KEYS_FOR_TEST'] ?? '',
  });
  try {
    await client.requestOperation(id, { operation: 'register', pin: '12' });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    console.log('refused: ' + err.message);
  }
  const ticket: OperationTicket = await client.requestOperation(id, { operation: 'register', pin: '123456' });
  const outcome = await client.waitForOperation(id, ticket.operationId);
  console.log(JSON.stringify({ operationId: ticket.operationId, status: outcome.status }));
  await client.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`;

test(
  'the packed client installs into a strict TypeScript project and registers a number with plain node',
  { timeout: 600_000 },
  async () => {
    const build = sh('npm', ['run', 'build'], ROOT);
    assert.equal(build.code, 0, build.out);
    const pack = sh('npm', ['pack', '--pack-destination', tmp], ROOT);
    assert.equal(pack.code, 0, pack.out);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, pack.out);

    const project = path.join(tmp, 'consumer');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    writeFileSync(path.join(project, 'consumer.ts'), CONSUMER);
    const rootPkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const install = sh(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        path.join(tmp, tarball),
        `typescript@${rootPkg.devDependencies['typescript']}`,
        `@types/node@${rootPkg.devDependencies['@types/node']}`,
      ],
      project,
    );
    assert.equal(install.code, 0, install.out);

    // The package's own declarations (and the consumer) type-check under the strict flags too; only the
    // SDK's declarations are skipped above, as most projects do (they have errors under exactOptionalPropertyTypes).
    const strictCheck = sh('npx', ['tsc', '-p', '.', '--noEmit', '--skipLibCheck', 'false'], project);
    const ours = strictCheck.out.split('\n').filter((l) => /whatsapp-number-lifecycle|consumer\.ts/.test(l));
    assert.deepEqual(ours, [], strictCheck.out);
    const compile = sh('npx', ['tsc', '-p', '.'], project);
    assert.equal(compile.code, 0, compile.out);

    const id = '7790000001';
    await seedVerified(stack.sim, id, { pin: '123456' });
    // Not spawnSync: the stack's worker runs in this process and must keep polling while the consumer waits.
    const run = await promisify(execFile)(process.execPath, ['out/consumer.js', id], {
      cwd: project,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // No Temporal profile: the developer's own (~/.config/temporalio/temporal.toml) must not apply.
        TEMPORAL_CONFIG_FILE: '',
        TEMPORAL_ADDRESS_FOR_TEST: stack.config.temporal.address,
        TASK_QUEUE_FOR_TEST: stack.config.temporal.taskQueue,
        KEYS_FOR_TEST: TEST_ENCRYPTION_KEYS,
      },
      timeout: 120_000,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, out: `${stdout}\n${stderr}` }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? 1,
        out: `${err.stdout}\n${err.stderr}`,
      }),
    );
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /refused: pin: must be exactly 6 digits/);
    assert.match(run.out, /"status":"completed"/);
    const registers = (await stack.sim.requests({ phoneNumberId: id })).filter(
      (r) => r.endpoint === 'register',
    );
    assert.equal(registers.length, 1, 'one register reached Meta');
    assert.equal((await stack.sim.phoneNumber(id))['status'], 'CONNECTED');
  },
);

test('a consumer without a payload key is refused before it connects, naming the setting', async () => {
  await assert.rejects(
    NumberLifecycleClient.connect({ address: stack.config.temporal.address, env: {} }),
    /encryptionKeys: no payload key: pass encryptionKeys \(or set WA_ENCRYPTION_KEYS\)/,
  );
  await assert.rejects(
    NumberLifecycleClient.connect({ address: 'nope', encryptionKeys: TEST_ENCRYPTION_KEYS, env: {} }),
    /address: must be host:port/,
  );
});
