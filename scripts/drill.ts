// `npm run drill`: fault drills on real processes (dev server, simulator, worker), loopback only, each
// bounded in time and ending with assertions. PASS/FAIL per drill; exit code 1 if any failed.
// See docs/drills.md.
import { parseArgs } from 'node:util';
import {
  DRILL_DEFAULTS,
  DRILL_NAMES,
  runDrill,
  type DrillArgs,
  type DrillName,
  type DrillReport,
} from './drill/drills';
import { installCleanupHandlers } from './drill/processes';

const USAGE = `usage: npm run drill -- [options]   (flags win over the DRILL_* env vars)
  --only LIST          drills to run, comma-separated: ${DRILL_NAMES.join(', ')} (env DRILL_ONLY; default all)
  --numbers N          numbers in each drill's register fleet (DRILL_NUMBERS, default 200; upgrade 12)
  --concurrency C      fleet concurrency (DRILL_CONCURRENCY, default 20; upgrade 3)
  --at F               share of the fleet settled when the worker is killed / the server stopped (DRILL_AT, 0.3)
  --latency-ms MS      latency on every Graph call in kill-worker, restart-server, upgrade (DRILL_LATENCY_MS, 1000)
  --down-ms MS         kill-worker: time between the kill and the restart (DRILL_DOWN_MS, 2000)
  --outage-ms MS       restart-server: time the server stays down (DRILL_OUTAGE_MS, 10000)
  --timeout-s S        bound on each drill, stack start to checks (DRILL_TIMEOUT_S, 900)
  --graph-timeout-ms   the worker's Graph request timeout (DRILL_GRAPH_TIMEOUT_MS, 2000)
  --hang-ms MS         fault-soak: how long a timeout-after-apply holds the answer (DRILL_HANG_MS, 2500)
  --backoff-s S        the worker's policy.transientBackoffSeconds (DRILL_BACKOFF_S, 1)
  --rps R              the worker's graph.maxRequestsPerSecond (DRILL_RPS, 10)
  --seed N             fault-soak: base seed of the fault rules (DRILL_SEED, 1)
  --wait-s S           upgrade: how long the rate-limit and 133016 waits last once set (DRILL_WAIT_S, 90;
                       at least policy.safetyMarginSeconds + 20); they must outlast the roll
  --keep               keep each drill's temp dir (logs, SQLite) even when it passes`;

type GivenArgs = Omit<DrillArgs, 'numbers' | 'concurrency'> & { numbers?: number; concurrency?: number };

function parse(): { drills: DrillName[]; args: GivenArgs } {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      numbers: { type: 'string' },
      concurrency: { type: 'string' },
      at: { type: 'string' },
      'latency-ms': { type: 'string' },
      'down-ms': { type: 'string' },
      'outage-ms': { type: 'string' },
      'timeout-s': { type: 'string' },
      'graph-timeout-ms': { type: 'string' },
      'hang-ms': { type: 'string' },
      'backoff-s': { type: 'string' },
      rps: { type: 'string' },
      seed: { type: 'string' },
      'wait-s': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const env = (flag: string) => `DRILL_${flag.replace(/-/g, '_').toUpperCase()}`;
  const raw = (flag: keyof typeof values): string | undefined =>
    (values[flag] as string | undefined) ?? process.env[env(flag)];
  function num(
    flag: keyof typeof values,
    fallback: number,
    check: (n: number) => boolean,
    rule: string,
  ): number;
  function num(
    flag: keyof typeof values,
    fallback: undefined,
    check: (n: number) => boolean,
    rule: string,
  ): number | undefined;
  function num(
    flag: keyof typeof values,
    fallback: number | undefined,
    check: (n: number) => boolean,
    rule: string,
  ) {
    const text = raw(flag);
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || !check(n))
      throw new Error(`--${flag} (or ${env(flag)}): ${rule}, got "${text}"`);
    return n;
  }
  const int = (n: number) => Number.isInteger(n) && n >= 0;
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const only = (raw('only') ?? DRILL_NAMES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of only) {
    if (!(DRILL_NAMES as readonly string[]).includes(name))
      throw new Error(`--only: unknown drill "${name}" (one of ${DRILL_NAMES.join(', ')})`);
  }
  const args: GivenArgs = {
    // Undefined: each drill's own default (DRILL_DEFAULTS).
    numbers: num('numbers', undefined, positiveInt, 'a whole number > 0'),
    concurrency: num('concurrency', undefined, positiveInt, 'a whole number > 0'),
    at: num('at', 0.3, (n) => n > 0 && n < 1, 'a share between 0 and 1'),
    latencyMs: num('latency-ms', 1000, int, 'milliseconds'),
    downMs: num('down-ms', 2000, int, 'milliseconds'),
    outageMs: num('outage-ms', 10_000, int, 'milliseconds'),
    timeoutS: num('timeout-s', 900, positiveInt, 'seconds'),
    graphTimeoutMs: num('graph-timeout-ms', 2000, positiveInt, 'milliseconds'),
    hangMs: num('hang-ms', 2500, int, 'milliseconds'),
    backoffS: num('backoff-s', 1, (n) => n > 0, 'seconds > 0'),
    rps: num('rps', 10, (n) => n > 0, 'requests per second > 0'),
    seed: num('seed', 1, Number.isInteger, 'an integer'),
    waitS: num('wait-s', 90, positiveInt, 'seconds'),
    keep: values.keep ?? process.env.DRILL_KEEP === 'true',
  };
  return { drills: DRILL_NAMES.filter((d) => only.includes(d)), args };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parse();
  } catch (err) {
    console.error(`drill: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  installCleanupHandlers();
  const { drills, args } = parsed;
  const sizes = drills.map(
    (d) =>
      `${d} ${args.numbers ?? DRILL_DEFAULTS[d].numbers} numbers, concurrency ${args.concurrency ?? DRILL_DEFAULTS[d].concurrency}`,
  );
  console.log(
    `drills: ${sizes.join('; ')}; bound ${args.timeoutS} s per drill; Graph timeout ${args.graphTimeoutMs} ms`,
  );
  const reports: DrillReport[] = [];
  for (const name of drills) {
    reports.push(await runDrill(name, args, DRILL_NAMES.indexOf(name) + 1));
  }
  console.log('\n=== summary ===');
  for (const r of reports) {
    const failed = r.checks.filter((c) => !c.ok);
    console.log(
      `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(15)} ${(r.wallMs / 1000).toFixed(0).padStart(5)} s` +
        (failed.length ? `  failed: ${failed.map((c) => c.name).join('; ')}` : ''),
    );
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('drill:', err);
    process.exit(1);
  },
);
