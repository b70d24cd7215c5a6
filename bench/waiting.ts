// 6. Waiting at scale: N numbers, each with a register operation sleeping on a durable timer until Meta's
// 72-hour block ends, on the dev server (real time, real activities, the simulator over HTTP). Measures
// what the N sleeping operations cost while they sleep (memory, server health, a fresh register beside
// them), then cancels them all and checks that none sent a register request.
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { WaPhoneNumberId } from '../domain/search-attributes';
import { seedManyVerified } from '../test/helpers/seed';
import { startTestStack, type TestStack } from '../test/helpers/stack';
import type { CarriedLifecycleState, LifecycleInput } from '../workflows/lifecycle';
import {
  cpuSample,
  cpuSecondsBetween,
  delay,
  fixed,
  formatDuration,
  historySummary,
  mapLimit,
  median,
  rssSample,
  sampleLatency,
  serverProcesses,
  serverShare,
  table,
  type BenchArgs,
  type LatencyStats,
  type SectionResult,
} from './lib/common';

const PIN = '123456';
const BLOCK_MS = 72 * 3_600_000;
/** Waiting numbers are 66NNNNNNNN; the warm-up and the fresh registers sit just below. */
const ID_BASE = 6_600_000_000;
const WARMUP_ID = '6599999999';
const IDLE_FRESH_ID = '6599999998';
const WAITING_FRESH_ID = '6599999997';
/** Client calls in flight while starting, requesting and cancelling. */
const IN_FLIGHT = 50;
const IDLE_HEALTH_MS = 10_000;
const WAITING_QUERY =
  "WorkflowType = 'phoneNumberLifecycle' AND ExecutionStatus = 'Running' AND WaLifecycleState = 'waiting-for-rate-limit'";
const RUNNING_REGISTERS = "WorkflowType = 'registerOperation' AND ExecutionStatus = 'Running'";

interface Health {
  durationMs: number;
  /** workflowService.getSystemInfo, back to back with 100 ms between calls. */
  getSystemInfo: LatencyStats;
  /** describe of one lifecycle workflow, 250 ms between calls. */
  describe: LatencyStats;
  /**
   * Every second: RSS of this process ("node": worker, simulator, client) and of the dev server, and the
   * CPU seconds each spent since the previous sample.
   */
  rss: { atMs: number; nodeBytes: number; serverBytes: number; nodeCpuS?: number; serverCpuS?: number }[];
  cpuSeconds?: Record<string, number>;
  /** A register on a fresh number, requested at the start of the window: request → completed. */
  freshRegisterMs: number;
  freshRegisterStatus: string;
}

export interface WaitingResult {
  numbers: number;
  blockHours: number;
  activityCapPerSecond: number;
  maxCachedWorkflows: number;
  serverProcesses?: { pid: number; name: string }[];
  stackStartMs: number;
  seedMs: number;
  /** Client side: every lifecycle started (carried ledger: register blocked) and every register requested. */
  startAndRequestMs: number;
  /** First start → the visibility count of waiting lifecycles reached N (or gave up). */
  allWaitingMs: number;
  waitingReached: number;
  waitingProgress: { atMs: number; waiting: number }[];
  /** listNumbers({ state: 'waiting-for-rate-limit' }) once all wait: rows for the N numbers. */
  listedWaiting: number;
  /** The longest timer in the first waiting operation's run (the sleep until the block ends), and its events. */
  sleepTimerMs: number;
  firstRunEvents: number;
  rssBeforeBytes?: { node: number; server: number };
  rssAfterStartBytes?: { node: number; server: number };
  idle: Omit<Health, 'rss'> & { rss: Health['rss'] };
  waiting: Health;
  /** Cancels: all N accepted, then every waiting operation closed (visibility). */
  cancelAcceptMs: number;
  cancelSettledMs: number;
  cancelResults: Record<string, number>;
  /** Of a sample of the numbers: the cancelled operation's failure type as the lifecycle records it. */
  cancelledSample: { checked: number; cancelled: number; other: string[] };
  stillWaitingAfterCancel: number;
  registerRunsStillRunning: number;
  graph: { registerFromWaiting: number; getFromWaiting: number; logTruncated: boolean };
  processMaxRssBytes: number;
}

const waitingIds = (n: number) => Array.from({ length: n }, (_, i) => String(ID_BASE + i + 1));

/**
 * Starts the number's lifecycle as continue-as-new would, carrying a ledger in which Meta blocked register
 * until `blockedUntil` (the shape of test/helpers/lifecycle.ts's startLifecycleWithLedger, with a block
 * instead of entries), with the search attribute and summary requestOperation's update-with-start sets.
 */
