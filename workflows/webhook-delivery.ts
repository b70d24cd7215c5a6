// Delivers one outbound webhook event (workflow ID webhook-event:{eventId}) to every subscription that wants
// it: per subscription an activity POSTs the signed body, retried with backoff (5 s, 10 s, ... at most every
// 10 minutes) for webhooks.maxDeliveryHours, so a receiver down for an hour loses nothing. The activity's last
// failure shows in the Temporal UI while it retries; the workflow fails when a delivery finally gives up.
// The secret is looked up by the activity when it signs: it never enters this history.
import { ApplicationFailure, metricMeter, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhook-activities';
import { WorkerMetric } from '../domain/metric-names';
import { WEBHOOK_DELIVERY_GAVE_UP, type WebhookEvent } from '../domain/webhook-events';

const planning = proxyLocalActivities<Pick<WebhookActivities, 'planWebhookDelivery'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface WebhookDeliveryResult {
  delivered: string[];
  /** Subscriptions deleted before the delivery: nothing sent to them. */
  skipped: string[];
}

export async function webhookDelivery(event: WebhookEvent): Promise<WebhookDeliveryResult> {
  const plan = await planning.planWebhookDelivery(event.type);
  const { retry } = plan;
  const posting = proxyActivities<Pick<WebhookActivities, 'deliverWebhook'>>({
    startToCloseTimeout: retry.requestTimeoutMs + 5_000,
    scheduleToCloseTimeout: retry.maxDeliveryMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs,
    },
  });
  const results = await Promise.allSettled(
    plan.targets.map((target) => posting.deliverWebhook(target.subscriptionId, event)),
  );
  const result: WebhookDeliveryResult = { delivered: [], skipped: [] };
  const gaveUp: string[] = [];
  results.forEach((settled, i) => {
    const id = plan.targets[i]!.subscriptionId;
    if (settled.status === 'rejected') gaveUp.push(id);
    else (settled.value === 'delivered' ? result.delivered : result.skipped).push(id);
  });
  const deliveries = metricMeter.createCounter(
    WorkerMetric.WebhookDeliveries,
    '',
    'Webhook deliveries (one event to one subscription), by outcome',
  );
  if (result.delivered.length) deliveries.add(result.delivered.length, { outcome: 'delivered' });
  if (result.skipped.length) deliveries.add(result.skipped.length, { outcome: 'skipped' });
  if (gaveUp.length) {
    deliveries.add(gaveUp.length, { outcome: 'gave_up' });
    throw ApplicationFailure.nonRetryable(
      `${event.type} ${event.id}: delivery to ${gaveUp.join(', ')} gave up (see the deliverWebhook activity's last failure)`,
      WEBHOOK_DELIVERY_GAVE_UP,
    );
  }
  return result;
}
