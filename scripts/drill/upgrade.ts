// The upgrade drill: a rolling deploy with Temporal Worker Versioning. Build A (the checkout) runs numbers
// into waits (a rate-limit slot, a 133016 block, a verification code, a corrected PIN) and a register
// fleet; build B (a copy with a compatible change behind patched()) is started and made current while A
// keeps running and drains what is pinned to it. Everything must complete without a workflow task failure,
// lifecycles must move to B and the fleet and the verification child stay on A, the simulator must have
// received exactly what the ledgers recorded, and A must exit cleanly once drained.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fleetWorkflowId, type FleetMember, type FleetProgress } from '../../domain/fleet';
import type { LedgerEntry } from '../../domain/ledger';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { seedManyVerified, seedOnCloudApi, seedVerified } from '../../test/helpers/seed';
import type { CarriedLifecycleState, LifecycleInput } from '../../workflows/lifecycle';
import type { LifecycleSnapshot, OperationSummary } from '../../workflows/messages';
import { ROOT_DIR } from '../../platform/config';
import { makeBuildVariant, type BuildVariant, type WorkflowEdit } from '../replay/build-variant';
import { count, requestFigures, summarize, verifyFleet } from './checks';
import { stopAll, stopProcess, sleep, waitFor, withTimeout, type ManagedProcess } from './processes';
import { DrillLog, type DrillArgs, type DrillReport } from './report';
import { DrillStack, ms } from './stack';
import {
  currentVersion,
  behaviorName,
  describeVersion,
  listIds,
  pinnedRunningQuery,
  readAllHistories,
  setCurrentVersion,
  type RunHistory,
  type SetCurrentResult,
} from './versioning';

/** The patch build B carries (test/replay/replay.test.ts makes the same kind of change). */
export const UPGRADE_PATCH = 'upgrade-drill-b';
const BUILD_A = 'A';
const BUILD_B = 'B';
const PIN = '123456';
const WRONG_PIN = '654321';

/**
 * Build B's edit: at the start of every operation the lifecycle runs, a 1 ms timer behind
 * patched(UPGRADE_PATCH). Runs recorded by A replay on B (the patch is absent from their history there).
 */
export function buildBEdits(): WorkflowEdit[] {
  const source = readFileSync(path.join(ROOT_DIR, 'workflows', 'lifecycle.ts'), 'utf8');
  const imports = /import \{([^}]*)\} from '@temporalio\/workflow';/.exec(source)?.[1] ?? '';
  const missing = ['patched', 'sleep'].filter((name) => !new RegExp(`\\b${name}\\b`).test(imports));
  const runNextStart = 'const runNext = async (): Promise<void> => {\n';
  return [
    ...(missing.length
      ? [
          {
            file: 'lifecycle.ts',
            find: 'import {\n  ApplicationFailure,\n',
            replace: `import {\n${missing.map((n) => `  ${n},\n`).join('')}  ApplicationFailure,\n`,
          },
        ]
      : []),
    {
      file: 'lifecycle.ts',
      find: runNextStart,
      replace: `${runNextStart}    if (patched('${UPGRADE_PATCH}')) await sleep(1);\n`,
    },
  ];
}

interface Standalone {
  role: 'slot' | 'block' | 'verify' | 'pin' | 'idle';
  id: string;
  /** The state it must be in before the roll, and what its waitingFor must say (none: no operation running). */
  waitState: string;
  waitingFor?: RegExp;
  operationId?: string;
  /** The verification's child run (its workflow ID). */
  childWorkflowId?: string;
  finished?: OperationSummary;
  finishedAt?: number;
}

const ROLE_TEXT: Record<Standalone['role'], string> = {
  slot: 'register waiting for a rate-limit slot',
  block: 'register waiting out a 133016 block',
  verify: 'verification waiting for its code',
  pin: 'region change waiting for a corrected PIN',
  idle: 'registered under A, idle at the roll, deregistered after it',
};