export async function startBlockedLifecycle(
  stack: TestStack,
  id: string,
  blockedUntil: number,
): Promise<void> {
  await startBlockedLifecycleOn(stack.env.client, stack.config.temporal.taskQueue, id, blockedUntil);
}

/** startBlockedLifecycle with any client and task queue (the scale benchmark's cluster). */
export async function startBlockedLifecycleOn(
  client: Client,
  taskQueue: string,
  id: string,
  blockedUntil: number,
): Promise<void> {
  const carried: CarriedLifecycleState = {
    ledger: { entries: [], blockedUntil: { register: blockedUntil } },
    registration: 'not-registered',
    verification: 'verified',
    sequence: 0,
    queue: [],
    recent: [],
    lastFailed: false,
  };
  const input: LifecycleInput = { phoneNumberId: id, carried };
  await client.workflow.start('phoneNumberLifecycle', {
    workflowId: lifecycleWorkflowId(id),
    taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: WaPhoneNumberId, value: id }],
    staticSummary: `lifecycle of phone number ${id}`,
  });
}

async function freshRegister(stack: TestStack, id: string): Promise<{ ms: number; status: string }> {
  await seedManyVerified(stack.sim, [id], { pin: PIN });
  const t = Date.now();
  const ticket = await stack.client.requestOperation(id, { operation: 'register', pin: PIN });
  const done = await stack.client.waitForOperation(id, ticket.operationId, { pollIntervalMs: 50 });
  return { ms: Date.now() - t, status: done.failure ? `${done.status}: ${done.failure.type}` : done.status };
}

function processRss(): { node: number; server: number } | undefined {
  const sample = rssSample();
  return sample ? { node: sample.node ?? 0, server: serverShare(sample) ?? 0 } : undefined;
}

/** Health figures over `ms`: the two latency loops, RSS every second, and a fresh register at the start. */
async function measureHealth(
  stack: TestStack,
  ms: number,
  describeId: string,
  freshId: string,
): Promise<Health> {
  const start = Date.now();
  const over = () => Date.now() - start >= ms;
  const cpuBefore = cpuSample();
  const rss: Health['rss'] = [];
  let lastCpu = cpuBefore;
  const rssTimer = setInterval(() => {
    const s = processRss();
    const cpu = cpuSample();
    const spent = cpuSecondsBetween(lastCpu, cpu);
    lastCpu = cpu;
    if (s) {
      rss.push({
        atMs: Date.now() - start,
        nodeBytes: s.node,
        serverBytes: s.server,
        ...(spent ? { nodeCpuS: spent.node ?? 0, serverCpuS: serverShare(spent) ?? 0 } : {}),
      });
    }
  }, 1000);
  const service = stack.env.client.workflowService;
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(describeId));
  try {
    const [getSystemInfo, describe, fresh] = await Promise.all([
      sampleLatency(() => service.getSystemInfo({}), over, 100),
      sampleLatency(() => handle.describe(), over, 250),
      freshRegister(stack, freshId),
    ]);
    const { latenciesMs: _a, ...info } = getSystemInfo;
    const { latenciesMs: _b, ...desc } = describe;
    return {
      durationMs: Date.now() - start,
      getSystemInfo: info,
      describe: desc,
      rss,
      cpuSeconds: cpuSecondsBetween(cpuBefore, cpuSample()),
      freshRegisterMs: fresh.ms,
      freshRegisterStatus: fresh.status,
    };
  } finally {
    clearInterval(rssTimer);
  }
}

async function countOf(stack: TestStack, query: string): Promise<number> {
  return (await stack.env.client.workflow.count(query)).count;
}

