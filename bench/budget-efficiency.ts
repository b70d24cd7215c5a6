// 2. Budget efficiency: Graph register/deregister requests spent per successful operation under a fixed,
// seeded fault schedule, for OURS (the workflows) versus a NAIVE retry-on-any-error loop.
import { Client } from '@temporalio/client';
import { GraphClient } from '../activities/graph-client';
import { NumberLifecycleClient, type OperationSummary, type OperationTicket } from '../client';
import { operationPolicy } from '../platform/config';
import { TEST_TOKEN, type TestStack } from '../test/helpers/stack';
import type { SimRequest } from '../test/helpers/simulator-admin';
import {
  faultRules,
  faultSchedule,
  fixed,
  formatDuration,
  historySummary,
  pct,
  table,
  type BenchArgs,
  type FaultRates,
  type SectionResult,
} from './lib/common';

const PIN = '123456';

interface SideResult {
  side: 'OURS' | 'NAIVE';
  operations: number;
  succeeded: number;
  failed: number;
  requests: { register: number; deregister: number; total: number; countedByMeta: number };
  answers133016: number;
  faultsInjected: Record<string, number>;
  /** Numbers on which Meta still had a 133016 block active at the end (simulator clock). */
  numbersLeftBlocked: number;
  realMs: number;
  failures: Record<string, number>;
  ours?: {
    simulatedSpanMs: number;
    rateLimitWaits: number;
    rateLimitWaitMs: number;
    waits: BudgetWait[];
    backoffTimers: number;
    backoffMs: number;
    alreadyDone: number;
  };
}

/** A wait of OURS for the budget (window full by our ledger, or a 133016 block). */
interface BudgetWait {
  phoneNumberId: string;
  operationId: string;
  endpoint: string;
  startedAt: string;
  ms: number;
  /** Requests to that endpoint of that number in Meta's window when the wait began, per the simulator. */
  sentInWindow: number;
  countedByMetaInWindow: number;
  answered133016: boolean;
}

/** Waits Meta would not have required: it had counted fewer requests than the limit and sent no 133016. */
function unneededWaits(waits: BudgetWait[], limit: number): BudgetWait[] {
  return waits.filter((w) => !w.answered133016 && w.countedByMetaInWindow < limit);
}

function phoneNumberIds(m: number): string[] {
  return Array.from({ length: m }, (_, i) => String(8_880_000_001 + i));
}

async function prepareSimulator(stack: TestStack, ids: string[], rules: Record<string, unknown>[]) {
  await stack.sim.reset();
  for (const id of ids) {
    await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED', pin: PIN });
  }
  await stack.sim.faults(rules);
}

async function mutationLog(stack: TestStack, ids: string[]): Promise<SimRequest[]> {
  const wanted = new Set(ids);
  return (await stack.sim.requests()).filter(
    (r) => (r.endpoint === 'register' || r.endpoint === 'deregister') && wanted.has(r.phoneNumberId ?? ''),
  );
}

async function summarizeLog(stack: TestStack, ids: string[]) {
  const log = await mutationLog(stack, ids);
  const faultsInjected: Record<string, number> = {};
  for (const r of log) if (r.fault) faultsInjected[r.fault] = (faultsInjected[r.fault] ?? 0) + 1;
  let numbersLeftBlocked = 0;
  for (const id of ids) {
    const view = (await stack.sim.phoneNumber(id)) as {
      rateLimits: Record<string, { blockedUntil: string | null }>;
    };
    if (Object.values(view.rateLimits).some((l) => l.blockedUntil !== null)) numbersLeftBlocked++;
  }
  return {
    requests: {
      register: log.filter((r) => r.endpoint === 'register').length,
      deregister: log.filter((r) => r.endpoint === 'deregister').length,
      total: log.length,
      countedByMeta: log.filter((r) => r.counted).length,
    },
    answers133016: log.filter((r) => r.errorCode === 133016).length,
    faultsInjected,
    numbersLeftBlocked,
  };
}

