// Fleets end to end on the dev server: a few hundred numbers through their own lifecycles against the
// simulator with injected faults, retry of the failed subset, cancel, WABA listing, continue-as-new.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFromPayloadsAtIndex, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { InputError } from '../../client';
import {
  fleetWorkflowId,
  unpackOutcomes,
  type FleetMember,
  type FleetNumberStatus,
  type FleetProgress,
} from '../../domain/fleet';
import type { FleetInput } from '../../workflows/fleet';
import { getStateQuery } from '../../workflows/messages';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { until } from '../helpers/poll';
import { seedManyVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack({
    // Small history suggestions, so the fleet crosses continue-as-new boundaries in a test-sized run.
    devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=300'],
    configEnv: { WA_GRAPH_MAX_REQUESTS_PER_SECOND: '200' },
  });
});
after(async () => {
  await stack?.stop();
});

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

const registerMembers = (numbers: string[], pin = '123456'): FleetMember[] =>
  numbers.map((phoneNumberId) => ({ phoneNumberId, request: { operation: 'register', pin } }));

const seedVerifiedMany = (numbers: string[], fields: Record<string, unknown> = {}) =>
  seedManyVerified(stack.sim, numbers, { pin: '123456', ...fields });

async function fleetRuns(fleetId: string): Promise<number> {
  const { count } = await stack.env.client.workflow.count(`WorkflowId = "${fleetWorkflowId(fleetId)}"`);
  return count;
}

