// Shared pieces of the benchmark scripts: argument parsing, machine facts, Markdown tables, history
// helpers and the fault schedule builder. Nothing here holds a result: every figure is measured.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { BarChart } from './svg-chart';
import type { LifecycleOperations, OperationRequestInput, OperationSummary } from '../../client';
import {
  CLI_VERSION,
  TEST_SERVER_VERSION,
  temporalCliExecutable,
  timeSkippingServerExecutable,
  type ServerExecutable,
} from '../../scripts/temporal-binaries';

export type Section = 'history' | 'budget' | 'throughput' | 'fleet' | 'floor' | 'waiting' | 'hygiene';
export const SECTIONS: readonly Section[] = [
  'history',
  'budget',
  'throughput',
  'fleet',
  'floor',
  'waiting',
  'hygiene',
];
/** What a plain `npm run bench` runs: fleet and waiting take long at their defaults, so only on request. */
export const DEFAULT_SECTIONS: readonly Section[] = ['history', 'budget', 'throughput', 'floor'];

/** A finished benchmark section: its Markdown (printed and written) and its raw figures (raw.json). */
export interface SectionResult {
  name: Section;
  title: string;
  markdown: string;
  raw: unknown;
  wallMs: number;
  /** Charts for the report: bench/run.ts writes each as <stamp>-<name>.svg and embeds it after the markdown. */
  charts?: BarChart[];
}

// ---------------------------------------------------------------------------------------------- args

export interface BenchArgs {
  only: Section[];
  /** history: Graph request timeout and hang of the timeout-after-apply fault. */
  graphTimeoutMs: number;
  hangMs: number;
  /** budget */
  numbers: number;
  cycles: number;
  timeoutRate: number;
  http5xxRate: number;
  error131000Rate: number;
  /** budget: share of calls hit by each of the issue-12 answers (FIDELITY_FAULTS). */
  fidelityRate: number;
  seed: number;
  naiveMaxAttempts: number;
  /** throughput */
  ops: number;
  rounds: number;
  /** throughput: also run with the task-queue activity cap lifted. */
  uncapped: boolean;
  /** fleet: numbers per concurrency level, the levels, and a second pass with this activity cap (0: none). */
  fleetNumbers: number;
  fleetLevels: number[];
  fleetRaisedCap: number;
  /** floor: register operations (and as many baseline workflows) per round, rounds, the parent→child baseline. */
  floorOps: number;
  floorRounds: number;
  floorParentChild: boolean;
  /** floor: dynamic config values (KEY=VALUE) for each dev server the section starts. */
  floorDynamicConfig: string[];
  /** fleet: run the as-configured pass (off with --no-fleet-configured, to measure only the raised cap). */
  fleetConfigured: boolean;
  /** waiting: numbers waiting out a 72-hour block, and how long to measure while they wait. */
  waitingNumbers: number;
  waitingMeasureSeconds: number;
  /** waiting: the worker's maxCachedWorkflows (temporal.maxCachedWorkflows); 0 = the SDK's default. */
  waitingCache: number;
  /** hygiene: operations per number at most while waiting for its lifecycle to continue as new. */
  hygieneMaxOps: number;
}

