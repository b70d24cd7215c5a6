// `npm run bench:cluster [-- --cold-go-cache] [--skip-cold] [--rounds N]`: what the multi-service cluster
// costs. Provisioning cold (scripts/provision-cluster.sh into an empty folder: go install builds both
// binaries; the Go module cache stays warm, and with --cold-go-cache the build cache is empty too) and
// warm (the same again: everything cached), then per round a fresh cluster's start (initdb, PostgreSQL,
// schema, server ready), a restart from its folder, and stop. Prints a Markdown table; raw figures go
// to bench/results/cluster-provisioning-<timestamp>.json.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startCluster, type StartupTimings } from '../scripts/cluster/cluster';
import { machineFacts, machineMarkdown, table } from './lib/common';

const ROOT = path.resolve(__dirname, '..');

async function provision(env: NodeJS.ProcessEnv): Promise<{ ms: number; output: string }> {
  const t0 = performance.now();
  const { stdout, stderr } = await promisify(execFile)(
    'bash',
    [path.join(ROOT, 'scripts/provision-cluster.sh')],
    {
      env,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { ms: Math.round(performance.now() - t0), output: `${stdout}${stderr}`.trim() };
}

interface Round {
  fresh: StartupTimings & { totalMs: number };
  restart: StartupTimings & { totalMs: number };
  stopMs: number;
}

async function clusterRound(): Promise<Round> {
  let t0 = performance.now();
  let cluster = await startCluster();
  const fresh = { ...cluster.startup, totalMs: Math.round(performance.now() - t0) };
  const dir = cluster.dir;
  await cluster.stop({ keepData: true });
  t0 = performance.now();
  cluster = await startCluster({ dir });
  const restart = { ...cluster.startup, totalMs: Math.round(performance.now() - t0) };
  t0 = performance.now();
  await cluster.stop({ keepData: false });
  return { fresh, restart, stopMs: Math.round(performance.now() - t0) };
}

const s = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

async function main() {
  const { values } = parseArgs({
    options: {
      'cold-go-cache': { type: 'boolean' },
      'skip-cold': { type: 'boolean' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'wa-bench-cluster-'));
  const raw: Record<string, unknown> = { machine: machineFacts() };
  const rows: (string | number)[][] = [];
  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (!values['skip-cold']) {
      env.WA_CLUSTER_TOOLS_DIR = path.join(scratch, 'tools');
      if (values['cold-go-cache']) env.GOCACHE = path.join(scratch, 'go-build');
      const cold = await provision(env);
      const what = values['cold-go-cache'] ? 'empty build cache, warm module cache' : 'warm Go caches';
      rows.push([`provisioning, cold (no binaries; ${what})`, s(cold.ms)]);
      raw.coldProvisioning = cold;
      process.env.WA_CLUSTER_TOOLS_DIR = env.WA_CLUSTER_TOOLS_DIR; // the cluster runs what was just built
    }
    const warm = await provision(env);
    rows.push(['provisioning, warm (all cached)', s(warm.ms)]);
    raw.warmProvisioning = warm;
    console.log(warm.output);

    const rounds: Round[] = [];
    for (let i = 0; i < Number(values.rounds); i++) rounds.push(await clusterRound());
    raw.rounds = rounds;
    rounds.forEach((r, i) => {
      const f = r.fresh;
      rows.push([
        `round ${i + 1}: fresh cluster start`,
        `${s(f.totalMs)} (initdb ${s(f.initdbMs)}, PostgreSQL ${s(f.postgresMs)}, schema ${s(f.schemaMs)}, server ready ${s(f.serverMs)})`,
      ]);
      rows.push([
        `round ${i + 1}: restart from its folder`,
        `${s(r.restart.totalMs)} (server ready ${s(r.restart.serverMs)})`,
      ]);
      rows.push([`round ${i + 1}: stop`, s(r.stopMs)]);
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const report = `${machineMarkdown(raw.machine as ReturnType<typeof machineFacts>)}\n\n${table(['Step', 'Wall time'], rows)}`;
  console.log(report);
  const results = path.join(__dirname, 'results');
  mkdirSync(results, { recursive: true });
  const file = path.join(
    results,
    `cluster-provisioning-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  writeFileSync(file, JSON.stringify(raw, null, 2));
  console.log(`raw figures: ${path.relative(ROOT, file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
