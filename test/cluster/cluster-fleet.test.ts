// The deployable build on the multi-service cluster (temporal-server on PostgreSQL): `wa-number setup
// --create-namespace` from the runtime layout, two workers from the layout with plain node on one task
// queue, a 100-number register fleet, and one worker SIGKILLed mid-fleet. The other worker finishes the
// fleet once the SDK's own timeouts hand it the dead worker's work (sticky schedule-to-start, activity
// heartbeat): every number registered, Meta's count of register requests equal to each number's ledger
// (or one below it where the killed worker held a register and may have died before sending it: the ledger
// counts it, as it must), no 133016.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NumberLifecycleClient, type FleetProgress } from '../../client';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { startCluster, type RunningCluster } from '../../scripts/cluster/cluster';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { until } from '../helpers/poll';
import { runToEnd, startProcess, type RunningProcess } from '../helpers/processes';
import { buildDist, buildRuntimeLayout, type RuntimeStage } from '../helpers/runtime-layout';
import { seedManyVerified } from '../helpers/seed';
import { SimulatorAdmin } from '../helpers/simulator-admin';
import { TEST_ENCRYPTION_KEYS, TEST_TOKEN } from '../helpers/stack';

const NUMBERS = 100;
const PIN = '246810';
const NAMESPACE = 'cluster-fleet';
const TASK_QUEUE = 'cluster-fleet';
const FLEET_ID = 'cluster-fleet-100';
/** Meta's answer takes this long, so that registers are in flight when the worker dies. */
const REGISTER_LATENCY_MS = 500;

let cluster: RunningCluster | undefined;
let simulator: RunningSimulator | undefined;
let sim: SimulatorAdmin;
let client: NumberLifecycleClient | undefined;
let tmp: string;
let app: string;
let stage: RuntimeStage;
const workers: RunningProcess[] = [];

const started = Date.now();
let phaseStart = started;
/** Prints the wall time of the phase that just ended. */
function phase(name: string): void {
  const now = Date.now();
  console.log(`# cluster-fleet: ${name}: ${((now - phaseStart) / 1000).toFixed(1)} s`);
  phaseStart = now;
}

before(async () => {
  cluster = await startCluster();
  phase('cluster started');
  simulator = await startSimulator({
    port: 0,
    accessToken: TEST_TOKEN,
    seed: 'none',
    strictVersionRules: true,
  });
  sim = new SimulatorAdmin(simulator.url);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wa-cluster-fleet-'));
  app = path.join(tmp, 'app');
  buildDist();
  stage = buildRuntimeLayout(app);
  phase('simulator, dist and runtime layout');
});