export const USAGE = `usage: npm run bench -- [section...] [options]
  --only history|budget|throughput|fleet|floor|waiting|hygiene   sections to run (comma-separated list allowed);
                         a bare section name does the same (npm run bench -- fleet); default:
                         history,budget,throughput,floor (fleet, waiting and hygiene only on request);
                         all = every section, in one run (npm run bench -- all; about an hour on 2 cores)
  --numbers M            budget: numbers (default 20)
  --cycles K             budget: register→deregister cycles per number (default 6)
  --timeout-rate R       budget: share of register/deregister calls hit by timeout-after-apply (default 0.2)
  --5xx-rate R           budget: share hit by a proxy 502 (default 0.1)
  --131000-rate R        budget: share answered with error 131000 (default 0.1)
  --fidelity-rate R      budget: share hit by each of the issue-12 answers of real Graph (default 0.03 each)
  --seed S               budget: base seed of the fault schedule (default 1)
  --naive-max-attempts A budget: attempts per operation of the naive loop (default 15)
  --graph-timeout-ms T   Graph request timeout on the time-skipping stack (default 500)
  --hang-ms H            how long a timeout-after-apply answer is held (default 1000)
  --ops N                throughput: register operations on N numbers (default 50)
  --rounds R             throughput: timed rounds per variant (default 3)
  --no-uncapped          throughput and floor: skip the variants with the task-queue activity cap lifted
  --fleet-numbers N      fleet: numbers migrated per concurrency level (default 1000; env BENCH_FLEET_NUMBERS)
  --fleet-levels L       fleet: concurrency levels, comma-separated (default 10,50,200; env BENCH_FLEET_LEVELS)
  --fleet-raised-cap C   fleet: a second pass with the task-queue activity cap at C/s (default 0: no second
                         pass; env BENCH_FLEET_RAISED_CAP)
  --floor-ops N          floor: register operations per round, and as many baseline workflows (default 50)
  --floor-rounds R       floor: timed rounds per side and activity cap (default 3)
  --no-floor-parent-child  floor: skip the parent→child baseline
  --floor-dynamic-config KEY=VALUE  floor: a dynamic config value for its dev servers (repeatable), e.g.
                         matching.numTaskqueueReadPartitions=1
  --no-fleet-configured  fleet: skip the pass at the configured cap (with --fleet-raised-cap: only that pass)
  --waiting-numbers N    waiting: numbers waiting out a 72-hour block (default 1000; env BENCH_WAITING_NUMBERS)
  --waiting-measure-s S  waiting: seconds measured while they wait (default 60; env BENCH_WAITING_MEASURE_S)
  --waiting-cache N      waiting: the worker's maxCachedWorkflows (default 0: the SDK's, sized from the heap; env BENCH_WAITING_CACHE)
  --hygiene-max-ops N    hygiene: operations per number at most, waiting for continue-as-new (default 400)
  --verbose              print the worker's warnings for expected Graph activity failures and for the
                         operation runs the waiting section cancels`;

