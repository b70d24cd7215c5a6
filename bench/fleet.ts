// 4. Fleet, migrate: one fleet of N On-Premises → Cloud API migrations per concurrency level, on the dev
// server (real time, real activities, the simulator over HTTP with its On-Prem clients, no faults).
// Each level gets a fresh stack (Temporal dev server, simulator, worker) and freshly seeded numbers.
import os from 'node:os';
import path from 'node:path';
import type { FleetNumberStatus } from '../domain/fleet';
import { fleetWorkflowId } from '../domain/fleet';
import { validateConcurrency } from '../domain/fleet-input';
import { migrateRequestSchema, type MigrateRequest } from '../domain/operations';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { loadConfig, ROOT_DIR } from '../platform/config';
import { seedManyVerified } from '../test/helpers/seed';
import { startTestStack, type TestStack } from '../test/helpers/stack';
import {
  cpuSample,
  cpuSecondsBetween,
  delay,
  fixed,
  formatDuration,
  historySummary,
  percentile,
  rssPeakSampler,
  rssSample,
  table,
  type BenchArgs,
  type SectionResult,
} from './lib/common';

const PIN = '123456';
const ONPREM_LOGIN = { username: 'admin', password: 'onprem-secret' };
/** The seedOnPremises shape (test/helpers/seed.ts): verified, on On-Premises, its client taking ONPREM_LOGIN. */
const ON_PREMISES = { platform_type: 'ON_PREMISE', pin: PIN, onprem: ONPREM_LOGIN };
const BACKUP_PASSWORD = 'backup-secret';
/** Numbers are 77PPLNNNNN: P the pass, L the level, N the number, so no two levels share a number. */
const ID_BASE = 7_700_000_000;
const WARMUP_ID = '7699999999';
const PROGRESS_EVERY_MS = 10_000;

interface PassSpec {
  label: string;
  /** WA_* overrides on top of the stack's own. */
  configEnv: Record<string, string>;
}

interface ProgressPoint {
  atMs: number;
  done: number;
  failed: number;
  inFlight: number;
  pending: number;
}

export interface FleetLevelResult {
  pass: string;
  /** graph.maxRequestsPerSecond in effect: the worker's maxTaskQueueActivitiesPerSecond. */
  activityCapPerSecond: number;
  graphRequestTimeoutMs: number;
  /** The simulator's setting in effect (GET /_sim/settings), not changed by this benchmark. */
  simulatorBackupRegisterDelayMs: number | null;
  concurrency: number;
  numbers: number;
  fleetId: string;
  firstId: string;
  lastId: string;
  stackStartMs: number;
  seedMs: number;
  /** Client side: startFleet called → waitForFleet returned. */
  wallMs: number;
  /** The fleet's own startedAt → finishedAt (workflow clock). */
  fleetClockMs: number;
  opsPerSecond: number;
  counts: Record<FleetNumberStatus, number>;
  completed: number;
  failed: number;
  notStarted: number;
  /** Runs of fleet:{id} (1 + continue-as-new count). */
  fleetRuns: number;
  /** Task-queue activities: per migrate (lifecycle + child run, from the warm-up), and the fleet's start activities. */
  activitiesPerMigrate: number | null;
  fleetStartActivities: number | null;
  /** Migrate child runs, start → close (visibility), sorted; numbers whose run was not found are left out. */
  operationDurationsMs: number[];
  graph: {
    get: number;
    register: number;
    onprem: number;
    registerErrors: number;
    register133016: number;
    maxRegistersPerNumber: number;
    /** The simulator keeps its last 10,000 requests: true when older ones of this level were dropped. */
    logTruncated: boolean;
  };
  /** Resident memory: this process (worker + simulator + client) and the Temporal server, by process name. */
  rssBeforeBytes?: Record<string, number>;
  rssPeakBytes?: Record<string, number>;
  /** Peak RSS of this process over its whole life so far (getrusage). */
  processMaxRssBytes: number;
  cpuSeconds?: Record<string, number>;
  progress: ProgressPoint[];
}

const levelIds = (pass: number, level: number, n: number) =>
  Array.from({ length: n }, (_, i) => String(ID_BASE + pass * 1_000_000 + level * 100_000 + i + 1));