async function withDeadline<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${formatDuration(ms)}`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function runOurs(stack: TestStack, ids: string[], rules: Record<string, unknown>[], cycles: number) {
  await prepareSimulator(stack, ids, rules);
  const { env, config } = stack;
  await stack.sim.setClock(await env.currentTimeMs());
  // A plain client: its result() does not touch the time-skipping lock, which we hold open ourselves for
  // the whole wait (the test client would lock and unlock once per waiter, 20 waiters at a time).
  // Same namespace, data converter and interceptors as the stack's client.
  const plain = new Client({
    connection: env.connection,
    namespace: env.client.options.namespace,
    dataConverter: env.client.options.dataConverter,
    interceptors: env.client.options.interceptors,
  });
  const client = await NumberLifecycleClient.connect({ config, client: plain });
  const testService = env.connection.testService;
  if (!testService) throw new Error('budget benchmark needs the time-skipping server');

  const realStart = Date.now();
  // All operations of a number are queued at once: the lifecycle runs them back to back, so the server
  // only skips time when every number is sleeping (a backoff or a budget wait), never between operations.
  const tickets = await Promise.all(
    ids.map(async (id) => {
      const mine: OperationTicket[] = [];
      for (let k = 0; k < cycles; k++) {
        mine.push(await client.requestOperation(id, { operation: 'register', pin: PIN }));
        mine.push(await client.requestOperation(id, { operation: 'deregister' }));
      }
      return { id, tickets: mine };
    }),
  );
  await testService.unlockTimeSkipping({});
  let summaries: OperationSummary[][];
  try {
    summaries = await withDeadline(
      6 * 60_000,
      'OURS workload',
      Promise.all(
        tickets.map(async ({ id, tickets: mine }) => {
          const done: OperationSummary[] = [];
          for (const t of mine)
            done.push(await client.waitForOperation(id, t.operationId, { pollIntervalMs: 200 }));
          return done;
        }),
      ),
    );
  } finally {
    await testService.lockTimeSkipping({});
  }
  const realMs = Date.now() - realStart;
  const all = summaries.flat();
  // On the workflow clock: first operation queued → last one finished. (The server clock itself also
  // jumps while everything is idle, e.g. between the last operation and re-locking; that is not counted.)
  const simulatedSpanMs =
    Math.max(...all.map((s) => Date.parse(s.finishedAt ?? ''))) -
    Math.min(...all.map((s) => Date.parse(s.enqueuedAt)));

  // Where the simulated time went: timers in the child runs. A budget wait (window full or 133016 block)
  // is always at least the safety margin; backoffs are a few seconds at most.
  const policy = operationPolicy(config);
  const log = await mutationLog(stack, ids);
  const waits: BudgetWait[] = [];
  let backoffTimers = 0;
  let backoffMs = 0;
  for (const [i, perNumber] of summaries.entries()) {
    const id = ids[i]!;
    for (const s of perNumber) {
      const h = await historySummary(env.client.workflow.getHandle(s.workflowId));
      for (const t of h.timers) {
        if (t.ms < policy.safetyMarginMs) {
          backoffTimers++;
          backoffMs += t.ms;
          continue;
        }
        // What Meta had seen for this number and endpoint in the window when the wait began.
        const before = log.filter(
          (r) =>
            r.phoneNumberId === id &&
            r.endpoint === s.operation &&
            Date.parse(r.at) <= t.at &&
            t.at - Date.parse(r.at) < policy.windowMs,
        );
        waits.push({
          phoneNumberId: id,
          operationId: s.operationId,
          endpoint: s.operation,
          startedAt: new Date(t.at).toISOString(),
          ms: t.ms,
          sentInWindow: before.length,
          countedByMetaInWindow: before.filter((r) => r.counted).length,
          answered133016: before.some((r) => r.errorCode === 133016),
        });
      }
    }
  }
  const failures: Record<string, number> = {};
  for (const s of all) {
    if (s.status !== 'completed') {
      const key = s.failure?.type ?? s.status;
      failures[key] = (failures[key] ?? 0) + 1;
    }
  }
  const logSummary = await summarizeLog(stack, ids);
  const result: SideResult = {
    side: 'OURS',
    operations: all.length,
    succeeded: all.filter((s) => s.status === 'completed').length,
    failed: all.filter((s) => s.status !== 'completed').length,
    ...logSummary,
    realMs,
    failures,
    ours: {
      simulatedSpanMs,
      rateLimitWaits: waits.length,
      rateLimitWaitMs: waits.reduce((n, w) => n + w.ms, 0),
      waits,
      backoffTimers,
      backoffMs,
      alreadyDone: all.filter((s) => s.outcome === 'already-done').length,
    },
  };
  return result;
}

async function runNaive(
  stack: TestStack,
  ids: string[],
  rules: Record<string, unknown>[],
  cycles: number,
  maxAttempts: number,
) {
  await prepareSimulator(stack, ids, rules);
  const { config } = stack;
  const graph = new GraphClient({
    baseUrl: stack.simulator.url,
    apiVersion: config.graph.apiVersion,
    accessToken: TEST_TOKEN,
    timeoutMs: config.graph.requestTimeoutMs,
    blockMs: operationPolicy(config).blockMs,
  });
  const realStart = Date.now();
  const failures: Record<string, number> = {};
  const outcomes = await Promise.all(
    ids.map(async (id) => {
      let succeeded = 0;
      let failed = 0;
      for (let k = 0; k < cycles; k++) {
        for (const op of ['register', 'deregister'] as const) {
          let ok = false;
          let lastError = '';
          for (let attempt = 1; attempt <= maxAttempts && !ok; attempt++) {
            try {
              if (op === 'register') await graph.register(id, { pin: PIN });
              else await graph.deregister(id);
              ok = true;
            } catch (err) {
              lastError = (err as { type?: string }).type ?? (err as Error).name; // retry at once, whatever it was
            }
          }
          if (ok) succeeded++;
          else {
            failed++;
            const key = `${lastError} (capped at ${maxAttempts} attempts)`;
            failures[key] = (failures[key] ?? 0) + 1;
          }
        }
      }
      return { succeeded, failed };
    }),
  );
  const realMs = Date.now() - realStart;
  const result: SideResult = {
    side: 'NAIVE',
    operations: ids.length * cycles * 2,
    succeeded: outcomes.reduce((n, o) => n + o.succeeded, 0),
    failed: outcomes.reduce((n, o) => n + o.failed, 0),
    ...(await summarizeLog(stack, ids)),
    realMs,
    failures,
  };
  return result;
}

function waitsTable(waits: BudgetWait[]): string[] {
  if (waits.length === 0) return [];
  return [
    '',
    "Budget waits of OURS (from the child runs' timers; Meta's view from the simulator's request log):",
    '',
    table(
      [
        'Number',
        'Operation',
        'Wait began (simulated)',
        'Wait',
        "Requests to the endpoint in Meta's window then: sent / counted by Meta",
        '133016 seen',
      ],
      waits.map((w) => [
        w.phoneNumberId,
        w.operationId.replace(/^phone-number:\d+:/, ''),
        w.startedAt,
        formatDuration(w.ms),
        `${w.sentInWindow} / ${w.countedByMetaInWindow}`,
        w.answered133016 ? 'yes' : 'no',
      ]),
    ),
    '',
    'A wait with fewer requests counted by Meta than the limit and no 133016 is the ledger being ' +
      'conservative: it records every request it sent, including the ones a proxy answered with a 502 ' +
      '(the simulator models those as never reaching Meta, so not counted).',
  ];
}

export async function runBudgetEfficiency(stack: TestStack, args: BenchArgs): Promise<SectionResult> {
  const started = Date.now();
  const ids = phoneNumberIds(args.numbers);
  const rates: FaultRates = {
    timeoutAfterApply: args.timeoutRate,
    http5xx: args.http5xxRate,
    error131000: args.error131000Rate,
    fidelity: args.fidelityRate,
  };
  const rules = faultRules(ids, rates, args.seed, args.hangMs);
  const ours = await runOurs(stack, ids, rules, args.cycles);
  const naive = await runNaive(stack, ids, rules, args.cycles, args.naiveMaxAttempts);
  const policy = operationPolicy(stack.config);

  const perOp = (s: SideResult) => (s.succeeded > 0 ? fixed(s.requests.total / s.succeeded) : 'n/a');
  const schedule = faultSchedule(rates, args.hangMs);
  const kinds = [...new Set(schedule.map((f) => String(f.kind)))];
  const faults = (s: SideResult) => kinds.map((k) => `${s.faultsInjected[k] ?? 0}`).join(' / ');
  const failures = (s: SideResult) =>
    Object.entries(s.failures)
      .map(([k, n]) => `${n}× ${k}`)
      .join('; ') || '–';
  const sides = [ours, naive];
  const markdown = [
    '## 2. Budget efficiency under a seeded fault schedule',
    '',
    `Workload: ${args.numbers} numbers × ${args.cycles} register→deregister cycles = ` +
      `${args.numbers * args.cycles * 2} operations per side, all requested at once (one 72-hour window). ` +
      `Meta's budget: ${policy.requestsPerWindow} register + ${policy.requestsPerWindow} deregister requests ` +
      `per number per moving ${policy.windowMs / 3_600_000} h.`,
    '',
    table(
      ['Fault on register/deregister calls', 'Marginal rate', 'Rule probability (rules checked in order)'],
      schedule.map((f) => [
        f.label,
        pct(f.rate),
        f.probability > 0 ? fixed(f.probability, 4) : '0 (no rule)',
      ]),
    ),
    '',
    `Seeds: base ${args.seed}; one seeded rule per number × endpoint × fault kind, so a number's n-th ` +
      `register (or deregister) call meets the same fault on both sides. Graph timeout ` +
      `${stack.config.graph.requestTimeoutMs} ms, timeout-after-apply answers held ${args.hangMs} ms. ` +
      `OURS: transient backoff ${policy.transientBackoffMs} ms doubling, at most ${policy.maxTransientRetries} ` +
      `retries, ${policy.maxLockoutWaits} lockout waits. NAIVE: immediate retry on any error, at most ` +
      `${args.naiveMaxAttempts} attempts per operation (a capped operation counts as failed).`,
    '',
    table(
      ['', 'OURS (workflows)', 'NAIVE (retry loop)'],
      [
        ['Operations', ...sides.map((s) => s.operations)],
        ['Successful operations', ...sides.map((s) => s.succeeded)],
        ['Operations failed', ...sides.map((s) => s.failed)],
        [
          'Register + deregister requests sent',
          ...sides.map((s) => `${s.requests.total} (${s.requests.register} + ${s.requests.deregister})`),
        ],
        ['…of which counted by Meta toward the budget', ...sides.map((s) => s.requests.countedByMeta)],
        ['Requests per successful operation', ...sides.map(perOp)],
        ['133016 answers', ...sides.map((s) => s.answers133016)],
        ['Numbers left blocked by Meta (133016) at the end', ...sides.map((s) => s.numbersLeftBlocked)],
        [`Faults injected: ${kinds.join(' / ')}`, ...sides.map(faults)],
        [
          'Simulated time, first operation queued → last one finished',
          ours.ours ? formatDuration(ours.ours.simulatedSpanMs) : 'n/a',
          'n/a (real time)',
        ],
        [
          'Simulated time waiting for the budget (window full / 133016)',
          ours.ours
            ? `${formatDuration(ours.ours.rateLimitWaitMs)} in ${ours.ours.rateLimitWaits} waits`
            : 'n/a',
          '0 (never waits)',
        ],
        [
          '…waits begun while Meta had counted fewer than the limit (no 133016 seen)',
          ours.ours ? unneededWaits(ours.ours.waits, policy.requestsPerWindow).length : 'n/a',
          'n/a',
        ],
        [
          'Simulated time in backoff timers',
          ours.ours ? `${formatDuration(ours.ours.backoffMs)} in ${ours.ours.backoffTimers} timers` : 'n/a',
          '0 (immediate retry)',
        ],
        ['Operations found already done on the first read', ours.ours?.alreadyDone ?? 'n/a', 'n/a'],
        ['Failures', ...sides.map(failures)],
        ['Real time', ...sides.map((s) => formatDuration(s.realMs))],
      ],
    ),
    ...waitsTable(ours.ours?.waits ?? []),
    '',
    'Caveat: both sides use the same seeded rules, but they do not send the same sequence of calls (NAIVE ' +
      'resends after every error, OURS reads the number first and backs off), so the n-th call of a number ' +
      'does not belong to the same operation on both sides, and the injected fault counts differ. Requests ' +
      "are counted from the simulator's `/_sim/requests` (every request to register/deregister, whatever " +
      "the answer). OURS runs on the time-skipping server with the simulator clock following the server's; " +
      'NAIVE runs in real time against the same simulator after `/_sim/reset`.',
  ].join('\n');
  return {
    name: 'budget',
    title: 'Budget efficiency',
    markdown,
    raw: {
      numbers: args.numbers,
      cycles: args.cycles,
      rates,
      seed: args.seed,
      hangMs: args.hangMs,
      graphTimeoutMs: stack.config.graph.requestTimeoutMs,
      naiveMaxAttempts: args.naiveMaxAttempts,
      policy,
      rules,
      ours,
      naive,
    },
    wallMs: Date.now() - started,
  };
}
