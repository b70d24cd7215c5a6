// The drills: a register fleet on a fresh process stack, one disruption when a share of the fleet has
// settled (kill -9 the worker, restart the dev server) or faults throughout (the soak), then the checks.
// The upgrade drill (a rolling deploy with Worker Versioning) has its own flow in ./upgrade.ts.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FleetMember, FleetProgress } from '../../domain/fleet';
import type { FaultRule } from '../../simulator/faults';
import { seedManyVerified } from '../../test/helpers/seed';
import { count, requestFigures, summarize, verifyFleet, type Check } from './checks';
import { logTail, signalProcess, sleep, stopAll, withTimeout, waitFor } from './processes';
import { DRILL_DEFAULTS, DrillLog, type DrillArgs, type DrillName, type DrillReport } from './report';
import { DrillStack, ms } from './stack';
import { runUpgradeDrill } from './upgrade';

export { DRILL_DEFAULTS, DRILL_NAMES, type DrillArgs, type DrillName, type DrillReport } from './report';

/** The drills around one register fleet (upgrade has its own flow: ./upgrade.ts). */
type FleetDrillName = Exclude<DrillName, 'upgrade'>;

interface DrillContext {
  stack: DrillStack;
  args: DrillArgs;
  numbers: string[];
  note: (line: string) => void;
  /** Latest fleet progress seen (counts only). */
  progress?: FleetProgress;
}

interface DrillDef {
  name: FleetDrillName;
  title: (a: DrillArgs) => string;
  everyNumberCompletes: boolean;
  /** A worker exit the drill did not cause fails the drill (restart-server: it is reported instead). */
  unplannedWorkerExitFails: boolean;
  faults: (a: DrillArgs) => FaultRule[];
  disrupt?: (ctx: DrillContext, progress: FleetProgress) => Promise<Check[]>;
}

const settledOf = (p: FleetProgress) =>
  p.counts.completed + p.counts['already-done'] + p.counts.failed + p.counts['not-started'];
const progressLine = (p: FleetProgress) =>
  `${settledOf(p)}/${p.total} settled (completed ${p.counts.completed}, already-done ${p.counts['already-done']}, ` +
  `failed ${p.counts.failed}, running ${p.counts.running}, starting ${p.counts.starting}, pending ${p.counts.pending})`;

const latencyFault = (a: DrillArgs): FaultRule[] =>
  a.latencyMs > 0 ? [{ endpoint: '*', kind: 'latency', latencyMs: a.latencyMs, probability: 1 }] : [];