function migrateRequest(stack: TestStack, id: string): MigrateRequest {
  return migrateRequestSchema().parse({
    operation: 'migrate',
    pin: PIN,
    onPrem: { url: `${stack.simulator.url}/onprem/${id}`, ...ONPREM_LOGIN },
    backupPassword: BACKUP_PASSWORD,
    requestedBy: 'bench',
  });
}

async function simulatorBackupDelay(stack: TestStack): Promise<number | null> {
  const res = await fetch(`${stack.simulator.url}/_sim/settings`);
  if (!res.ok) return null;
  const settings = (await res.json()) as { backupRegisterDelayMs?: unknown };
  return typeof settings.backupRegisterDelayMs === 'number' ? settings.backupRegisterDelayMs : null;
}

const scheduled = (byType: Record<string, number>) => byType.ACTIVITY_TASK_SCHEDULED ?? 0;

/** One migrate, untimed: loads the workflow bundle into the worker; its histories give activities per migrate. */
async function warmup(stack: TestStack): Promise<number | null> {
  await seedManyVerified(stack.sim, [WARMUP_ID], ON_PREMISES);
  const ticket = await stack.client.requestOperation(WARMUP_ID, migrateRequest(stack, WARMUP_ID));
  const outcome = await stack.client.waitForOperation(WARMUP_ID, ticket.operationId, { pollIntervalMs: 100 });
  if (outcome.status !== 'completed') {
    throw new Error(`warm-up migrate did not complete: ${JSON.stringify(outcome.failure ?? outcome.status)}`);
  }
  try {
    const client = stack.env.client.workflow;
    const child = await historySummary(client.getHandle(ticket.workflowId));
    const lifecycle = await historySummary(client.getHandle(lifecycleWorkflowId(WARMUP_ID)));
    return scheduled(child.byType) + scheduled(lifecycle.byType);
  } catch {
    return null;
  }
}

/** ACTIVITY_TASK_SCHEDULED over every run of the fleet (its start activities). */
async function fleetStartActivities(stack: TestStack, fleetId: string): Promise<number | null> {
  try {
    let n = 0;
    const workflowId = fleetWorkflowId(fleetId);
    for await (const run of stack.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      n += scheduled(
        (await historySummary(stack.env.client.workflow.getHandle(workflowId, run.runId))).byType,
      );
    }
    return n;
  } catch {
    return null;
  }
}

/** Start → close of each migrate child run of these numbers, from visibility (retried while it catches up). */
async function operationDurations(stack: TestStack, ids: Set<string>, expected: number): Promise<number[]> {
  let durations: number[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    durations = [];
    for await (const w of stack.env.client.workflow.list({ query: 'WorkflowType = "migrateOperation"' })) {
      const id = w.workflowId.split(':')[1] ?? '';
      if (ids.has(id) && w.closeTime) durations.push(w.closeTime.getTime() - w.startTime.getTime());
    }
    if (durations.length >= expected) break;
    await delay(500);
  }
  return durations.sort((a, b) => a - b);
}