/** Comma-separated whole numbers ≥ 1, e.g. fleet levels "10,50,200". */
function parseLevels(flag: string, raw: string): number[] {
  const levels = raw.split(',').map((s) => Number(s.trim()));
  if (levels.length === 0 || levels.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${flag} must be comma-separated whole numbers ≥ 1, got "${raw}"`);
  }
  return levels;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  let only: Section[] | undefined;
  const args: BenchArgs = {
    only: [...DEFAULT_SECTIONS],
    graphTimeoutMs: 500,
    hangMs: 1000,
    numbers: 20,
    cycles: 6,
    timeoutRate: 0.2,
    http5xxRate: 0.1,
    error131000Rate: 0.1,
    fidelityRate: 0.03,
    seed: 1,
    naiveMaxAttempts: 15,
    ops: 50,
    rounds: 3,
    uncapped: true,
    fleetNumbers: Number(env.BENCH_FLEET_NUMBERS || 1000),
    fleetLevels: parseLevels('BENCH_FLEET_LEVELS', env.BENCH_FLEET_LEVELS || '10,50,200'),
    fleetRaisedCap: Number(env.BENCH_FLEET_RAISED_CAP || 0),
    floorOps: 50,
    floorRounds: 3,
    floorParentChild: true,
    floorDynamicConfig: [],
    fleetConfigured: true,
    waitingNumbers: Number(env.BENCH_WAITING_NUMBERS || 1000),
    waitingMeasureSeconds: Number(env.BENCH_WAITING_MEASURE_S || 60),
    waitingCache: Number(env.BENCH_WAITING_CACHE || 0),
    hygieneMaxOps: 400,
  };
  const numeric: Record<string, keyof BenchArgs> = {
    '--numbers': 'numbers',
    '--cycles': 'cycles',
    '--timeout-rate': 'timeoutRate',
    '--5xx-rate': 'http5xxRate',
    '--131000-rate': 'error131000Rate',
    '--fidelity-rate': 'fidelityRate',
    '--seed': 'seed',
    '--naive-max-attempts': 'naiveMaxAttempts',
    '--graph-timeout-ms': 'graphTimeoutMs',
    '--hang-ms': 'hangMs',
    '--ops': 'ops',
    '--rounds': 'rounds',
    '--fleet-numbers': 'fleetNumbers',
    '--fleet-raised-cap': 'fleetRaisedCap',
    '--floor-ops': 'floorOps',
    '--floor-rounds': 'floorRounds',
    '--waiting-numbers': 'waitingNumbers',
    '--waiting-measure-s': 'waitingMeasureSeconds',
    '--waiting-cache': 'waitingCache',
    '--hygiene-max-ops': 'hygieneMaxOps',
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [flag, inline] = raw.includes('=')
      ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)]
      : [raw, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (flag === '--only') {
      const wanted = value()
        .split(',')
        .map((s) => s.trim());
      for (const w of wanted) {
        if (!(SECTIONS as readonly string[]).includes(w))
          throw new Error(`--only: unknown section ${w}\n${USAGE}`);
      }
      only = [...(only ?? []), ...(wanted as Section[])];
    } else if (raw === 'all') {
      only = [...SECTIONS];
    } else if ((SECTIONS as readonly string[]).includes(raw)) {
      only = [...(only ?? []), raw as Section];
    } else if (flag === '--fleet-levels') {
      args.fleetLevels = parseLevels(flag, value());
    } else if (flag === '--no-uncapped') {
      args.uncapped = false;
    } else if (flag === '--no-floor-parent-child') {
      args.floorParentChild = false;
    } else if (flag === '--floor-dynamic-config') {
      const setting = value();
      if (!/^[A-Za-z][\w.]*=\S+$/.test(setting)) {
        throw new Error(`--floor-dynamic-config must be KEY=VALUE (a dynamic config key), got "${setting}"`);
      }
      args.floorDynamicConfig.push(setting);
    } else if (flag === '--no-fleet-configured') {
      args.fleetConfigured = false;
    } else if (flag in numeric) {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} must be a non-negative number`);
      (args as unknown as Record<string, number>)[numeric[flag]!] = n;
    } else {
      throw new Error(`unknown option ${raw}\n${USAGE}`);
    }
  }
  if (only) args.only = [...new Set(only)];
  const positive = [
    'numbers',
    'cycles',
    'ops',
    'rounds',
    'naiveMaxAttempts',
    'graphTimeoutMs',
    'fleetNumbers',
    'floorOps',
    'floorRounds',
    'waitingNumbers',
    'waitingMeasureSeconds',
  ] as const;
  for (const key of positive) {
    if (!Number.isInteger(args[key]) || args[key] < 1) throw new Error(`--${key} must be a positive integer`);
  }
  if (args.fleetNumbers > 99_999) throw new Error('--fleet-numbers must be at most 99999');
  if (args.floorOps > 99_999) throw new Error('--floor-ops must be at most 99999');
  if (args.waitingNumbers > 9_999) throw new Error('--waiting-numbers must be at most 9999');
  if (!Number.isFinite(args.fleetRaisedCap) || args.fleetRaisedCap < 0) {
    throw new Error('--fleet-raised-cap must be a non-negative number');
  }
  const total =
    args.timeoutRate + args.http5xxRate + args.error131000Rate + FIDELITY_FAULTS.length * args.fidelityRate;
  if (total > 1) {
    throw new Error(
      `the fault rates must add up to at most 1 (timeout + 5xx + 131000 + ${FIDELITY_FAULTS.length} × fidelity)`,
    );
  }
  return args;
}

// ------------------------------------------------------------------------------------------ machine

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  temporalCli: string;
  temporalTestServer: string;
}

function describeExecutable(version: string, exe: ServerExecutable): string {
  return exe.type === 'existing-path' ? `${version} (${exe.path})` : `${version} (SDK download)`;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    temporalCli: describeExecutable(CLI_VERSION, temporalCliExecutable()),
    temporalTestServer: describeExecutable(TEST_SERVER_VERSION, timeSkippingServerExecutable()),
  };
}

export function machineMarkdown(m: MachineFacts): string {
  return table(
    ['Machine', ''],
    [
      ['CPU', m.cpuModel],
      ['Cores', m.cores],
      ['Memory', `${m.memoryGiB} GiB`],
      ['OS', m.platform],
      ['Node', m.node],
      ['Temporal CLI (dev server)', m.temporalCli],
      ['Temporal time-skipping test server', m.temporalTestServer],
    ],
  );
}

/** The summary scripts' `--top N` (default 15) and the arguments around it (their input files). */
export function topOption(argv: string[]): { top: number; rest: string[] } {
  const at = argv.indexOf('--top');
  if (at < 0) return { top: 15, rest: argv };
  const top = Number(argv[at + 1]);
  if (!Number.isInteger(top) || top < 1) throw new Error('--top: a whole number of lines, 1 or more');
  return { top, rest: [...argv.slice(0, at), ...argv.slice(at + 2)] };
}

