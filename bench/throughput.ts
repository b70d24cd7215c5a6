// 3. Throughput, small: N register operations on N distinct numbers, started concurrently through the
// client library, on the dev server (real time, real activities, the simulator over HTTP, no faults).
import os from 'node:os';
import { startTestStack, type TestStack } from '../test/helpers/stack';
import type { OperationRequestInput, OperationSummary } from '../client';
import {
  cpuSample,
  cpuSecondsBetween,
  fixed,
  formatDuration,
  percentile,
  runOperationsAtOnce,
  table,
  type BenchArgs,
  type SectionResult,
} from './lib/common';

const PIN = '123456';

/** How the caller waits: reading getState every 50 ms (waitForOperation), or on the long poll (runOperation). */
type WaitMode = 'poll' | 'long-poll';

/** One timed round: N fresh numbers, one register each, all requested at once. */
interface ThroughputRound {
  operations: number;
  completed: number;
  failed: number;
  /** Client side: first request sent → every update accepted. */
  acceptMs: number;
  /** Client side: first request sent → every operation seen finished. */
  wallMs: number;
  opsPerSecond: number;
  /** Server side (workflow clock): enqueuedAt → finishedAt of each operation, sorted. */
  latenciesMs: number[];
  graphRequests: { get: number; register: number };
  /** CPU seconds during the round, by process: node (client, worker, simulator) and the server. */
  cpuSeconds?: Record<string, number>;
}

interface ThroughputRun {
  label: string;
  waitMode: WaitMode;
  maxTaskQueueActivitiesPerSecond: number;
  stackStartMs: number;
  rounds: ThroughputRound[];
}

/** Every request at once, then each operation awaited by reading getState every 50 ms (waitForOperation). */
async function requestThenRead(
  client: TestStack['client'],
  ids: string[],
  request: OperationRequestInput,
  start: number,
): Promise<{ acceptMs: number; summaries: OperationSummary[] }> {
  const tickets = await Promise.all(ids.map((id) => client.requestOperation(id, request)));
  const acceptMs = Date.now() - start;
  const summaries = await Promise.all(
    ids.map((id, i) => client.waitForOperation(id, tickets[i]!.operationId, { pollIntervalMs: 50 })),
  );
  return { acceptMs, summaries };
}

async function timedRound(stack: TestStack, ids: string[], waitMode: WaitMode): Promise<ThroughputRound> {
  const { client, sim } = stack;
  for (const id of ids) {
    await sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED', pin: PIN });
  }
  const cpuBefore = cpuSample();
  const start = Date.now();
  const request = { operation: 'register', pin: PIN } as const;
  const { acceptMs, summaries } =
    waitMode === 'poll'
      ? await requestThenRead(client, ids, request, start)
      : await runOperationsAtOnce(client, ids, request, start);
  const wallMs = Date.now() - start;
  const cpuSeconds = cpuSecondsBetween(cpuBefore, cpuSample());

  const wanted = new Set(ids);
  const log = (await sim.requests()).filter((r) => wanted.has(r.phoneNumberId ?? ''));
  return {
    operations: ids.length,
    completed: summaries.filter((s) => s.status === 'completed').length,
    failed: summaries.filter((s) => s.status !== 'completed').length,
    acceptMs,
    wallMs,
    opsPerSecond: ids.length / (wallMs / 1000),
    latenciesMs: summaries
      .map((s) => Date.parse(s.finishedAt ?? '') - Date.parse(s.enqueuedAt))
      .sort((a, b) => a - b),
    graphRequests: {
      get: log.filter((r) => r.endpoint === 'get').length,
      register: log.filter((r) => r.endpoint === 'register').length,
    },
    cpuSeconds,
  };
}

