// 1. History events per operation, on the time-skipping server: how many events one operation writes
// to its child run and to the number's lifecycle workflow, for the common paths and the costly ones.
import type { OperationRequest, OperationRequestInput } from '../domain/operations';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { seedOnPremises } from '../test/helpers/seed';
import { TEST_TOKEN, type TestStack } from '../test/helpers/stack';
import {
  delay,
  formatDuration,
  historySummary,
  settledHistory,
  table,
  type BenchArgs,
  type HistorySummary,
  type SectionResult,
} from './lib/common';

const PIN = '123456';

interface ScenarioResult {
  key: string;
  label: string;
  phoneNumberId: string;
  operation: OperationRequest['operation'];
  outcome: string;
  child: HistorySummary;
  lifecycleBefore: number;
  lifecycleTasksBefore?: number;
  lifecycleAfter: HistorySummary;
  /** Simulated (server) time from the child's start to its close. */
  childSimulatedMs: number;
  /** What the simulator saw for this number during the scenario. */
  graphRequests: { get: number; mutations: number; answers: string[] };
  expected: string;
  asExpected: boolean;
}

async function seed(stack: TestStack, id: string, extra: Record<string, unknown> = {}) {
  await stack.sim.seed({
    id,
    code_verification_status: 'VERIFIED',
    name_status: 'APPROVED',
    pin: PIN,
    ...extra,
  });
}

/** Waits until the lifecycle has recorded the operation as finished (its summary is in recentOperations). */
async function waitRecorded(stack: TestStack, id: string, operationId: string) {
  for (let i = 0; i < 200; i++) {
    const state = await stack.client.getState(id);
    if (state?.recentOperations.some((o) => o.operationId === operationId)) return;
    await delay(100);
  }
  throw new Error(`lifecycle of ${id} did not record ${operationId}`);
}

async function runScenario(
  stack: TestStack,
  spec: {
    key: string;
    label: string;
    id: string;
    request: OperationRequestInput;
    expected: string;
    check: (answers: string[], report: { outcome?: string; failure?: { type: string } }) => boolean;
    /** What a person does while the operation runs (submit the code a verification waits for). */
    meanwhile?: () => Promise<void>;
  },
): Promise<ScenarioResult> {
  const { env, client, sim } = stack;
  const lifecycle = env.client.workflow.getHandle(lifecycleWorkflowId(spec.id));
  const existing = await client.getState(spec.id);
  const before = existing ? await settledHistory(lifecycle) : undefined;
  const lifecycleBefore = before?.events ?? 0;
  const lifecycleTasksBefore = before ? count(before, 'WORKFLOW_TASK_COMPLETED') : 0;
  const seqBefore = (await sim.requests({ phoneNumberId: spec.id })).length;
  const startedAt = await env.currentTimeMs();

  const ticket = await client.requestOperation(spec.id, spec.request);
  await spec.meanwhile?.();
  // The wait skips the time-skipping server's clock through durable waits (a 72-hour block).
  const report = await stack.operationResult(ticket);
  await waitRecorded(stack, spec.id, ticket.operationId);
  const simulatedMs = (await env.currentTimeMs()) - startedAt;

  // Operations run inside the lifecycle; a child run exists only for a verification (and before issue 11, always).
  const hasChild = ticket.workflowId !== lifecycleWorkflowId(spec.id);
  const child = hasChild
    ? await historySummary(env.client.workflow.getHandle(ticket.workflowId))
    : EMPTY_HISTORY;
  const lifecycleAfter = await settledHistory(lifecycle);
  const seen = (await sim.requests({ phoneNumberId: spec.id })).slice(seqBefore);
  const answers = seen
    .filter((r) => MUTATIONS.has(r.endpoint))
    .map((r) => `${r.endpoint} ${r.errorCode ?? r.status}${r.fault ? ` (${r.fault})` : ''}`);
  return {
    key: spec.key,
    label: spec.label,
    phoneNumberId: spec.id,
    operation: spec.request.operation,
    outcome: report.failure ? `failed: ${report.failure.type}` : (report.outcome ?? 'unknown'),
    child,
    lifecycleBefore,
    lifecycleTasksBefore,
    lifecycleAfter,
    childSimulatedMs: simulatedMs,
    graphRequests: {
      get: seen.filter((r) => r.endpoint === 'get').length,
      mutations: seen.filter((r) => MUTATIONS.has(r.endpoint)).length,
      answers,
    },
    expected: spec.expected,
    asExpected: spec.check(answers, report),
  };
}

/** The Graph calls that change a number (what each scenario's answers list). */
const MUTATIONS = new Set(['register', 'deregister', 'request_code', 'verify_code', 'set_pin']);

