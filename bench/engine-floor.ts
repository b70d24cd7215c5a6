// 5. Engine floor vs ours: N register operations through our workflows (update-with-start on the
// number's lifecycle, which runs the operation itself, the simulator over HTTP) next to N trivial workflows
// that make the same activity calls and nothing else (bench/baseline-workflow.ts), on the same dev server,
// on their own task queue with the same task-queue activity cap, started the same way: all at once.
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { seedManyVerified } from '../test/helpers/seed';
import { startTestStack, TEST_TOKEN, type TestStack } from '../test/helpers/stack';
import type {
  FloorActivities,
  FloorGraphActivities,
  floorFlat,
  floorGraph,
  floorParent,
} from './baseline-workflow';
import { createActivities } from '../activities';
import { operationPolicy } from '../platform/config';
import { createGraphClient } from '../worker/create-worker';
import {
  cpuSample,
  cpuSecondsBetween,
  fixed,
  formatDuration,
  historySummary,
  mapLimit,
  median,
  percentile,
  runOperationsAtOnce,
  serverShare,
  table,
  workflowTaskTimings,
  type WorkflowTaskTiming,
  type BenchArgs,
  type HistorySummary,
  type SectionResult,
} from './lib/common';
import type { Bar } from './lib/svg-chart';

const PIN = '123456';
const WARMUP_ID = '8899999999';
/** Ours: numbers 88CRNNNNNN (C the cap variant, R the round). */
const ID_BASE = 8_800_000_000;
/** The floor with Graph calls: numbers 87CRNNNNNN. */
const GRAPH_WARMUP_ID = '8799999999';
const GRAPH_ID_BASE = 8_700_000_000;

const FLOOR_TYPE: Record<FloorSide, 'floorFlat' | 'floorGraph' | 'floorParent'> = {
  floor: 'floorFlat',
  'floor-graph': 'floorGraph',
  'floor-parent-child': 'floorParent',
};
type FloorWorkflow = typeof floorFlat | typeof floorGraph | typeof floorParent;

type Side = 'ours' | 'floor' | 'floor-graph' | 'floor-parent-child';
type FloorSide = Exclude<Side, 'ours'>;
const SIDE_LABEL: Record<Side, string> = {
  ours: 'ours: register operation',
  floor: 'floor: 1 workflow',
  'floor-graph': 'floor: 1 workflow, Graph calls',
  'floor-parent-child': 'floor: parent → child',
};

export interface FloorRound {
  side: Side;
  round: number;
  operations: number;
  completed: number;
  failed: number;
  /** Client side: first start sent → every start (ours: every update-with-start) accepted. */
  acceptMs: number;
  /** Client side: first start sent → every workflow closed (ours: every operation's end answered). */
  wallMs: number;
  opsPerSecond: number;
  /** Server side per operation, sorted: ours enqueuedAt → finishedAt; floor start → close of the (parent) workflow. */
  latenciesMs: number[];
  cpuSeconds?: Record<string, number>;
  /** Queue wait of every workflow task of the round's runs (scheduled → started), read after the timing. */
  workflowTaskWait: TaskWaitStats;
}

export interface TaskWaitStats {
  tasks: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Tasks that waited more than a second for a worker to pick them up. */
  overOneSecond: number;
  /** How long the worker held each run's first task (started → completed, p50; ours: with the local activities it runs). */
  firstHeldP50Ms: number;
  /** The same for every later task. */
  laterHeldP50Ms: number;
}

async function taskWaitStats(client: Client, workflowIds: string[]): Promise<TaskWaitStats> {
  const runs = await mapLimit(workflowIds, 10, async (id) =>
    workflowTaskTimings((await client.workflow.getHandle(id).fetchHistory()).events ?? []),
  );
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const waits = sorted(runs.flat().map((t) => t.waitMs));
  const held = (tasks: WorkflowTaskTiming[]) =>
    tasks.flatMap((t) => (t.runMs === undefined ? [] : [t.runMs]));
  return {
    tasks: waits.length,
    p50Ms: percentile(waits, 50),
    p99Ms: percentile(waits, 99),
    maxMs: percentile(waits, 100),
    overOneSecond: waits.filter((w) => w > 1000).length,
    firstHeldP50Ms: percentile(sorted(held(runs.map((tasks) => tasks[0]!))), 50),
    laterHeldP50Ms: percentile(sorted(held(runs.flatMap((tasks) => tasks.slice(1)))), 50),
  };
}

