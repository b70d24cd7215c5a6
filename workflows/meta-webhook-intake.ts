// One delivery of Meta's webhooks, handed over by the HTTP API (its ID is derived from the body's hash, so
// Meta's retries of the same delivery start nothing new). Resolves each event's display phone number to the
// number's phone-number ID (the API holds no Graph token; the worker does), then signals that number's
// lifecycle. A number without a lifecycle, or one its WABA does not list, is logged and skipped.
import {
  ActivityFailure,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setWorkflowOptions,
} from '@temporalio/workflow';
import { describeMetaChange, type MetaNumberEvent } from '../domain/meta-webhooks';
import { lifecycleWorkflowId } from '../domain/phone-number';
import type { MetaWebhookActivities } from '../activities/meta-webhook-activities';
import { metaNumberEventSignal } from './messages';
import { whenVersioned } from './versioning';

export interface MetaWebhookIntakeInput {
  events: MetaNumberEvent[];
  /** When the API received the delivery (ISO). */
  receivedAt: string;
}

export interface MetaWebhookIntakeResult {
  /** phone-number IDs signalled, one entry per event and number. */
  signalled: string[];
  /** IDs whose lifecycle does not exist (nothing to tell). */
  withoutLifecycle: string[];
  /** Events whose number the WABA does not list (or whose WABA could not be read). */
  unresolved: number;
}

/** A read, safe to repeat; an unknown WABA ((#100) subcode 33) is non-retryable and ends the event only. */
const { resolveDisplayPhoneNumber } = proxyActivities<MetaWebhookActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
});

export async function metaWebhookIntake(input: MetaWebhookIntakeInput): Promise<MetaWebhookIntakeResult> {
  const result: MetaWebhookIntakeResult = { signalled: [], withoutLifecycle: [], unresolved: 0 };
  for (const event of input.events) {
    const what = describeMetaChange(event.change);
    let ids: string[];
    try {
      ids = await resolveDisplayPhoneNumber(event.wabaId, event.displayPhoneNumber);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('Meta webhook: could not list the WABA’s numbers; event skipped', {
        wabaId: event.wabaId,
        what,
      });
      result.unresolved += 1;
      continue;
    }
    if (ids.length === 0) {
      log.info('Meta webhook: the WABA lists no such number; event skipped', { wabaId: event.wabaId, what });
      result.unresolved += 1;
      continue;
    }
    for (const id of ids) {
      try {
        await getExternalWorkflowHandle(lifecycleWorkflowId(id)).signal(metaNumberEventSignal, event);
        result.signalled.push(id);
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.info('Meta webhook: the number has no lifecycle; event skipped', { phoneNumberId: id, what });
        result.withoutLifecycle.push(id);
      }
    }
  }
  return result;
}

// Worker Versioning (when on): a short run, kept on the build that started it.
setWorkflowOptions(whenVersioned('PINNED'), metaWebhookIntake);