// --------------------------------------------------------------------------------------- formatting

/** A Markdown table; a column is right-aligned when every cell in it starts with a digit. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => String(v).replace(/\|/g, '\\|');
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^\d/.test(String(r[i] ?? '')) || r[i] === 'n/a'),
  );
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function fixed(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function pct(r: number): string {
  return `${Math.round(r * 1000) / 10} %`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${fixed(ms / 1000, 1)} s`;
  if (ms < 3_600_000) {
    const s = Math.round(ms / 1000); // rounded first, so 179.6 s reads 3 min 0 s, not 2 min 60 s
    return `${Math.floor(s / 60)} min ${s % 60} s`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return `${h} h ${m} min`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------ history

const EventType = temporal.api.enums.v1.EventType;

export interface HistorySummary {
  events: number;
  byType: Record<string, number>;
  /** startToFireTimeout of every timer started, in ms. */
  timersMs: number[];
  /** Every timer started: when (event time, epoch ms) and for how long. */
  timers: { at: number; ms: number }[];
}

/** A protobuf Duration or Timestamp (an event's time) in ms. */
export function durationMs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6;
}

export async function historySummary(handle: WorkflowHandle): Promise<HistorySummary> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const byType: Record<string, number> = {};
  const timers: { at: number; ms: number }[] = [];
  for (const e of events) {
    const name = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    byType[name] = (byType[name] ?? 0) + 1;
    if (e.timerStartedEventAttributes) {
      timers.push({
        at: durationMs(e.eventTime),
        ms: durationMs(e.timerStartedEventAttributes.startToFireTimeout),
      });
    }
  }
  return { events: events.length, byType, timersMs: timers.map((t) => t.ms), timers };
}

/** One workflow task of a run, by the server's clock. */
export interface WorkflowTaskTiming {
  /** WORKFLOW_TASK_SCHEDULED → STARTED: how long it waited in its task queue, ms. */
  waitMs: number;
  /** STARTED → COMPLETED, FAILED or TIMED_OUT: how long the worker held it, ms (undefined: still open). */
  runMs?: number;
  end?: 'completed' | 'failed' | 'timed-out';
  /** Why a failed task failed (the server's cause, e.g. UNHANDLED_COMMAND). */
  cause?: string;
}

/** Every workflow task of a history, with its wait and its run. */
export function workflowTaskTimings(events: temporal.api.history.v1.IHistoryEvent[]): WorkflowTaskTiming[] {
  const scheduledAt = new Map<string, number>();
  /** The tasks by the ID of their STARTED event, with its time. */
  const started = new Map<string, { task: WorkflowTaskTiming; at: number }>();
  for (const e of events) {
    const at = durationMs(e.eventTime);
    if (e.workflowTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), at);
    const scheduled = scheduledAt.get(String(e.workflowTaskStartedEventAttributes?.scheduledEventId));
    if (scheduled !== undefined) started.set(String(e.eventId), { task: { waitMs: at - scheduled }, at });
    const failed = e.workflowTaskFailedEventAttributes;
    const [closed, end] = e.workflowTaskCompletedEventAttributes
      ? [e.workflowTaskCompletedEventAttributes, 'completed' as const]
      : failed
        ? [failed, 'failed' as const]
        : [e.workflowTaskTimedOutEventAttributes, 'timed-out' as const];
    const open = closed ? started.get(String(closed.startedEventId)) : undefined;
    if (!open) continue;
    Object.assign(open.task, { runMs: at - open.at, end });
    if (failed) {
      const cause = temporal.api.enums.v1.WorkflowTaskFailedCause[failed.cause ?? 0] ?? String(failed.cause);
      open.task.cause = cause.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '');
    }
  }
  return [...started.values()].map(({ task }) => task);
}

/** Fetches a history until its length stops changing (the workflow has settled after an operation). */
export async function settledHistory(handle: WorkflowHandle, quietMs = 300): Promise<HistorySummary> {
  let last = await historySummary(handle);
  for (let i = 0; i < 50; i++) {
    await delay(quietMs);
    const next = await historySummary(handle);
    if (next.events === last.events) return next;
    last = next;
  }
  return last;
}

// ------------------------------------------------------------------------------------- fault rules

export interface FaultRates {
  timeoutAfterApply: number;
  http5xx: number;
  error131000: number;
  /** Share of each FIDELITY_FAULTS kind. */
  fidelity: number;
}

