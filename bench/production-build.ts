// `npm run bench:build`: what the deployable build costs and buys. Times `npm run build`, sizes dist/, the
// workflow bundle and the runtime layout (the Dockerfile's runtime stage, production dependencies
// included), and times worker start-up (process start → "polling") from dist/ with plain node against the
// same worker from source through tsx (which bundles the workflows at every start). Real dev server and
// simulator; each start is a fresh process. Writes bench/results/production-build.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestStack, TEST_ENCRYPTION_KEYS, TEST_TOKEN } from '../test/helpers/stack';
import { buildRuntimeLayout, ROOT } from '../test/helpers/runtime-layout';
import { startProcess } from '../test/helpers/processes';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function duKiB(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const buildStart = Date.now();
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const buildMs = Date.now() - buildStart;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wa-bench-build-'));
  const app = path.join(tmp, 'app');
  const layoutStart = Date.now();
  buildRuntimeLayout(app);
  const layoutMs = Date.now() - layoutStart;
  const sizes = {
    distKiB: duKiB(path.join(ROOT, 'dist')),
    workflowBundleKiB: duKiB(path.join(ROOT, 'dist', 'workflow-bundle.js')),
    runtimeLayoutKiB: duKiB(app),
    runtimeNodeModulesKiB: duKiB(path.join(app, 'node_modules')),
  };

  const stack = await startTestStack();
  const env = {
    PATH: process.env.PATH,
    HOME: tmp,
    WA_TEMPORAL_ADDRESS: stack.config.temporal.address,
    WA_TEMPORAL_TASK_QUEUE: `bench-startup-${process.pid}`,
    WA_GRAPH_BASE_URL: stack.simulator.url,
    WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
  };
  const variants = {
    'dist (plain node, prebuilt bundle)': { cwd: app, args: ['dist/worker/main.js'] },
    'source (tsx, bundles at start)': { cwd: ROOT, args: ['--import', 'tsx', 'worker/main.ts'] },
  };
  const startup: Record<string, number[]> = {};
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const [name, v] of Object.entries(variants)) {
        const started = Date.now();
        const worker = startProcess(process.execPath, v.args, { cwd: v.cwd, env });
        await worker.waitFor(/worker: polling/, 120_000);
        (startup[name] ??= []).push(Date.now() - started);
        await worker.stop();
      }
    }
  } finally {
    await stack.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  const result = {
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    buildMs,
    runtimeLayoutMs: layoutMs,
    sizes,
    workerStartupMs: Object.fromEntries(
      Object.entries(startup).map(([k, xs]) => [k, { median: median(xs), runs: xs }]),
    ),
  };
  console.log(
    `npm run build: ${(buildMs / 1000).toFixed(1)} s; runtime layout (npm ci --omit=dev): ${(layoutMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `dist/ ${(sizes.distKiB / 1024).toFixed(1)} MiB (workflow bundle ${(sizes.workflowBundleKiB / 1024).toFixed(1)} MiB); ` +
      `runtime layout ${(sizes.runtimeLayoutKiB / 1024).toFixed(0)} MiB, of which node_modules ${(sizes.runtimeNodeModulesKiB / 1024).toFixed(0)} MiB`,
  );
  for (const [name, xs] of Object.entries(startup)) {
    console.log(`worker start-up, ${name}: median ${median(xs)} ms (runs: ${xs.join(', ')})`);
  }
  mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  writeFileSync(path.join(__dirname, 'results', 'production-build.json'), JSON.stringify(result, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