export async function runUpgradeDrill(args: DrillArgs, index: number): Promise<DrillReport> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wa-drill-upgrade-'));
  const log = new DrillLog('upgrade', dir);
  const { t0, note } = log;
  const N = args.numbers;
  const C = args.concurrency;
  const before = Math.floor((N - C) / 2);
  const after = N - before - C;
  const deploymentName = `wa-drill-upgrade-${Date.now().toString(36)}`;
  console.log(
    `\n=== drill upgrade: roll workers from build ${BUILD_A} to ${BUILD_B} (Worker Versioning) with numbers in waits and a fleet running ===`,
  );
  console.log(
    `  deployment ${deploymentName}; fleet of ${N} numbers, concurrency ${C}, Graph latency ${args.latencyMs} ms; ` +
      `waits of ${args.waitS} s; logs and SQLite in ${dir}`,
  );
  const deadline = t0 + args.timeoutS * 1000;
  const left = () => Math.max(1000, deadline - Date.now());
  const fleetNumbers = Array.from({ length: N }, (_, i) => `15${index}${String(i).padStart(7, '0')}`);
  const anchors = fleetNumbers.slice(before, before + C);
  const standalone: Standalone[] = [
    {
      role: 'slot',
      id: `16${index}0000001`,
      waitState: 'waiting-for-rate-limit',
      waitingFor: /register requests already sent/,
    },
    { role: 'block', id: `16${index}0000002`, waitState: 'waiting-for-rate-limit', waitingFor: /\(133016\)/ },
    {
      role: 'verify',
      id: `16${index}0000003`,
      waitState: 'waiting-for-code',
      waitingFor: /code sent by SMS/,
    },
    {
      role: 'pin',
      id: `16${index}0000004`,
      waitState: 'waiting-for-pin',
      waitingFor: /refused the two-step PIN/,
    },
    // Its history is all A's when B gets it: B replays it, then runs a new operation there (the patch).
    { role: 'idle', id: `16${index}0000005`, waitState: 'registered' },
  ];
  const byRole = (role: Standalone['role']) => standalone.find((s) => s.role === role)!;
  const fleetId = `drill-upgrade-${Date.now().toString(36)}`;
  let stack: DrillStack | undefined;
  let variant: BuildVariant | undefined;
  let workerA: ManagedProcess | undefined;
  let workerB: ManagedProcess | undefined;
  const figures: string[] = [];
  try {
    if (before < 1 || after < 1) {
      throw new Error(
        `--numbers ${N} with --concurrency ${C}: the upgrade fleet needs numbers before and after its ${C} ` +
          `waiting members, so at least concurrency + 2 = ${C + 2} numbers`,
      );
    }
    stack = await DrillStack.start({
      dir,
      graphTimeoutMs: args.graphTimeoutMs,
      transientBackoffSeconds: args.backoffS,
      maxRequestsPerSecond: args.rps,
      note,
      versioning: { deploymentName, buildId: BUILD_A },
      // The server checks a draining version's open pinned workflows every 3 minutes by default.
      devServerArgs: [
        '--dynamic-config-value',
        'matching.wv.VersionDrainageStatusRefreshInterval="5s"',
        '--dynamic-config-value',
        'matching.wv.VersionDrainageStatusVisibilityGracePeriod="5s"',
      ],
    });
    workerA = stack.worker!;
    const client = stack.client.client;
    const namespace = stack.config.temporal.namespace;
    const setA = await setCurrentVersion(client, namespace, deploymentName, BUILD_A);
    note(`build ${BUILD_A} is current (${describeSet(setA)})`);

    // --- Numbers into their waits under build A.
    await seedManyVerified(stack.sim, fleetNumbers, { pin: PIN });
    await seedVerified(stack.sim, byRole('slot').id, { pin: PIN });
    await seedVerified(stack.sim, byRole('block').id, { pin: PIN });
    await stack.sim.seed({
      id: byRole('verify').id,
      code_verification_status: 'NOT_VERIFIED',
      name_status: 'APPROVED',
    });
    await seedOnCloudApi(stack.sim, byRole('pin').id, PIN);
    await seedVerified(stack.sim, byRole('idle').id, { pin: PIN });
    if (args.latencyMs > 0)
      await stack.sim.faults([{ endpoint: '*', kind: 'latency', latencyMs: args.latencyMs, probability: 1 }]);

    const policy = stack.config.policy;
    const windowMs = policy.windowHours * 3_600_000;
    const marginMs = policy.safetyMarginSeconds * 1000;
    // The lifecycle waits for a block's end plus the safety margin: the block itself must still be on.
    if (args.waitS * 1000 < marginMs + 20_000) {
      throw new Error(
        `--wait-s ${args.waitS}: must be at least the worker's policy.safetyMarginSeconds (${policy.safetyMarginSeconds}) + 20, ` +
          `so that the 133016 block is still on when it is set`,
      );
    }
    const waitsEnd = Date.now() + args.waitS * 1000;
    // A full window whose oldest request leaves it (with the safety margin) at waitsEnd.
    const fullWindow: LedgerEntry[] = Array.from({ length: policy.requestsPerWindow }, (_, i) => ({
      endpoint: 'register',
      at: waitsEnd - windowMs - marginMs + i * 60_000,
    }));
    const startWithLedger = (id: string, ledger: CarriedLifecycleState) =>
      client.workflow.start('phoneNumberLifecycle', {
        workflowId: lifecycleWorkflowId(id),
        taskQueue: stack!.taskQueue,
        args: [{ phoneNumberId: id, carried: ledger } satisfies LifecycleInput],
      });
    const carried = (entries: LedgerEntry[], blockedUntil: { register?: number }): CarriedLifecycleState => ({
      ledger: { entries, blockedUntil },
      registration: 'not-registered',
      sequence: 0,
      queue: [],
      recent: [],
      lastFailed: false,
    });
    for (const id of [...anchors, byRole('slot').id]) await startWithLedger(id, carried(fullWindow, {}));
    await startWithLedger(byRole('block').id, carried([], { register: waitsEnd - marginMs }));
    note(
      `lifecycles started with carried ledgers: ${anchors.length} fleet members and ${byRole('slot').id} with ` +
        `${policy.requestsPerWindow} registers in the window (a slot frees in ${args.waitS} s), ` +
        `${byRole('block').id} with a 133016 block ending then`,
    );

    const members: FleetMember[] = fleetNumbers.map((phoneNumberId) => ({
      phoneNumberId,
      request: { operation: 'register', pin: PIN },
    }));
    const fleetStart = Date.now();
    await stack.client.startFleet({
      fleetId,
      operation: 'register',
      concurrency: C,
      requestedBy: 'drill',
      members,
    });
    note(
      `fleet ${fleetId} started: ${before} numbers, then ${C} waiting for a slot (they hold every slot of ` +
        `concurrency ${C}), then ${after} more`,
    );
    const requests: Record<Standalone['role'], Parameters<typeof stack.client.requestOperation>[1]> = {
      slot: { operation: 'register', pin: PIN },
      block: { operation: 'register', pin: PIN },
      verify: { operation: 'verify', method: 'SMS', language: 'en_US' },
      pin: { operation: 'change-region', region: 'DE', pin: WRONG_PIN },
      idle: { operation: 'register', pin: PIN },
    };
    for (const s of standalone) {
      const ticket = await stack.client.requestOperation(s.id, requests[s.role]);
      s.operationId = ticket.operationId;
      if (s.role === 'verify') s.childWorkflowId = ticket.workflowId;
    }

    // Each in its wait before the roll.
    for (const s of standalone) {
      const snap = await waitFor(
        `${s.id} (${ROLE_TEXT[s.role]}) to reach ${s.waitState}`,
        async () => {
          const st = await stack!.client.getState(s.id);
          const waiting = st?.currentOperation?.waitingFor ?? '';
          const ok = s.waitingFor ? s.waitingFor.test(waiting) : !st?.currentOperation && !st?.queued.length;
          return st?.state === s.waitState && ok ? st : undefined;
        },
        { timeoutMs: Math.min(120_000, left()), intervalMs: 500 },
      );
      note(
        `${s.id} ${ROLE_TEXT[s.role]}: ${snap.state}: ${snap.currentOperation?.waitingFor ?? `${s.operationId} done, nothing queued`}`,
      );
    }
    const gated = await waitFor(
      `the fleet to hold its ${C} waiting members (${before} done before them)`,
      async () => {
        const status = await stack!.client.describeFleet(fleetId, 'none');
        const p = status.progress;
        if (status.status !== 'RUNNING' || !p) return undefined;
        const done = p.counts.completed + p.counts['already-done'];
        if (done !== before || p.counts.running !== C || p.counts.pending !== after) return undefined;
        const states = await Promise.all(anchors.map((id) => stack!.client.getState(id)));
        return states.every((st) => st?.state === 'waiting-for-rate-limit') ? p : undefined;
      },
      { timeoutMs: Math.min(120_000, left()), intervalMs: 1000 },
    );
    note(`fleet in its wait: ${progressLine(gated)}; its ${C} running members wait for a slot`);
    const pinnedAtRoll = await listIds(client, pinnedRunningQuery(deploymentName, BUILD_A));
    note(`pinned to ${BUILD_A} and running: ${pinnedAtRoll.join(', ') || 'none'}`);
    if (Date.now() > waitsEnd - 5000) {
      throw new Error(
        `the waits end at ${log.at(waitsEnd)}, before the roll could start (${log.at()}): raise --wait-s`,
      );
    }

    // --- The roll: build B next to A, then B current; A keeps running.
    const variantT0 = Date.now();
    variant = makeBuildVariant(BUILD_B, buildBEdits());
    const variantMs = Date.now() - variantT0;
    note(`build ${BUILD_B}: ${variant.dir} (workflows/lifecycle.ts with patched('${UPGRADE_PATCH}'))`);
    const rollT0 = Date.now();
    workerB = await stack.startWorker({ buildId: BUILD_B, cwd: variant.dir, label: `worker ${BUILD_B}` });
    const bPollingMs = Date.now() - rollT0;
    const setB = await setCurrentVersion(client, namespace, deploymentName, BUILD_B);
    const rollMs = Date.now() - rollT0;
    const current = await currentVersion(client, namespace, deploymentName);
    const switchAt = current.changedAt ?? Date.now() - setB.tookMs;
    note(
      `build ${BUILD_B} is current (${describeSet(setB)}; server switch at ${log.at(switchAt)}); ` +
        `worker ${BUILD_A} keeps running`,
    );
    let notFound = 0;
    const describeA = async () => {
      const state = await describeVersion(client, namespace, deploymentName, BUILD_A);
      if (state.notFound)
        note(`describe version ${BUILD_A}: NOT_FOUND ${state.notFound} time(s) before it answered`);
      notFound += state.notFound;
      return state;
    };
    const versionA = await describeA();
    note(`version ${BUILD_A}: ${versionA.status}, drainage ${versionA.drainage}`);
    figures.push(
      `roll: variant copied in ${ms(variantMs)}; worker ${BUILD_B} polling ${ms(bPollingMs)} after its start; ` +
        `set-current ${BUILD_B} ${setB.attempts} attempt(s), ${ms(setB.tookMs)}; start of ${BUILD_B} to ${BUILD_B} current ${ms(rollMs)}; ` +
        `the timed waits ended ${ms(waitsEnd - switchAt)} after the switch`,
    );

    // --- Release the waits that need a person; the slot and the block end by their timers.
    const verify = byRole('verify');
    const code = (await (await fetch(`${stack.simUrl}/_sim/codes/${verify.id}`)).json()) as {
      display: string;
    };
    const answer = await stack.client.submitVerificationCode(verify.id, code.display);
    note(`code for ${verify.id} submitted: ${JSON.stringify(answer)}`);
    const pinTicket = await stack.client.requestOperation(byRole('pin').id, {
      operation: 'change-region',
      region: 'DE',
      pin: PIN,
    });
    note(
      `corrected PIN for ${byRole('pin').id}: ${pinTicket.joined ? 'joined' : 'did NOT join'} ${pinTicket.operationId}`,
    );
    const idle = byRole('idle');
    idle.operationId = (
      await stack.client.requestOperation(idle.id, { operation: 'deregister' })
    ).operationId;
    note(`deregister ${idle.operationId} requested on ${idle.id} (idle on ${BUILD_A} since its register)`);

    // --- Until everything completed.
    let fleetStatus = '';
    let fleetDoneAt: number | undefined;
    let lastLine = '';
    for (;;) {
      if (Date.now() > deadline)
        throw new Error(`not everything completed within ${args.timeoutS} s (--timeout-s): ${lastLine}`);
      for (const w of [workerA, workerB]) {
        if (w.exit && !w.stopRequested) throw new Error(`${w.name} exited on its own (code ${w.exit.code})`);
      }
      for (const s of standalone.filter((x) => !x.finished)) {
        const st = await withTimeout('getState', stack.client.getState(s.id), 10_000).catch(() => undefined);
        const done = st?.recentOperations.find((o) => o.operationId === s.operationId);
        if (done) {
          s.finished = done;
          s.finishedAt = Date.now();
          note(
            `${s.id} ${ROLE_TEXT[s.role]}: ${done.status} (${ms(Date.now() - switchAt)} after the switch)`,
          );
        }
      }
      if (!fleetDoneAt) {
        const status = await withTimeout(
          'describeFleet',
          stack.client.describeFleet(fleetId, 'none'),
          10_000,
        ).catch(() => undefined);
        if (status?.progress) {
          const line = progressLine(status.progress);
          if (line !== lastLine) note(`fleet: ${line}`);
          lastLine = line;
        }
        if (status && status.status !== 'RUNNING') {
          fleetStatus = status.status;
          fleetDoneAt = Date.now();
          note(`fleet ${status.status} after ${ms(fleetDoneAt - fleetStart)}`);
        }
      }
      if (fleetDoneAt && standalone.every((s) => s.finished)) break;
      await sleep(1000);
    }
    const allDoneAt = Date.now();

    // --- Drain A: no pinned workflow left on it, then stop it.
    const drainT0 = Date.now();
    const stillPinned = await waitFor(
      `no running workflow pinned to ${BUILD_A}`,
      async () =>
        (await client.workflow.count(pinnedRunningQuery(deploymentName, BUILD_A))).count === 0
          ? true
          : undefined,
      { timeoutMs: Math.min(120_000, left()), intervalMs: 1000 },
    ).then(
      () => undefined,
      (err: Error) => err.message,
    );
    const noPinnedAt = Date.now();
    let drainage = await describeA();
    const drainedBy = Date.now() + 60_000;
    while (drainage.drainage !== 'DRAINED' && Date.now() < Math.min(drainedBy, deadline)) {
      await sleep(1000);
      drainage = await describeA();
    }
    const drainedAt = Date.now();
    note(
      `version ${BUILD_A}: ${stillPinned ?? 'no running pinned workflow'} ${ms(noPinnedAt - drainT0)} after the ` +
        `last completion; server status ${drainage.status}, drainage ${drainage.drainage} ${ms(drainedAt - drainT0)} after it`,
    );
    const stopped = await stopProcess(workerA, 'SIGTERM', 30_000);
    note(
      `worker ${BUILD_A} stopped (SIGTERM): code ${stopped.code}, signal ${stopped.signal}, in ${ms(stopped.tookMs)}` +
        `${stopped.forced ? ' (SIGKILLed after 30 s)' : ''}`,
    );
    log.check(
      `worker ${BUILD_A} exited cleanly after draining`,
      !stillPinned && stopped.code === 0 && !stopped.forced,
      `${stillPinned ?? `no running workflow pinned to ${BUILD_A}`}; drainage ${drainage.drainage} (status ${drainage.status}); ` +
        `SIGTERM → exit code ${stopped.code}${stopped.signal ? `, signal ${stopped.signal}` : ''} in ${ms(stopped.tookMs)}` +
        `${stopped.forced ? ', had to be SIGKILLed' : ''}`,
    );
    figures.push(
      `completion: fleet ${ms((fleetDoneAt ?? allDoneAt) - fleetStart)}; everything done ${ms(allDoneAt - switchAt)} after the switch; ` +
        `${BUILD_A} without pinned workflows ${ms(noPinnedAt - switchAt)} and ${drainage.drainage} ${ms(drainedAt - switchAt)} after the switch; ` +
        `${BUILD_A} stopped in ${ms(stopped.tookMs)}` +
        (notFound ? `; describe version ${BUILD_A} answered NOT_FOUND ${notFound} time(s) in between` : ''),
    );

    // --- Checks.
    await stack.sim.faults([]);
    const v = await verifyFleet(stack, fleetId, fleetNumbers, {
      everyNumberCompletes: true,
      ledgerFrom: t0,
      otherNumbers: standalone.map((s) => s.id),
    });
    log.check(
      'every operation completed',
      standalone.every((s) => s.finished?.status === 'completed') && fleetStatus === 'COMPLETED',
      standalone
        .map(
          (s) =>
            `${s.role} ${s.id} ${s.finished?.status ?? 'unfinished'}${s.finished?.failure ? ` (${s.finished.failure.type}: ${s.finished.failure.message})` : ''}`,
        )
        .join('; ') + `; fleet ${fleetStatus}`,
    );
    log.checks.push(...v.checks);
    const simRequests = v.requests;
    const firstRegisterAt = (id: string) =>
      simRequests.find((r) => r.phoneNumberId === id && r.endpoint === 'register')?.at;
    const timed = [byRole('slot').id, byRole('block').id, ...anchors];
    const early = timed.filter((id) => {
      const at = firstRegisterAt(id);
      return !at || Date.parse(at) < switchAt;
    });
    log.check(
      'the timed waits outlasted the roll',
      early.length === 0,
      `${timed.length - early.length}/${timed.length} registers after a slot or block wait reached the simulator after ` +
        `the switch to ${BUILD_B}` +
        (early.length ? `; before it (or never): ${early.join(', ')}` : ''),
    );

    const histories = await readAllHistories(client);
    const snapshots = new Map<string, LifecycleSnapshot | undefined>();
    for (const id of [...fleetNumbers, ...standalone.map((s) => s.id)])
      snapshots.set(id, await stack.client.getState(id).catch(() => undefined));
    checkHistories(log, histories);
    await checkVersioning(log, {
      client,
      histories,
      snapshots,
      switchAt,
      fleetWorkflowId: fleetWorkflowId(fleetId),
      verifyChild: verify.childWorkflowId,
      // Worker identities as the SDK sets them (pid@host): who ran an activity when its event carries no build.
      identities: new Map([
        [`${workerA.pid}@${os.hostname()}`, BUILD_A],
        [`${workerB.pid}@${os.hostname()}`, BUILD_B],
      ]),
      spanned: [...anchors, ...standalone.filter((s) => s.role !== 'idle').map((s) => s.id)],
    });
    log.check(
      `worker ${BUILD_B} stayed up`,
      !workerB.exit,
      workerB.exit ? `exited (code ${workerB.exit.code})` : `running (pid ${workerB.pid})`,
    );
    const c = v.progress?.counts;
    figures.unshift(
      `figures: drill wall ${ms(Date.now() - t0)}; fleet ${ms((fleetDoneAt ?? allDoneAt) - fleetStart)}`,
    );
    log.lines.push(
      ...figures.map((f) => `  ${f}`),
      c
        ? `  outcomes: completed ${c.completed}, already-done ${c['already-done']}, failed ${c.failed}, not-started ${c['not-started']} (of ${v.progress?.total})`
        : '  outcomes: none (no fleet progress)',
      ...requestFigures(simRequests).map((l) => `  ${l}`),
      ...v.notes.map((n) => `  note: ${n}`),
    );
  } catch (err) {
    log.check('drill ran to its checks', false, (err as Error).message);
    if (figures.length) log.lines.push(...figures.map((f) => `  ${f}`));
  } finally {
    await stack?.stop().catch(() => undefined);
    await stopAll();
    variant?.remove();
  }
  return log.finish(args.keep);
}