/** What one operation (one warm-up) put in the histories: ours its lifecycle; floor its workflow(s). */
export interface PerOperationHistory {
  side: Side;
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  childWorkflows: number;
  signals: number;
  updates: number;
}

export interface FloorVariant {
  label: string;
  /** graph.maxRequestsPerSecond: maxTaskQueueActivitiesPerSecond of both workers. */
  activityCapPerSecond: number;
  stackStartMs: number;
  histories: PerOperationHistory[];
  rounds: FloorRound[];
}

const FLOOR_QUEUE = `bench-floor-${process.pid}`;

let floorBundle: Awaited<ReturnType<typeof bundleWorkflowCode>> | undefined;
async function bundle() {
  floorBundle ??= await bundleWorkflowCode({
    workflowsPath: require.resolve('./baseline-workflow'),
    logger: new DefaultLogger('WARN'),
  });
  return floorBundle;
}

const floorActivities: FloorActivities = {
  floorLocal: () => Promise.resolve({ ok: true }),
  floorActivity: () => Promise.resolve({ ok: true }),
};

/** The product's readPhoneNumber and registerPhoneNumber, on a Graph client of the stack's simulator. */
function graphActivities(stack: TestStack): FloorGraphActivities {
  const { readPhoneNumber, registerPhoneNumber } = createActivities({
    graph: createGraphClient(stack.config, TEST_TOKEN),
    policy: () => operationPolicy(stack.config),
  });
  return { readPhoneNumber, registerPhoneNumber };
}

function perOperation(side: Side, histories: HistorySummary[]): PerOperationHistory {
  const sum = (type: string) => histories.reduce((n, h) => n + (h.byType[type] ?? 0), 0);
  return {
    side,
    events: histories.reduce((n, h) => n + h.events, 0),
    workflowTasks: sum('WORKFLOW_TASK_COMPLETED'),
    activities: sum('ACTIVITY_TASK_SCHEDULED'),
    localActivities: sum('MARKER_RECORDED'),
    childWorkflows: sum('START_CHILD_WORKFLOW_EXECUTION_INITIATED'),
    signals: sum('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED') + sum('WORKFLOW_EXECUTION_SIGNALED'),
    updates: sum('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'),
  };
}

async function oursWarmup(stack: TestStack): Promise<PerOperationHistory> {
  await seedManyVerified(stack.sim, [WARMUP_ID], { pin: PIN });
  const done = await stack.client.runOperation(WARMUP_ID, { operation: 'register', pin: PIN });
  if (done.status !== 'completed')
    throw new Error(`warm-up register failed: ${JSON.stringify(done.failure)}`);
  const client = stack.env.client.workflow;
  // The operation runs inside the lifecycle (issue 11): its history is the whole cost.
  return perOperation('ours', [await historySummary(client.getHandle(lifecycleWorkflowId(WARMUP_ID)))]);
}

/** A floor workflow's arguments: floorGraph registers a seeded number, the others take none. */
const floorArgs = (side: FloorSide, phoneNumberId: string): [string, string] | [] =>
  side === 'floor-graph' ? [phoneNumberId, PIN] : [];

async function floorWarmup(stack: TestStack, side: FloorSide): Promise<PerOperationHistory> {
  const workflowId = `floor-warmup-${side}-${Date.now().toString(36)}`;
  if (side === 'floor-graph') await seedManyVerified(stack.sim, [GRAPH_WARMUP_ID], { pin: PIN });
  const handle = await stack.env.client.workflow.start<FloorWorkflow>(FLOOR_TYPE[side], {
    taskQueue: FLOOR_QUEUE,
    workflowId,
    args: floorArgs(side, GRAPH_WARMUP_ID),
  });
  await handle.result();
  const client = stack.env.client.workflow;
  const histories = [await historySummary(handle)];
  if (side === 'floor-parent-child')
    histories.push(await historySummary(client.getHandle(`${workflowId}:child`)));
  return perOperation(side, histories);
}