/** For each continue-as-new of the fleet: how many members it carried per status, and its runs' failed tasks. */
async function continuations(fleetId: string) {
  const converter = loadDataConverter(stack.dataConverter);
  const carried: Partial<Record<FleetNumberStatus, number>>[] = [];
  let failedTasks = 0;
  const workflowId = fleetWorkflowId(fleetId);
  for await (const run of stack.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const { events } = await stack.env.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    failedTasks += (events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
    const next = events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
    if (!next) continue;
    const input = await decodeFromPayloadsAtIndex<FleetInput>(converter, 0, next.input?.payloads);
    const counts: Partial<Record<FleetNumberStatus, number>> = {};
    for (const o of unpackOutcomes(input.carried!.outcomes, input.spec.operation))
      counts[o.status] = (counts[o.status] ?? 0) + 1;
    carried.push(counts);
  }
  return { carried, failedTasks };
}

test('a 240-number register fleet with faults: every number ends final, failures carry reasons, the retry fleet fixes them', async () => {
  const numbers = ids('71000', 240);
  const unverified = new Set(numbers.filter((_, i) => i % 24 === 5)); // 10 numbers Meta refuses (133006)
  await seedVerifiedMany(numbers.filter((n) => !unverified.has(n)));
  await stack.sim.seedMany(
    [...unverified].map((id) => ({ id, code_verification_status: 'NOT_VERIFIED', pin: '123456' })),
  );
  await stack.sim.faults([
    { endpoint: 'register', kind: 'timeout-after-apply', probability: 0.15, seed: 7, hangMs: 2500 },
    { endpoint: 'register', kind: 'http-5xx', probability: 0.1, seed: 8 },
    { endpoint: 'get', kind: 'error-131000', probability: 0.05, seed: 9 },
  ]);
  try {
    const started = await stack.client.startFleet({
      fleetId: 'register-240',
      operation: 'register',
      concurrency: 40,
      requestedBy: 'fleet-test',
      members: registerMembers(numbers),
    });
    assert.equal(started.status, 'RUNNING');
    const progress = await stack.client.waitForFleet('register-240');

    assert.equal(progress.phase, 'finished');
    assert.equal(progress.total, 240);
    assert.equal(progress.counts.completed, 230);
    assert.equal(progress.counts.failed, 10);
    for (const n of progress.numbers) {
      if (unverified.has(n.phoneNumberId)) {
        assert.equal(n.status, 'failed', n.phoneNumberId);
        assert.match(n.reason ?? '', /verif/i, 'the reason says what Meta refused');
        assert.ok(n.failureType, 'failure type recorded');
      } else {
        assert.equal(n.status, 'completed', `${n.phoneNumberId}: ${n.reason}`);
      }
      assert.match(n.operationId ?? '', new RegExp(`^phone-number:${n.phoneNumberId}:register:\\d+$`));
    }
    const registers = await stack.sim.requests({ endpoint: 'register' });
    assert.equal(registers.filter((r) => r.errorCode === 133016).length, 0, 'no 133016 caused');
    const perNumber = new Map<string, number>();
    for (const r of registers) perNumber.set(r.phoneNumberId!, (perNumber.get(r.phoneNumberId!) ?? 0) + 1);
    assert.ok(Math.max(...perNumber.values()) <= 10, 'no number got more than its 10 registers');
    for (const id of numbers.filter((n) => !unverified.has(n)).slice(0, 20)) {
      assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED', id);
    }
    assert.ok((await fleetRuns('register-240')) > 1, 'the fleet continued as new at least once');
    // Each continue-as-new waited for the members in flight to end: no end signal could land on it.
    const { carried, failedTasks } = await continuations('register-240');
    assert.ok(carried.length > 0);
    for (const counts of carried) {
      assert.equal((counts.running ?? 0) + (counts.starting ?? 0), 0, JSON.stringify(counts));
      assert.ok((counts.pending ?? 0) > 0, 'members still to start travel to the next run');
    }
    assert.equal(failedTasks, 0, 'no workflow task of the fleet failed');
  } finally {
    await stack.sim.faults([]);
  }

  // The owner verifies the refused numbers; the retry fleet re-runs exactly them with their original requests.
  for (const id of unverified)
    await patchNumber(id, { code_verification_status: 'VERIFIED', name_status: 'APPROVED' });
  const retry = await stack.client.retryFleet('register-240', { fleetId: 'register-240-retry' });
  const retried = await stack.client.waitForFleet(retry.fleetId);
  assert.equal(retried.retryOf, 'register-240');
  assert.equal(retried.total, 10);
  assert.deepEqual(new Set(retried.numbers.map((n) => n.phoneNumberId)), unverified);
  assert.equal(retried.counts.completed, 10);
  await assert.rejects(stack.client.retryFleet('register-240-retry'), /no failed numbers/);
});

test('cancelling a fleet stops new starts; started numbers finish; the never-started ones can be retried', async () => {
  const numbers = ids('72000', 30);
  await seedVerifiedMany(numbers);
  await stack.sim.faults([{ endpoint: 'register', kind: 'latency', latencyMs: 1500 }]);
  try {
    await stack.client.startFleet({
      fleetId: 'cancel-30',
      operation: 'register',
      concurrency: 3,
      members: registerMembers(numbers),
    });
    await waitFor('cancel-30', (p) => p.counts.completed >= 3);
    const cancelled = await stack.client.cancelFleet('cancel-30', 'ops');
    assert.ok(cancelled.notStarted > 0 && cancelled.notStarted < 27, `${cancelled.notStarted} not started`);
    const progress = await stack.client.waitForFleet('cancel-30');
    assert.equal(progress.phase, 'cancelled');
    assert.equal(progress.counts['not-started'], cancelled.notStarted);
    assert.equal(progress.counts.completed, 30 - cancelled.notStarted, 'every started number finished');
    const notStarted = progress.numbers.filter((n) => n.status === 'not-started');
    assert.match(notStarted[0]!.reason ?? '', /cancelled by ops/);
    const registers = await stack.sim.requests({ endpoint: 'register' });
    for (const n of notStarted) {
      assert.equal(
        registers.filter((r) => r.phoneNumberId === n.phoneNumberId).length,
        0,
        'no request for it',
      );
    }
  } finally {
    await stack.sim.faults([]);
  }
  const retry = await stack.client.retryFleet('cancel-30', { concurrency: 10 });
  const retried = await stack.client.waitForFleet(retry.fleetId);
  assert.equal(retried.counts.completed, retried.total);
  assert.ok(retried.total > 0);
});

test('cancel with cancelRunning: operations waiting for Meta budget stop at that safe point, nothing sent', async () => {
  const numbers = ids('75000', 4);
  await seedVerifiedMany(numbers);
  for (const id of numbers) {
    await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
  }
  await stack.client.startFleet({
    fleetId: 'cancel-running',
    operation: 'register',
    concurrency: 4,
    members: registerMembers(numbers),
  });
  for (const id of numbers) {
    await until(`${id} waiting for budget`, async () =>
      (await stack.client.getState(id))?.currentOperation?.activeState === 'waiting-for-rate-limit'
        ? true
        : undefined,
    );
  }
  await waitFor('cancel-running', (p) => p.counts.running === 4);
  const result = await stack.client.cancelFleet('cancel-running', 'ops', { cancelRunning: true });
  assert.deepEqual(result, { notStarted: 0, stillRunning: 4, cancelRequested: 4 });
  const progress = await stack.client.waitForFleet('cancel-running');
  assert.equal(progress.phase, 'cancelled');
  assert.equal(progress.counts.failed, 4);
  for (const n of progress.numbers) assert.equal(n.failureType, 'Cancelled');
  const sent = (await stack.sim.requests({ endpoint: 'register' })).filter((r) =>
    r.phoneNumberId?.startsWith('75000'),
  );
  assert.equal(sent.length, 0);
});

test('a fleet over a WABA lists its numbers page by page and runs each with its PIN', async () => {
  const waba = '880000000001';
  const numbers = ids('73000', 130); // more than one Graph page (100)
  await seedVerifiedMany(numbers, { waba_id: waba });
  const pins = Object.fromEntries(numbers.map((n) => [n, '123456']));
  const started = await stack.client.startFleet({
    fleetId: 'waba-130',
    operation: 'register',
    concurrency: 50,
    wabaId: waba,
    pins,
  });
  assert.notEqual(started.progress?.phase, 'listing');
  const progress = await stack.client.waitForFleet('waba-130');
  assert.equal(progress.total, 130);
  assert.equal(progress.counts.completed, 130);
  assert.equal(progress.wabaId, waba);
  const state = await stack.env.client.workflow
    .getHandle(lifecycleWorkflowId(numbers[0]!))
    .query(getStateQuery);
  assert.equal(state.registration, 'registered');
  // The fleet is found by its search attributes.
  const { count } = await stack.env.client.workflow.count(
    `WorkflowType = "numberFleet" AND WaWabaId = "${waba}" AND WaOperation = "register"`,
  );
  assert.equal(count, 1);
});

test('bad fleet input starts nothing: empty WABA, missing PINs, concurrency, duplicate fleet ID', async () => {
  await stack.sim.createWaba('880000000002');
  await assert.rejects(
    stack.client.startFleet({ operation: 'register', concurrency: 5, wabaId: '880000000002', pins: {} }),
    (err: unknown) => err instanceof InputError && /no phone numbers/.test(err.message),
  );
  const waba = '880000000003';
  await seedVerifiedMany(ids('74000', 3), { waba_id: waba });
  await assert.rejects(
    stack.client.startFleet({
      operation: 'register',
      concurrency: 5,
      wabaId: waba,
      pins: { '740000000': '123456' },
    }),
    (err: unknown) => err instanceof InputError && /740000001/.test(err.message) && /pin/i.test(err.message),
  );
  assert.equal(
    (await stack.sim.requests({ endpoint: 'register' })).filter((r) => r.phoneNumberId?.startsWith('74000'))
      .length,
    0,
  );
  for (const concurrency of [0, 501, 2.5]) {
    await assert.rejects(
      stack.client.startFleet({ operation: 'register', concurrency, members: registerMembers(['1']) }),
      (err: unknown) => err instanceof InputError && err.field === 'concurrency',
    );
  }
  await assert.rejects(
    stack.client.startFleet({
      operation: 'bogus' as 'register',
      concurrency: 1,
      members: registerMembers(['1']),
    }),
    (err: unknown) => err instanceof InputError && err.field === 'operation',
  );
  await assert.rejects(
    stack.client.startFleet({
      fleetId: 'register-240',
      operation: 'register',
      concurrency: 1,
      members: registerMembers(['1']),
    }),
    (err: unknown) => err instanceof InputError && /already exists/.test(err.message),
  );
});

async function waitFor(fleetId: string, predicate: (p: FleetProgress) => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const status = await stack.client.describeFleet(fleetId, 'none');
    if (status.progress && predicate(status.progress)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fleet ${fleetId} did not reach the expected progress`);
}

async function patchNumber(id: string, fields: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.simulator.url}/_sim/phone-numbers/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  assert.equal(res.status, 200, await res.text());
}
