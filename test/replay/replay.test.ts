// The replay guard: every recorded history in test/replay/histories (what a deploy meets mid-flight) must
// replay against the current workflow code. A change that alters the commands an old history already
// recorded fails here, naming the history; such a change goes behind patched() (docs/versioning.md).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import { makeBuildVariant, type BuildVariant } from '../../scripts/replay/build-variant';
import { readCorpus, type CorpusEntry } from './corpus';
import { bundleForReplay, describeFailures, replayCorpus } from './replay-corpus';

Runtime.install({ logger: new DefaultLogger('WARN') });
const corpus: CorpusEntry[] = readCorpus();

describe('replay corpus', () => {
  test('holds a history of every workflow type the worker registers, open runs among them', () => {
    const types = new Set(corpus.map((e) => e.workflowType));
    for (const name of Object.keys(workflows)) assert.ok(types.has(name), `no recorded history of ${name}`);
    assert.ok(
      corpus.some((e) => e.open),
      'no open run: the corpus must hold what a deploy meets',
    );
    for (const e of corpus)
      assert.equal(e.events, (e.history as { events: unknown[] }).events.length, e.name);
  });

  test('every history replays against the current workflow code', async () => {
    const run = await replayCorpus(corpus, await bundleForReplay(WORKFLOWS_PATH));
    assert.equal(run.replayed, corpus.length);
    assert.deepEqual(
      run.failures,
      [],
      `non-deterministic against the corpus:\n${describeFailures(run.failures)}`,
    );
    console.log(`replayed ${run.replayed} histories in ${run.ms} ms`);
  });
});

// The proof that the guard works: a copy of the lifecycle that starts every operation with a 1 ms timer (a
// command old histories do not have) is caught; the same timer behind patched() is not.
describe('replay guard on a changed copy of the workflows', () => {
  const withOperations = corpus.filter(
    (e) =>
      e.workflowType === 'phoneNumberLifecycle' &&
      JSON.stringify(e.history).includes('activityTaskScheduled'),
  );
  const variants: BuildVariant[] = [];
  // lifecycle.ts already imports patched (for its own patches); the copy adds sleep beside it.
  const importSleep = { file: 'lifecycle.ts', find: '  patched,\n', replace: '  patched,\n  sleep,\n' };
  const runNextStart = 'const runNext = async (): Promise<void> => {\n';

  before(() => assert.ok(withOperations.length > 0, 'the corpus has no lifecycle that ran an operation'));
  after(() => variants.forEach((v) => v.remove()));

  test('an unguarded new command fails the replay, naming each history it breaks', async () => {
    const variant = makeBuildVariant('incompatible', [
      importSleep,
      { file: 'lifecycle.ts', find: runNextStart, replace: `${runNextStart}    await sleep(1);\n` },
    ]);
    variants.push(variant);
    const run = await replayCorpus(corpus, await bundleForReplay(variant.workflowsPath));
    const failed = new Set(run.failures.map((f) => f.name));
    // Every lifecycle that ran an operation recorded other commands where the copy now starts a timer.
    for (const e of withOperations) assert.ok(failed.has(e.name), `${e.name} replayed despite the change`);
    for (const failure of run.failures) {
      assert.match(failure.error, /DeterminismViolationError|[Nn]ondetermin/, failure.name);
      assert.equal(corpus.find((e) => e.name === failure.name)?.workflowType, 'phoneNumberLifecycle');
    }
    console.log(`the unguarded change broke ${failed.size} of ${corpus.length} histories`);
    assert.match(describeFailures(run.failures), new RegExp(`^  ${withOperations[0]!.name}: `, 'm'));
  });

  test('the same command behind patched() replays every history', async () => {
    const variant = makeBuildVariant('patched', [
      importSleep,
      {
        file: 'lifecycle.ts',
        find: runNextStart,
        replace: `${runNextStart}    if (patched('replay-proof-timer')) await sleep(1);\n`,
      },
    ]);
    variants.push(variant);
    const run = await replayCorpus(corpus, await bundleForReplay(variant.workflowsPath));
    assert.deepEqual(run.failures, [], describeFailures(run.failures));
  });
});
