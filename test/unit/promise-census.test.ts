// bench/lib/promise-census.ts and bench/promise-census-summary.ts: which line a promise is charged to, and
// the per-run figures the summary prints from several threads' files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promiseSite } from '../../bench/lib/promise-census';
import { topOption } from '../../bench/lib/common';
import { censusReport, mergeCensus } from '../../bench/promise-census-summary';

const cwd = '/repo';
const stack = (...frames: string[]) => ['Error', ...frames.map((f) => `    at ${f}`)].join('\n');

test('a promise is charged to the first frame of our code, past the census and Node internals', () => {
  const s = stack(
    'Object.init (/repo/bench/lib/promise-census.ts:60:20)',
    'initAll (node:internal/promise_hooks:91:9)',
    'new Promise (<anonymous>)',
    'conditionInner (/repo/node_modules/@temporalio/workflow/src/workflow.ts:1366:9)',
    'takeRequest (/repo/workflows/lifecycle.ts:180:20)',
    '/repo/workflows/lifecycle.ts:199:27',
  );
  assert.equal(promiseSite(s, cwd), 'workflows/lifecycle.ts:180 (takeRequest)');
  assert.equal(promiseSite(stack('/repo/workflows/lifecycle.ts:358:22'), cwd), 'workflows/lifecycle.ts:358');
});

test('with no frame of ours, the first SDK frame; with built-ins only, "(await)"', () => {
  const sdkOnly = stack(
    'Promise.then (<anonymous>)',
    'evalmachine.<anonymous>:27:5',
    'Proxy.<anonymous> (/repo/node_modules/@temporalio/worker/lib/workflow/reusable-vm.js:216:40)',
  );
  assert.equal(promiseSite(sdkOnly, cwd), 'evalmachine.<anonymous>:27');
  const pkgOnly = stack('doUpdateImpl (/repo/node_modules/@temporalio/workflow/src/internals.ts:1051:9)');
  assert.equal(promiseSite(pkgOnly, cwd), '@temporalio/workflow/src/internals.ts:1051 (doUpdateImpl)');
  assert.equal(promiseSite(stack('Promise.then (<anonymous>)'), cwd), '(await)');
  // A file outside the checkout is not ours, even without node_modules in its path.
  assert.equal(promiseSite(stack('f (/elsewhere/x.js:3:1)'), cwd), '/elsewhere/x.js:3 (f)');
});

test('threads are summed per workflow type and reported per run, busiest lines first', () => {
  const merged = mergeCensus([
    { ours: { runIds: ['r1', 'r2'], promises: 20, sites: { 'a.ts:1': 12, 'b.ts:2': 8 } } },
    {
      // r2 came back on this thread after an eviction: one run, seen by two threads.
      ours: { runIds: ['r2', 'r3', 'r4'], promises: 24, sites: { 'a.ts:1': 12, 'c.ts:3': 12 } },
      floor: { runIds: ['f1', 'f2', 'f3', 'f4'], promises: 8, sites: { 'f.ts:1': 8 } },
    },
  ]);
  assert.deepEqual(merged.ours, {
    runs: 4,
    promises: 44,
    sites: { 'a.ts:1': 24, 'b.ts:2': 8, 'c.ts:3': 12 },
  });
  const report = censusReport(merged, 2);
  assert.match(report, /\| floor \| 4 \| 8 \| 2\.0 \|/);
  assert.match(report, /\| ours \| 4 \| 44 \| 11\.0 \|/);
  const oursLines = report
    .split('ours, per run')[1]!
    .split('\n')
    .filter((l) => l.startsWith('- '));
  assert.deepEqual(oursLines, ['- 6.0  a.ts:1', '- 3.0  c.ts:3', '- … 1 more lines']);
});

test('--top N is read out of the arguments, and a bad N is refused', () => {
  assert.deepEqual(topOption(['a.json', '--top', '5', 'b.json']), { top: 5, rest: ['a.json', 'b.json'] });
  assert.deepEqual(topOption(['a.json']), { top: 15, rest: ['a.json'] });
  assert.throws(() => topOption(['a.json', '--top', 'x']), /--top: a whole number/);
});