export async function runWaiting(args: BenchArgs): Promise<SectionResult> {
  const started = Date.now();
  const n = args.waitingNumbers;
  const t0 = Date.now();
  const stack = await startTestStack(
    args.waitingCache > 0
      ? { configEnv: { WA_TEMPORAL_MAX_CACHED_WORKFLOWS: String(args.waitingCache) } }
      : {},
  );
  const stackStartMs = Date.now() - t0;
  try {
    const cap = stack.config.graph.maxRequestsPerSecond;
    // Untimed: loads the workflow bundle into the worker. Then the idle reference figures.
    const warm = await freshRegister(stack, WARMUP_ID);
    if (warm.status !== 'completed') throw new Error(`warm-up register: ${warm.status}`);
    console.error(`[bench] waiting: idle health for ${formatDuration(IDLE_HEALTH_MS)}…`);
    const idle = await measureHealth(stack, IDLE_HEALTH_MS, WARMUP_ID, IDLE_FRESH_ID);
    const rssBeforeBytes = processRss();

    const ids = waitingIds(n);
    const s0 = Date.now();
    await seedManyVerified(stack.sim, ids, { pin: PIN });
    const seedMs = Date.now() - s0;

    console.error(`[bench] waiting: starting ${n} lifecycles with register blocked for 72 h…`);
    const blockedUntil = Date.now() + BLOCK_MS;
    const start = Date.now();
    const tickets = await mapLimit(ids, IN_FLIGHT, async (id) => {
      await startBlockedLifecycle(stack, id, blockedUntil);
      return stack.client.requestOperation(id, { operation: 'register', pin: PIN, requestedBy: 'bench' });
    });
    const startAndRequestMs = Date.now() - start;
    const rssAfterStartBytes = processRss();

    // Each operation reads the number (one GET, under the activity cap) before it goes to sleep.
    const limitMs = Math.max(180_000, (3 * n * 1000) / cap + 60_000);
    const waitingProgress: WaitingResult['waitingProgress'] = [];
    let waitingReached = 0;
    let lastLog = 0;
    for (;;) {
      waitingReached = await countOf(stack, WAITING_QUERY);
      const atMs = Date.now() - start;
      waitingProgress.push({ atMs, waiting: waitingReached });
      if (atMs - lastLog >= 10_000) {
        console.error(`[bench] waiting: ${waitingReached} of ${n} waiting after ${formatDuration(atMs)}`);
        lastLog = atMs;
      }
      if (waitingReached >= n || atMs > limitMs) break;
      await delay(500);
    }
    const allWaitingMs = Date.now() - start;
    // The first operation's run: the durable timer it sleeps on.
    const firstRun = await historySummary(stack.env.client.workflow.getHandle(tickets[0]!.workflowId));
    const sleepTimerMs = firstRun.timersMs.length > 0 ? Math.max(...firstRun.timersMs) : NaN;
    const listedWaiting = (
      await stack.client.listNumbers({ state: 'waiting-for-rate-limit', limit: Math.min(10_000, n + 10) })
    ).filter((row) => row.phoneNumberId.startsWith('66')).length;

    console.error(
      `[bench] waiting: ${waitingReached} waiting; measuring for ${args.waitingMeasureSeconds} s…`,
    );
    const waiting = await measureHealth(stack, args.waitingMeasureSeconds * 1000, ids[0]!, WAITING_FRESH_ID);

    console.error(`[bench] waiting: cancelling ${n} operations…`);
    const c0 = Date.now();
    const cancelResults: Record<string, number> = {};
    await mapLimit(ids, IN_FLIGHT, async (id) => {
      let status: string;
      try {
        status = (await stack.client.cancelOperation(id, { requestedBy: 'bench' })).status;
      } catch (err) {
        status = `error: ${(err as Error).message.slice(0, 80)}`;
      }
      cancelResults[status] = (cancelResults[status] ?? 0) + 1;
    });
    const cancelAcceptMs = Date.now() - c0;
    let stillWaitingAfterCancel = n;
    let registerRunsStillRunning = n;
    for (let i = 0; i < 600; i++) {
      [stillWaitingAfterCancel, registerRunsStillRunning] = await Promise.all([
        countOf(stack, WAITING_QUERY),
        countOf(stack, RUNNING_REGISTERS),
      ]);
      if (stillWaitingAfterCancel === 0 && registerRunsStillRunning === 0) break;
      await delay(500);
    }
    const cancelSettledMs = Date.now() - c0;

    const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(n / 20)) === 0).slice(0, 20);
    const other: string[] = [];
    let cancelled = 0;
    for (const id of sample) {
      const state = await stack.client.getState(id);
      const op = state?.recentOperations[0];
      if (op?.failure?.type === 'Cancelled') cancelled++;
      else other.push(`${id}: ${op ? `${op.status} ${op.failure?.type ?? ''}` : 'no finished operation'}`);
    }

    const wanted = new Set(ids);
    const log = await stack.sim.requests();
    const mine = log.filter((r) => wanted.has(r.phoneNumberId ?? ''));

    const result: WaitingResult = {
      numbers: n,
      blockHours: BLOCK_MS / 3_600_000,
      activityCapPerSecond: cap,
      maxCachedWorkflows: stack.worker.options.maxCachedWorkflows,
      serverProcesses: serverProcesses(),
      stackStartMs,
      seedMs,
      startAndRequestMs,
      allWaitingMs,
      waitingReached,
      waitingProgress,
      listedWaiting,
      sleepTimerMs,
      firstRunEvents: firstRun.events,
      rssBeforeBytes,
      rssAfterStartBytes,
      idle,
      waiting,
      cancelAcceptMs,
      cancelSettledMs,
      cancelResults,
      cancelledSample: { checked: sample.length, cancelled, other },
      stillWaitingAfterCancel,
      registerRunsStillRunning,
      graph: {
        registerFromWaiting: mine.filter((r) => r.endpoint === 'register').length,
        getFromWaiting: mine.filter((r) => r.endpoint === 'get').length,
        logTruncated: (log[0]?.seq ?? 1) > 1,
      },
      processMaxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    return {
      name: 'waiting',
      title: 'Waiting at scale',
      markdown: waitingMarkdown(result, args),
      raw: result,
      wallMs: Date.now() - started,
    };
  } finally {
    await stack.stop();
  }
}

