// `npm run replay:record`: regenerates the replay corpus (test/replay/histories/*.json) from real runs on the
// dev server. Every scenario of scenarios.ts runs on a stack (dev server + Graph simulator + worker) that
// encrypts payloads with the corpus's own fixed key; scenarios needing the same dev-server flags share one.
// Each recorded workflow run becomes one file; stale files are deleted first; the README's scenario list is
// written from the scenarios' descriptions. Exits non-zero when any scenario fails its own checks.
//
//   npm run replay:record                          # every scenario, the whole corpus
//   npm run replay:record -- --only wait-code,...  # only these scenarios (their files only; README kept)
import { mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import {
  CORPUS_DIR,
  CORPUS_ENCRYPTION_KEYS,
  historyToCorpusJSON,
  type CorpusEntry,
} from '../../test/replay/corpus';
import { startTestStack, type TestStack } from '../../test/helpers/stack';
import { temporalCliExecutable } from '../temporal-binaries';
import {
  SCENARIOS,
  STACK_GROUPS,
  scenarioNumber,
  type Scenario,
  type ScenarioContext,
  type StackGroup,
} from './scenarios';

/** A scenario that has not finished by then has hung (every wait inside it is bounded more tightly). */
const SCENARIO_TIMEOUT_MS = 180_000;
/** How long a run may take to come to rest (no workflow task or activity pending) before it is recorded. */
const SETTLE_TIMEOUT_MS = 20_000;

type History = temporal.api.history.v1.IHistory;

/** The events that close a run, and how each closes it. */
const CLOSE_EVENTS = {
  workflowExecutionCompletedEventAttributes: 'completed',
  workflowExecutionFailedEventAttributes: 'failed',
  workflowExecutionTimedOutEventAttributes: 'timed out',
  workflowExecutionCanceledEventAttributes: 'cancelled',
  workflowExecutionTerminatedEventAttributes: 'terminated',
  workflowExecutionContinuedAsNewEventAttributes: 'continued as new',
} as const;

/** How the run closed, or undefined while it is open (its last event closes nothing). */
function closedAs(history: History): string | undefined {
  const last = history.events?.[history.events.length - 1];
  const attr = (Object.keys(CLOSE_EVENTS) as (keyof typeof CLOSE_EVENTS)[]).find((a) => last?.[a]);
  return attr && CLOSE_EVENTS[attr];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The run's history once it is at rest: no workflow task or activity pending and the same length twice in a
 * row, so an open run is recorded as a deploy would meet it (waiting), not in the middle of a task.
 */
async function historyAtRest(client: Client, workflowId: string, runId?: string) {
  const handle = client.workflow.getHandle(workflowId, runId);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let previous = -1;
  for (;;) {
    const d = await handle.describe();
    // A closed run may still list the activity it held when it was terminated: only an open one can be busy.
    const busy =
      d.status.name === 'RUNNING' &&
      (!!d.raw.pendingWorkflowTask || (d.raw.pendingActivities?.length ?? 0) > 0);
    if (!busy && d.historyLength === previous) {
      const history = await handle.fetchHistory();
      if ((history.events?.length ?? 0) === d.historyLength) return { runId: d.runId, history };
    }
    if (Date.now() > deadline) {
      throw new Error(`${workflowId} (${d.runId}) did not come to rest within ${SETTLE_TIMEOUT_MS} ms`);
    }
    previous = busy ? -1 : d.historyLength;
    await sleep(250);
  }
}

/** Every run of a continue-as-new chain, oldest first: back from the current run through continuedExecutionRunId. */
async function chainRunIds(client: Client, workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    runs.unshift(runId);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runId =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

function entryOf(name: string, description: string, workflowId: string, runId: string, history: History) {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const closed = closedAs(history);
  const open = closed === undefined;
  const entry: CorpusEntry = {
    name,
    description: `${description} [${open ? 'open' : `closed: ${closed}`}]`,
    workflowType: started?.workflowType?.name ?? 'unknown',
    workflowId,
    runId,
    open,
    events: history.events?.length ?? 0,
    recordedAt: new Date().toISOString(),
    // What historyToJSON writes (see historyToCorpusJSON: the SDK's own cannot run in this checkout).
    history: historyToCorpusJSON(history),
  };
  return entry;
}

async function runScenario(stack: TestStack, scenario: Scenario, index: number): Promise<CorpusEntry[]> {
  const entries: CorpusEntry[] = [];
  const client = stack.env.client;
  const ctx: ScenarioContext = {
    stack,
    number: (i) => scenarioNumber(index, i),
    async record(role, description, workflowId, runId) {
      const name = `${scenario.name}--${role}`;
      if (entries.some((e) => e.name === name)) throw new Error(`${name} recorded twice`);
      const found = await historyAtRest(client, workflowId, runId);
      entries.push(entryOf(name, description, workflowId, found.runId, found.history));
    },
    async recordChain(role, description, workflowId) {
      const runs = await chainRunIds(client, workflowId);
      for (const [i, runId] of runs.entries()) {
        await ctx.record(
          `${role}-run${i + 1}`,
          `${description} Run ${i + 1} of ${runs.length}.`,
          workflowId,
          runId,
        );
      }
      return runs.length;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${SCENARIO_TIMEOUT_MS} ms`)),
      SCENARIO_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([scenario.run(ctx), timeout]);
  } finally {
    clearTimeout(timer);
  }
  if (entries.length === 0) throw new Error('recorded nothing');
  return entries;
}

function parseOnly(argv: string[]): Set<string> | undefined {
  const i = argv.indexOf('--only');
  if (i < 0) return undefined;
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (names.length === 0 || unknown.length) {
    throw new Error(`--only takes scenario names (${unknown.join(', ') || 'none given'} unknown)`);
  }
  return new Set(names);
}

async function formatted(file: string, text: string, parser: 'json' | 'markdown'): Promise<string> {
  return format(text, { ...(await resolveConfig(file)), parser });
}

function readme(): string {
  const groups = Object.entries(STACK_GROUPS) as [StackGroup, (typeof STACK_GROUPS)[StackGroup]][];
  const list = groups.flatMap(([group, { description }]) => [
    `On ${description} (\`${group}\`):`,
    '',
    ...SCENARIOS.filter((s) => s.group === group).map((s) => `- \`${s.name}\`: ${s.description}.`),
    '',
  ]);
  return [
    '# The replay corpus',
    '',
    'Recorded histories of every workflow type and path that can be open when new workflow code is deployed:',
    'the lifecycle (`phoneNumberLifecycle`) in each operation, wait and failure, the verification child run',
    '(`verifyOperation`), fleets (`numberFleet`), continue-as-new chains and a successor after a terminate. The',
    'replay test (`test/replay/replay.test.ts`) replays each against the current workflow code: a change that',
    'would break a running workflow fails it.',
    '',
    'One file per workflow run, `<scenario>--<role>.json` (`CorpusEntry` in `test/replay/corpus.ts`): its name, a',
    'description, workflow type, ID and run ID, whether it was still open when recorded (what a deploy meets),',
    'its event count, when it was recorded, and the history as `temporal workflow show --output json` writes it.',
    '',
    '## Regenerating it',
    '',
    '```sh',
    'npm run provision        # the Temporal CLI (dev server), once',
    'npm run replay:record    # every scenario, about a minute; deletes the old files first',
    'npm run replay:record -- --only wait-code,fleet-open   # some scenarios (their files only)',
    '```',
    '',
    '`scripts/replay/record.ts` runs the scenarios of `scripts/replay/scenarios.ts` on real dev servers (one per',
    'set of dev-server flags) with the Graph simulator and a worker, each scenario on its own fresh numbers. A',
    'scenario checks that it reached the state it claims before it records (a wait is recorded while it waits),',
    'then cleans up; the recorder exits non-zero if any scenario fails. Regenerate after a change to the',
    'workflows that is meant to be deployed, _after_ checking that the old corpus still replays: the old',
    'histories are what running workflows hold.',
    '',
    '## The key',
    '',
    'Payloads in these histories are encrypted with `CORPUS_ENCRYPTION_KEYS` (key id `replay-corpus-1`), a fixed',
    'test key defined in `test/replay/corpus.ts`, never a real one: the replay worker decrypts with it as a',
    'worker would. The PINs, codes and passwords in the scenarios are test values too.',
    '',
    '## Scenarios',
    '',
    "Written by the recorder from the scenarios' descriptions.",
    '',
    ...list,
  ].join('\n');
}

async function main(): Promise<number> {
  const started = Date.now();
  const only = parseOnly(process.argv.slice(2));
  if (temporalCliExecutable().type !== 'existing-path') {
    throw new Error('no Temporal CLI: run `npm run provision` first (it builds .tools/temporal-cli-*)');
  }
  const names = new Set<string>();
  for (const s of SCENARIOS) {
    if (names.has(s.name)) throw new Error(`two scenarios are named ${s.name}`);
    names.add(s.name);
  }
  const selected = SCENARIOS.map((scenario, index) => ({ scenario, index })).filter(
    ({ scenario }) => !only || only.has(scenario.name),
  );

  const entries: CorpusEntry[] = [];
  const failures: string[] = [];
  for (const group of Object.keys(STACK_GROUPS) as StackGroup[]) {
    const inGroup = selected.filter(({ scenario }) => scenario.group === group);
    if (inGroup.length === 0) continue;
    const { options, setup } = STACK_GROUPS[group];
    console.log(`stack ${group}: starting`);
    const stack = await startTestStack({ ...options, encryptionKeys: CORPUS_ENCRYPTION_KEYS });
    try {
      await setup?.(stack);
      for (const { scenario, index } of inGroup) {
        const t0 = Date.now();
        try {
          const recorded = await runScenario(stack, scenario, index);
          entries.push(...recorded);
          console.log(`  ok    ${scenario.name} (${recorded.length} run(s), ${Date.now() - t0} ms)`);
        } catch (err) {
          failures.push(scenario.name);
          console.log(`  FAIL  ${scenario.name}: ${err instanceof Error ? err.message : String(err)}`);
          await stack.sim.faults([]).catch(() => undefined);
        }
      }
    } finally {
      await stack.stop();
    }
  }

  // Stale files: every recording when the whole corpus is recorded; the selected scenarios' otherwise.
  mkdirSync(CORPUS_DIR, { recursive: true });
  const ours = (file: string) => !only || [...only].some((n) => file.startsWith(`${n}--`));
  for (const file of readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json') && ours(f))) {
    unlinkSync(path.join(CORPUS_DIR, file));
  }
  let bytes = 0;
  let events = 0;
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(CORPUS_DIR, `${entry.name}.json`);
    writeFileSync(file, await formatted(file, JSON.stringify(entry), 'json'));
    const size = statSync(file).size;
    bytes += size;
    events += entry.events;
    console.log(
      `${entry.name.padEnd(60)} ${String(entry.events).padStart(5)} events  ${entry.open ? 'open  ' : 'closed'}  ${size} bytes`,
    );
  }
  if (!only) {
    const file = path.join(CORPUS_DIR, 'README.md');
    writeFileSync(file, await formatted(file, readme(), 'markdown'));
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `total: ${entries.length} files, ${events} events, ${bytes} bytes, ${seconds} s` +
      (failures.length ? `; FAILED scenarios: ${failures.join(', ')}` : ''),
  );
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
