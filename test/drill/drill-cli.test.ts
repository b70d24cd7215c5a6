// `npm run drill` end to end at a small size: the kill-worker drill (kill -9 mid-fleet, every number must
// still complete with its ledger equal to what the simulator received), the fault soak, and the upgrade
// drill (workers rolled from build A to build B with Worker Versioning while numbers wait), as a user runs
// them. The kill-worker drill lasts about a minute whatever the size: the killed worker's tasks come back
// through Temporal's heartbeat timeouts; the upgrade drill about --wait-s plus half a minute. Full-size
// figures are in docs/drills.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT_DIR } from '../../platform/config';

function drill(args: string[], timeoutMs: number) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/drill.ts', ...args], {
    cwd: ROOT_DIR,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGTERM', // the drill's handler then stops its processes
  });
  return { code: run.status, out: `${run.stdout}\n${run.stderr}` };
}

test('a bad flag is refused with its name and the usage, before anything starts', () => {
  const bad = drill(['--numbers', '0'], 30_000);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /--numbers \(or DRILL_NUMBERS\): a whole number > 0, got "0"/);
  assert.match(bad.out, /usage: npm run drill/);
  const unknown = drill(['--only', 'flood'], 30_000);
  assert.equal(unknown.code, 2);
  assert.match(unknown.out, /unknown drill "flood"/);
});

test('kill-worker and fault-soak drills pass on a 12-number fleet', { timeout: 900_000 }, () => {
  const run = drill(['--only', 'kill-worker,fault-soak', '--numbers', '12', '--concurrency', '6'], 840_000);
  assert.equal(run.code, 0, run.out.slice(-6000));
  assert.match(run.out, /PASS {2}kill-worker/);
  assert.match(run.out, /PASS {2}fault-soak/);
  // The checks that matter most, by name, so a renamed or dropped check cannot pass silently.
  for (const check of [
    /PASS {2}the kill hit a fleet in flight/,
    /PASS {2}every number completed: completed \d+ \+ already-done \d+ = 12\/12/,
    /PASS {2}no 133016 in the simulator log/,
    /PASS {2}simulator register\/deregister count = ledger entries, per number/,
  ]) {
    assert.match(run.out, check);
  }
  assert.doesNotMatch(run.out, /\bFAIL\b/);
});

test(
  'upgrade drill passes: waits and a fleet under build A, rolled to build B, A drained',
  { timeout: 600_000 },
  () => {
    const run = drill(
      ['--only', 'upgrade', '--numbers', '8', '--concurrency', '2', '--wait-s', '80', '--timeout-s', '480'],
      540_000,
    );
    assert.equal(run.code, 0, run.out.slice(-8000));
    assert.match(run.out, /PASS {2}upgrade/);
    for (const check of [
      /PASS {2}every operation completed: slot \d+ completed; block \d+ completed; verify \d+ completed; pin \d+ completed; idle \d+ completed; fleet COMPLETED/,
      /PASS {2}every number completed: completed \d+ \+ already-done \d+ = 8\/8/,
      /PASS {2}the timed waits outlasted the roll/,
      /PASS {2}no WorkflowTaskFailed in any history: \d+ runs read .*[1-9]\d* continued-as-new run\(s\), 1 child run\(s\)/,
      /PASS {2}lifecycles after the roll ran on build B: .* [1-9]\d* of them hold the 'upgrade-drill-b' marker/,
      /PASS {2}the fleet and the verification child stayed on build A \(PINNED\): fleet:\S+: describe\(\) PINNED on A.*:verify:\d+: describe\(\) PINNED on A/,
      /PASS {2}simulator register\/deregister count = ledger entries, per number/,
      /PASS {2}no 133016 in the simulator log/,
      /PASS {2}worker A exited cleanly after draining: no running workflow pinned to A/,
    ]) {
      assert.match(run.out, check);
    }
    assert.doesNotMatch(run.out, /\bFAIL\b/);
  },
);
