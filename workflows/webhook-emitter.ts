// Emits outbound webhook events from a workflow. Each emission is one local activity (one marker in the
// history) that starts the event's delivery workflow (ID webhook-event:{eventId}) when some subscription
// wants the type; the event ID comes from the workflow's deterministic uuid4(), so a retried emission starts
// the same delivery (at-least-once, deduplicated). Types no subscription wanted when the last policy was
// read are skipped for a few seconds after (learnWanted). Emissions run in a non-cancellable scope, and a workflow
// awaits drained() before it completes or continues as new, so none is lost. Every emission sits behind the
// patch 'webhook-events': histories recorded before it replay unchanged.
import { CancellationScope, log, patched, proxyLocalActivities, uuid4 } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhook-activities';
import {
  mustEmit,
  type EventsWanted,
  type WebhookEvent,
  type WebhookEventData,
  type WebhookEventType,
} from '../domain/webhook-events';
import { workflowNow } from './clock';

export const WEBHOOK_EVENTS_PATCH = 'webhook-events';

const emitting = proxyLocalActivities<Pick<WebhookActivities, 'emitWebhookEvent'>>({
  startToCloseTimeout: '30 seconds',
  // Kept trying while Temporal (or the subscription store) cannot be reached: an event must not be lost.
  // NotFoundError: this worker has no emitWebhookEvent at all (a test worker with stand-in activities).
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['NotFoundError'],
  },
});

export class WebhookEmitter {
  private readonly pending = new Set<Promise<void>>();
  /** What the worker said was wanted with the last policy (domain/webhook-events.ts, mustEmit). */
  private known?: { wanted: EventsWanted; readAt: number };

  /** `phoneNumberId`: the number every event of this workflow is about (none for a fleet). */
  constructor(private readonly phoneNumberId?: string) {}

  /**
   * Emits one event (returns at once; drained() waits for it). The hook for events detected elsewhere: the
   * lifecycle's emitLifecycleEvent passes Meta's inbound webhooks on here (display_name.*, number.*).
   */
  emit<T extends WebhookEventType>(type: T, data: WebhookEventData[T], operationId?: string): void {
    if (!patched(WEBHOOK_EVENTS_PATCH)) return;
    // A recorded policy decides this, so replay decides the same. Policies recorded before they said what
    // was wanted leave `known` unset: every event is emitted, as it was then.
    if (!mustEmit(type, workflowNow(), this.known)) return;
    const event: WebhookEvent<T> = {
      id: uuid4(),
      type,
      time: new Date(workflowNow()).toISOString(),
      ...(this.phoneNumberId !== undefined ? { phoneNumberId: this.phoneNumberId } : {}),
      ...(operationId !== undefined ? { operationId } : {}),
      data,
    };
    const sent = CancellationScope.nonCancellable(() =>
      emitting.emitWebhookEvent(event as WebhookEvent),
    ).then(
      () => undefined,
      (err: unknown) =>
        log.warn('webhook event not emitted', { type, eventId: event.id, error: String(err) }),
    );
    this.pending.add(sent);
    void sent.then(() => this.pending.delete(sent));
  }

  /** Takes what a policy read at `readAt` says was wanted (nothing known, when it does not say). */
  learnWanted(wanted: EventsWanted | undefined, readAt: number): void {
    this.known = wanted ? { wanted, readAt } : undefined;
  }

  /** No emission is pending. */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  /** Resolves once every emission so far has finished (before the workflow completes or continues as new). */
  async drained(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
