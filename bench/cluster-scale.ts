// `npm run bench:scale -- [--numbers 10000] [--concurrency 200] [--measure-seconds 120] [--shards 4]
// [--cap 1000] [--only fleet|waiting] [--no-build]`: the product at scale on the multi-service cluster
// (temporal-server on PostgreSQL 15, scripts/cluster), issue 18 item 4. Everything runs here as in
// production: the worker from dist/ with plain node, its own process; the simulator and the client in this
// process. Two phases, each on its own numbers:
//  1. fleet: a register fleet of N numbers (`startFleet`, the activity cap lifted to --cap): wall time, ops/s,
//     requests Meta saw per number, 133016s;
//  2. waiting: N lifecycles, each with a register sleeping out a 72-hour block: time until all wait, then
//     --measure-seconds of queries (getState on a random waiting number: a replay when it is not cached),
//     describes, visibility counts and one fresh register beside them.
// Memory is sampled every second: worker and temporal-server RSS, PostgreSQL's PSS summed over its
// processes (their RSS would count shared buffers once per process); the databases' size after each phase.
// Anything that fails is counted, not fatal: what breaks first is a result. Report and raw figures:
// bench/results/scale-<stamp>.md, .json, -memory.svg and -worker.log (the worker's whole output).
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { parseArgs, promisify } from 'node:util';
import { NumberLifecycleClient, type FleetProgress } from '../client';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { fleetWorkflowId } from '../domain/fleet';
import { FLEET_DRAINS_BEFORE_CONTINUE_AS_NEW } from '../workflows/fleet';
import { startCluster, type RunningCluster } from '../scripts/cluster/cluster';
import { psql, type PgSettings } from '../scripts/cluster/postgres';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { buildDist, ROOT } from '../test/helpers/runtime-layout';
import { patchId } from '../test/helpers/history-markers';
import { seedManyVerified } from '../test/helpers/seed';
import { SimulatorAdmin } from '../test/helpers/simulator-admin';
import { TEST_ENCRYPTION_KEYS, TEST_TOKEN } from '../test/helpers/stack';
import {
  delay,
  durationMs,
  fixed,
  formatDuration,
  historySummary,
  machineFacts,
  machineMarkdown,
  mapLimit,
  percentile,
  table,
  workflowTaskTimings,
} from './lib/common';
import { renderBarChart, type Bar, type BarChart } from './lib/svg-chart';
import { startBlockedLifecycleOn } from './waiting';
import { startWorkerProcess } from './lib/worker-process';

const NAMESPACE = 'scale';
const TASK_QUEUE = 'scale';
const PIN = '135790';
const FLEET_BASE = 7_700_000_000;
const WAITING_BASE = 7_750_000_000;
const FRESH_ID = '7799999999';
const BLOCK_MS = 72 * 3_600_000;
const IN_FLIGHT = 50;
const WAITING_QUERY =
  "WorkflowType = 'phoneNumberLifecycle' AND ExecutionStatus = 'Running' AND WaLifecycleState = 'waiting-for-rate-limit'";
const RESULTS_DIR = path.join(__dirname, 'results');
const MiB = 2 ** 20;

// ------------------------------------------------------------------------------------- processes

/** A process and its descendants (PostgreSQL's backends are children of the postmaster), from /proc. */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  }
  return out;
}

/** A /proc/<pid>/… field in kB, as bytes (0 when the process is gone). */
function procKiB(file: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process tree has spent. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticks / 100;
}

interface MemorySample {
  atMs: number;
  phase: string;
  workerRss: number;
  serverRss: number;
  postgresPss: number;
  benchRss: number;
  workerCpuS: number;
  serverCpuS: number;
  postgresCpuS: number;
}

class Sampler {
  readonly samples: MemorySample[] = [];
  phase = 'idle';
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = Date.now();

  constructor(
    private readonly pids: { worker: number; server: number; postgres: number },
    everyMs = 1000,
  ) {
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
  }