async function runLevel(
  pass: PassSpec,
  passIndex: number,
  levelIndex: number,
  concurrency: number,
  numbers: number,
  graphRequestTimeoutMs: number,
): Promise<FleetLevelResult> {
  const t0 = Date.now();
  const stack = await startTestStack({
    configEnv: { WA_GRAPH_REQUEST_TIMEOUT_MS: String(graphRequestTimeoutMs), ...pass.configEnv },
  });
  const stackStartMs = Date.now() - t0;
  let rss: ReturnType<typeof rssPeakSampler> | undefined;
  try {
    const simulatorBackupRegisterDelayMs = await simulatorBackupDelay(stack);
    const activitiesPerMigrate = await warmup(stack);

    const ids = levelIds(passIndex, levelIndex, numbers);
    const idSet = new Set(ids);
    const s0 = Date.now();
    await seedManyVerified(stack.sim, ids, ON_PREMISES);
    const seedMs = Date.now() - s0;
    const members = ids.map((phoneNumberId) => ({
      phoneNumberId,
      request: migrateRequest(stack, phoneNumberId),
    }));
    const fleetId = `bench-migrate-c${concurrency}-${Date.now().toString(36)}`;

    const rssBeforeBytes = rssSample();
    rss = rssPeakSampler();
    const cpuBefore = cpuSample();
    const progress: ProgressPoint[] = [];
    const start = Date.now();
    await stack.client.startFleet({
      fleetId,
      operation: 'migrate',
      concurrency,
      members,
      requestedBy: 'bench',
    });
    let finished = false;
    let wake = () => {};
    const woken = new Promise<void>((r) => (wake = r));
    const watcher = (async () => {
      while (!finished) {
        await Promise.race([delay(PROGRESS_EVERY_MS), woken]);
        if (finished) break;
        try {
          const p = (await stack.client.describeFleet(fleetId, 'none')).progress;
          if (!p) continue;
          const c = p.counts;
          const point = {
            atMs: Date.now() - start,
            done: c.completed + c['already-done'],
            failed: c.failed + c['not-started'],
            inFlight: c.starting + c.running,
            pending: c.pending,
          };
          progress.push(point);
          console.error(
            `[bench] fleet: ${pass.label}, concurrency ${concurrency}: ${point.done} done, ${point.failed} failed, ` +
              `${point.inFlight} in flight, ${point.pending} pending after ${formatDuration(point.atMs)}`,
          );
        } catch {
          // a query during continue-as-new: the next sample will do
        }
      }
    })();
    const final = await stack.client.waitForFleet(fleetId).finally(() => {
      finished = true;
      wake();
    });
    const wallMs = Date.now() - start;
    const cpuSeconds = cpuSecondsBetween(cpuBefore, cpuSample());
    const rssPeakBytes = rss.stop();
    await watcher;

    const { count: fleetRuns } = await stack.env.client.workflow.count(
      `WorkflowId = "${fleetWorkflowId(fleetId)}"`,
    );
    const c = final.counts;
    const completed = c.completed + c['already-done'];
    const log = await stack.sim.requests();
    const mine = log.filter((r) => idSet.has(r.phoneNumberId ?? ''));
    const registers = mine.filter((r) => r.endpoint === 'register');
    const perNumber = new Map<string, number>();
    for (const r of registers) perNumber.set(r.phoneNumberId!, (perNumber.get(r.phoneNumberId!) ?? 0) + 1);

    return {
      pass: pass.label,
      activityCapPerSecond: stack.config.graph.maxRequestsPerSecond,
      graphRequestTimeoutMs: stack.config.graph.requestTimeoutMs,
      simulatorBackupRegisterDelayMs,
      concurrency,
      numbers,
      fleetId,
      firstId: ids[0]!,
      lastId: ids[ids.length - 1]!,
      stackStartMs,
      seedMs,
      wallMs,
      fleetClockMs: Date.parse(final.finishedAt ?? '') - Date.parse(final.startedAt),
      opsPerSecond: numbers / (wallMs / 1000),
      counts: c,
      completed,
      failed: c.failed,
      notStarted: c['not-started'],
      fleetRuns,
      activitiesPerMigrate,
      fleetStartActivities: await fleetStartActivities(stack, fleetId),
      operationDurationsMs: await operationDurations(stack, idSet, completed + c.failed),
      graph: {
        get: mine.filter((r) => r.endpoint === 'get').length,
        register: registers.length,
        onprem: mine.filter((r) => r.endpoint === 'onprem').length,
        registerErrors: registers.filter((r) => r.errorCode !== undefined || r.status >= 400).length,
        // Over the whole log (warm-up included), not only this level's numbers.
        register133016: log.filter((r) => r.endpoint === 'register' && r.errorCode === 133016).length,
        maxRegistersPerNumber: Math.max(0, ...perNumber.values()),
        logTruncated: (log[0]?.seq ?? 1) > 1,
      },
      rssBeforeBytes,
      rssPeakBytes,
      processMaxRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuSeconds,
      progress,
    };
  } finally {
    rss?.stop();
    await stack.stop();
  }
}

const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : fixed(bytes / 2 ** 20, 0));

/** The Temporal server's share of a by-process-name figure: every descendant but tsx's esbuild service. */
function server(byName: Record<string, number> | undefined): number | undefined {
  if (!byName) return undefined;
  return Object.entries(byName)
    .filter(([name]) => name !== 'node' && name !== 'esbuild')
    .reduce((n, [, v]) => n + v, 0);
}

const rssCell = (peak: number | undefined, before: number | undefined) => `${mib(peak)} (${mib(before)})`;

function cpuCell(cpu: Record<string, number> | undefined): string {
  if (!cpu) return 'n/a';
  return `${fixed(cpu.node ?? 0, 1)} / ${fixed(server(cpu) ?? 0, 1)}`;
}