async function oursRound(stack: TestStack, round: number, ids: string[]): Promise<FloorRound> {
  const { client } = stack;
  await seedManyVerified(stack.sim, ids, { pin: PIN });
  const cpuBefore = cpuSample();
  const start = Date.now();
  // Each caller waits as the floor's does, on the server's long poll (runOperation), not by reading.
  const { acceptMs, summaries } = await runOperationsAtOnce(
    client,
    ids,
    { operation: 'register', pin: PIN },
    start,
  );
  const wallMs = Date.now() - start;
  const cpuSeconds = cpuSecondsBetween(cpuBefore, cpuSample());
  const completed = summaries.filter((s) => s.status === 'completed').length;
  return {
    side: 'ours',
    round,
    operations: ids.length,
    completed,
    failed: ids.length - completed,
    acceptMs,
    wallMs,
    opsPerSecond: ids.length / (wallMs / 1000),
    latenciesMs: summaries
      .map((s) => Date.parse(s.finishedAt ?? '') - Date.parse(s.enqueuedAt))
      .sort((a, b) => a - b),
    cpuSeconds,
    workflowTaskWait: await taskWaitStats(stack.env.client, ids.map(lifecycleWorkflowId)),
  };
}

async function floorRound(
  stack: TestStack,
  side: FloorSide,
  round: number,
  n: number,
  variant: number,
): Promise<FloorRound> {
  const client = stack.env.client.workflow;
  const ids = Array.from({ length: n }, (_, i) => `floor-${variant}-${side}-${round}-${i + 1}`);
  const numbers = ids.map((_, i) => String(GRAPH_ID_BASE + variant * 10_000_000 + round * 100_000 + i + 1));
  if (side === 'floor-graph') await seedManyVerified(stack.sim, numbers, { pin: PIN });
  const cpuBefore = cpuSample();
  const start = Date.now();
  const handles = await Promise.all(
    ids.map((workflowId, i) =>
      client.start<FloorWorkflow>(FLOOR_TYPE[side], {
        taskQueue: FLOOR_QUEUE,
        workflowId,
        args: floorArgs(side, numbers[i]!),
      }),
    ),
  );
  const acceptMs = Date.now() - start;
  const settled = await Promise.allSettled(handles.map((h) => h.result()));
  const wallMs = Date.now() - start;
  const cpuSeconds = cpuSecondsBetween(cpuBefore, cpuSample());
  const described = await Promise.all(handles.map((h) => h.describe()));
  return {
    side,
    round,
    operations: n,
    completed: settled.filter((s) => s.status === 'fulfilled').length,
    failed: settled.filter((s) => s.status === 'rejected').length,
    acceptMs,
    wallMs,
    opsPerSecond: n / (wallMs / 1000),
    latenciesMs: described
      .map((d) => (d.closeTime?.getTime() ?? NaN) - d.startTime.getTime())
      .sort((a, b) => a - b),
    cpuSeconds,
    workflowTaskWait: await taskWaitStats(stack.env.client, [
      ...ids,
      ...(side === 'floor-parent-child' ? ids.map((id) => `${id}:child`) : []),
    ]),
  };
}

async function runVariant(
  args: BenchArgs,
  variantIndex: number,
  label: string,
  configEnv: Record<string, string>,
): Promise<FloorVariant> {
  const t = Date.now();
  const stack = await startTestStack({
    configEnv,
    devServerArgs: args.floorDynamicConfig.flatMap((setting) => ['--dynamic-config-value', setting]),
  });
  const stackStartMs = Date.now() - t;
  const cap = stack.config.graph.maxRequestsPerSecond;
  const worker = await Worker.create({
    connection: stack.env.nativeConnection,
    namespace: stack.config.temporal.namespace,
    taskQueue: FLOOR_QUEUE,
    workflowBundle: await bundle(),
    activities: { ...floorActivities, ...graphActivities(stack) },
    dataConverter: stack.dataConverter,
    // The same cap as our worker's (worker/create-worker.ts); it is per task queue, so each side has its own.
    maxTaskQueueActivitiesPerSecond: cap,
  });
  const running = worker.run();
  try {
    const sides: Side[] = [
      'ours',
      'floor',
      'floor-graph',
      ...(args.floorParentChild ? ['floor-parent-child' as const] : []),
    ];
    // Untimed: loads each bundle into the worker's isolates; their histories give the per-operation counts.
    const histories: PerOperationHistory[] = [];
    for (const side of sides) {
      histories.push(side === 'ours' ? await oursWarmup(stack) : await floorWarmup(stack, side));
    }
    const rounds: FloorRound[] = [];
    for (let r = 0; r < args.floorRounds; r++) {
      // The order rotates each round, so no side always runs first (or right after the other's cleanup).
      const order = sides.map((_, i) => sides[(i + r) % sides.length]!);
      for (const side of order) {
        console.error(`[bench] floor: ${label}, round ${r + 1}, ${SIDE_LABEL[side]}…`);
        if (side === 'ours') {
          const ids = Array.from({ length: args.floorOps }, (_, i) =>
            String(ID_BASE + variantIndex * 10_000_000 + r * 100_000 + i + 1),
          );
          rounds.push(await oursRound(stack, r + 1, ids));
        } else {
          rounds.push(await floorRound(stack, side, r + 1, args.floorOps, variantIndex));
        }
      }
    }
    return { label, activityCapPerSecond: cap, stackStartMs, histories, rounds };
  } finally {
    worker.shutdown();
    await running;
    await stack.stop();
  }
}