const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : fixed(bytes / 2 ** 20, 0));
const ms = (v: number) => `${fixed(v, 1)} ms`;

function rssRange(h: Health, key: 'nodeBytes' | 'serverBytes'): string {
  if (h.rss.length === 0) return 'n/a';
  const values = h.rss.map((r) => r[key]);
  return `${mib(Math.min(...values))}–${mib(Math.max(...values))}`;
}

/**
 * Cores busy (CPU s per second) of this process: the median second (steady state) and the busiest one
 * (a burst such as a garbage collection shows there; the RSS series tells whether memory was freed).
 */
function nodeBusy(h: Health): string {
  const perSecond = h.rss.flatMap((x) => (x.nodeCpuS === undefined ? [] : [x.nodeCpuS]));
  if (perSecond.length === 0) return 'n/a';
  return `${fixed(median(perSecond), 2)} / ${fixed(Math.max(...perSecond), 2)}`;
}

function perNumberKiB(r: WaitingResult, key: 'nodeBytes' | 'serverBytes', before: 'node' | 'server'): string {
  const base = r.rssBeforeBytes?.[before];
  if (base === undefined || r.waiting.rss.length === 0) return 'n/a';
  const peak = Math.max(...r.waiting.rss.map((x) => x[key]));
  return fixed((peak - base) / 1024 / r.numbers, 0);
}

