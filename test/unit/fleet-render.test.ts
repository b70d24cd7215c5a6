// What an operator sees of a fleet: the progress bar a terminal redraws, and the summary with every failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCounts, type FleetProgress } from '../../domain/fleet';
import { progressLine, renderFleet } from '../../cli/fleet-render';

function progress(
  counts: Partial<ReturnType<typeof emptyCounts>>,
  extra: Partial<FleetProgress> = {},
): FleetProgress {
  const all = { ...emptyCounts(), ...counts };
  return {
    fleetId: 'f1',
    operation: 'migrate',
    phase: 'running',
    concurrency: 25,
    total: Object.values(all).reduce((a, b) => a + b, 0),
    counts: all,
    numbers: [],
    startedAt: '2026-11-25T10:00:00.000Z',
    ...extra,
  };
}

test('the bar fills with settled numbers (done, failed, not started) and names every count', () => {
  const line = progressLine(progress({ completed: 40, failed: 10, running: 25, pending: 25 }));
  assert.equal(
    line,
    `[${'#'.repeat(15)}${'-'.repeat(15)}] 50/100 running · 40 done · 10 failed · 25 running · 25 pending`,
  );
  assert.match(progressLine(progress({ completed: 3 }, { phase: 'finished' })), /^\[#{30}\] 3\/3 finished/);
  assert.match(
    progressLine(progress({ 'not-started': 2, completed: 2 }, { phase: 'cancelled' })),
    /2 not started/,
  );
});

test('the summary lists each failed or never-started number with its reason, and how to retry them', () => {
  const text = renderFleet(
    progress(
      { completed: 1, failed: 1, 'not-started': 1 },
      {
        phase: 'cancelled',
        numbers: [
          { phoneNumberId: '1', status: 'completed' },
          { phoneNumberId: '2', status: 'failed', failureType: 'PinMismatch', reason: 'wrong PIN' },
          { phoneNumberId: '3', status: 'not-started', reason: 'fleet cancelled by ops' },
        ],
      },
    ),
  );
  assert.match(text, /^ {4}2 {2}failed {2}PinMismatch: wrong PIN$/m);
  assert.match(text, /^ {4}3 {2}not-started {2}fleet cancelled by ops$/m);
  assert.doesNotMatch(text, /^ {4}1 /m);
  assert.match(text, /wa-number fleet retry f1/);
});
