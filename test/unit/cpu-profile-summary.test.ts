// bench/cpu-profile-summary.ts: self time per package and function, idle kept apart, and the workflow
// thread named by the workflow functions it ran.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize } from '../../bench/cpu-profile-summary';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

test('self time by package and function; idle is not busy; the workflow thread is recognised', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(idle)') },
      {
        id: 2,
        callFrame: frame('init', 'file:///x/node_modules/@temporalio/worker/lib/workflow/vm-shared.js', 245),
      },
      { id: 3, callFrame: frame('phoneNumberLifecycle', 'file:///x/workflow-bundle-abc.js', 10) },
      { id: 4, callFrame: frame('runInContext') },
      { id: 5, callFrame: frame('toString') }, // no workflow's name, though every object has one
    ],
    samples: [1, 2, 2, 3, 4, 1],
    timeDeltas: [5000, 3000, 3000, 2000, 4000, 5000],
  };
  const s = summarize(profile, 10);
  assert.equal(s.idleMs, 10);
  assert.equal(s.busyMs, 12);
  assert.deepEqual(s.marks, ['ours (workflows/)']);
  assert.match(s.places[0]!, /^\s+6 ms\s+50\.0 %\s+@temporalio\/worker$/);
  assert.ok(s.places.some((l) => /4 ms .* runInContext$/.test(l)));
  assert.ok(s.places.some((l) => /2 ms .* workflow bundle$/.test(l)));
  assert.match(s.functions[0]!, /6 ms .* init @temporalio\/worker\/lib\/workflow\/vm-shared\.js:246$/);
});