/**
 * Answers of the real Graph API the simulator gives since issue 12, in the budget bench's schedule:
 * applied but unanswered (code 2, is_transient, a 503 with Meta's envelope, an unreadable 2xx), not
 * applied but transient (133004), and throttling with a regain time (80007, refused before the endpoint).
 */
export const FIDELITY_FAULTS: { label: string; rule: Record<string, unknown> }[] = [
  { label: 'code 2, applied', rule: { kind: 'graph-error', code: 2, applied: true } },
  {
    label: 'is_transient, applied',
    rule: { kind: 'graph-error', code: 42, isTransient: true, applied: true },
  },
  { label: '133004, not applied (counted)', rule: { kind: 'graph-error', code: 133004 } },
  {
    label: '503 with envelope, applied',
    rule: { kind: 'http-5xx', httpStatus: 503, envelope: true, applied: true },
  },
  { label: 'unreadable 2xx, applied', rule: { kind: 'unreadable-2xx', body: 'truncated' } },
  {
    label: '80007 throttle, 1 min (not counted)',
    rule: { kind: 'throttle', code: 80007, regainAccessMinutes: 1 },
  },
];

/** The fault kinds in rule order, each with its marginal rate and the conditional probability its rule gets. */
export function faultSchedule(
  rates: FaultRates,
  hangMs: number,
): { label: string; kind: unknown; rate: number; probability: number; extra: Record<string, unknown> }[] {
  const marginal: { label: string; rate: number; rule: Record<string, unknown> }[] = [
    {
      label: 'timeout-after-apply (applied at Meta, answer held)',
      rate: rates.timeoutAfterApply,
      rule: { kind: 'timeout-after-apply', hangMs },
    },
    {
      label: 'http-5xx (proxy 502: not applied, not counted by Meta)',
      rate: rates.http5xx,
      rule: { kind: 'http-5xx' },
    },
    {
      label: 'error-131000 (counted by Meta, not applied)',
      rate: rates.error131000,
      rule: { kind: 'error-131000' },
    },
    ...FIDELITY_FAULTS.map((f) => ({ label: f.label, rate: rates.fidelity, rule: f.rule })),
  ];
  let before = 0;
  return marginal.map(({ label, rate, rule }) => {
    // Rules are checked in order: a rule fires only when the earlier ones did not.
    const probability = before < 1 ? rate / (1 - before) : 0;
    before += rate;
    const { kind, ...extra } = rule;
    return { label, kind, rate, probability, extra };
  });
}

/**
 * Seeded, per-number fault rules on register and deregister. The simulator checks rules in order and
 * the first that fires decides; so the rule probabilities are conditional (p2 / (1 - p1), ...) to make
 * the marginal share of each fault equal to the requested rate. Rules are per number, with their own
 * seed, so a number's k-th register call gets the same fault whatever the interleaving with other numbers.
 */
export function faultRules(
  numberIds: string[],
  rates: FaultRates,
  seed: number,
  hangMs: number,
): Record<string, unknown>[] {
  const conditional = faultSchedule(rates, hangMs);
  const rules: Record<string, unknown>[] = [];
  numberIds.forEach((phoneNumberId, n) => {
    (['register', 'deregister'] as const).forEach((endpoint, e) => {
      conditional.forEach((c, k) => {
        if (c.probability <= 0) return;
        rules.push({
          endpoint,
          phoneNumberId,
          kind: c.kind,
          probability: Math.min(1, c.probability),
          seed: seed * 100_000 + n * 100 + e * 10 + k,
          ...c.extra,
        });
      });
    });
  });
  return rules;
}

// ---------------------------------------------------------------------------------------------- cpu

type CpuTicks = Map<number, { name: string; ticks: number }>;

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcessInfo {
  ppid: number;
  name: string;
  /** user + system CPU ticks */
  ticks: number;
  rssPages: number;
}

/** This process (named "node") and all its descendants (the Temporal server), from /proc; undefined off Linux. */
function processTree(): Map<number, ProcessInfo> | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const all = new Map<number, ProcessInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      all.set(Number(entry), {
        ppid: Number(fields[1]),
        name,
        ticks: Number(fields[11]) + Number(fields[12]),
        rssPages: Number(fields[21]),
      });
    } catch {
      // the process exited meanwhile
    }
  }
  const mine = new Map<number, ProcessInfo>();
  const visit = (pid: number) => {
    const p = all.get(pid);
    if (!p || mine.has(pid)) return;
    mine.set(pid, { ...p, name: pid === process.pid ? 'node' : p.name });
    for (const [child, q] of all) if (q.ppid === pid) visit(child);
  };
  visit(process.pid);
  return mine;
}

