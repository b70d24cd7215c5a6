// The deployable build, tested as the image would hold it (no container engine here): the Dockerfile's
// runtime stage laid out in a folder, then its worker, HTTP API and CLI run from there with plain `node`
// against a real dev server and the simulator. Also `wa-number setup` and the worker's start-up check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { startTestStack, TEST_ENCRYPTION_KEYS, TEST_TOKEN, type TestStack } from '../helpers/stack';
import { buildDist, buildRuntimeLayout, ROOT, type RuntimeStage } from '../helpers/runtime-layout';
import { freePort, runToEnd, startProcess } from '../helpers/processes';
import { seedVerified } from '../helpers/seed';
import { until } from '../helpers/poll';

let stack: TestStack;
let tmp: string;
let app: string;
let stage: RuntimeStage;

before(async () => {
  stack = await startTestStack();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wa-runtime-layout-'));
  app = path.join(tmp, 'app');
  buildDist();
  stage = buildRuntimeLayout(app);
});
after(async () => {
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A clean environment: no developer profile or WA_* settings leak in from the test's own. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: tmp, WA_TEMPORAL_ADDRESS: stack.config.temporal.address, ...extra };
}

async function cli(args: string[], extra: Record<string, string> = {}) {
  return runToEnd(process.execPath, ['bin/wa-number.js', ...args], { cwd: app, env: env(extra) });
}

/** Files under `dir`, relative, skipping node_modules. */
function sourceFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(prefix, e.name);
    if (e.name === 'node_modules') return [];
    return e.isDirectory() ? sourceFiles(dir, rel) : [rel];
  });
}

test('the runtime stage holds the build and production dependencies only, and runs as an unprivileged user', async () => {
  assert.equal(stage.user, 'node');
  assert.deepEqual(stage.cmd, ['node', 'dist/worker/main.js']);
  for (const devOnly of ['tsx', 'typescript', 'eslint', 'prettier', '@redocly/openapi-core']) {
    assert.ok(!existsSync(path.join(app, 'node_modules', devOnly)), `${devOnly} is a dev dependency`);
  }
  assert.ok(existsSync(path.join(app, 'dist', 'workflow-bundle.js')), 'the prebuilt workflow bundle');
  assert.ok(existsSync(path.join(app, 'dist', 'workflow-bundle-tracing.js')), 'its tracing variant');
  const typescriptSources = sourceFiles(app).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  assert.deepEqual(typescriptSources, [], 'no TypeScript to compile at run time');
  const version = await cli(['--version']);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), pkg.version, version.stderr);
});

/** A namespace of our own, created through the API (as an operator would with the temporal CLI). */
async function createNamespace(name: string): Promise<void> {
  await stack.env.connection.workflowService.registerNamespace({
    namespace: name,
    workflowExecutionRetentionPeriod: msNumberToTs(86_400_000),
  });
}

test('wa-number setup creates a fresh namespace and registers our search attributes; a second run changes nothing', async () => {
  const ns = `setup-fresh-${process.pid}`;
  const missing = await cli(['--namespace', ns, 'setup']);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, new RegExp(`namespace ${ns} does not exist .*--create-namespace`));

  const first = await cli(['--namespace', ns, 'setup', '--create-namespace']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, new RegExp(`namespace ${ns}: created`));
  for (const name of ['WaPhoneNumberId', 'WaWabaId', 'WaLifecycleState', 'WaOperation']) {
    assert.match(first.stdout, new RegExp(`search attribute ${name} \\(Keyword\\): registered\\n`));
  }
  assert.match(first.stdout, /search attribute WaNextAttemptAt \(Datetime\): registered\n/);
  const listed = await stack.env.connection.operatorService.listSearchAttributes({ namespace: ns });
  assert.equal(
    listed.customAttributes?.['WaNextAttemptAt'],
    temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  );

  const again = await cli(['--namespace', ns, 'setup', '--create-namespace', '--json']);
  assert.equal(again.code, 0, again.stderr);
  const result = JSON.parse(again.stdout) as { ok: boolean; createdNamespace: boolean; registered: string[] };
  assert.deepEqual(result, { namespace: ns, ok: true, createdNamespace: false, registered: [] });
});