/** Waits until the number's verification asks for its code, then submits the code the simulator sent. */
async function submitSentCode(stack: TestStack, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await stack.client.getState(id))?.state === 'waiting-for-code') {
      const sent = (await (await fetch(`${stack.simulator.url}/_sim/codes/${id}`)).json()) as {
        display: string;
      };
      const answer = await stack.client.submitVerificationCode(id, sent.display);
      if (!answer.accepted) throw new Error(`code for ${id} refused`);
      return;
    }
    await delay(100);
  }
  throw new Error(`${id} never waited for a code`);
}

const EMPTY_HISTORY: HistorySummary = { events: 0, byType: {} } as HistorySummary;

const count = (h: HistorySummary, ...types: string[]) => types.reduce((n, t) => n + (h.byType[t] ?? 0), 0);

/** Workflow tasks the scenario added to the lifecycle (its total now, less what it had before). */
const workflowTasksAdded = (r: ScenarioResult) =>
  count(r.lifecycleAfter, 'WORKFLOW_TASK_COMPLETED') - (r.lifecycleTasksBefore ?? 0);

export async function runHistoryEvents(stack: TestStack, args: BenchArgs): Promise<SectionResult> {
  const started = Date.now();
  const base = 7_770_000_000; // every run starts its own Temporal server and simulator
  const ids = {
    a: String(base + 1),
    b: String(base + 2),
    c: String(base + 3),
    d: String(base + 4),
    f: String(base + 6),
    g: String(base + 7),
    h: String(base + 8),
    i: String(base + 9),
    j: String(base + 10),
  };
  const results: ScenarioResult[] = [];

  // (a) plain register
  await seed(stack, ids.a);
  results.push(
    await runScenario(stack, {
      key: 'a',
      label: 'register, no fault',
      id: ids.a,
      request: { operation: 'register', pin: PIN },
      expected: 'register 200',
      check: (a, r) => a.join() === 'register 200' && r.outcome === 'completed',
    }),
  );

  // (b) register that meets 133016 and waits out the 72-hour block: 10 wrong-PIN registers spend the budget.
  await seed(stack, ids.b);
  await stack.sim.setClock(await stack.env.currentTimeMs());
  for (let i = 0; i < 10; i++) {
    await fetch(`${stack.simulator.url}/${stack.config.graph.apiVersion}/${ids.b}/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', pin: '000000' }),
    });
  }
  results.push(
    await runScenario(stack, {
      key: 'b',
      label: 'register, 133016 then 72 h block waited out',
      id: ids.b,
      request: { operation: 'register', pin: PIN },
      expected: 'register 133016, register 200',
      check: (a, r) => a.join(', ') === 'register 133016, register 200' && r.outcome === 'completed',
    }),
  );

  // (c) plain deregister of a number that is registered (fresh lifecycle)
  await seed(stack, ids.c, { status: 'CONNECTED', platform_type: 'CLOUD_API' });
  results.push(
    await runScenario(stack, {
      key: 'c',
      label: 'deregister, no fault',
      id: ids.c,
      request: { operation: 'deregister' },
      expected: 'deregister 200',
      check: (a, r) => a.join() === 'deregister 200' && r.outcome === 'completed',
    }),
  );

  // (d) register whose answer never arrives (applied at Meta): read back instead of sent again
  await seed(stack, ids.d);
  await stack.sim.faults([
    {
      endpoint: 'register',
      phoneNumberId: ids.d,
      kind: 'timeout-after-apply',
      hangMs: args.hangMs,
      count: 1,
    },
  ]);
  results.push(
    await runScenario(stack, {
      key: 'd',
      label: 'register, timeout after apply → read-back',
      id: ids.d,
      request: { operation: 'register', pin: PIN },
      expected: 'register 200 (timeout-after-apply), no second register',
      check: (a, r) => a.join() === 'register 200 (timeout-after-apply)' && r.outcome === 'completed',
    }),
  );
  await stack.sim.faults([]);

  // (e) marginal cost: a second operation on an existing lifecycle (deregister after (a) on the same number)
  results.push(
    await runScenario(stack, {
      key: 'e',
      label: 'deregister after (a), same lifecycle',
      id: ids.a,
      request: { operation: 'deregister' },
      expected: 'deregister 200',
      check: (a, r) => a.join() === 'deregister 200' && r.outcome === 'completed',
    }),
  );

  // (k) marginal cost of a register: the number of (a), deregistered by (e), registered again by its lifecycle
  results.push(
    await runScenario(stack, {
      key: 'k',
      label: 'register after (e), same lifecycle',
      id: ids.a,
      request: { operation: 'register', pin: PIN },
      expected: 'register 200',
      check: (a, r) => a.join() === 'register 200' && r.outcome === 'completed',
    }),
  );

  // (f) change-region of a registered number (v25: deregister → settings → register → read back)
  await seed(stack, ids.f, { status: 'CONNECTED', platform_type: 'CLOUD_API' });
  results.push(
    await runScenario(stack, {
      key: 'f',
      label: 'change-region to DE, no fault',
      id: ids.f,
      request: { operation: 'change-region', region: 'DE', pin: PIN },
      expected: 'deregister 200, register 200',
      check: (a, r) => a.join(', ') === 'deregister 200, register 200' && r.outcome === 'completed',
    }),
  );

  // (g) migrate from the On-Premises API (preflight, backup, register with the backup, post-check)
  await seedOnPremises(stack.sim, ids.g, PIN, { username: 'admin', password: 'onprem-pw' });
  results.push(
    await runScenario(stack, {
      key: 'g',
      label: 'migrate from On-Prem, no fault',
      id: ids.g,
      request: {
        operation: 'migrate',
        pin: PIN,
        onPrem: { url: `${stack.simulator.url}/onprem/${ids.g}`, username: 'admin', password: 'onprem-pw' },
        backupPassword: 'backup-pw',
      },
      expected: 'register 200',
      check: (a, r) => a.join() === 'register 200' && r.outcome === 'completed',
    }),
  );

  // (h) set-pin on a fresh lifecycle
  await seed(stack, ids.h);
  results.push(
    await runScenario(stack, {
      key: 'h',
      label: 'set-pin, no fault',
      id: ids.h,
      request: { operation: 'set-pin', pin: '654321' },
      expected: 'set_pin 200',
      check: (a, r) => a.join() === 'set_pin 200' && r.outcome === 'completed',
    }),
  );

  // (i) verify: request_code, a person submits the code, verify_code (a child run holds the verification)
  await stack.sim.seed({ id: ids.i, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
  results.push(
    await runScenario(stack, {
      key: 'i',
      label: 'verify, code submitted',
      id: ids.i,
      request: { operation: 'verify' },
      expected: 'request_code 200, verify_code 200',
      check: (a, r) => a.join(', ') === 'request_code 200, verify_code 200' && r.outcome === 'completed',
      meanwhile: () => submitSentCode(stack, ids.i),
    }),
  );

  // (j) onboard: verify, the display name already approved, register
  await stack.sim.seed({ id: ids.j, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
  results.push(
    await runScenario(stack, {
      key: 'j',
      label: 'onboard (verify → register), code submitted',
      id: ids.j,
      request: { operation: 'onboard', pin: PIN },
      expected: 'request_code 200, verify_code 200, register 200',
      check: (a, r) =>
        a.join(', ') === 'request_code 200, verify_code 200, register 200' && r.outcome === 'completed',
      meanwhile: () => submitSentCode(stack, ids.j),
    }),
  );

  const rows = results.map((r) => [
    `(${r.key}) ${r.label}`,
    r.outcome,
    r.child.events,
    count(r.child, 'ACTIVITY_TASK_SCHEDULED'),
    count(r.child, 'TIMER_STARTED'),
    count(r.child, 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED'),
    r.lifecycleAfter.events - r.lifecycleBefore,
    r.lifecycleAfter.events,
    r.child.events + r.lifecycleAfter.events - r.lifecycleBefore,
    count(r.child, 'WORKFLOW_TASK_COMPLETED') + workflowTasksAdded(r),
    formatDuration(r.childSimulatedMs),
    `${r.graphRequests.mutations} + ${r.graphRequests.get} GET`,
    r.asExpected ? 'yes' : `NO (saw: ${r.graphRequests.answers.join(', ')})`,
  ]);
  const lifecycleTypes = (r: ScenarioResult) =>
    Object.entries(r.lifecycleAfter.byType)
      .sort((x, y) => y[1] - x[1])
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
  const markdown = [
    '## 1. History events per operation (time-skipping server)',
    '',
    'Each scenario (a)–(d) runs on a fresh number, so its lifecycle workflow is new: "lifecycle events added" ' +
      "includes the lifecycle's own start (update-with-start). Rows (e) and (k) are the marginal cost of one more " +
      'operation on an existing, idle lifecycle. Event counts are `handle.fetchHistory()` lengths, read after ' +
      'the lifecycle recorded the outcome and its history stopped growing. Since issue 11 operations run in ' +
      'the lifecycle itself (child columns are 0; a verification keeps a child run). Simulated time is the ' +
      "server clock's advance from the request to the recorded outcome.",
    '',
    table(
      [
        'Scenario',
        'Outcome',
        'Child events',
        'Child activities',
        'Child timers',
        'Signals to lifecycle',
        'Lifecycle events added',
        'Lifecycle events total',
        'Events, all runs',
        'Workflow tasks, all runs',
        'Simulated time',
        'Graph mutations + reads',
        'Graph calls as expected',
      ],
      rows,
    ),
    '',
    'Lifecycle event types after each scenario:',
    '',
    table(
      ['Scenario', 'Lifecycle event types (count)'],
      results.map((r) => [`(${r.key})`, lifecycleTypes(r)]),
    ),
  ].join('\n');
  return {
    name: 'history',
    title: 'History events per operation',
    markdown,
    raw: { graphTimeoutMs: stack.config.graph.requestTimeoutMs, hangMs: args.hangMs, scenarios: results },
    wallMs: Date.now() - started,
  };
}
