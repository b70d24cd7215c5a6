// Which budgeted sends a lifecycle never heard back from. A worker killed with `kill -9` can die after
// its lifecycle recorded a register in the ledger (when it scheduled the activity) and before the request
// left the process. The activity then times out, the lifecycle cannot know whether Meta got it, and the
// ledger keeps counting it: a surplus on the safe side. The drill allows a number a ledger surplus of at
// most this many sends; a request at the simulator that the ledger lacks is never allowed.
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { lifecycleWorkflowId } from '../../domain/phone-number';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const ENDPOINT_OF_ACTIVITY: Record<string, 'register' | 'deregister'> = {
  registerPhoneNumber: 'register',
  deregisterPhoneNumber: 'deregister',
};

const eventMs = (e: HistoryEvent) => optionalTsToMs(e.eventTime) ?? 0;

/** Budgeted sends scheduled at or after `fromMs` that timed out (no answer ever reached the lifecycle), per endpoint. */
export function unansweredSends(events: HistoryEvent[], fromMs: number): Map<string, number> {
  const scheduled = new Map<string, string>(); // scheduled event id -> endpoint
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const endpoint = ENDPOINT_OF_ACTIVITY[e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''];
      if (endpoint && eventMs(e) >= fromMs) scheduled.set(String(e.eventId), endpoint);
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT) {
      const endpoint = scheduled.get(String(e.activityTaskTimedOutEventAttributes?.scheduledEventId));
      if (endpoint) counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
    }
  }
  return counts;
}

/** The same, over every run of the number's lifecycle that started at or after `fromMs` (and the one before). */
export async function unansweredSendsOf(
  client: Client,
  phoneNumberId: string,
  fromMs: number,
): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  let runId: string | undefined;
  for (let runs = 0; runs < 20; runs++) {
    const handle = client.workflow.getHandle(lifecycleWorkflowId(phoneNumberId), runId);
    const events = (await handle.fetchHistory()).events ?? [];
    for (const [endpoint, n] of unansweredSends(events, fromMs)) {
      totals.set(endpoint, (totals.get(endpoint) ?? 0) + n);
    }
    const started = events[0];
    runId = started?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId || !started || eventMs(started) < fromMs) break;
  }
  return totals;
}
