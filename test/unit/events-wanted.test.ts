// What a lifecycle learns with its policy, and how long it goes by it: the event types some subscription
// wanted (domain/webhook-events.ts mustEmit, activities/webhook-activities.ts eventsWantedSource), and the
// policy a fresh run's recovery read for its first operation (workflows/recovery-result.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsWantedSource, type DeliveryTarget } from '../../activities/webhook-activities';
import { mustEmit } from '../../domain/webhook-events';
import { readRecovery, RecoveredPolicy } from '../../workflows/recovery-result';
import type { RecoveredRun } from '../../workflows/messages';
import { UNIT_POLICY } from '../helpers/workflow-unit';

const target = (id: string, events: string[]): DeliveryTarget => ({
  id,
  url: 'https://x',
  events,
  secret: () => 's',
});

test('an event type is skipped only while what was wanted is known and younger than its time', () => {
  const known = { wanted: { types: ['number.offline' as const], forMs: 5_000 }, readAt: 1_000 };
  assert.equal(mustEmit('operation.succeeded', 1_000, known), false);
  assert.equal(mustEmit('operation.succeeded', 5_999, known), false);
  assert.equal(mustEmit('operation.succeeded', 6_000, known), true, 'too old: the worker is asked');
  assert.equal(mustEmit('number.offline', 1_000, known), true);
  assert.equal(mustEmit('operation.succeeded', 1_000, undefined), true, 'nothing known: emitted');
  const noTime = { wanted: { types: [], forMs: 0 }, readAt: 1_000 };
  assert.equal(mustEmit('operation.succeeded', 1_000, noTime), true);
});

test('the wanted types are every type some subscription names, for the cache time', async () => {
  const source = async () => [
    target('a', ['number.offline']),
    target('b', ['fleet.finished', 'number.offline']),
  ];
  const wanted = await eventsWantedSource(source, { subscriptionCacheSeconds: 5 })();
  assert.deepEqual(wanted, { types: ['number.offline', 'fleet.finished'], forMs: 5_000 });
  assert.deepEqual(await eventsWantedSource(async () => [], { subscriptionCacheSeconds: 5 })(), {
    types: [],
    forMs: 5_000,
  });
});

test('nothing is said when the subscriptions cannot be read in time or the cache is off (every event is checked)', async () => {
  const failing = async (): Promise<DeliveryTarget[]> => {
    throw new Error('store unreachable');
  };
  assert.equal(await eventsWantedSource(failing, { subscriptionCacheSeconds: 5 })(), undefined);
  const hanging = () => new Promise<DeliveryTarget[]>(() => {});
  const started = Date.now();
  assert.equal(await eventsWantedSource(hanging, { subscriptionCacheSeconds: 5 }, 50)(), undefined);
  assert.ok(Date.now() - started < 1_000, 'a store that does not answer is given up on');
  let reads = 0;
  const counted = async () => (reads++, [target('a', ['number.offline'])]);
  assert.equal(await eventsWantedSource(counted, { subscriptionCacheSeconds: 0 })(), undefined);
  assert.equal(reads, 0, 'not even read');
});

test('a recovery reads back in both recorded shapes', () => {
  const predecessor = { runId: 'r1', status: 'TERMINATED' } as RecoveredRun;
  assert.deepEqual(readRecovery(undefined), {});
  assert.deepEqual(readRecovery(null), {});
  assert.deepEqual(readRecovery(predecessor), { predecessor }, 'recorded before 2026-12-07');
  assert.deepEqual(readRecovery({ policy: UNIT_POLICY }), { policy: UNIT_POLICY });
  assert.deepEqual(readRecovery({ predecessor, policy: UNIT_POLICY }), { predecessor, policy: UNIT_POLICY });
});

test("the recovery's policy serves the first operation only, and only in the recovery's workflow task", () => {
  const held = new RecoveredPolicy();
  held.keep(UNIT_POLICY, 1_000);
  assert.equal(held.take(1_000), UNIT_POLICY);
  assert.equal(held.take(1_000), undefined, 'used up');
  held.keep(UNIT_POLICY, 1_000);
  assert.equal(held.take(1_001), undefined, 'a later task: read anew');
  held.keep(undefined, 1_000);
  assert.equal(held.take(1_000), undefined);
});