function cpuCell(r: FloorRound): string {
  if (!r.cpuSeconds) return 'n/a';
  return `${fixed(r.cpuSeconds.node ?? 0, 1)} / ${fixed(serverShare(r.cpuSeconds) ?? 0, 1)}`;
}

const capLabel = (v: FloorVariant) =>
  v.activityCapPerSecond >= 100_000 ? 'cap lifted' : `cap ${v.activityCapPerSecond}/s`;

/**
 * Median CPU milliseconds per operation of a side (this process plus the server, per completed operation):
 * steadier than ops/s when the cores are the limit and a round's pace swings with the server's matching.
 */
function sideCpuMsPerOp(v: FloorVariant, side: Side): number | undefined {
  const perOp = v.rounds.flatMap((r) => {
    if (r.side !== side || !r.cpuSeconds || r.completed === 0) return [];
    return [(((r.cpuSeconds.node ?? 0) + (serverShare(r.cpuSeconds) ?? 0)) * 1000) / r.completed];
  });
  return perOp.length ? median(perOp) : undefined;
}

/** "; CPU per operation: …", and the floor's CPU over ours (the pace the cores allow ours, × floor). */
function cpuPerOpNote(v: FloorVariant): string {
  const ours = sideCpuMsPerOp(v, 'ours');
  const floor = sideCpuMsPerOp(v, 'floor');
  const graph = sideCpuMsPerOp(v, 'floor-graph');
  if (ours === undefined || floor === undefined) return '';
  const withGraph = graph === undefined ? '' : `, with Graph calls ${fixed(graph, 0)} ms`;
  const graphRatio = graph === undefined ? '' : ` (with Graph calls ${fixed(graph / ours, 2)})`;
  return (
    `; CPU per operation (this process + server): ours ${fixed(ours, 0)} ms, floor ${fixed(floor, 0)} ms` +
    `${withGraph}; floor CPU ÷ ours ${fixed(floor / ours, 2)}${graphRatio}`
  );
}

/** Median ops/s of a side in a variant. */
function sideOps(v: FloorVariant, side: Side): number {
  return median(v.rounds.filter((r) => r.side === side).map((r) => r.opsPerSecond));
}