  take(): MemorySample {
    const pg = processTree(this.pids.postgres);
    const sample: MemorySample = {
      atMs: Date.now() - this.t0,
      phase: this.phase,
      workerRss: procKiB(`/proc/${this.pids.worker}/status`, 'VmRSS'),
      serverRss: procKiB(`/proc/${this.pids.server}/status`, 'VmRSS'),
      postgresPss: pg.reduce((n, pid) => n + procKiB(`/proc/${pid}/smaps_rollup`, 'Pss'), 0),
      benchRss: process.memoryUsage().rss,
      workerCpuS: cpuSeconds([this.pids.worker]),
      serverCpuS: cpuSeconds([this.pids.server]),
      postgresCpuS: cpuSeconds(pg),
    };
    this.samples.push(sample);
    return sample;
  }

  /** Peak of each figure over a phase's samples. */
  peak(phase: string): Pick<MemorySample, 'workerRss' | 'serverRss' | 'postgresPss' | 'benchRss'> {
    const of = this.samples.filter((s) => s.phase === phase);
    const max = (k: keyof MemorySample) => Math.max(0, ...of.map((s) => s[k] as number));
    return {
      workerRss: max('workerRss'),
      serverRss: max('serverRss'),
      postgresPss: max('postgresPss'),
      benchRss: max('benchRss'),
    };
  }

  /** CPU seconds each process spent during a phase (last sample − first). */
  cpu(phase: string): { worker: number; server: number; postgres: number } {
    const of = this.samples.filter((s) => s.phase === phase);
    const [a, b] = [of[0], of.at(-1)];
    if (!a || !b) return { worker: 0, server: 0, postgres: 0 };
    return {
      worker: b.workerCpuS - a.workerCpuS,
      server: b.serverCpuS - a.serverCpuS,
      postgres: b.postgresCpuS - a.postgresCpuS,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------- set-up

interface Args {
  numbers: number;
  concurrency: number;
  measureSeconds: number;
  shards: number;
  cap: number;
  phases: ('fleet' | 'waiting')[];
  build: boolean;
}

function readArgs(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      numbers: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '200' },
      'measure-seconds': { type: 'string', default: '120' },
      shards: { type: 'string', default: '4' },
      cap: { type: 'string', default: '1000' },
      only: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const whole = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`--${name} must be a positive whole number, got ${v}`);
    return n;
  };
  const only = values.only;
  if (only !== undefined && only !== 'fleet' && only !== 'waiting') {
    throw new Error(`--only must be fleet or waiting, got ${only}`);
  }
  return {
    numbers: whole('numbers', values.numbers),
    concurrency: whole('concurrency', values.concurrency),
    measureSeconds: whole('measure-seconds', values['measure-seconds']),
    shards: whole('shards', values.shards),
    cap: whole('cap', values.cap),
    phases: only ? [only] : ['fleet', 'waiting'],
    build: !values['no-build'],
  };
}

const noProfile = () => path.join(ROOT, '.no-temporal-profile', 'temporal.toml');

function productEnv(cluster: RunningCluster, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('WA_') && !k.startsWith('TEMPORAL_')) env[k] = v;
  }
  return Object.assign(env, {
    TEMPORAL_CONFIG_FILE: noProfile(),
    WA_TEMPORAL_ADDRESS: cluster.address,
    WA_TEMPORAL_NAMESPACE: NAMESPACE,
    WA_TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    ...extra,
  });
}

async function databaseBytes(cluster: RunningCluster): Promise<{ temporal: number; visibility: number }> {
  const pg = {
    binDir: cluster.tools.pgBinDir,
    port: cluster.postgres.port,
    password: cluster.postgres.password,
  } as PgSettings;
  const size = async (db: string) =>
    Number((await psql(pg, db, 'SELECT pg_database_size(current_database())')).trim());
  return { temporal: await size('temporal'), visibility: await size('temporal_visibility') };
}

// ------------------------------------------------------------------------------------------ phases

interface Failures {
  count: number;
  first: string[];
}

function failures(): Failures & { add(err: unknown): void } {
  const f = {
    count: 0,
    first: [] as string[],
    add(err: unknown) {
      f.count++;
      const msg = (err as Error).message?.split('\n')[0]?.slice(0, 200) ?? String(err);
      if (f.first.length < 5 && !f.first.includes(msg)) f.first.push(msg);
    },
  };
  return f;
}

