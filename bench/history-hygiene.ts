// 7. History hygiene (issue 13), on the time-skipping server: how large a lifecycle's history gets while it
// sits idle, driven as hard as Meta's budget allows (register ↔ deregister) and with an operation Meta does
// not limit (set-pin), each until the lifecycle continues as new; and how long the replay corpus takes.
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import path from 'node:path';
import type { OperationRequestInput } from '../domain/operations';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { WORKFLOWS_PATH } from '../worker/create-worker';
import { CONTINUE_AS_NEW_WHEN_OLD } from '../workflows/lifecycle';
import { seedVerified } from '../test/helpers/seed';
import type { TestStack } from '../test/helpers/stack';
import { CORPUS_DIR, corpusFiles, readCorpus } from '../test/replay/corpus';
import { bundleForReplay, replayCorpus } from '../test/replay/replay-corpus';
import { formatDuration, table, type BenchArgs, type SectionResult } from './lib/common';

const PIN = '123456';

interface IdlePoint {
  op: number;
  runId: string;
  events: number;
  bytes: number;
  simulatedMs: number;
}

interface DriveResult {
  label: string;
  operations: number;
  /** Operations the first run took before it continued as new. */
  opsInFirstRun: number;
  /** Simulated time the first run lived. */
  firstRunMs: number;
  /** The largest history of the first run while idle (after an operation, before the next). */
  largestIdle: IdlePoint;
  reason: string;
  continued: boolean;
}

async function describeRun(stack: TestStack, id: string) {
  const handle = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  const d = await handle.describe();
  // The time-skipping server reports no history size: measure the encoded history itself.
  const history = await stack.env.client.workflow.getHandle(lifecycleWorkflowId(id), d.runId).fetchHistory();
  return {
    runId: d.runId,
    events: history.events?.length ?? 0,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    startMs: d.startTime.getTime(),
  };
}

/** Operations one after another on one number until its lifecycle continues as new (or `maxOps`). */
async function driveUntilContinued(
  stack: TestStack,
  label: string,
  id: string,
  next: (i: number) => OperationRequestInput,
  maxOps: number,
): Promise<DriveResult> {
  let first: Awaited<ReturnType<typeof describeRun>> | undefined;
  let largest: IdlePoint | undefined;
  let op = 0;
  for (; op < maxOps; op++) {
    const ticket = await stack.client.requestOperation(id, next(op));
    const done = await stack.operationResult(ticket);
    if (done.outcome !== 'completed' && done.outcome !== 'already-done') {
      throw new Error(`${label}: operation ${op + 1} ended ${done.outcome}: ${JSON.stringify(done.failure)}`);
    }
    const now = await describeRun(stack, id);
    first ??= now;
    if (now.runId !== first.runId) break;
    const point = {
      op: op + 1,
      runId: now.runId,
      events: now.events,
      bytes: now.bytes,
      simulatedMs: (await stack.env.currentTimeMs()) - first.startMs,
    };
    if (!largest || point.events > largest.events) largest = point;
  }
  const continued = op < maxOps;
  const old = stack.env.client.workflow.getHandle(lifecycleWorkflowId(id), first!.runId);
  const oldEvents = (await old.fetchHistory()).events ?? [];
  const oldHistory = JSON.stringify(oldEvents);
  const ageMarker = Buffer.from(JSON.stringify({ id: CONTINUE_AS_NEW_WHEN_OLD }))
    .toString('base64')
    .slice(0, 20);
  const reason = !continued
    ? `did not continue as new within ${maxOps} operations`
    : oldHistory.includes(ageMarker)
      ? 'run older than 7 days (patch continue-as-new-when-old)'
      : oldEvents.length > 2000
        ? `more than 2,000 events (${oldEvents.length} at its end)`
        : 'server suggested it';
  return {
    label,
    operations: op + (continued ? 1 : 0),
    opsInFirstRun: largest?.op ?? 0,
    firstRunMs: largest?.simulatedMs ?? 0,
    largestIdle: largest!,
    reason,
    continued,
  };
}

export async function runHistoryHygiene(stack: TestStack, args: BenchArgs): Promise<SectionResult> {
  const t0 = Date.now();
  const paced = '8870000001';
  const unpaced = '8870000002';
  await seedVerified(stack.sim, paced, { pin: PIN });
  await seedVerified(stack.sim, unpaced, { pin: PIN });
  const drives = [
    await driveUntilContinued(
      stack,
      'register ↔ deregister, as fast as Meta’s budget allows',
      paced,
      (i) => (i % 2 === 0 ? { operation: 'register', pin: PIN } : { operation: 'deregister' }),
      args.hygieneMaxOps,
    ),
    await driveUntilContinued(
      stack,
      'set-pin back to back (no Meta budget)',
      unpaced,
      () => ({ operation: 'set-pin', pin: PIN }),
      args.hygieneMaxOps,
    ),
  ];

  const corpus = readCorpus();
  const bytes = corpusFiles().reduce((sum, f) => sum + readFileSync(path.join(CORPUS_DIR, f)).length, 0);
  const b0 = Date.now();
  const bundle = await bundleForReplay(WORKFLOWS_PATH);
  const bundleMs = Date.now() - b0;
  const replay = await replayCorpus(corpus, bundle);
  const events = corpus.reduce((sum, e) => sum + e.events, 0);
  const largestEntry = corpus.reduce((a, b) => (b.events > a.events ? b : a));

  const markdown = [
    '## 7. History hygiene: the largest history an idle lifecycle keeps, and the replay corpus',
    '',
    'One number per row, one operation after another (each requested when the previous one finished), on the ' +
      'time-skipping server (budget waits take no real time), until its lifecycle continues as new. "Largest idle" ' +
      'is the first run’s history right after an operation, when it waits for the next: what a worker replays ' +
      'after evicting an idle number.',
    '',
    table(
      [
        'Driven by',
        'Operations in the first run',
        'First run lived (simulated)',
        'Largest idle: events',
        'bytes',
        'Continued as new because',
      ],
      drives.map((d) => [
        d.label,
        d.opsInFirstRun,
        formatDuration(d.firstRunMs),
        d.largestIdle.events,
        d.largestIdle.bytes,
        d.reason,
      ]),
    ),
    '',
    `Replay corpus (test/replay/histories): ${corpus.length} histories, ${events} events, ${bytes} bytes on disk ` +
      `(largest: ${largestEntry.name}, ${largestEntry.events} events). Replayed against the current workflow code in ` +
      `${formatDuration(replay.ms)} (bundling ${formatDuration(bundleMs)} before it); ${replay.failures.length} failed.`,
  ].join('\n');
  return {
    name: 'hygiene',
    title: 'History hygiene',
    markdown,
    raw: {
      drives,
      corpus: {
        files: corpus.length,
        events,
        bytes,
        replayMs: replay.ms,
        bundleMs,
        failures: replay.failures,
      },
    },
    wallMs: Date.now() - t0,
  };
}
