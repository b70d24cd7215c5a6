// `npm run bench`: runs the benchmark sections, prints each as it finishes and writes
// bench/results/<timestamp>-report.md, <timestamp>-raw.json and latest-report.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startTestStack, type TestStack } from '../test/helpers/stack';
import { runBudgetEfficiency } from './budget-efficiency';
import { runEngineFloor } from './engine-floor';
import { runFleet } from './fleet';
import { runHistoryEvents } from './history-events';
import { runHistoryHygiene } from './history-hygiene';
import {
  formatDuration,
  machineFacts,
  machineMarkdown,
  parseArgs,
  type BenchArgs,
  type Section,
  type SectionResult,
} from './lib/common';
import { withCharts } from './lib/charts';
import { renderBarChart } from './lib/svg-chart';
import { runThroughput } from './throughput';
import { runWaiting } from './waiting';

const RESULTS_DIR = path.join(__dirname, 'results');

interface Failure {
  name: Section;
  error: string;
}

/**
 * The budget section makes hundreds of Graph calls fail on purpose, and the worker logs each failed
 * activity as a warning on stderr; the waiting section cancels up to thousands of operations, and the
 * worker logs each cancelled run ("Workflow failed": "cancelled before register succeeded"). Those
 * expected ones are counted instead of printed, unless --verbose; every other warning still shows.
 */
function quietExpectedActivityFailures(): () => number {
  let quieted = 0;
  const logger = Runtime.instance().logger;
  if (process.argv.includes('--verbose') || !(logger instanceof DefaultLogger)) return () => quieted;
  const log = logger.log.bind(logger);
  logger.log = (level, message, meta) => {
    const error = meta?.error as { type?: unknown; message?: unknown } | undefined;
    const type = error?.type;
    if (message === 'Activity failed' && typeof type === 'string' && type.startsWith('Graph')) quieted++;
    // A workflow's failure reaches the log from its thread as a plain Error: its message tells, not its type.
    else if (
      message === 'Workflow failed' &&
      typeof error?.message === 'string' &&
      error.message.startsWith('cancelled before')
    )
      quieted++;
    else log(level, message, meta);
  };
  return () => quieted;
}

async function main(): Promise<number> {
  const quieted = quietExpectedActivityFailures();
  const args = parseArgs(process.argv.slice(2).filter((a) => a !== '--verbose'));
  const machine = machineFacts();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const reportFile = path.join(RESULTS_DIR, `${stamp}-report.md`);
  const rawFile = path.join(RESULTS_DIR, `${stamp}-raw.json`);

  const header = [
    '# whatsapp-number-lifecycle benchmarks',
    '',
    `Run started ${startedAt.toISOString()}; sections: ${args.only.join(', ')}; ` +
      `command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``,
    '',
    machineMarkdown(machine),
  ].join('\n');
  console.log(header + '\n');

  const done: SectionResult[] = [];
  const failed: Failure[] = [];
  /** The report, its charts linked as `<prefix>-<chart>.svg` (the stamp, or "latest" for latest-report.md). */
  const report = (finished: boolean, wallMs: number, prefix: string) => {
    const parts = [header];
    for (const s of done) {
      const charts = (s.charts ?? []).map((c) => `![${c.title}](${prefix}-${c.name}.svg)`);
      parts.push([s.markdown, ...charts].join('\n\n'));
    }
    for (const f of failed) parts.push(`## ${f.name}: FAILED\n\n\`\`\`\n${f.error}\n\`\`\``);
    parts.push(
      finished
        ? `Total wall time of the run: ${formatDuration(wallMs)} (${done
            .map((s) => `${s.name} ${formatDuration(s.wallMs)}`)
            .join(', ')}, plus server start-up and shutdown).`
        : `_Run in progress (${formatDuration(wallMs)} so far)._`,
    );
    return parts.join('\n\n') + '\n';
  };
  const write = (finished: boolean) => {
    const wallMs = Date.now() - startedAt.getTime();
    for (const chart of done.flatMap((s) => s.charts ?? [])) {
      const svg = renderBarChart(chart);
      writeFileSync(path.join(RESULTS_DIR, `${stamp}-${chart.name}.svg`), svg);
      writeFileSync(path.join(RESULTS_DIR, `latest-${chart.name}.svg`), svg);
    }
    writeFileSync(reportFile, report(finished, wallMs, stamp));
    writeFileSync(path.join(RESULTS_DIR, 'latest-report.md'), report(finished, wallMs, 'latest'));
    writeFileSync(
      rawFile,
      JSON.stringify(
        { startedAt: startedAt.toISOString(), finished, wallMs, args, machine, sections: done, failed },
        null,
        2,
      ) + '\n',
    );
    return wallMs;
  };

  const run = async (name: Section, fn: () => Promise<SectionResult>) => {
    console.error(`[bench] ${name}: running…`);
    try {
      const result = withCharts(await fn(), args);
      done.push(result);
      console.log(result.markdown + '\n');
      for (const c of result.charts ?? []) {
        console.log(`Chart: bench/results/${stamp}-${c.name}.svg (${c.title})\n`);
      }
      console.error(`[bench] ${name}: done in ${formatDuration(result.wallMs)}`);
    } catch (err) {
      const error = (err as Error).stack ?? String(err);
      failed.push({ name, error });
      console.error(`[bench] ${name}: FAILED\n${error}`);
    }
    write(false);
  };

  await runTimeSkippingSections(args, run);
  if (args.only.includes('throughput')) await run('throughput', () => runThroughput(args));
  if (args.only.includes('fleet')) await run('fleet', () => runFleet(args));
  if (args.only.includes('floor')) await run('floor', () => runEngineFloor(args));
  if (args.only.includes('waiting')) await run('waiting', () => runWaiting(args));

  const wallMs = write(true);
  console.log(`Total wall time of the run: ${formatDuration(wallMs)}`);
  console.error(
    `[bench] ${quieted()} expected warnings ("Activity failed" with a Graph error, "Workflow failed" for an ` +
      'operation cancelled by the benchmark) not printed; --verbose shows them',
  );
  console.log(
    `Report: ${path.relative(process.cwd(), reportFile)}; raw: ${path.relative(process.cwd(), rawFile)}`,
  );
  return failed.length > 0 ? 1 : 0;
}

/** History and budget share one time-skipping stack (short Graph timeout so unknown outcomes are quick). */
async function runTimeSkippingSections(
  args: BenchArgs,
  run: (name: Section, fn: () => Promise<SectionResult>) => Promise<void>,
) {
  const wanted = args.only.filter(
    (s): s is 'history' | 'budget' | 'hygiene' => s === 'history' || s === 'budget' || s === 'hygiene',
  );
  if (wanted.length === 0) return;
  let stack: TestStack | undefined;
  try {
    stack = await startTestStack({
      timeSkipping: true,
      configEnv: { WA_GRAPH_REQUEST_TIMEOUT_MS: String(args.graphTimeoutMs) },
    });
  } catch (err) {
    for (const name of wanted) await run(name, () => Promise.reject(err));
    return;
  }
  try {
    const s = stack;
    if (wanted.includes('history')) await run('history', () => runHistoryEvents(s, args));
    if (wanted.includes('budget')) await run('budget', () => runBudgetEfficiency(s, args));
    if (wanted.includes('hygiene')) await run('hygiene', () => runHistoryHygiene(s, args));
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message ?? err);
    process.exit(2);
  },
);
