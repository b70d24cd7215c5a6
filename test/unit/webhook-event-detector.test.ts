// workflows/webhook-event-detector.ts: which outbound events a sequence of published lifecycle states means.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LifecycleState } from '../../domain/lifecycle-state';
import { WebhookEventDetector, type PublishedView } from '../../workflows/webhook-event-detector';
import type { OperationSummary } from '../../workflows/messages';

const op = (extra: Partial<OperationSummary> = {}): OperationSummary => ({
  operationId: 'op:123:4',
  workflowId: 'phone-number:123',
  operation: 'change-region',
  status: 'running',
  enqueuedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const view = (state: LifecycleState, current?: Partial<OperationSummary>): PublishedView => ({
  state,
  ...(current ? { current: op(current) } : {}),
});
const types = (detector: WebhookEventDetector, views: PublishedView[]) =>
  views.flatMap((v) => detector.observe(v).map((e) => e.type));

test('offline, then back to registered: number.offline once, then number.online once', () => {
  const d = new WebhookEventDetector();
  assert.deepEqual(
    types(d, [
      view('registered'),
      view('changing-region', {}),
      view('offline', {}),
      view('offline', {}),
      view('waiting-for-pin', {}), // still offline: nothing new
      view('changing-region', {}),
      view('registered'),
      view('registered'),
    ]),
    ['number.offline', 'number.online'],
  );
});

test('a register from deregistered is not "back online"; a failure while offline keeps it offline', () => {
  const d = new WebhookEventDetector();
  assert.deepEqual(types(d, [view('deregistered'), view('registering', {}), view('registered')]), []);
  assert.deepEqual(types(d, [view('offline', {}), view('failed'), view('registering', {})]), [
    'number.offline',
  ]);
  assert.deepEqual(d.observe(view('registered')), [
    {
      type: 'number.online',
      operationId: 'op:123:4',
      data: { state: 'registered', operation: 'change-region' },
    },
  ]);
});

test('waiting for a code: once per wait, with the operation', () => {
  const d = new WebhookEventDetector();
  const events = [
    view('verifying', {}),
    view('waiting-for-code', { nextAttemptAt: 'T1' }),
    view('waiting-for-code', {}),
  ].flatMap((v) => d.observe(v));
  assert.equal(events.length, 1);
  assert.deepEqual(events[0], {
    type: 'verification.waiting_for_code',
    operationId: 'op:123:4',
    data: { operation: 'change-region', until: 'T1' },
  });
  assert.deepEqual(types(d, [view('verifying', {}), view('waiting-for-code', {})]), [
    'verification.waiting_for_code',
  ]);
});

test('waiting for the budget: once per wait (operation and until), only with a time to wait until', () => {
  const d = new WebhookEventDetector();
  const wait = (until?: string) =>
    view('waiting-for-rate-limit', { nextAttemptAt: until, waitingFor: 'slot' });
  const events = [
    wait(undefined),
    wait('2026-01-02T00:00:00.000Z'),
    wait('2026-01-02T00:00:00.000Z'),
  ].flatMap((v) => d.observe(v));
  assert.deepEqual(events, [
    {
      type: 'operation.waiting_for_limit',
      operationId: 'op:123:4',
      data: { operation: 'change-region', until: '2026-01-02T00:00:00.000Z', reason: 'slot' },
    },
  ]);
  // A later, different wait (a 133016 block after the slot) is a new event; so is the same after leaving.
  assert.deepEqual(types(d, [wait('2026-01-05T00:00:00.000Z')]), ['operation.waiting_for_limit']);
  assert.deepEqual(types(d, [view('registering', {}), wait('2026-01-05T00:00:00.000Z')]), [
    'operation.waiting_for_limit',
  ]);
});

test('a finished operation: succeeded with its outcome, failed with its type and Graph code', () => {
  const d = new WebhookEventDetector();
  assert.deepEqual(d.finished(op({ status: 'completed', outcome: 'already-done' })), {
    type: 'operation.succeeded',
    operationId: 'op:123:4',
    data: { operation: 'change-region', outcome: 'already-done' },
  });
  const failed = d.finished(
    op({
      status: 'failed',
      failure: { type: 'GraphWrongPin', message: 'Meta refused the PIN', graphCode: 133005 },
    }),
  );
  assert.deepEqual(failed, {
    type: 'operation.failed',
    operationId: 'op:123:4',
    data: {
      operation: 'change-region',
      failureType: 'GraphWrongPin',
      graphCode: 133005,
      message: 'Meta refused the PIN',
    },
  });
});

test('a run continued from an offline one takes that state as its baseline: not offline again, online once back', () => {
  const d = new WebhookEventDetector();
  d.baseline(view('offline'));
  assert.deepEqual(types(d, [view('offline'), view('registering', {}), view('registered')]), [
    'number.online',
  ]);
  const fresh = new WebhookEventDetector();
  assert.deepEqual(types(fresh, [view('offline')]), ['number.offline'], 'without a baseline it is news');
});