after(async () => {
  const t = Date.now();
  // Each step runs even if one before it failed; the first failure is reported at the end. (Workers still
  // running here were SIGKILLed already by the after hook of test/helpers/processes.ts.)
  const steps: [string, () => unknown][] = [
    ['workers stopped', async () => `exit ${(await Promise.all(workers.map((w) => w.stop()))).join(', ')}`],
    ['client closed', () => client?.close()],
    ['simulator closed', () => simulator?.close()],
    ['cluster stopped', () => cluster?.stop()],
    ['folder removed', () => (tmp ? rmSync(tmp, { recursive: true, force: true }) : undefined)],
  ];
  const failures: unknown[] = [];
  for (const [name, step] of steps) {
    const t0 = Date.now();
    const note = await Promise.resolve()
      .then(step)
      .catch((err: unknown) => failures.push(err));
    console.log(
      `# cluster-fleet: teardown: ${name}${typeof note === 'string' ? ` (${note})` : ''}: ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  console.log(`# cluster-fleet: teardown: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  console.log(`# cluster-fleet: total: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length > 0) throw failures[0];
});

/** A clean environment: no developer profile or WA_* settings leak in from the test's own. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tmp,
    TEMPORAL_CONFIG_FILE: path.join(tmp, 'no-such-temporal.toml'),
    WA_TEMPORAL_ADDRESS: cluster!.address,
    WA_TEMPORAL_NAMESPACE: NAMESPACE,
    WA_TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    ...extra,
  };
}

/** `wa-number …` from the layout with plain node. */
async function cli(args: string[], extra: Record<string, string> = {}) {
  return runToEnd(process.execPath, ['bin/wa-number.js', ...args], { cwd: app, env: env(extra) });
}

function startWorker(): RunningProcess {
  const worker = startProcess(process.execPath, stage.cmd.slice(1), {
    cwd: app,
    env: env({ WA_GRAPH_BASE_URL: simulator!.url, WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN }),
  });
  workers.push(worker);
  return worker;
}

const ids = Array.from({ length: NUMBERS }, (_, i) => String(7_840_000_000 + i));

interface WorkSeen {
  runs: number;
  /** Runs that had a task on the worker. */
  touched: number;
  /** By workflow ID: activities that timed out (the worker died holding them) or were retried. */
  lost: Map<string, string[]>;
}

/** Every run in the namespace (the fleet, the lifecycles): which had tasks on `worker`, what was lost. */
async function workOf(worker: string): Promise<WorkSeen> {
  const seen: WorkSeen = { runs: 0, touched: 0, lost: new Map() };
  for await (const run of client!.client.workflow.list()) {
    seen.runs++;
    const history = await client!.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const typeOf = new Map<string, string>();
    const lost: string[] = [];
    let onWorker = false;
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
      const started = e.activityTaskStartedEventAttributes;
      const identity = e.workflowTaskStartedEventAttributes?.identity ?? started?.identity;
      if (identity?.startsWith(worker)) onWorker = true;
      if ((started?.attempt ?? 0) > 1) {
        lost.push(`${typeOf.get(String(started!.scheduledEventId))} retried (attempt ${started!.attempt})`);
      }
      const timedOut = e.activityTaskTimedOutEventAttributes;
      if (timedOut) lost.push(`${typeOf.get(String(timedOut.scheduledEventId))} timed out`);
    }
    if (onWorker) seen.touched++;
    if (lost.length > 0) seen.lost.set(run.workflowId, [...(seen.lost.get(run.workflowId) ?? []), ...lost]);
  }
  return seen;
}

test(
  `a ${NUMBERS}-number register fleet on the cluster survives SIGKILL of one of its two workers`,
  { timeout: 600_000 },
  async () => {
    const setup = await cli(['setup', '--create-namespace']);
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    assert.match(setup.stdout, new RegExp(`namespace ${NAMESPACE}: created`));
    phase('wa-number setup --create-namespace');

    const [doomed, survivor] = [startWorker(), startWorker()];
    for (const w of [doomed, survivor]) await w.waitFor(/worker: polling task queue cluster-fleet /, 120_000);
    phase('two workers polling');

    await seedManyVerified(sim, ids, { pin: PIN });
    await sim.faults([{ endpoint: 'register', kind: 'latency', latencyMs: REGISTER_LATENCY_MS }]);
    const numbersCsv = path.join(tmp, 'numbers.csv');
    writeFileSync(numbersCsv, ['phone_number_id', ...ids].join('\n') + '\n');
    const fleetArgs = ['--operation', 'register', '--file', numbersCsv, '--pin-env', 'WA_PIN'];
    const watchArgs = ['--concurrency', '10', '--fleet-id', FLEET_ID, '--detach', '--json'];
    const start = await cli(['fleet', 'start', ...fleetArgs, ...watchArgs], { WA_PIN: PIN });
    assert.equal(start.code, 0, start.stdout + start.stderr);
    phase('fleet started (CLI)');

    client = await NumberLifecycleClient.connect({
      address: cluster!.address,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      encryptionKeys: TEST_ENCRYPTION_KEYS,
      env: { TEMPORAL_CONFIG_FILE: path.join(tmp, 'no-such-temporal.toml') },
    });
    let before: FleetProgress | undefined;
    await until(
      () => `some numbers done, the fleet not finished; last: ${JSON.stringify(before?.counts)}`,
      async () => {
        before = (await client!.describeFleet(FLEET_ID)).progress;
        return before && before.counts.completed >= 10 && before.phase !== 'finished' ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    doomed.child.kill('SIGKILL');
    assert.equal(await doomed.exited, 128, 'killed by a signal');
    phase(`until ${before!.counts.completed} done, then SIGKILL of worker ${doomed.child.pid}`);

    const { workflowId } = JSON.parse(start.stdout) as { workflowId: string };
    await client.client.workflow.getHandle(workflowId).result();
    const final = (await client.describeFleet(FLEET_ID)).progress!;
    phase('the surviving worker finished the fleet');

    assert.equal(final.phase, 'finished');
    assert.equal(final.total, NUMBERS);
    assert.equal(
      final.counts.completed,
      NUMBERS,
      JSON.stringify({ counts: final.counts, numbers: final.numbers }),
    );

    const registers = await sim.requests({ endpoint: 'register' });
    const refused = registers.filter((r) => r.errorCode === 133016);
    assert.deepEqual(refused, [], 'no register answered 133016');
    // What the killed worker held when it died: its activities time out (heartbeat) and the survivor goes on.
    const work = await workOf(`${doomed.child.pid}@`);
    const lostRegister = (id: string) =>
      (work.lost.get(lifecycleWorkflowId(id)) ?? []).includes('registerPhoneNumber timed out');
    console.log(
      `# cluster-fleet: ${work.touched} of ${work.runs} workflow runs had tasks on the killed worker; ` +
        `activities lost with it: ${[...work.lost].map(([w, l]) => `${w}: ${l.join(', ')}`).join('; ') || 'none'}; ` +
        `${registers.length} register requests (${registers.length - NUMBERS} beyond one per number)`,
    );
    assert.ok(work.touched > 0, 'the killed worker had done some of the work');

    const mismatches: string[] = [];
    const overCounted: string[] = [];
    for (const id of ids) {
      const state = await client.getState(id);
      assert.ok(state, `${id}: a lifecycle`);
      assert.equal(state.state, 'registered', `${id}: ${JSON.stringify(state.recentOperations)}`);
      assert.ok(!state.currentOperation && state.queued.length === 0, `${id}: nothing running or queued`);
      assert.equal(state.recentOperations.at(-1)?.status, 'completed', `${id}: the register completed`);
      assert.equal((await sim.phoneNumber(id)).status, 'CONNECTED', `${id}: Meta has it registered`);
      const ledger = state.ledger.entries.filter((e) => e.endpoint === 'register');
      const meta = registers.filter((r) => r.phoneNumberId === id);
      if (ledger.length === meta.length) continue;
      const detail =
        `${id}: ledger ${ledger.length} ${JSON.stringify(ledger.map((e) => new Date(e.at).toISOString()))}, ` +
        `Meta ${meta.length} ${JSON.stringify(meta.map((r) => [r.at, r.status, r.clientClosedAfterMs]))}`;
      // A register whose activity the killed worker held is counted as sent: the worker may have died
      // before or after the request left, and Meta's count must never exceed the ledger's.
      if (ledger.length === meta.length + 1 && lostRegister(id)) overCounted.push(detail);
      else mismatches.push(detail);
    }
    if (overCounted.length > 0) {
      console.log(
        `# cluster-fleet: ledger one above Meta's count where the killed worker held the register and ` +
          `died before it reached Meta: ${overCounted.join('; ')}`,
      );
    }
    assert.deepEqual(mismatches, [], "Meta's count of register requests equals each number's ledger");
    phase('checks');

    assert.equal(
      await survivor.stop(),
      0,
      `the surviving worker stops cleanly on SIGTERM:\n${survivor.output()}`,
    );
    phase('the surviving worker stopped (SIGTERM)');
  },
);