function describeSet(r: SetCurrentResult): string {
  return (
    `${r.attempts} attempt(s) in ${ms(r.tookMs)}` +
    (r.firstRefusal ? `; refused at first: ${r.firstRefusal}` : '') +
    (r.previousVersion ? `; previous ${r.previousVersion}` : '')
  );
}

function progressLine(p: FleetProgress): string {
  return (
    `completed ${p.counts.completed}, already-done ${p.counts['already-done']}, failed ${p.counts.failed}, ` +
    `running ${p.counts.running}, starting ${p.counts.starting}, pending ${p.counts.pending} (of ${p.total})`
  );
}

/** No WorkflowTaskFailed in any run the drill touched: every lifecycle run, fleet run and child run. */
function checkHistories(log: DrillLog, histories: RunHistory[]): void {
  const byType = new Map<string, RunHistory[]>();
  for (const h of histories) byType.set(h.type, [...(byType.get(h.type) ?? []), h]);
  const failed = histories.filter((h) => h.taskFailures.length);
  const continued = histories.filter((h) => h.continuedFrom).length;
  const children = histories.filter((h) => h.parent).length;
  log.check(
    'no WorkflowTaskFailed in any history',
    failed.length === 0 && histories.length > 0,
    `${histories.length} runs read (${[...byType].map(([t, hs]) => `${t} ${hs.length}`).join(', ')}; ` +
      `${continued} continued-as-new run(s), ${children} child run(s)), ${histories.reduce((n, h) => n + h.events, 0)} events; ` +
      (failed.length
        ? `WorkflowTaskFailed in ${failed
            .slice(0, 5)
            .map((h) => `${h.workflowId} (run ${h.runId}): ${h.taskFailures.slice(0, 2).join(' | ')}`)
            .join('; ')}`
        : 'no WorkflowTaskFailed'),
  );
}