export const DRILLS: Record<FleetDrillName, DrillDef> = {
  'kill-worker': {
    name: 'kill-worker',
    title: (a) => `kill -9 the worker at ${Math.round(a.at * 100)}% settled, restart it`,
    everyNumberCompletes: true,
    unplannedWorkerExitFails: true,
    faults: latencyFault,
    async disrupt({ stack, args, note }, progress) {
      const worker = stack.worker!;
      // In flight: operations running in their lifecycles, or being started by the fleet's start activity.
      const inFlight = progress.counts.running + progress.counts.starting;
      note(`kill -9 worker #${stack.workerStarts} (pid ${worker.pid}) at ${progressLine(progress)}`);
      signalProcess(worker, 'SIGKILL');
      const exit = await withTimeout('the killed worker to exit', worker.exited, 10_000);
      note(`worker #${stack.workerStarts} gone (signal ${exit.signal}); restarting in ${ms(args.downMs)}`);
      await sleep(args.downMs);
      await stack.startWorker();
      return [
        {
          name: 'the kill hit a fleet in flight',
          ok: inFlight > 0 && settledOf(progress) < progress.total,
          detail:
            `${progress.counts.running} numbers running and ${progress.counts.starting} starting, ` +
            `${settledOf(progress)}/${progress.total} settled when killed`,
        },
      ];
    },
  },
  'restart-server': {
    name: 'restart-server',
    title: (a) =>
      `stop the dev server (SIGTERM) at ${Math.round(a.at * 100)}% settled, ${ms(a.outageMs)} down, restart on the same SQLite file and port`,
    everyNumberCompletes: true,
    unplannedWorkerExitFails: false,
    faults: latencyFault,
    async disrupt({ stack, args, note }, progress) {
      const checks: Check[] = [];
      const settledBefore = settledOf(progress);
      const worker = stack.worker!;
      const stopAt = Date.now();
      note(
        `SIGTERM dev server #${stack.devServerStarts} (pid ${stack.devServer!.pid}) at ${progressLine(progress)}`,
      );
      const stopped = await stack.stopDevServer('SIGTERM');
      note(
        `dev server exited after ${ms(stopped.tookMs)} (code ${stopped.code}, signal ${stopped.signal}` +
          `${stopped.forced ? ', had to be SIGKILLed after 15 s' : ''}); down for ${ms(args.outageMs)}`,
      );
      checks.push({
        name: 'dev server stopped cleanly on SIGTERM',
        ok: !stopped.forced,
        detail: `exit code ${stopped.code}, signal ${stopped.signal}, after ${ms(stopped.tookMs)}`,
      });
      // The outage: the client's polls fail, the worker keeps retrying (or dies: see below).
      const outageEnd = Date.now() + args.outageMs;
      let clientErrors = 0;
      while (Date.now() < outageEnd) {
        await withTimeout('describeFleet', stack.client.describeFleet(progress.fleetId, 'none'), 3000).catch(
          () => clientErrors++,
        );
        await sleep(Math.min(1000, Math.max(0, outageEnd - Date.now())));
      }
      note(
        `outage over: ${clientErrors} client calls failed meanwhile; worker #${stack.workerStarts} ` +
          (worker.exit ? `EXITED during the outage (code ${worker.exit.code})` : 'still running'),
      );
      const t0 = Date.now();
      await stack.startDevServer();
      // Same client object, same connection: it must reconnect by itself.
      const after = await waitFor(
        'the client to reach the restarted server',
        async () =>
          (await withTimeout('describeFleet', stack.client.describeFleet(progress.fleetId, 'none'), 5000))
            .progress,
        { timeoutMs: 90_000, intervalMs: 1000 },
      );
      note(`client answered again ${ms(Date.now() - t0)} after the restart: ${progressLine(after)}`);
      checks.push({
        name: 'fleet state survived the restart (SQLite)',
        ok: after.total === progress.total && settledOf(after) >= settledBefore,
        detail: `settled ${settledBefore} before the stop, ${settledOf(after)} after the restart; total ${after.total}`,
      });
      // Give the worker a moment to show whether it survived the outage.
      await sleep(5000);
      if (worker.exit) {
        note(
          `worker #${stack.workerStarts} had exited (code ${worker.exit.code}, signal ${worker.exit.signal}) ` +
            `${ms(worker.exit.at - stopAt)} after the SIGTERM to the server; last lines:\n${logTail(worker.logFile, 6)}`,
        );
        note('restarting the worker');
        await stack.startWorker();
      } else {
        // Reported, not checked: restarting a worker that died on a long outage is allowed.
        note(`worker #${stack.workerStarts} rode out the outage (${ms(args.outageMs)} without a server)`);
      }
      return checks;
    },
  },
  'fault-soak': {
    name: 'fault-soak',
    title: (a) =>
      `simulator fault soak: latency, 5xx, timeout-after-apply (hang ${a.hangMs} ms > Graph timeout ${a.graphTimeoutMs} ms), throttle 80007, 131000`,
    everyNumberCompletes: false,
    unplannedWorkerExitFails: true,
    faults: (a) => [
      { endpoint: '*', kind: 'latency', latencyMs: 300, probability: 0.2, seed: a.seed + 1 },
      {
        endpoint: 'register',
        kind: 'timeout-after-apply',
        hangMs: a.hangMs,
        probability: 0.15,
        seed: a.seed + 2,
      },
      { endpoint: 'get', kind: 'timeout-after-apply', hangMs: a.hangMs, probability: 0.1, seed: a.seed + 3 },
      { endpoint: '*', kind: 'http-5xx', probability: 0.1, seed: a.seed + 4 },
      {
        endpoint: '*',
        kind: 'throttle',
        code: 80007,
        regainAccessMinutes: 0,
        probability: 0.1,
        seed: a.seed + 5,
      },
      { endpoint: '*', kind: 'error-131000', probability: 0.1, seed: a.seed + 6 },
    ],
  },
};