async function runVariant(
  args: BenchArgs,
  label: string,
  configEnv: Record<string, string>,
  waitMode: WaitMode,
): Promise<ThroughputRun> {
  const t = Date.now();
  const stack = await startTestStack({ configEnv });
  const stackStartMs = Date.now() - t;
  try {
    // One operation first, not timed: the worker's first workflow task loads the bundle into its isolate.
    const warmup = '9989999999';
    await stack.sim.seed({
      id: warmup,
      code_verification_status: 'VERIFIED',
      name_status: 'APPROVED',
      pin: PIN,
    });
    const w = await stack.client.requestOperation(warmup, { operation: 'register', pin: PIN });
    await stack.client.waitForOperation(warmup, w.operationId, { pollIntervalMs: 50 });

    const rounds: ThroughputRound[] = [];
    for (let r = 0; r < args.rounds; r++) {
      const ids = Array.from({ length: args.ops }, (_, i) => String(9_990_000_000 + r * 100_000 + i + 1));
      rounds.push(await timedRound(stack, ids, waitMode));
    }
    return {
      label,
      waitMode,
      maxTaskQueueActivitiesPerSecond: stack.config.graph.maxRequestsPerSecond,
      stackStartMs,
      rounds,
    };
  } finally {
    await stack.stop();
  }
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function cpuTotal(r: ThroughputRound): number {
  return Object.values(r.cpuSeconds ?? {}).reduce((n, s) => n + s, 0);
}

function cpuCell(r: ThroughputRound): string {
  if (!r.cpuSeconds) return 'n/a';
  const node = r.cpuSeconds.node ?? 0;
  return `${fixed(node, 1)} / ${fixed(cpuTotal(r) - node, 1)}`;
}

export async function runThroughput(args: BenchArgs): Promise<SectionResult> {
  const started = Date.now();
  const runs: ThroughputRun[] = [];
  runs.push(await runVariant(args, 'as configured (temporal.yaml)', {}, 'poll'));
  if (args.uncapped) {
    // The worker caps activities on the task queue at graph.maxRequestsPerSecond (Meta's app-level limits);
    // lifted here to see what the orchestration itself does on this machine.
    const uncapped = { WA_GRAPH_MAX_REQUESTS_PER_SECOND: '100000' };
    runs.push(await runVariant(args, 'activity cap lifted', uncapped, 'poll'));
    runs.push(await runVariant(args, 'activity cap lifted, awaited on the long poll', uncapped, 'long-poll'));
  }
  const summaryRows = runs.map((run) => {
    const rounds = run.rounds;
    const pooled = rounds.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    return [
      run.label,
      run.maxTaskQueueActivitiesPerSecond,
      `${rounds.length} × ${args.ops}`,
      rounds.reduce((n, r) => n + r.completed, 0),
      rounds.reduce((n, r) => n + r.failed, 0),
      rounds.map((r) => fixed(r.opsPerSecond, 1)).join(' / '),
      fixed(median(rounds.map((r) => r.opsPerSecond)), 1),
      formatDuration(median(rounds.map((r) => r.wallMs))),
      formatDuration(median(rounds.map((r) => r.acceptMs))),
      formatDuration(percentile(pooled, 50)),
      formatDuration(percentile(pooled, 95)),
      formatDuration(percentile(pooled, 100)),
    ];
  });
  const roundRows = runs.flatMap((run) =>
    run.rounds.map((r, i) => [
      run.label,
      i + 1,
      formatDuration(r.acceptMs),
      formatDuration(r.wallMs),
      fixed(r.opsPerSecond, 1),
      `${r.graphRequests.register} + ${r.graphRequests.get}`,
      cpuCell(r),
      r.cpuSeconds ? fixed(cpuTotal(r) / (r.wallMs / 1000), 2) : 'n/a',
    ]),
  );
  const markdown = [
    '## 3. Throughput, small (dev server)',
    '',
    `Each round: ${args.ops} register operations on ${args.ops} fresh numbers, all requested concurrently ` +
      'through `NumberLifecycleClient.requestOperation` (update-with-start), then awaited with ' +
      '`waitForOperation` (a getState read every 50 ms), or, in the last variant, requested and awaited with ' +
      "`runOperation` (the lifecycle answers its Update when the operation ends: the server's long poll, no " +
      'reads). No faults; the simulator answers at once. ' +
      `${args.rounds} rounds per variant on one dev server, after one untimed warm-up operation. Wall time is ` +
      'client side, first request → last operation seen finished; latencies are server side (enqueuedAt → ' +
      'finishedAt on the workflow clock), pooled over the rounds. Each operation runs 2 activities ' +
      '(readPhoneNumber, registerPhoneNumber) and the loadPolicy local activity; the worker caps activities ' +
      'on the task queue at `graph.maxRequestsPerSecond` (local activities are not counted), so the ' +
      'configured 10/s allows at most 5 register operations per second.',
    '',
    table(
      [
        'Variant',
        'Activity cap (/s)',
        'Ops',
        'Completed',
        'Failed',
        'Ops/s per round',
        'Ops/s (median)',
        'Wall time (median)',
        'All accepted after (median)',
        'Latency p50',
        'p95',
        'max',
      ],
      summaryRows,
    ),
    '',
    table(
      [
        'Variant',
        'Round',
        'All accepted after',
        'Wall time',
        'Ops/s',
        'Graph register + GET',
        'CPU s (node / server)',
        'Cores busy (avg)',
      ],
      roundRows,
    ),
    '',
    '"CPU s" is user + system CPU time during the round (from /proc): `node` is this process (client, ' +
      'worker with its workflow threads, simulator), `server` the Temporal dev server. The machine has ' +
      `${os.cpus().length} cores, so "cores busy" cannot exceed ${os.cpus().length}.`,
    '',
    'The engine floor (the same count of trivial workflows on the same server) is section 5, `floor`.',
  ].join('\n');
  return { name: 'throughput', title: 'Throughput', markdown, raw: { runs }, wallMs: Date.now() - started };
}
