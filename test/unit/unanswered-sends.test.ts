// The drill's allowance for a ledger surplus: only sends that timed out unanswered count, only budgeted
// endpoints, only those scheduled since the drill began.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { unansweredSends } from '../../scripts/drill/unanswered-sends';

const T = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;
// fromObject takes plain numbers where the types want Long, as a history read from JSON does.
const event = (o: Record<string, unknown>): Event => temporal.api.history.v1.HistoryEvent.fromObject(o);

const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const scheduled = (id: number, name: string, ms: number) =>
  event({
    eventId: id,
    eventTime: at(ms),
    eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    activityTaskScheduledEventAttributes: { activityType: { name } },
  });
const timedOut = (id: number, scheduledEventId: number) =>
  event({
    eventId: id,
    eventType: T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    activityTaskTimedOutEventAttributes: { scheduledEventId },
  });
const completed = (id: number, scheduledEventId: number) =>
  event({
    eventId: id,
    eventType: T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    activityTaskCompletedEventAttributes: { scheduledEventId },
  });

test('counts budgeted sends that timed out, per endpoint', () => {
  const events = [
    scheduled(5, 'registerPhoneNumber', 10_000),
    timedOut(6, 5),
    scheduled(7, 'readPhoneNumber', 11_000),
    timedOut(8, 7), // a read that timed out is no budgeted send
    scheduled(9, 'registerPhoneNumber', 12_000),
    completed(10, 9), // answered: no allowance
    scheduled(11, 'deregisterPhoneNumber', 13_000),
    timedOut(12, 11),
  ];
  assert.deepEqual([...unansweredSends(events, 0)].sort(), [
    ['deregister', 1],
    ['register', 1],
  ]);
});

test('ignores sends scheduled before the drill began', () => {
  const events = [scheduled(5, 'registerPhoneNumber', 10_000), timedOut(6, 5)];
  assert.equal(unansweredSends(events, 10_001).size, 0);
  assert.equal(unansweredSends(events, 10_000).get('register'), 1);
});