interface VersioningContext {
  client: DrillStack['client']['client'];
  histories: RunHistory[];
  snapshots: Map<string, LifecycleSnapshot | undefined>;
  /** When the server made B current. */
  switchAt: number;
  fleetWorkflowId: string;
  verifyChild?: string;
  /** Numbers whose operation was waiting at the roll. */
  spanned: string[];
  identities: Map<string, string>;
}

/**
 * Lifecycles (AUTO_UPGRADE) after the roll ran on B: every workflow task started after the switch was
 * completed by B, each operation that began after the switch recorded B's patch; the fleet and the
 * verification child (PINNED) stayed on A. What describe() says about each is reported as seen.
 */
async function checkVersioning(log: DrillLog, ctx: VersioningContext): Promise<void> {
  const { histories, switchAt } = ctx;
  const lifecycles = histories.filter((h) => h.type === 'phoneNumberLifecycle');
  const runsOf = (workflowId: string) => lifecycles.filter((h) => h.workflowId === workflowId);

  // 1. Which build completed the lifecycles' tasks after the switch.
  const onAAfterSwitch: string[] = [];
  let tasksAfter = 0;
  for (const h of lifecycles) {
    for (const t of h.tasks.filter((t) => t.startedAt > switchAt)) {
      tasksAfter++;
      if (t.buildId !== BUILD_B)
        onAAfterSwitch.push(
          `${h.workflowId} task at +${((t.startedAt - switchAt) / 1000).toFixed(1)}s by ${t.buildId}`,
        );
    }
  }
  // Their activities after the switch: run by B's worker.
  const buildOf = (a: RunHistory['activities'][number]) =>
    a.buildId ?? ctx.identities.get(a.identity) ?? a.identity;
  const lifecycleActivities = lifecycles.flatMap((h) => h.activities.filter((a) => a.startedAt > switchAt));
  const activitiesElsewhere = lifecycleActivities.filter((a) => buildOf(a) !== BUILD_B);
  // 2. The patch marker: expected in lifecycles whose operation began after the switch.
  const markerOf = (workflowId: string) =>
    runsOf(workflowId).flatMap((h) => h.patches.filter((p) => p.id === UPGRADE_PATCH));
  const begunAfter: string[] = [];
  const missingMarker: string[] = [];
  const markerByA: string[] = [];
  for (const [id, snap] of ctx.snapshots) {
    const ops = snap?.recentOperations ?? [];
    const workflowId = lifecycleWorkflowId(id);
    if (ops.some((o) => Date.parse(o.enqueuedAt) > switchAt)) {
      begunAfter.push(id);
      if (markerOf(workflowId).length === 0) missingMarker.push(id);
    }
    for (const p of markerOf(workflowId)) if (p.buildId !== BUILD_B) markerByA.push(`${id} (${p.buildId})`);
  }
  // 3. The operations waiting at the roll: moved to B, then a fresh run on B (continue-as-new).
  const spannedDetail: string[] = [];
  let movedAndContinued = 0;
  for (const id of ctx.spanned) {
    const runs = runsOf(lifecycleWorkflowId(id));
    const firstB = runs.flatMap((h) => h.tasks).find((t) => t.buildId === BUILD_B);
    const freshOnB = runs.find((h) => h.continuedFrom && h.tasks[0]?.buildId === BUILD_B);
    if (firstB && freshOnB) movedAndContinued++;
    else
      spannedDetail.push(
        `${id}: ${runs.length} run(s), ${firstB ? 'tasks on B' : 'NO task on B'}, ${freshOnB ? 'continued as new on B' : 'no run started on B'}`,
      );
  }
  // 4. describe(): where each lifecycle stands now; one still on A must not have run since the switch.
  const seen = new Map<string, number>();
  const stillOnA: string[] = [];
  const activeOnA: string[] = [];
  for (const id of ctx.snapshots.keys()) {
    const workflowId = lifecycleWorkflowId(id);
    const info = await describeVersioningOf(ctx.client, workflowId);
    seen.set(info, (seen.get(info) ?? 0) + 1);
    if (info.includes(` on ${BUILD_A}`)) {
      stillOnA.push(id);
      if (runsOf(workflowId).some((h) => h.tasks.some((t) => t.startedAt > switchAt))) activeOnA.push(id);
    }
  }
  log.check(
    `lifecycles after the roll ran on build ${BUILD_B}`,
    onAAfterSwitch.length === 0 &&
      missingMarker.length === 0 &&
      markerByA.length === 0 &&
      spannedDetail.length === 0 &&
      activeOnA.length === 0 &&
      activitiesElsewhere.length === 0,
    `${tasksAfter} lifecycle workflow tasks started after the switch, ${tasksAfter - onAAfterSwitch.length} completed by ${BUILD_B}` +
      (onAAfterSwitch.length ? ` (by another build: ${onAAfterSwitch.slice(0, 4).join('; ')})` : '') +
      `; ${lifecycleActivities.length} of their activity tasks started after it, ${lifecycleActivities.length - activitiesElsewhere.length} on ${BUILD_B}'s worker` +
      (activitiesElsewhere.length ? ` (elsewhere: ${summarize(count(activitiesElsewhere, buildOf))})` : '') +
      `; ${begunAfter.length} lifecycles began an operation after the switch, ${begunAfter.length - missingMarker.length} of them ` +
      `hold the '${UPGRADE_PATCH}' marker` +
      (missingMarker.length ? ` (missing: ${missingMarker.slice(0, 5).join(', ')})` : '') +
      (markerByA.length ? `; marker recorded by another build: ${markerByA.join(', ')}` : '') +
      `; ${movedAndContinued}/${ctx.spanned.length} operations waiting at the roll finished on ${BUILD_B} and the lifecycle continued as new there` +
      (spannedDetail.length ? ` (${spannedDetail.slice(0, 4).join('; ')})` : '') +
      `; describe(): ${[...seen].map(([k, n]) => `${n} × ${k}`).join(', ')}` +
      (stillOnA.length
        ? ` (on ${BUILD_A}: ${stillOnA.length - activeOnA.length}/${stillOnA.length} idle since before the switch, no task after it` +
          `${activeOnA.length ? `; ran after it: ${activeOnA.join(', ')}` : ''})`
        : ''),
  );

  // 5. Pinned: the fleet and the verification child stayed on A.
  const pinned = [ctx.fleetWorkflowId, ...(ctx.verifyChild ? [ctx.verifyChild] : [])];
  const pinnedDetail: string[] = [];
  let pinnedOk = !!ctx.verifyChild;
  for (const workflowId of pinned) {
    const info = await describeVersioningOf(ctx.client, workflowId);
    const runs = histories.filter((h) => h.workflowId === workflowId);
    const builds = new Set(runs.flatMap((h) => h.tasks.map((t) => t.buildId)));
    const after = runs.flatMap((h) => h.tasks).filter((t) => t.startedAt > switchAt).length;
    const activities = runs.flatMap((h) => h.activities);
    const activityBuilds = count(activities, buildOf);
    const activitiesAfter = activities.filter((a) => a.startedAt > switchAt);
    const ok =
      info === `PINNED on ${BUILD_A}` &&
      builds.size === 1 &&
      builds.has(BUILD_A) &&
      runs.length > 0 &&
      activities.every((a) => buildOf(a) === BUILD_A);
    pinnedOk &&= ok;
    pinnedDetail.push(
      `${workflowId}: describe() ${info}; ${runs.length} run(s), ${runs.reduce((n, h) => n + h.tasks.length, 0)} tasks ` +
        `completed by ${[...builds].join('+') || 'none'} (${after} after the switch)` +
        (activities.length
          ? `, ${activities.length} activity tasks run by ${summarize(activityBuilds)} (${activitiesAfter.length} after the switch)`
          : ', no activities'),
    );
  }
  log.check(
    `the fleet and the verification child stayed on build ${BUILD_A} (PINNED)`,
    pinnedOk,
    pinnedDetail.join('; ') + (ctx.verifyChild ? '' : '; no verification child run known'),
  );
}

async function describeVersioningOf(
  client: VersioningContext['client'],
  workflowId: string,
): Promise<string> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    const info = d.raw.workflowExecutionInfo?.versioningInfo;
    if (!info) return 'no versioningInfo';
    const build = info.deploymentVersion?.buildId ?? info.version ?? '?';
    const override = info.versioningOverride ? ' (with an override)' : '';
    const transition = info.versionTransition?.deploymentVersion?.buildId
      ? ` (transitioning to ${info.versionTransition.deploymentVersion.buildId})`
      : '';
    return `${behaviorName(info.behavior)} on ${build}${override}${transition}`;
  } catch (err) {
    return `describe failed: ${(err as Error).message.split('\n')[0]}`;
  }
}