export async function runEngineFloor(args: BenchArgs): Promise<SectionResult> {
  const started = Date.now();
  const variants: FloorVariant[] = [];
  variants.push(await runVariant(args, 0, 'as configured (temporal.yaml)', {}));
  if (args.uncapped) {
    variants.push(
      await runVariant(args, 1, 'activity cap lifted', { WA_GRAPH_MAX_REQUESTS_PER_SECOND: '100000' }),
    );
  }

  const summaryRows = variants.flatMap((v) => {
    const sides = [...new Set(v.rounds.map((r) => r.side))];
    const floor = sideOps(v, 'floor');
    return sides.map((side) => {
      const rounds = v.rounds.filter((r) => r.side === side);
      const pooled = rounds.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
      const ops = sideOps(v, side);
      return [
        v.label,
        v.activityCapPerSecond,
        SIDE_LABEL[side],
        `${rounds.length} × ${args.floorOps}`,
        `${rounds.reduce((n, r) => n + r.completed, 0)} / ${rounds.reduce((n, r) => n + r.failed, 0)}`,
        rounds.map((r) => fixed(r.opsPerSecond, 1)).join(' / '),
        fixed(ops, 1),
        side === 'floor' ? '1' : fixed(ops / floor, 2),
        formatDuration(median(rounds.map((r) => r.wallMs))),
        formatDuration(median(rounds.map((r) => r.acceptMs))),
        formatDuration(percentile(pooled, 50)),
        formatDuration(percentile(pooled, 95)),
      ];
    });
  });
  const roundRows = variants.flatMap((v) =>
    v.rounds.map((r) => [
      v.label,
      r.round,
      SIDE_LABEL[r.side],
      formatDuration(r.acceptMs),
      formatDuration(r.wallMs),
      fixed(r.opsPerSecond, 1),
      cpuCell(r),
      r.cpuSeconds
        ? fixed(((r.cpuSeconds.node ?? 0) + (serverShare(r.cpuSeconds) ?? 0)) / (r.wallMs / 1000), 2)
        : 'n/a',
      `${formatDuration(r.workflowTaskWait.p50Ms)} / ${formatDuration(r.workflowTaskWait.p99Ms)} / ` +
        `${formatDuration(r.workflowTaskWait.maxMs)}`,
      `${r.workflowTaskWait.overOneSecond} of ${r.workflowTaskWait.tasks}`,
      `${formatDuration(r.workflowTaskWait.firstHeldP50Ms)} / ${formatDuration(r.workflowTaskWait.laterHeldP50Ms)}`,
    ]),
  );
  const historyRows = (variants[0]?.histories ?? []).map((h) => [
    SIDE_LABEL[h.side],
    h.events,
    h.workflowTasks,
    h.activities,
    h.localActivities,
    h.childWorkflows,
    h.signals,
    h.updates,
  ]);
  const ratioLine = variants
    .map((v) => {
      const pc = args.floorParentChild
        ? `, parent → child ${fixed(sideOps(v, 'floor-parent-child'), 1)}`
        : '';
      const ours = sideOps(v, 'ours');
      const graph = sideOps(v, 'floor-graph');
      return (
        `${v.label} (cap ${v.activityCapPerSecond}/s): ours ${fixed(ours, 1)} ops/s, floor ` +
        `${fixed(sideOps(v, 'floor'), 1)}, with Graph calls ${fixed(graph, 1)}${pc}; ours/floor ` +
        `**${fixed(ours / sideOps(v, 'floor'), 2)}**, ours/floor with Graph calls **${fixed(ours / graph, 2)}**` +
        cpuPerOpNote(v)
      );
    })
    .map((l) => `- ${l}`);

  const bars: Bar[] = variants.flatMap((v) =>
    [...new Set(v.rounds.map((r) => r.side))].map((side) => {
      const ops = sideOps(v, side);
      const ratio = side === 'floor' ? '' : ` (${fixed(ops / sideOps(v, 'floor'), 2)} × floor)`;
      return {
        label: `${capLabel(v)}: ${SIDE_LABEL[side]}`,
        value: ops,
        series: SIDE_LABEL[side],
        note: `${fixed(ops, 1)} ops/s${ratio}`,
        group: v.label,
      };
    }),
  );

  const cpus = os.cpus().length;
  const markdown = [
    '## 5. Engine floor vs ours (dev server)',
    '',
    `Each round, per side: ${args.floorOps} at once. **Ours**: ${args.floorOps} register operations on fresh ` +
      'numbers through `NumberLifecycleClient.runOperation` (update-with-start of the lifecycle, which runs ' +
      "the operation itself, the simulator over HTTP), each caller waiting on the server's long poll for " +
      'the Update that answers when the operation ends (no getState reads). ' +
      `**Floor**: ${args.floorOps} trivial workflows (\`bench/baseline-workflow.ts\`, its own bundle, a second ` +
      'worker on its own task queue in this process) making the same activity calls as one register ' +
      'operation and nothing else: one local activity (stands for loadPolicy) and two task-queue ' +
      'activities (readPhoneNumber, registerPhoneNumber) that return at once, started with ' +
      '`workflow.start` and awaited with `result()`. **With Graph calls**: the same workflow, whose two ' +
      "activities are the product's own readPhoneNumber and registerPhoneNumber, sending the same HTTP " +
      'requests to the simulator as ours on seeded numbers (so the floor pays for the Graph calls too). ' +
      (args.floorParentChild
        ? "**Parent → child**: the floor in the lifecycle's shape, a parent running the local activity and " +
          'then one child running the two activities. '
        : '') +
      'Both workers share the dev server, the data converter (payload encryption) and the task-queue activity ' +
      'cap (`graph.maxRequestsPerSecond`, per task queue). Each variant runs on a fresh stack, after one ' +
      `untimed warm-up per side; ${args.floorRounds} round(s), the order of the sides rotating each round. ` +
      (args.floorDynamicConfig.length
        ? `Dev server dynamic config: ${args.floorDynamicConfig.map((c) => `\`${c}\``).join(', ')}. `
        : '') +
      'Wall time is client side, first start → last workflow closed; ops/s = operations / wall time.',
    '',
    ...ratioLine,
    '',
    table(
      [
        'Variant',
        'Activity cap (/s)',
        'Side',
        'Ops',
        'Completed / failed',
        'Ops/s per round',
        'Ops/s (median)',
        '× floor',
        'Wall time (median)',
        'All accepted after (median)',
        'Latency p50',
        'p95',
      ],
      summaryRows,
    ),
    '',
    'Per operation, from the warm-up histories (ours: the lifecycle, started by this operation; floor: ' +
      `the workflow${args.floorParentChild ? ', or parent plus child' : ''}):`,
    '',
    table(
      [
        'Side',
        'History events',
        'Workflow tasks',
        'Activities',
        'Local activities',
        'Child workflows',
        'Signals (sent + received)',
        'Updates',
      ],
      historyRows,
    ),
    '',
    table(
      [
        'Variant',
        'Round',
        'Side',
        'All accepted after',
        'Wall time',
        'Ops/s',
        'CPU s (node / server)',
        'Cores busy (avg)',
        'WF task queue wait p50 / p99 / max',
        'WF tasks waiting > 1 s',
        'WF task held p50: first / later',
      ],
      roundRows,
    ),
    '',
    '- "× floor": the side\'s median ops/s over the floor\'s (ours/floor); below 1 is slower than the floor.',
    '- At the configured cap the floor is the cap itself: 2 task-queue activities per operation, so at ' +
      'most cap/2 ops/s on either side; the lifted variant shows what the orchestration costs on this machine.',
    '- "WF task queue wait": how long each workflow task of the round\'s runs waited for a worker to pick ' +
      'it up (WORKFLOW_TASK_SCHEDULED → STARTED in the histories, read after the round). Both workers poll ' +
      "with the SDK's defaults; a wall time far above the latency p50 usually comes with tasks that waited " +
      "over a second here (the server matching a new run's first task to a poller), not with slow workflow code.",
    '- "WF task held": how long the worker held a task (STARTED → COMPLETED), p50 over each run\'s first ' +
      'task and over the later ones. A first task holds its local activities (ours: the ledger recovery, the ' +
      'policy; the floor: its one local activity) and answers the request only when it completes.',
    '- Latency: ours, enqueuedAt → finishedAt on the workflow clock; floor, start → close of the ' +
      `${args.floorParentChild ? '(parent) ' : ''}workflow (describe).`,
    '- "CPU per operation": a round\'s CPU s (both columns) per completed operation, median over rounds. When ' +
      'the cores are the limit (cap lifted: most rounds keep 1.8 of 2 cores busy), floor CPU ÷ ours is the pace ' +
      'ours can reach against the floor; it moves far less between runs than the ops/s ratio.',
    '- "CPU s" is user + system time during the round (from /proc): `node` is this process (client, both ' +
      `workers, simulator), \`server\` the Temporal dev server. The machine has ${cpus} cores.`,
  ].join('\n');
  return {
    name: 'floor',
    title: 'Engine floor vs ours',
    markdown,
    raw: { floorOps: args.floorOps, variants },
    wallMs: Date.now() - started,
    charts: [
      {
        name: 'engine-floor',
        title: `Engine floor vs ours: ${args.floorOps} register operations at once (median of ${args.floorRounds} round${args.floorRounds === 1 ? '' : 's'})`,
        unit: 'operations per second (higher is better)',
        bars,
      },
    ],
  };
}