interface FleetResult {
  numbers: number;
  concurrency: number;
  seedMs: number;
  wallMs: number;
  opsPerSecond: number;
  counts: FleetProgress['counts'];
  progress: { atMs: number; done: number; inFlight: number }[];
  fleetRuns: number;
  /** The fleet's own workflow tasks, per run: where a big fleet gives first (the 10 s task timeout). */
  fleetTasks: FleetRunTasks[];
  registersSeen: number;
  numbersWithMoreThanOneRegister: number;
  refused133016: number;
  sampleOperationEvents: number;
  startError?: string;
}

interface FleetRunTasks {
  events: number;
  tasks: number;
  /** Started → completed (or failed, timed out), ms. */
  runP50Ms: number;
  runP99Ms: number;
  runMaxMs: number;
  /** Scheduled → started, ms. */
  waitMaxMs: number;
  timedOut: number;
  failed: number;
  /** The server's cause of each failed task. */
  failedCauses: string[];
  /** How long the run started no one before continuing as new (its drain patch marker → continue-as-new), ms. */
  drainMs?: number;
}

/** Each run of the fleet, oldest first, with its workflow tasks' timings (server clock). */
async function fleetRunTasks(client: NumberLifecycleClient, workflowId: string): Promise<FleetRunTasks[]> {
  const runs: { runId: string; start: number }[] = [];
  for await (const run of client.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs.push({ runId: run.runId, start: run.startTime.getTime() });
  }
  runs.sort((a, b) => a.start - b.start);
  return mapLimit(runs, 2, async ({ runId }) => {
    const events = (await client.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const tasks = workflowTaskTimings(events);
    const drainStart = events.find((e) => patchId(e) === FLEET_DRAINS_BEFORE_CONTINUE_AS_NEW);
    const continued = events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
    const ran = tasks.flatMap((t) => (t.runMs === undefined ? [] : [t.runMs])).sort((a, b) => a - b);
    return {
      events: events.length,
      tasks: tasks.length,
      runP50Ms: percentile(ran, 50),
      runP99Ms: percentile(ran, 99),
      runMaxMs: percentile(ran, 100),
      waitMaxMs: Math.max(0, ...tasks.map((t) => t.waitMs)),
      timedOut: tasks.filter((t) => t.end === 'timed-out').length,
      failed: tasks.filter((t) => t.end === 'failed').length,
      failedCauses: tasks.flatMap((t) => (t.cause ? [t.cause] : [])),
      drainMs:
        drainStart && continued
          ? durationMs(continued.eventTime) - durationMs(drainStart.eventTime)
          : undefined,
    };
  });
}

async function fleetPhase(
  args: Args,
  client: NumberLifecycleClient,
  sim: SimulatorAdmin,
): Promise<FleetResult> {
  const ids = Array.from({ length: args.numbers }, (_, i) => String(FLEET_BASE + i));
  const s0 = Date.now();
  await seedManyVerified(sim, ids, { pin: PIN });
  const seedMs = Date.now() - s0;
  const fleetId = `scale-register-${args.numbers}`;
  const progress: FleetResult['progress'] = [];
  const start = Date.now();
  let final: FleetProgress | undefined;
  let startError: string | undefined;
  try {
    await client.startFleet({
      fleetId,
      operation: 'register',
      concurrency: args.concurrency,
      members: ids.map((phoneNumberId) => ({ phoneNumberId, request: { operation: 'register', pin: PIN } })),
      requestedBy: 'bench',
    });
    for (;;) {
      const status = await client.describeFleet(fleetId, 'none').catch(() => undefined);
      const p = status?.progress;
      if (p) {
        const c = p.counts;
        progress.push({
          atMs: Date.now() - start,
          done: c.completed + c['already-done'] + c.failed + c['not-started'],
          inFlight: c.starting + c.running,
        });
        console.error(
          `[scale] fleet: ${progress.at(-1)!.done} of ${args.numbers} done, ${progress.at(-1)!.inFlight} in flight after ${formatDuration(Date.now() - start)}`,
        );
      }
      if (status && status.status !== 'RUNNING') break;
      await delay(5_000);
    }
    final = (await client.describeFleet(fleetId, 'none')).progress;
  } catch (err) {
    startError = (err as Error).message.split('\n')[0];
  }
  const wallMs = Date.now() - start;
  const registers = (await sim.requests({ endpoint: 'register' })).filter(
    (r) => Number(r.phoneNumberId) >= FLEET_BASE && Number(r.phoneNumberId) < FLEET_BASE + args.numbers,
  );
  const perNumber = new Map<string, number>();
  for (const r of registers) perNumber.set(r.phoneNumberId!, (perNumber.get(r.phoneNumberId!) ?? 0) + 1);
  const fleetTasks = await fleetRunTasks(client, fleetWorkflowId(fleetId));
  // A plain register runs in the lifecycle itself; an operation run of its own, if any, counts too.
  const events = async (workflowId: string) =>
    (await historySummary(client.client.workflow.getHandle(workflowId)).catch(() => undefined))?.events ?? 0;
  const opId = (await client.getState(ids[0]!))?.recentOperations.at(-1)?.operationId;
  const sampleOperationEvents =
    (await events(lifecycleWorkflowId(ids[0]!))) +
    (opId && opId !== lifecycleWorkflowId(ids[0]!) ? await events(opId) : 0);
  const counts = final?.counts ?? ({} as FleetProgress['counts']);
  const completed = (counts.completed ?? 0) + (counts['already-done'] ?? 0);
  return {
    numbers: args.numbers,
    concurrency: args.concurrency,
    seedMs,
    wallMs,
    opsPerSecond: completed / (wallMs / 1000),
    counts,
    progress,
    fleetRuns: fleetTasks.length,
    fleetTasks,
    registersSeen: registers.length,
    numbersWithMoreThanOneRegister: [...perNumber.values()].filter((n) => n > 1).length,
    refused133016: registers.filter((r) => r.errorCode === 133016).length,
    sampleOperationEvents,
    ...(startError ? { startError } : {}),
  };
}

interface Latency {
  samples: number;
  errors: Failures;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Calls `call` back to back (`gapMs` apart) until `over()`; failures are counted with their first messages. */
async function latencyOf(call: () => Promise<unknown>, over: () => boolean, gapMs: number): Promise<Latency> {
  const ms: number[] = [];
  const errors = failures();
  while (!over()) {
    const t = performance.now();
    try {
      await call();
      ms.push(performance.now() - t);
    } catch (err) {
      errors.add(err);
    }
    await delay(gapMs);
  }
  ms.sort((a, b) => a - b);
  const { add: _, ...errorFigures } = errors;
  return {
    samples: ms.length,
    errors: errorFigures,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    maxMs: percentile(ms, 100),
  };
}

interface WaitingResult {
  numbers: number;
  seedMs: number;
  startAndRequestMs: number;
  startFailures: Failures;
  allWaitingMs: number;
  waitingReached: number;
  progress: { atMs: number; waiting: number }[];
  measureMs: number;
  /** getState (a query) on a random waiting number: answered from the cache, or after a replay. */
  query: Latency;
  /** describe of a random waiting lifecycle (persistence). */
  describe: Latency;
  /** The visibility count of waiting lifecycles (PostgreSQL's visibility store). */
  visibilityCount: Latency;
  freshRegisterMs: number;
  freshRegisterStatus: string;
  registersFromWaiting: number;
}

type Started = Pick<
  WaitingResult,
  | 'numbers'
  | 'seedMs'
  | 'startAndRequestMs'
  | 'startFailures'
  | 'allWaitingMs'
  | 'waitingReached'
  | 'progress'
> & { ids: string[]; query: string };

/** Starts N lifecycles with register blocked, requests a register on each, and waits until all sleep. */
async function startWaiting(
  args: Args,
  client: NumberLifecycleClient,
  sim: SimulatorAdmin,
): Promise<Started> {
  const ids = Array.from({ length: args.numbers }, (_, i) => String(WAITING_BASE + i));
  const s0 = Date.now();
  await seedManyVerified(sim, [...ids, FRESH_ID], { pin: PIN });
  const seedMs = Date.now() - s0;
  const blockedUntil = Date.now() + BLOCK_MS;
  const startFailures = failures();
  const start = Date.now();
  let started = 0;
  await mapLimit(ids, IN_FLIGHT, async (id) => {
    try {
      await startBlockedLifecycleOn(client.client, TASK_QUEUE, id, blockedUntil);
      await client.requestOperation(id, { operation: 'register', pin: PIN, requestedBy: 'bench' });
    } catch (err) {
      startFailures.add(err);
    }
    if (++started % 1000 === 0) {
      console.error(`[scale] waiting: ${started} started after ${formatDuration(Date.now() - start)}`);
    }
  });
  const startAndRequestMs = Date.now() - start;
  const query = `${WAITING_QUERY} AND WaPhoneNumberId >= '${ids[0]}' AND WaPhoneNumberId <= '${ids.at(-1)}'`;
  const progress: WaitingResult['progress'] = [];
  let waitingReached = 0;
  // Each operation reads the number once (under the lifted cap) before it sleeps; give up after 30 min.
  while (Date.now() - start < 30 * 60_000) {
    waitingReached = (await client.client.workflow.count(query)).count;
    progress.push({ atMs: Date.now() - start, waiting: waitingReached });
    if (progress.length % 10 === 1) {
      console.error(
        `[scale] waiting: ${waitingReached} of ${args.numbers} waiting after ${formatDuration(Date.now() - start)}`,
      );
    }
    if (waitingReached >= args.numbers - startFailures.count) break;
    await delay(2_000);
  }
  return {
    ids,
    query,
    numbers: args.numbers,
    seedMs,
    startAndRequestMs,
    startFailures: { count: startFailures.count, first: startFailures.first },
    allWaitingMs: Date.now() - start,
    waitingReached,
    progress,
  };
}

/** While the numbers sleep: queries, describes and visibility counts side by side, and one fresh register. */
async function measureWaiting(
  args: Args,
  client: NumberLifecycleClient,
  sim: SimulatorAdmin,
  started: Started,
): Promise<WaitingResult> {
  const { ids, query, ...figures } = started;
  console.error(`[scale] waiting: measuring for ${args.measureSeconds} s…`);
  const m0 = Date.now();
  const over = () => Date.now() - m0 >= args.measureSeconds * 1000;
  const random = () => ids[Math.floor(Math.random() * ids.length)]!;
  const fresh = (async () => {
    const t = Date.now();
    try {
      const ticket = await client.requestOperation(FRESH_ID, { operation: 'register', pin: PIN });
      const done = await client.waitForOperation(FRESH_ID, ticket.operationId, { pollIntervalMs: 100 });
      return {
        ms: Date.now() - t,
        status: done.failure ? `${done.status}: ${done.failure.type}` : done.status,
      };
    } catch (err) {
      return { ms: Date.now() - t, status: `error: ${(err as Error).message.split('\n')[0]}` };
    }
  })();
  const [q, d, v, f] = await Promise.all([
    latencyOf(() => client.getState(random()), over, 50),
    latencyOf(() => client.client.workflow.getHandle(lifecycleWorkflowId(random())).describe(), over, 100),
    latencyOf(() => client.client.workflow.count(query), over, 1000),
    fresh,
  ]);
  const wanted = new Set(ids);
  const registersFromWaiting = (await sim.requests({ endpoint: 'register' })).filter((r) =>
    wanted.has(r.phoneNumberId ?? ''),
  ).length;
  return {
    ...figures,
    measureMs: Date.now() - m0,
    query: q,
    describe: d,
    visibilityCount: v,
    freshRegisterMs: f.ms,
    freshRegisterStatus: f.status,
    registersFromWaiting,
  };
}

// ------------------------------------------------------------------------------------------ report

const mib = (bytes: number) => fixed(bytes / MiB, 0);
const lat = (l: Latency) =>
  `${fixed(l.p50Ms, 1)} / ${fixed(l.p99Ms, 1)} / ${fixed(l.maxMs, 1)} ms (${l.samples}` +
  `${l.errors.count ? `, **${l.errors.count} failed**: ${l.errors.first.join('; ')}` : ''})`;

interface Report {
  args: Args;
  startedAt: string;
  clusterStartMs: number;
  shards: number;
  maxCachedWorkflows: number;
  fleet?: FleetResult;
  waiting?: WaitingResult;
  databases: Record<string, { temporal: number; visibility: number }>;
  peaks: Record<string, ReturnType<Sampler['peak']>>;
  cpu: Record<string, ReturnType<Sampler['cpu']>>;
  workerProblems: { warnings: number; errors: number; first: string[] };
  samples: MemorySample[];
}

function markdown(r: Report): string {
  const lines = [
    `# Scale on the multi-service cluster: ${r.args.numbers.toLocaleString('en')} numbers`,
    '',
    `Run started ${r.startedAt}; command: \`npm run bench:scale -- ${process.argv.slice(2).join(' ')}\`.`,
    '',
    machineMarkdown(machineFacts()),
    '',
    `temporal-server (all four services in one process) on PostgreSQL 15, ${r.shards} history shards, ` +
      `started in ${formatDuration(r.clusterStartMs)}; one worker from dist/ (plain node, SDK defaults: ` +
      `maxCachedWorkflows ${r.maxCachedWorkflows}), activity cap ${r.args.cap}/s; the simulator and the client ` +
      'share this process.',
    '',
  ];
  if (r.fleet) {
    const f = r.fleet;
    lines.push(
      `## Fleet: register ${f.numbers.toLocaleString('en')} numbers, concurrency ${f.concurrency}`,
      '',
      table(
        ['Figure', 'Value'],
        [
          ['Wall time (startFleet → finished)', formatDuration(f.wallMs)],
          ['Operations per second', `**${fixed(f.opsPerSecond, 1)}**`],
          [
            'Completed / failed / not started',
            `${f.counts.completed ?? 0} / ${f.counts.failed ?? 0} / ${f.counts['not-started'] ?? 0}`,
          ],
          ['Fleet runs (1 + continue-as-new)', f.fleetRuns],
          [
            "Fleet's workflow tasks: longest held by the worker / timed out (all runs)",
            `${formatDuration(Math.max(0, ...f.fleetTasks.map((t) => t.runMaxMs)))} / ${f.fleetTasks.reduce((n, t) => n + t.timedOut, 0)}`,
          ],
          [
            'Register requests Meta saw / numbers with more than one / 133016',
            `${f.registersSeen} / ${f.numbersWithMoreThanOneRegister} / ${f.refused133016}`,
          ],
          ["History events of one number's lifecycle (its register included)", f.sampleOperationEvents],
          [
            'Peak RSS worker / server, PSS PostgreSQL (MiB)',
            `${mib(r.peaks.fleet!.workerRss)} / ${mib(r.peaks.fleet!.serverRss)} / ${mib(r.peaks.fleet!.postgresPss)}`,
          ],
          [
            'CPU s worker / server / PostgreSQL',
            `${fixed(r.cpu.fleet!.worker, 0)} / ${fixed(r.cpu.fleet!.server, 0)} / ${fixed(r.cpu.fleet!.postgres, 0)}`,
          ],
          [
            'Databases after (temporal / visibility, MiB)',
            `${mib(r.databases.fleet!.temporal)} / ${mib(r.databases.fleet!.visibility)}`,
          ],
          ...(f.startError ? [['Failed', f.startError]] : []),
        ],
      ),
      '',
      "The fleet's own workflow tasks, per run (server clock; the task timeout is 10 s):",
      '',
      table(
        [
          'Run',
          'Events',
          'Tasks',
          'Held p50 / p99 / max',
          'Longest queue wait',
          'Timed out / failed',
          'Drain before continue-as-new',
        ],
        f.fleetTasks.map((t, i) => [
          i + 1,
          t.events,
          t.tasks,
          `${formatDuration(t.runP50Ms)} / ${formatDuration(t.runP99Ms)} / ${formatDuration(t.runMaxMs)}`,
          formatDuration(t.waitMaxMs),
          `${t.timedOut} / ${t.failed}${t.failedCauses.length ? ` (${t.failedCauses.join(', ')})` : ''}`,
          t.drainMs === undefined ? '—' : formatDuration(t.drainMs),
        ]),
      ),
      '',
    );
  }
  if (r.waiting) {
    const w = r.waiting;
    lines.push(
      `## Waiting: ${w.numbers.toLocaleString('en')} numbers each sleeping out a 72-hour register block`,
      '',
      table(
        ['Figure', 'Value'],
        [
          [
            'All started and registers requested after',
            `${formatDuration(w.startAndRequestMs)} (${fixed(w.numbers / (w.startAndRequestMs / 1000), 1)}/s)`,
          ],
          [
            'Start or request failures',
            w.startFailures.count ? `**${w.startFailures.count}**: ${w.startFailures.first.join('; ')}` : '0',
          ],
          [
            'All reported waiting (visibility) after',
            `${formatDuration(w.allWaitingMs)} (${w.waitingReached} waiting)`,
          ],
          [
            `Query (getState) on a random waiting number, p50 / p99 / max, over ${formatDuration(w.measureMs)}`,
            lat(w.query),
          ],
          ['describe of a random waiting lifecycle', lat(w.describe)],
          ['Visibility count of the waiting lifecycles', lat(w.visibilityCount)],
          ['A fresh register beside them', `${formatDuration(w.freshRegisterMs)} (${w.freshRegisterStatus})`],
          ['Register requests Meta saw from the waiting numbers', `**${w.registersFromWaiting}**`],
          [
            'Peak RSS worker / server, PSS PostgreSQL (MiB), while waiting',
            `${mib(r.peaks.measure!.workerRss)} / ${mib(r.peaks.measure!.serverRss)} / ${mib(r.peaks.measure!.postgresPss)}`,
          ],
          [
            'Peak RSS worker / server, PSS PostgreSQL (MiB), while starting',
            `${mib(r.peaks.waiting!.workerRss)} / ${mib(r.peaks.waiting!.serverRss)} / ${mib(r.peaks.waiting!.postgresPss)}`,
          ],
          [
            'CPU s worker / server / PostgreSQL while waiting',
            `${fixed(r.cpu.measure!.worker, 1)} / ${fixed(r.cpu.measure!.server, 1)} / ${fixed(r.cpu.measure!.postgres, 1)}`,
          ],
          [
            'Databases after (temporal / visibility, MiB)',
            `${mib(r.databases.waiting!.temporal)} / ${mib(r.databases.waiting!.visibility)}`,
          ],
        ],
      ),
      '',
    );
  }
  const idle = r.peaks.idle!;
  lines.push(
    `Idle, before any number: worker ${mib(idle.workerRss)} MiB, server ${mib(idle.serverRss)} MiB, PostgreSQL ` +
      `${mib(idle.postgresPss)} MiB; databases ${mib(r.databases.idle!.temporal)} / ${mib(r.databases.idle!.visibility)} MiB.`,
    '',
    `Worker log: ${r.workerProblems.warnings} warnings, ${r.workerProblems.errors} errors` +
      (r.workerProblems.first.length
        ? `; first: ${r.workerProblems.first.map((l) => `\`${l}\``).join('; ')}`
        : '') +
      '.',
  );
  return lines.join('\n') + '\n';
}

/** Peak memory of each process by phase, one bar per process and phase (the report's chart). */
function memoryChart(r: Report): BarChart {
  const phases: [string, string][] = [
    ['idle', 'idle'],
    ['fleet', `fleet of ${r.args.numbers.toLocaleString('en')}`],
    ['waiting', `starting ${r.args.numbers.toLocaleString('en')} waits`],
    ['measure', `${r.args.numbers.toLocaleString('en')} waiting`],
  ];
  const bars: Bar[] = [];
  for (const [phase, label] of phases) {
    const p = r.peaks[phase];
    if (!p) continue;
    bars.push(
      { label: `${label}: worker`, value: p.workerRss / MiB, series: 'worker (RSS)', group: phase },
      {
        label: `${label}: temporal-server`,
        value: p.serverRss / MiB,
        series: 'temporal-server (RSS)',
        group: phase,
      },
      { label: `${label}: PostgreSQL`, value: p.postgresPss / MiB, series: 'PostgreSQL (PSS)', group: phase },
    );
  }
  return { name: 'scale-memory', title: 'Peak memory by phase, MiB', unit: 'MiB (lower is better)', bars };
}

// eslint-disable-next-line no-control-regex -- the escape character is what is removed
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

/** Warning and error lines of the worker's JSON or text log, counted, the first distinct ones kept. */
function workerProblems(output: string): Report['workerProblems'] {
  const out = { warnings: 0, errors: 0, first: [] as string[] };
  // The SDK core's own lines are coloured (ANSI escapes) when its output is not a terminal's either.
  for (const line of output.replace(ANSI_COLOUR, '').split('\n')) {
    const level = /\b(WARN|ERROR)\b|"level":"(warn|error)"/i.exec(line)?.[0]?.toUpperCase();
    if (!level) continue;
    if (level.includes('WARN')) out.warnings++;
    else out.errors++;
    const short = line.slice(0, 400);
    if (out.first.length < 5 && !out.first.includes(short)) out.first.push(short);
  }
  return out;
}

/**
 * The SDK's default workflow cache for a worker with this process's heap limit (same node, same machine):
 * @temporalio/worker's worker-options, reuseV8Context branch. Printed so the report says how many of the
 * waiting numbers the worker can keep cached; the others are replayed when a query or timer reaches them.
 */
function sdkDefaultCache(): number {
  const heapMiB = v8.getHeapStatistics().heap_size_limit / MiB;
  return Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
}

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  if (args.build) buildDist();
  const t0 = Date.now();
  const cluster = await startCluster({ numHistoryShards: args.shards });
  const clusterStartMs = Date.now() - t0;
  let simulator: RunningSimulator | undefined;
  let worker: ChildProcess | undefined;
  let client: NumberLifecycleClient | undefined;
  let sampler: Sampler | undefined;
  try {
    simulator = await startSimulator({
      port: 0,
      accessToken: TEST_TOKEN,
      seed: 'none',
      strictVersionRules: true,
      // every request of both phases (a register fleet sends a GET and a register per number)
      requestLogEntries: 4 * args.numbers + 10_000,
    });
    const sim = new SimulatorAdmin(simulator.url);
    const env = productEnv(cluster, {
      WA_GRAPH_BASE_URL: simulator.url,
      WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
      WA_GRAPH_MAX_REQUESTS_PER_SECOND: String(args.cap),
    });
    await promisify(execFile)(process.execPath, ['bin/wa-number.js', 'setup', '--create-namespace'], {
      cwd: ROOT,
      env,
    });
    const running = await startWorkerProcess(['dist/worker/main.js'], env);
    worker = running.child;
    client = await NumberLifecycleClient.connect({
      address: cluster.address,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      encryptionKeys: TEST_ENCRYPTION_KEYS,
      env: { TEMPORAL_CONFIG_FILE: noProfile() },
    });
    sampler = new Sampler({
      worker: worker.pid!,
      server: cluster.server.pid,
      postgres: cluster.postgres.pid,
    });
    await delay(5_000);
    const report: Report = {
      args,
      startedAt,
      clusterStartMs,
      shards: args.shards,
      maxCachedWorkflows: sdkDefaultCache(),
      databases: { idle: await databaseBytes(cluster) },
      peaks: {},
      cpu: {},
      workerProblems: { warnings: 0, errors: 0, first: [] },
      samples: sampler.samples,
    };
    const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      sampler!.phase = name;
      sampler!.take();
      try {
        return await run();
      } finally {
        sampler!.take();
        report.peaks[name] = sampler!.peak(name);
        report.cpu[name] = sampler!.cpu(name);
      }
    };
    report.peaks.idle = sampler.peak('idle');
    if (args.phases.includes('fleet')) {
      report.fleet = await phase('fleet', () => fleetPhase(args, client!, sim));
      report.databases.fleet = await databaseBytes(cluster);
    }
    if (args.phases.includes('waiting')) {
      // Starting and the wait for all to sleep ("waiting"), then the measured window ("measure").
      const started = await phase('waiting', () => startWaiting(args, client!, sim));
      report.waiting = await phase('measure', () => measureWaiting(args, client!, sim, started));
      report.databases.waiting = await databaseBytes(cluster);
    }
    report.workerProblems = workerProblems(running.output());
    mkdirSync(RESULTS_DIR, { recursive: true });
    const stamp = startedAt.replace(/[:.]/g, '-');
    const md = markdown(report);
    writeFileSync(path.join(RESULTS_DIR, `scale-${stamp}.md`), md);
    writeFileSync(path.join(RESULTS_DIR, `scale-${stamp}.json`), JSON.stringify(report, null, 1));
    writeFileSync(path.join(RESULTS_DIR, `scale-${stamp}-memory.svg`), renderBarChart(memoryChart(report)));
    writeFileSync(path.join(RESULTS_DIR, `scale-${stamp}-worker.log`), running.output());
    console.log(md);
    console.error(`[scale] report: bench/results/scale-${stamp}.md (raw figures beside it)`);
  } finally {
    sampler?.stop();
    await client?.close();
    worker?.kill('SIGTERM');
    await simulator?.close();
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