test('wa-number setup names a search attribute that exists with another type, and changes nothing', async () => {
  const ns = `setup-typed-${process.pid}`;
  await createNamespace(ns);
  await until('the new namespace to accept search attributes', () =>
    stack.env.connection.operatorService
      .addSearchAttributes({
        namespace: ns,
        searchAttributes: { WaOperation: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT },
      })
      .then(
        () => true,
        () => undefined,
      ),
  );
  const r = await cli(['--namespace', ns, 'setup']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /WaOperation is Text, not Keyword/);
  const listed = await stack.env.connection.operatorService.listSearchAttributes({ namespace: ns });
  assert.equal(listed.customAttributes?.['WaPhoneNumberId'], undefined, 'nothing registered beside it');
});

test('a worker refuses a namespace without our search attributes, with the command that fixes it', async () => {
  const ns = `bare-${process.pid}`;
  await createNamespace(ns);
  const worker = startProcess(process.execPath, stage.cmd.slice(1), {
    cwd: app,
    env: env({
      WA_TEMPORAL_NAMESPACE: ns,
      WA_GRAPH_BASE_URL: stack.simulator.url,
      WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
      WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    }),
  });
  assert.equal(await worker.exited, 2, worker.output());
  assert.match(
    worker.output(),
    new RegExp(
      `namespace ${ns} lacks search attributes WaPhoneNumberId, .*: run \`wa-number setup --namespace ${ns}\``,
    ),
  );
});

test('the worker, HTTP API and CLI from the runtime layout register a number with plain node, and answer their probes', async () => {
  const taskQueue = `layout-${process.pid}`;
  const common = {
    WA_TEMPORAL_TASK_QUEUE: taskQueue,
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
  };
  const healthPort = await freePort();
  const worker = startProcess(process.execPath, stage.cmd.slice(1), {
    cwd: app,
    env: env({
      ...common,
      WA_GRAPH_BASE_URL: stack.simulator.url,
      WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
      WA_HEALTH_HOST: '127.0.0.1',
      WA_HEALTH_WORKER_PORT: String(healthPort),
    }),
  });
  const apiKey = 'layout-test-api-key-0123456789';
  const api = startProcess(process.execPath, ['dist/api/main.js'], {
    cwd: app,
    env: env({ ...common, WA_API_KEYS: apiKey, WA_API_PORT: '0' }),
  });
  try {
    const polling = await worker.waitFor(/worker: polling task queue .*/);
    assert.match(polling[0], new RegExp(`prebuilt workflow bundle ${app}/dist/workflow-bundle.js`));
    const url = (await api.waitFor(/listening on (http:\/\/\S+?)[ ;(]/))[1]!;
    await worker.waitFor(/readiness http:\/\/\S+\/readyz/); // the probes start after the polling line
    // The probes the Kubernetes manifests use (deploy/kubernetes).
    const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: 'ok',
      worker: 'RUNNING',
      checks: [
        { name: 'worker', ok: true },
        { name: 'temporal', ok: true },
        { name: 'namespace', ok: true },
        { name: 'searchAttributes', ok: true },
      ],
    });
    assert.equal((await fetch(`http://127.0.0.1:${healthPort}/livez`)).status, 200);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const apiReady = await fetch(`${url}/readyz`);
    assert.equal(apiReady.status, 200);
    assert.equal(((await apiReady.json()) as { ready: boolean }).ready, true);

    const id = '7791000001';
    await seedVerified(stack.sim, id, { pin: '123456' });
    const r = await cli(['--api', url, 'register', id, '--pin-env', 'WA_PIN', '--wait', '--json'], {
      WA_API_KEY: apiKey,
      WA_PIN: '123456',
    });
    assert.equal(r.code, 0, r.stdout + r.stderr + worker.output());
    assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'completed');
    const registers = (await stack.sim.requests({ phoneNumberId: id })).filter(
      (q) => q.endpoint === 'register',
    );
    assert.equal(registers.length, 1);
  } finally {
    assert.equal(await worker.stop(), 0, 'the worker stops cleanly on SIGTERM');
    await api.stop();
  }
});