function waitingMarkdown(r: WaitingResult, args: BenchArgs): string {
  const health = (label: string, h: Health) => [
    label,
    formatDuration(h.durationMs),
    `${ms(h.getSystemInfo.p50Ms)} / ${ms(h.getSystemInfo.p99Ms)} / ${ms(h.getSystemInfo.maxMs)} (${h.getSystemInfo.samples}${h.getSystemInfo.errors ? `, ${h.getSystemInfo.errors} errors` : ''})`,
    `${ms(h.describe.p50Ms)} / ${ms(h.describe.p99Ms)} / ${ms(h.describe.maxMs)} (${h.describe.samples}${h.describe.errors ? `, ${h.describe.errors} errors` : ''})`,
    `${formatDuration(h.freshRegisterMs)} (${h.freshRegisterStatus})`,
    rssRange(h, 'nodeBytes'),
    rssRange(h, 'serverBytes'),
    h.cpuSeconds
      ? `${fixed(h.cpuSeconds.node ?? 0, 1)} / ${fixed(serverShare(h.cpuSeconds) ?? 0, 1)}`
      : 'n/a',
    nodeBusy(h),
  ];
  const server = r.serverProcesses?.map((p) => `${p.name} (pid ${p.pid})`).join(', ') ?? 'n/a';
  const allWaiting = r.waitingReached >= r.numbers;
  return [
    '## 6. Waiting at scale (dev server)',
    '',
    `${r.numbers} verified numbers, each with a lifecycle started carrying a ledger in which Meta blocked ` +
      `register for ${r.blockHours} h (as continue-as-new would carry it), then a register requested on ` +
      'each (`requestOperation`): every operation reads the number once and sleeps on a durable timer until ' +
      `the block ends. Once all wait (visibility count of \`${WAITING_QUERY}\`), ` +
      `${args.waitingMeasureSeconds} s are measured; then every operation is cancelled (\`cancelOperation\`) ` +
      'and the simulator log is checked for register requests from these numbers. The idle row is the ' +
      'same measurement for 10 s before the numbers were seeded (the stack holding one registered number).',
    '',
    table(
      ['Figure', 'Value'],
      [
        [
          'Numbers waiting',
          `${r.waitingReached} of ${r.numbers}${allWaiting ? '' : ' (gave up waiting for the rest)'}`,
        ],
        ['All lifecycles started and registers requested after', formatDuration(r.startAndRequestMs)],
        [`All ${r.numbers} reported waiting-for-rate-limit after`, formatDuration(r.allWaitingMs)],
        ['listNumbers({ state: waiting-for-rate-limit }) rows', r.listedWaiting],
        [
          "Durable timer in the first operation's run (its history events while waiting)",
          `${formatDuration(r.sleepTimerMs)} (${r.firstRunEvents})`,
        ],
        [
          'RSS node, MiB: before → after the starts → while waiting (min–max)',
          `${mib(r.rssBeforeBytes?.node)} → ${mib(r.rssAfterStartBytes?.node)} → ${rssRange(r.waiting, 'nodeBytes')}`,
        ],
        [
          'RSS node growth per waiting number, KiB ((while-waiting max − before) / N)',
          perNumberKiB(r, 'nodeBytes', 'node'),
        ],
        [
          'RSS server, MiB: before → after the starts → while waiting (min–max)',
          `${mib(r.rssBeforeBytes?.server)} → ${mib(r.rssAfterStartBytes?.server)} → ${rssRange(r.waiting, 'serverBytes')}`,
        ],
        ['RSS server growth per waiting number, KiB', perNumberKiB(r, 'serverBytes', 'server')],
        [
          'Fresh register while idle / while the numbers wait',
          `${formatDuration(r.idle.freshRegisterMs)} / ${formatDuration(r.waiting.freshRegisterMs)} (${r.waiting.freshRegisterStatus})`,
        ],
        [
          'Cancels accepted / all operations closed after',
          `${formatDuration(r.cancelAcceptMs)} / ${formatDuration(r.cancelSettledMs)}`,
        ],
        [
          'Cancel answers',
          Object.entries(r.cancelResults)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
        [
          `Cancelled operations recorded as Cancelled (sample of ${r.cancelledSample.checked})`,
          `${r.cancelledSample.cancelled}${r.cancelledSample.other.length ? ` (others: ${r.cancelledSample.other.join('; ')})` : ''}`,
        ],
        [
          'Still waiting / register runs still running after the cancels',
          `${r.stillWaitingAfterCancel} / ${r.registerRunsStillRunning}`,
        ],
        [
          'Simulator: register / GET requests from the waiting numbers',
          `**${r.graph.registerFromWaiting}** / ${r.graph.getFromWaiting}${r.graph.logTruncated ? ' (log truncated: older requests dropped)' : ''}`,
        ],
        ['Activity cap (graph.maxRequestsPerSecond)', `${r.activityCapPerSecond}/s`],
        [
          `Worker maxCachedWorkflows (${args.waitingCache > 0 ? 'temporal.maxCachedWorkflows' : 'SDK default from the heap size'})`,
          r.maxCachedWorkflows,
        ],
        ['Dev server process', server],
      ],
    ),
    '',
    table(
      [
        'Window',
        'Length',
        'getSystemInfo p50 / p99 / max (calls)',
        'describe lifecycle p50 / p99 / max (calls)',
        'Fresh register',
        'RSS node, MiB',
        'RSS server, MiB',
        'CPU s (node / server)',
        'Node cores busy, median second / busiest second',
      ],
      [health('idle, before seeding', r.idle), health(`${r.waitingReached} numbers waiting`, r.waiting)],
    ),
    '',
    '- "RSS node" is this one process: the worker (its workflow cache holds the sleeping lifecycles and ' +
      'operation runs), the simulator and the client, so it cannot be split; "server" is the Temporal dev ' +
      'server (its descendant processes, esbuild excluded). RSS is sampled every second in each window. ' +
      'The growth per number divides by N what grew from before the seeding to the peak while waiting, ' +
      'one-off costs included, so it reads high at small N.',
    "- getSystemInfo is a cheap frontend call (100 ms between calls); describe reads one lifecycle's " +
      'execution from persistence (250 ms between calls). Both run while the fresh register runs.',
    '- Fresh register: `requestOperation` → `waitForOperation` (50 ms poll) on a number seeded just before; ' +
      'it shares the task-queue activity cap with nothing else then, since the waiting numbers are asleep.',
    `- The machine has ${os.cpus().length} cores; "CPU s" is user + system time in the window (from /proc), ` +
      'and "cores busy" the same per second (sampled with RSS; the per-second series is in raw.json).',
  ].join('\n');
}