function coresBusy(r: FleetLevelResult): string {
  if (!r.cpuSeconds) return 'n/a';
  return fixed(((r.cpuSeconds.node ?? 0) + (server(r.cpuSeconds) ?? 0)) / (r.wallMs / 1000), 2);
}

/** Lower bound on wall time set by the task-queue activity cap: every activity of the level at the cap's rate. */
function capFloorMs(r: FleetLevelResult): number {
  if (r.activitiesPerMigrate === null || r.fleetStartActivities === null) return NaN;
  return ((r.numbers * r.activitiesPerMigrate + r.fleetStartActivities) / r.activityCapPerSecond) * 1000;
}

export async function runFleet(args: BenchArgs): Promise<SectionResult> {
  const started = Date.now();
  for (const level of args.fleetLevels) validateConcurrency(level); // before any stack starts
  // The stacks default to a 2 s Graph timeout, as long as the simulator's backup register: use the
  // configured production value instead (temporal.yaml), so a slow backup register is not an unknown outcome.
  const configured = loadConfig({ file: path.join(ROOT_DIR, 'temporal.yaml'), env: {} });
  const graphRequestTimeoutMs = configured.graph.requestTimeoutMs;
  const passes: PassSpec[] = args.fleetConfigured
    ? [{ label: 'as configured (temporal.yaml)', configEnv: {} }]
    : [];
  if (args.fleetRaisedCap > 0) {
    passes.push({
      label: `activity cap raised to ${args.fleetRaisedCap}/s`,
      configEnv: { WA_GRAPH_MAX_REQUESTS_PER_SECOND: String(args.fleetRaisedCap) },
    });
  }
  if (passes.length === 0) throw new Error('fleet: --no-fleet-configured needs --fleet-raised-cap N');
  const levels: FleetLevelResult[] = [];
  /** A level that broke is reported and the next one runs: a long run keeps what it measured. */
  const broken: { pass: string; concurrency: number; error: string }[] = [];
  for (const [p, pass] of passes.entries()) {
    for (const [l, concurrency] of args.fleetLevels.entries()) {
      console.error(
        `[bench] fleet: ${pass.label}, concurrency ${concurrency}, ${args.fleetNumbers} numbers…`,
      );
      let r: FleetLevelResult;
      try {
        r = await runLevel(pass, p, l, concurrency, args.fleetNumbers, graphRequestTimeoutMs);
      } catch (err) {
        const error = (err as Error).stack ?? String(err);
        console.error(`[bench] fleet: ${pass.label}, concurrency ${concurrency}: FAILED\n${error}`);
        broken.push({ pass: pass.label, concurrency, error });
        continue;
      }
      console.error(
        `[bench] fleet: ${pass.label}, concurrency ${concurrency}: ${formatDuration(r.wallMs)}, ` +
          `${fixed(r.opsPerSecond, 2)} ops/s, ${r.completed} completed, ${r.failed} failed`,
      );
      levels.push(r);
    }
  }

  const delays = [...new Set(levels.map((r) => r.simulatorBackupRegisterDelayMs))];
  const perMigrate = [...new Set(levels.map((r) => r.activitiesPerMigrate))];
  const rows = levels.map((r) => {
    const d = r.operationDurationsMs;
    const all = d.length === r.completed + r.failed;
    return [
      r.pass,
      r.activityCapPerSecond,
      r.concurrency,
      r.numbers,
      r.completed,
      r.failed + r.notStarted,
      formatDuration(r.wallMs),
      fixed(r.opsPerSecond, 2),
      formatDuration(capFloorMs(r)),
      r.fleetRuns,
      all ? formatDuration(percentile(d, 50)) : `${formatDuration(percentile(d, 50))} (of ${d.length} runs)`,
      formatDuration(percentile(d, 95)),
      formatDuration(percentile(d, 100)),
      r.graph.register133016,
    ];
  });
  const detailRows = levels.map((r) => [
    r.pass,
    r.concurrency,
    r.fleetStartActivities ?? 'n/a',
    `${r.graph.get} / ${r.graph.register} / ${r.graph.onprem}${r.graph.logTruncated ? ' (log truncated)' : ''}`,
    r.graph.maxRegistersPerNumber,
    rssCell(r.rssPeakBytes?.node, r.rssBeforeBytes?.node),
    rssCell(server(r.rssPeakBytes), server(r.rssBeforeBytes)),
    cpuCell(r.cpuSeconds),
    coresBusy(r),
  ]);
  const cpus = os.cpus().length;
  const markdown = [
    '## 4. Fleet, migrate (dev server)',
    '',
    `Per level: one \`migrate\` fleet (On-Premises → Cloud API) over ${args.fleetNumbers} freshly seeded ` +
      'numbers (on the On-Premises API, verified, name approved, On-Prem client running) at the given ' +
      'concurrency, started with `NumberLifecycleClient.startFleet` and awaited with `waitForFleet`. Every ' +
      'level runs on a fresh stack (dev server, simulator, worker) after one untimed warm-up migrate, so ' +
      "no level inherits the previous level's lifecycles, histories, worker cache or simulator request log " +
      '(which keeps 10,000 entries); numbers come from a distinct ID range per level all the same. No faults. ' +
      'Wall time is client side, fleet start → fleet result; ops/s = numbers / wall time.',
    '',
    table(
      ['Setting in effect', 'Value'],
      [
        [
          'graph.maxRequestsPerSecond (worker maxTaskQueueActivitiesPerSecond)',
          [...new Set(levels.map((r) => `${r.activityCapPerSecond}/s in pass "${r.pass}"`))].join('; '),
        ],
        [
          'graph.requestTimeoutMs',
          `${graphRequestTimeoutMs} ms (temporal.yaml; the test stacks default to 2000)`,
        ],
        [
          'Simulator backupRegisterDelayMs (GET /_sim/settings; not changed)',
          delays.map((d) => (d === null ? 'unknown' : `${d} ms`)).join(', '),
        ],
        [
          'Task-queue activities per migrate (warm-up histories: lifecycle + child run)',
          perMigrate.map((n) => (n === null ? 'unknown' : n)).join(', '),
        ],
        [
          'Dev-server dynamic config',
          'defaults (continue-as-new when the server suggests it, or past 10,000 events)',
        ],
      ],
    ),
    '',
    table(
      [
        'Pass',
        'Activity cap (/s)',
        'Concurrency',
        'Numbers',
        'Completed',
        'Failed + not started',
        'Wall time',
        'Ops/s',
        'Cap floor',
        'Fleet runs',
        'Op p50',
        'p95',
        'max',
        '133016',
      ],
      rows,
    ),
    '',
    table(
      [
        'Pass',
        'Concurrency',
        'Fleet start activities',
        'Graph GET / register / On-Prem calls',
        'Max registers per number',
        'RSS peak (before), node, MiB',
        'RSS peak (before), server, MiB',
        'CPU s (node / server)',
        'Cores busy (avg)',
      ],
      detailRows,
    ),
    '',
    '- "Cap floor": the least wall time the task-queue activity cap allows, (numbers × activities per ' +
      "migrate + the fleet's start activities) / cap; wall time near it means the cap, not the machine, " +
      'set the pace.',
    '- "Fleet runs": runs of `fleet:<id>` (`WorkflowId = "fleet:<id>"` count), i.e. 1 + continue-as-new count.',
    '- "Op p50/p95/max": each migrate child run, start → close (visibility; the time the operation ran in ' +
      "its number's lifecycle, including the simulator's backup-register delay), not the wait in the fleet.",
    '- "133016": register calls answered 133016 (the per-number register limit) in the whole simulator log.',
    '- "Fleet start activities": the fleet\'s `startFleetOperations` activities (one per batch of numbers ' +
      'it starts, up to 100; at low concurrency often one number each); they count against the same cap.',
    '- "RSS node" is this one process: the worker (with its workflow threads and Rust core), the ' +
      'simulator and the client, so it cannot be split; "server" is the Temporal dev server. "Before" is ' +
      'just before the fleet starts (after the stack start and warm-up). Sampled every 250 ms during the ' +
      `fleet. "CPU s" is user + system time during the fleet (from /proc); the machine has ${cpus} cores.`,
    ...broken.map(
      (b) => `\n### FAILED: ${b.pass}, concurrency ${b.concurrency}\n\n\`\`\`\n${b.error}\n\`\`\``,
    ),
  ].join('\n');
  if (levels.length === 0)
    throw new Error(`every fleet level failed:\n${broken.map((b) => b.error).join('\n')}`);
  return {
    name: 'fleet',
    title: 'Fleet, migrate',
    markdown,
    raw: { graphRequestTimeoutMs, levels, failedLevels: broken },
    wallMs: Date.now() - started,
  };
}
