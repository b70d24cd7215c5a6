// Which outbound webhook events a lifecycle's published state means: it compares each state the lifecycle
// publishes with the one before (offline, back online, waiting for a code or for Meta's budget) and turns a
// finished operation into operation.succeeded or operation.failed. Plain state, no Temporal calls: the
// lifecycle feeds it from publish() and emits what it returns (workflows/webhook-emitter.ts).
import type { LifecycleState } from '../domain/lifecycle-state';
import type { WebhookEventData, WebhookEventType } from '../domain/webhook-events';
import type { OperationSummary } from './messages';

export interface DetectedEvent<T extends WebhookEventType = WebhookEventType> {
  type: T;
  operationId?: string;
  data: WebhookEventData[T];
}

/** What publish() shows: the number's state and the running operation, if any. */
export interface PublishedView {
  state: LifecycleState;
  current?: Pick<OperationSummary, 'operationId' | 'operation' | 'nextAttemptAt' | 'waitingFor'>;
}

const OFFLINE: ReadonlySet<LifecycleState> = new Set(['offline', 'waiting-for-pin']);

export class WebhookEventDetector {
  private last: LifecycleState | undefined;
  /** The number went offline (in this operation) and has not been seen registered since. */
  private offline: { operationId?: string; operation?: string } | undefined;
  /** The budget wait last reported (operation and until), so one wait is reported once. */
  private lastLimitWait: string | undefined;

  /**
   * A run that continued a previous one starts from that run's state: what it shows first is where the
   * previous run stopped, not a change (an offline number is not reported offline again).
   */
  baseline(view: PublishedView): void {
    this.observe(view);
  }

  observe(view: PublishedView): DetectedEvent[] {
    const { state, current } = view;
    const events: DetectedEvent[] = [];
    const op = current ? { operationId: current.operationId } : {};
    const operation = current ? { operation: current.operation } : {};
    if (OFFLINE.has(state) && !this.offline) {
      this.offline = { ...op, ...operation };
      events.push({ type: 'number.offline', ...op, data: { state, ...operation } });
    } else if (state === 'registered' && this.offline) {
      // Seen once the operation that brought it back has ended: named as the one that took it offline.
      const cause = current ? { ...op, ...operation } : this.offline;
      this.offline = undefined;
      const { operationId, operation: kind } = cause;
      events.push({
        type: 'number.online',
        ...(operationId ? { operationId } : {}),
        data: { state, ...(kind ? { operation: kind } : {}) },
      });
    }
    if (state === 'waiting-for-code' && this.last !== 'waiting-for-code' && current) {
      const until = current.nextAttemptAt ? { until: current.nextAttemptAt } : {};
      events.push({
        type: 'verification.waiting_for_code',
        operationId: current.operationId,
        data: { operation: current.operation, ...until },
      });
    }
    if (state === 'waiting-for-rate-limit' && current?.nextAttemptAt) {
      const key = `${current.operationId}@${current.nextAttemptAt}`;
      if (key !== this.lastLimitWait) {
        this.lastLimitWait = key;
        events.push({
          type: 'operation.waiting_for_limit',
          operationId: current.operationId,
          data: {
            operation: current.operation,
            until: current.nextAttemptAt,
            ...(current.waitingFor ? { reason: current.waitingFor } : {}),
          },
        });
      }
    } else if (state !== 'waiting-for-rate-limit') {
      this.lastLimitWait = undefined;
    }
    this.last = state;
    return events;
  }

  /** An operation ended (completed, failed or cancelled). */
  finished(summary: OperationSummary): DetectedEvent {
    const { operationId, operation } = summary;
    if (summary.status === 'failed') {
      const failure = summary.failure;
      return {
        type: 'operation.failed',
        operationId,
        data: {
          operation,
          failureType: failure?.type ?? 'Unknown',
          ...(failure?.graphCode !== undefined ? { graphCode: failure.graphCode } : {}),
          message: failure?.message ?? '',
        },
      };
    }
    return {
      type: 'operation.succeeded',
      operationId,
      data: { operation, ...(summary.outcome ? { outcome: summary.outcome } : {}) },
    };
  }
}
