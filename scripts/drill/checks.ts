// What every drill asserts once its fleet has finished: every number final, nothing lost, no register or
// deregister beyond what the ledger allowed (the simulator's request log against each number's ledger),
// and no 133016. Each check says what it looked at, so a PASS is as readable as a FAIL.
import type { FleetProgress } from '../../domain/fleet';
import type { LifecycleSnapshot } from '../../workflows/messages';
import type { SimRequest } from '../../test/helpers/simulator-admin';
import { mapLimit } from '../map-limit';
import { withTimeout } from './processes';
import { unansweredSendsOf } from './unanswered-sends';
import type { DrillStack } from './stack';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  checks: Check[];
  progress?: FleetProgress;
  requests: SimRequest[];
  /** Lines that explain failures (mismatching numbers, failure reasons). */
  notes: string[];
}

const BUDGETED = ['register', 'deregister'] as const;

export function count<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const item of items) m.set(key(item), (m.get(key(item)) ?? 0) + 1);
  return m;
}

export function summarize(m: Map<string, number>): string {
  return (
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
}

export async function verifyFleet(
  stack: DrillStack,
  fleetId: string,
  numbers: string[],
  options: {
    everyNumberCompletes: boolean;
    /**
     * Ledger entries stamped before this time (epoch ms) are not compared with the simulator: a lifecycle
     * started with a carried ledger (the upgrade drill) holds requests Meta never saw.
     */
    ledgerFrom?: number;
    /** Numbers outside the fleet whose ledgers are compared with the simulator too. */
    otherNumbers?: string[];
  },
): Promise<Verification> {
  const checks: Check[] = [];
  const notes: string[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const N = numbers.length;

  // 1. The fleet's own account.
  const status = await withTimeout('describeFleet', stack.client.describeFleet(fleetId, 'all'), 30_000);
  const progress = status.progress;
  check(
    'fleet finished',
    status.status === 'COMPLETED' && progress?.phase === 'finished',
    `status ${status.status}, phase ${progress?.phase ?? '-'}${status.failure ? `, failure ${status.failure.message}` : ''}`,
  );
  const requests = await withTimeout('simulator request log', stack.sim.requests(), 30_000);
  if (!progress) return { checks, requests, notes };
  const c = progress.counts;
  const open = c.pending + c.starting + c.running;
  check(
    'every number in a final state',
    open === 0 && progress.total === N,
    `total ${progress.total}/${N}; pending ${c.pending} + starting ${c.starting} + running ${c.running} = ${open}`,
  );
  const ids = progress.numbers.map((n) => n.phoneNumberId);
  const missing = numbers.filter((id) => !ids.includes(id));
  const dupes = ids.length - new Set(ids).size;
  check(
    'N outcomes, one per number',
    ids.length === N && missing.length === 0 && dupes === 0,
    `${ids.length} outcomes, ${missing.length} numbers missing, ${dupes} duplicates`,
  );
  const done = c.completed + c['already-done'];
  const failed = progress.numbers.filter((n) => n.status === 'failed');
  if (options.everyNumberCompletes) {
    check(
      'every number completed',
      done === N,
      `completed ${c.completed} + already-done ${c['already-done']} = ${done}/${N}; failed ${c.failed}, not-started ${c['not-started']}`,
    );
  } else {
    const bare = failed.filter((n) => !n.reason?.trim() || !n.failureType);
    check(
      'every failure carries a reason',
      bare.length === 0 && c['not-started'] === 0,
      `${failed.length} failed (${summarize(count(failed, (n) => n.failureType ?? '?'))}); ${bare.length} without reason/type; not-started ${c['not-started']}`,
    );
  }
  for (const n of failed.slice(0, 8)) notes.push(`failed ${n.phoneNumberId}: [${n.failureType}] ${n.reason}`);
  if (failed.length > 8) notes.push(`... and ${failed.length - 8} more failed`);

  // 2. Each number's lifecycle: the fleet's operation is in its history, and its ledger.
  const others = options.otherNumbers ?? [];
  const ledgerIds = [...progress.numbers.map((n) => n.phoneNumberId), ...others];
  const allSnapshots = await mapLimit(ledgerIds, 8, async (id) => {
    try {
      return await withTimeout(`getState(${id})`, stack.client.getState(id), 20_000);
    } catch (err) {
      notes.push(`getState(${id}) failed: ${(err as Error).message.split('\n')[0]}`);
      return undefined;
    }
  });
  const snapshots = allSnapshots.slice(0, progress.numbers.length);
  const notRecorded: string[] = [];
  const disagree: string[] = [];
  snapshots.forEach((snap, i) => {
    const n = progress.numbers[i]!;
    const op = snap?.recentOperations.find((o) => o.operationId === n.operationId);
    if (!n.operationId || !op) {
      notRecorded.push(n.phoneNumberId);
      return;
    }
    const fleetSaysOk = n.status === 'completed' || n.status === 'already-done';
    if (fleetSaysOk !== (op.status === 'completed')) {
      disagree.push(`${n.phoneNumberId} (fleet ${n.status}, lifecycle ${op.status})`);
    }
  });
  check(
    "each number's lifecycle records the fleet's operation",
    notRecorded.length === 0 && disagree.length === 0,
    `${N - notRecorded.length}/${N} found in getState().recentOperations; ${disagree.length} disagree on the outcome` +
      (notRecorded.length ? `; missing: ${notRecorded.slice(0, 5).join(', ')}` : '') +
      (disagree.length ? `; ${disagree.slice(0, 3).join(', ')}` : ''),
  );

  // 3. What the simulator received against what the ledgers allowed.
  const first = requests[0]?.seq ?? 1;
  const last = requests.at(-1)?.seq ?? 0;
  const complete = first === 1 && requests.length === last;
  check(
    'simulator request log complete',
    complete,
    `${requests.length} entries, seq ${first}..${last}${complete ? '' : ' (the log keeps 10,000: older entries were dropped)'}`,
  );
  const code133016 = requests.filter((r) => r.errorCode === 133016);
  check(
    'no 133016 in the simulator log',
    code133016.length === 0,
    `${code133016.length} responses with 133016${code133016.length ? ` (numbers ${[...new Set(code133016.map((r) => r.phoneNumberId))].slice(0, 5).join(', ')})` : ''}`,
  );
  const fleetSet = new Set([...numbers, ...others]);
  const budgeted = requests.filter(
    (r) => (r.endpoint === 'register' || r.endpoint === 'deregister') && fleetSet.has(r.phoneNumberId ?? ''),
  );
  const simCount = count(budgeted, (r) => `${r.phoneNumberId}/${r.endpoint}`);
  let maxPerNumber = 0;
  const overBudget: string[] = [];
  for (const [key, v] of simCount) {
    maxPerNumber = Math.max(maxPerNumber, v);
    if (v > 10) overBudget.push(`${key}: ${v}`);
  }
  check(
    'at most 10 registers and 10 deregisters per number in the window',
    overBudget.length === 0,
    `max ${maxPerNumber} per number and endpoint${overBudget.length ? `; over: ${overBudget.slice(0, 5).join(', ')}` : ''}`,
  );
  const simMore: string[] = [];
  const surpluses: { id: string; endpoint: string; by: number }[] = [];
  let ledgerTotal = 0;
  let carriedIn = 0;
  const from = options.ledgerFrom ?? -Infinity;
  allSnapshots.forEach((snap, i) => {
    const id = ledgerIds[i]!;
    for (const endpoint of BUDGETED) {
      const entries = snap?.ledger.entries.filter((e) => e.endpoint === endpoint) ?? [];
      carriedIn += entries.filter((e) => e.at < from).length;
      const inLedger = entries.filter((e) => e.at >= from).length;
      const atSim = simCount.get(`${id}/${endpoint}`) ?? 0;
      ledgerTotal += inLedger;
      if (atSim > inLedger) simMore.push(`${id}/${endpoint}`);
      if (atSim < inLedger) surpluses.push({ id, endpoint, by: inLedger - atSim });
      if (atSim !== inLedger && simMore.length + surpluses.length <= 6) {
        notes.push(explainMismatch(id, endpoint, snap, requests, progress, from));
      }
    }
  });
  // A ledger surplus is the safe side only when the lifecycle never heard back from that many sends.
  const ledgerMore: string[] = [];
  let unheard = 0;
  for (const { id, endpoint, by } of surpluses) {
    const timedOut = (await unansweredSendsOf(stack.client.client, id, from)).get(endpoint) ?? 0;
    if (by > timedOut) ledgerMore.push(`${id}/${endpoint}`);
    else unheard += by;
    notes.push(
      `${id}/${endpoint}: ledger ${by} over the simulator, ${timedOut} send(s) timed out unanswered`,
    );
  }
  check(
    'simulator register/deregister count = ledger entries, per number',
    simMore.length === 0 && ledgerMore.length === 0 && allSnapshots.every(Boolean),
    `${ledgerIds.length} numbers${others.length ? ` (${others.length} outside the fleet)` : ''}: ` +
      `simulator ${budgeted.length} vs ledgers ${ledgerTotal}` +
      (carriedIn ? ` (not counting ${carriedIn} entries carried in from before the drill)` : '') +
      (unheard
        ? ` (${unheard} of them sends that timed out unanswered and never reached the simulator)`
        : '') +
      `; ${simMore.length} number(s) with MORE requests at the ` +
      `simulator than in the ledger${simMore.length ? ` (${simMore.slice(0, 5).join(', ')})` : ''}, ${ledgerMore.length} with fewer` +
      `${ledgerMore.length ? ` (${ledgerMore.slice(0, 5).join(', ')})` : ''}`,
  );

  // 4. Meta's side agrees with the outcomes: completed numbers are CONNECTED at the simulator.
  const sim = await withTimeout(
    'simulator numbers',
    fetch(`${stack.simUrl}/_sim/phone-numbers`).then(
      (r) => r.json() as Promise<{ phone_numbers: { id: string; status: string }[] }>,
    ),
    30_000,
  );
  const simStatus = new Map(sim.phone_numbers.map((p) => [p.id, p.status]));
  const okButNotConnected = progress.numbers.filter(
    (n) =>
      (n.status === 'completed' || n.status === 'already-done') &&
      simStatus.get(n.phoneNumberId) !== 'CONNECTED',
  );
  const failedButConnected = failed.filter((n) => simStatus.get(n.phoneNumberId) === 'CONNECTED');
  check(
    'completed numbers are CONNECTED at the simulator',
    okButNotConnected.length === 0,
    `${done - okButNotConnected.length}/${done} CONNECTED; of ${failed.length} failed, ${failedButConnected.length} are CONNECTED anyway`,
  );
  return { checks, progress, requests, notes };
}

/** One line on a number whose simulator count and ledger differ: what each side saw. */
function explainMismatch(
  id: string,
  endpoint: string,
  snap: LifecycleSnapshot | undefined,
  requests: SimRequest[],
  progress: FleetProgress,
  from: number,
): string {
  const outcome = progress.numbers.find((n) => n.phoneNumberId === id);
  const atSim = requests
    .filter((r) => r.phoneNumberId === id && r.endpoint === endpoint)
    .map(
      (r) =>
        `#${r.seq} ${r.at.slice(11, 23)} ${r.status}${r.errorCode ? `/${r.errorCode}` : ''}${r.fault ? ` ${r.fault}` : ''}${r.applied ? ' applied' : ''}`,
    );
  const inLedger = (snap?.ledger.entries ?? [])
    .filter((e) => e.endpoint === endpoint && e.at >= from)
    .map((e) => new Date(e.at).toISOString().slice(11, 23));
  return (
    `mismatch ${id}/${endpoint}: simulator [${atSim.join('; ')}] vs ledger [${inLedger.join('; ')}]; ` +
    (outcome
      ? `fleet ${outcome.status}${outcome.reason ? ` (${outcome.failureType}: ${outcome.reason})` : ''}`
      : 'not in the fleet')
  );
}

/** Requests by endpoint, and what the register ones got back. */
export function requestFigures(requests: SimRequest[]): string[] {
  const byEndpoint = summarize(count(requests, (r) => r.endpoint));
  const faults = summarize(
    count(
      requests.filter((r) => r.fault),
      (r) => `${r.endpoint}:${r.fault}`,
    ),
  );
  const registers = requests.filter((r) => r.endpoint === 'register');
  const outcomes = summarize(
    count(
      registers,
      (r) =>
        `${r.status}${r.errorCode ? `/${r.errorCode}` : ''}${r.applied ? ' applied' : ''}` +
        // The worker never saw these answers: the simulator held them past the Graph timeout.
        (r.fault === 'timeout-after-apply' ? ' (answer held: timeout)' : ''),
    ),
  );
  return [
    `requests at the simulator: ${requests.length} (${byEndpoint})`,
    `register responses: ${outcomes}`,
    `faults that fired: ${faults}`,
  ];
}