/** Runs one drill; `args.numbers`/`args.concurrency` undefined: the drill's defaults (DRILL_DEFAULTS). */
export async function runDrill(
  name: DrillName,
  given: Omit<DrillArgs, 'numbers' | 'concurrency'> & { numbers?: number; concurrency?: number },
  index: number,
): Promise<DrillReport> {
  const args: DrillArgs = {
    ...given,
    numbers: given.numbers ?? DRILL_DEFAULTS[name].numbers,
    concurrency: given.concurrency ?? DRILL_DEFAULTS[name].concurrency,
  };
  if (name === 'upgrade') return runUpgradeDrill(args, index);
  const def = DRILLS[name];
  const dir = mkdtempSync(path.join(os.tmpdir(), `wa-drill-${name}-`));
  const log = new DrillLog(name, dir);
  const { t0, lines, checks, note } = log;
  console.log(`\n=== drill ${name}: ${def.title(args)} ===`);
  console.log(`  ${args.numbers} numbers, concurrency ${args.concurrency}; logs and SQLite in ${dir}`);

  const deadline = t0 + args.timeoutS * 1000;
  const numbers = Array.from({ length: args.numbers }, (_, i) => `15${index}${String(i).padStart(7, '0')}`);
  const fleetId = `drill-${name}-${Date.now().toString(36)}`;
  let stack: DrillStack | undefined;
  let fleetWallMs: number | undefined;
  try {
    stack = await DrillStack.start({
      dir,
      graphTimeoutMs: args.graphTimeoutMs,
      transientBackoffSeconds: args.backoffS,
      maxRequestsPerSecond: args.rps,
      note,
    });
    await seedManyVerified(stack.sim, numbers, { pin: '123456' });
    const faults = def.faults(args);
    await stack.sim.faults(faults);
    note(
      `seeded ${numbers.length} verified numbers; faults: ${faults.map(describeFault).join('; ') || 'none'}`,
    );

    const members: FleetMember[] = numbers.map((phoneNumberId) => ({
      phoneNumberId,
      request: { operation: 'register', pin: '123456' },
    }));
    const fleetStart = Date.now();
    await stack.client.startFleet({
      fleetId,
      operation: 'register',
      concurrency: args.concurrency,
      requestedBy: 'drill',
      members,
    });
    note(`fleet ${fleetId} started`);

    const ctx: DrillContext = { stack, args, numbers, note };
    const trigger = Math.max(1, Math.ceil(args.at * args.numbers));
    let disrupted = false;
    let pollErrors = 0;
    let lastPrint = 0;
    let lastLine = '';
    const unplannedExits: string[] = [];
    for (;;) {
      if (Date.now() > deadline) {
        throw new Error(
          `the fleet did not finish within ${args.timeoutS} s (--timeout-s); last: ${ctx.progress ? progressLine(ctx.progress) : 'no progress seen'}`,
        );
      }
      const worker = stack.worker!;
      if (worker.exit && !worker.stopRequested) {
        const what = `worker #${stack.workerStarts} exited on its own (code ${worker.exit.code}, signal ${worker.exit.signal})`;
        unplannedExits.push(what);
        note(`${what}; last lines:\n${logTail(worker.logFile, 6)}\n  restarting it`);
        await stack.startWorker();
      }
      let status;
      try {
        status = await withTimeout('describeFleet', stack.client.describeFleet(fleetId, 'none'), 10_000);
      } catch (err) {
        pollErrors++;
        if (pollErrors % 10 === 1) note(`progress poll failed (${(err as Error).message.split('\n')[0]})`);
        await sleep(1000);
        continue;
      }
      if (status.progress) ctx.progress = status.progress;
      if (status.status !== 'RUNNING') {
        fleetWallMs = Date.now() - fleetStart;
        note(
          `fleet ${status.status} after ${ms(fleetWallMs)}${ctx.progress ? `: ${progressLine(ctx.progress)}` : ''}`,
        );
        break;
      }
      const p = ctx.progress;
      if (p) {
        const line = progressLine(p);
        if (line !== lastLine && Date.now() - lastPrint > 5000) {
          note(line);
          lastPrint = Date.now();
          lastLine = line;
        }
        if (def.disrupt && !disrupted && settledOf(p) >= trigger) {
          disrupted = true;
          checks.push(...(await def.disrupt(ctx, p)));
          continue;
        }
      }
      await sleep(1000);
    }
    if (def.disrupt && !disrupted) {
      checks.push({
        name: 'the disruption happened mid-fleet',
        ok: false,
        detail: `the fleet finished before ${trigger} numbers had settled: raise --numbers or --latency-ms`,
      });
    }
    checks.push({
      name: 'worker stayed up (apart from what the drill did)',
      ok: !def.unplannedWorkerExitFails || unplannedExits.length === 0,
      detail: unplannedExits.length ? unplannedExits.join('; ') : 'no unplanned worker exit',
    });
    const fired = await withTimeout(
      'fault list',
      fetch(`${stack.simUrl}/_sim/faults`).then(
        (r) => r.json() as Promise<{ faults: (FaultRule & { fired: number })[] }>,
      ),
      10_000,
    );
    await stack.sim.faults([]);
    const verification = await verifyFleet(stack, fleetId, numbers, {
      everyNumberCompletes: def.everyNumberCompletes,
    });
    checks.push(...verification.checks);
    const c = verification.progress?.counts;
    lines.push(
      `  figures: drill wall ${ms(Date.now() - t0)}, fleet ${ms(fleetWallMs ?? 0)}; worker starts ${stack.workerStarts}, dev server starts ${stack.devServerStarts}; client poll errors ${pollErrors}`,
      c
        ? `  outcomes: completed ${c.completed}, already-done ${c['already-done']}, failed ${c.failed}, not-started ${c['not-started']} (of ${verification.progress?.total})`
        : '  outcomes: none (no fleet progress)',
      ...requestFigures(verification.requests).map((l) => `  ${l}`),
      `  fault rules fired: ${fired.faults.map((f) => `${f.endpoint}:${f.kind} ${f.fired}`).join(', ') || 'none'}`,
      ...verification.notes.map((n) => `  note: ${n}`),
    );
    if (verification.progress) {
      const failed = verification.progress.numbers.filter((n) => n.status === 'failed');
      if (failed.length)
        lines.push(`  failure types: ${summarize(count(failed, (n) => n.failureType ?? '?'))}`);
    }
  } catch (err) {
    checks.push({ name: 'drill ran to its checks', ok: false, detail: (err as Error).message });
  } finally {
    await stack?.stop().catch(() => undefined);
    await stopAll(); // anything left behind by a failed start
  }
  return log.finish(args.keep);
}

function describeFault(f: FaultRule): string {
  const extra =
    f.kind === 'latency' ? ` ${f.latencyMs} ms` : f.hangMs !== undefined ? ` hang ${f.hangMs} ms` : '';
  const code = f.code !== undefined ? ` ${f.code}` : '';
  return `${f.endpoint} ${f.kind}${code}${extra} p=${f.probability}${f.seed !== undefined ? ` seed ${f.seed}` : ''}`;
}