/** CPU ticks (user + system) of this process and all its descendants (the Temporal server), from /proc. */
export function cpuSample(): CpuTicks | undefined {
  const tree = processTree();
  if (!tree) return undefined;
  return new Map([...tree].map(([pid, p]) => [pid, { name: p.name, ticks: p.ticks }]));
}

let pageSize: number | undefined;
function bytesPerPage(): number {
  if (pageSize === undefined) {
    try {
      pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

/** Resident memory in bytes of this process ("node") and its descendants, summed by process name. */
export function rssSample(): Record<string, number> | undefined {
  const tree = processTree();
  if (!tree) return undefined;
  const out: Record<string, number> = {};
  for (const p of tree.values()) out[p.name] = (out[p.name] ?? 0) + p.rssPages * bytesPerPage();
  return out;
}

/** Samples rssSample every intervalMs until stopped; stop() returns the peak seen per process name. */
export function rssPeakSampler(intervalMs = 250): { stop(): Record<string, number> | undefined } {
  let peak: Record<string, number> | undefined;
  const take = () => {
    const sample = rssSample();
    if (!sample) return;
    peak ??= {};
    for (const [name, bytes] of Object.entries(sample)) peak[name] = Math.max(peak[name] ?? 0, bytes);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** CPU seconds spent between two samples, by process name (this process is "node"). */
export function cpuSecondsBetween(
  before: CpuTicks | undefined,
  after: CpuTicks | undefined,
): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  const out: Record<string, number> = {};
  for (const [pid, a] of after) {
    const spent = (a.ticks - (before.get(pid)?.ticks ?? 0)) / ticksPerSecond();
    out[a.name] = Math.round(((out[a.name] ?? 0) + spent) * 100) / 100;
  }
  return out;
}

/**
 * The Temporal server's share of a by-process-name figure (rssSample, cpuSecondsBetween): every
 * descendant of this process but tsx's esbuild service.
 */
export function serverShare(byName: Record<string, number> | undefined): number | undefined {
  if (!byName) return undefined;
  return Object.entries(byName)
    .filter(([name]) => name !== 'node' && name !== 'esbuild')
    .reduce((n, [, v]) => n + v, 0);
}

/** The descendants of this process that serverShare counts (the Temporal dev server): pid and name. */
export function serverProcesses(): { pid: number; name: string }[] | undefined {
  const tree = processTree();
  if (!tree) return undefined;
  return [...tree]
    .filter(([pid, p]) => pid !== process.pid && p.name !== 'esbuild')
    .map(([pid, p]) => ({ pid, name: p.name }));
}

// -------------------------------------------------------------------------------------------- misc

export { mapLimit } from '../../scripts/map-limit';

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export interface LatencyStats {
  samples: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Calls `call` back to back (waiting `gapMs` between calls) until `until` returns true; latencies in ms. */
export async function sampleLatency(
  call: () => Promise<unknown>,
  until: () => boolean,
  gapMs: number,
): Promise<LatencyStats & { latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  while (!until()) {
    const t = performance.now();
    try {
      await call();
      latenciesMs.push(performance.now() - t);
    } catch {
      errors++;
    }
    await delay(gapMs);
  }
  latenciesMs.sort((a, b) => a - b);
  return {
    samples: latenciesMs.length,
    errors,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: percentile(latenciesMs, 100),
    latenciesMs: latenciesMs.map((ms) => Math.round(ms * 100) / 100),
  };
}

/**
 * One request per number, all at once, each caller waiting on the long poll (runOperation): the summaries,
 * and how long after `startedAt` the last request was accepted.
 */
export async function runOperationsAtOnce(
  client: Pick<LifecycleOperations, 'runOperation'>,
  ids: string[],
  request: OperationRequestInput,
  startedAt: number,
): Promise<{ acceptMs: number; summaries: OperationSummary[] }> {
  let accepted = 0;
  let acceptMs = 0;
  const onAccepted = () => {
    if (++accepted === ids.length) acceptMs = Date.now() - startedAt;
  };
  const summaries = await Promise.all(ids.map((id) => client.runOperation(id, request, { onAccepted })));
  return { acceptMs, summaries };
}
