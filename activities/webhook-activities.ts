// The worker's side of outbound webhooks: which subscriptions want an event (temporal.yaml's plus the store
// workflow's, cached a few seconds), starting an event's delivery workflow, and the signed POST itself.
// Secrets are read here, when a delivery is signed, and go nowhere else: not into a history, a log or an error.
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import axios from 'axios';
import { WorkerMetric } from '../domain/metric-names';
import {
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID,
  wants,
  type EventsWanted,
  webhookDeliveryWorkflowId,
  type WebhookEvent,
  type WebhookEventType,
} from '../domain/webhook-events';
import { configSubscriptionSecret, type WebhooksConfig } from '../platform/webhooks-config';
import { webhookHeaders } from '../platform/webhook-signature';
import { webhookSubscriptionsForDeliveryQuery } from '../workflows/webhook-subscriptions';

export interface WebhookActivityDeps {
  client: () => Promise<Client>;
  taskQueue: string;
  webhooks: WebhooksConfig;
  env?: NodeJS.ProcessEnv;
  /** The running activity's cancellation signal (aborts a POST in flight). */
  abortSignal?: () => AbortSignal | undefined;
  /** The subscriptions, when the worker shares one cached source (subscriptionSource) with eventsWanted. */
  subscriptions?: () => Promise<DeliveryTarget[]>;
}

/** One subscription as delivery sees it; the secret is read only when asked for. */
export interface DeliveryTarget {
  id: string;
  url: string;
  events: readonly string[];
  secret(): string;
}

export interface DeliveryPlan {
  targets: { subscriptionId: string; url: string }[];
  retry: {
    initialIntervalMs: number;
    maximumIntervalMs: number;
    maxDeliveryMs: number;
    requestTimeoutMs: number;
  };
}

/** Every subscription (file and store), read again after webhooks.subscriptionCacheSeconds. */
export function subscriptionSource(
  deps: Pick<WebhookActivityDeps, 'client' | 'webhooks' | 'env'>,
): () => Promise<DeliveryTarget[]> {
  let cached: { at: number; targets: Promise<DeliveryTarget[]> } | undefined;
  const fromConfig: DeliveryTarget[] = deps.webhooks.subscriptions.map((s) => ({
    id: s.id,
    url: s.url,
    events: s.events,
    secret: () => configSubscriptionSecret(s, deps.env),
  }));
  const read = async (): Promise<DeliveryTarget[]> => {
    const client = await deps.client();
    const stored = await client.workflow
      .getHandle(WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID)
      .query(webhookSubscriptionsForDeliveryQuery)
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return []; // none was ever created
        throw err;
      });
    return [
      ...fromConfig,
      ...stored.map((s) => ({ id: s.id, url: s.url, events: s.events, secret: () => s.secret })),
    ];
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > deps.webhooks.subscriptionCacheSeconds * 1000) {
      const targets = read();
      cached = { at: now, targets };
      targets.catch(() => (cached = undefined)); // a failed read is not cached
    }
    return cached.targets;
  };
}

/** How long a policy read waits for the subscriptions before it goes without them. */
export const EVENTS_WANTED_READ_MS = 2_000;

/**
 * The event types some subscription wants now, read from the same cache as emissions (so no more often),
 * for the policy an operation starts with. Undefined when the subscriptions cannot be read within
 * `readMs`, or the cache is off: the lifecycle then emits every event and the worker checks each one. So a
 * slow or broken subscription store never holds up or fails an operation's policy read.
 */
export function eventsWantedSource(
  subscriptions: () => Promise<DeliveryTarget[]>,
  webhooks: Pick<WebhooksConfig, 'subscriptionCacheSeconds'>,
  readMs = EVENTS_WANTED_READ_MS,
): () => Promise<EventsWanted | undefined> {
  return async () => {
    const forMs = webhooks.subscriptionCacheSeconds * 1000;
    if (forMs <= 0) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), readMs)),
    );
    const targets = await Promise.race([subscriptions().catch(() => undefined), gaveUp]);
    clearTimeout(timer);
    if (!targets) return undefined;
    return { types: WEBHOOK_EVENT_TYPES.filter((type) => targets.some((s) => wants(s, type))), forMs };
  };
}

/** The URL as failures show it: no query or fragment (a receiver may put a token there). */
function shownUrl(url: string): string {
  return url.replace(/[?#].*$/, '');
}

function countAttemptFailure(reason: string): void {
  Context.current()
    .metricMeter.createCounter(
      WorkerMetric.WebhookAttemptFailures,
      '',
      'Failed webhook POSTs (each retried later)',
    )
    .add(1, { reason });
}

export function createWebhookActivities(deps: WebhookActivityDeps) {
  const subscriptions = deps.subscriptions ?? subscriptionSource(deps);
  const w = deps.webhooks;
  return {
    /**
     * A local activity of the emitting workflow: starts the event's delivery when some subscription wants
     * its type. Started before (a retried emission) counts as done.
     */
    async emitWebhookEvent(event: WebhookEvent): Promise<'started' | 'already-started' | 'no-subscriber'> {
      if (!(await subscriptions()).some((s) => wants(s, event.type))) return 'no-subscriber';
      const client = await deps.client();
      try {
        await client.workflow.start('webhookDelivery', {
          workflowId: webhookDeliveryWorkflowId(event.id),
          taskQueue: deps.taskQueue,
          args: [event],
          staticSummary: `webhook ${event.type}${event.phoneNumberId ? ` of ${event.phoneNumberId}` : ''}`,
        });
        return 'started';
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
        throw err;
      }
    },

    /** The subscriptions that want an event type now, and the retry settings of their deliveries. */
    async planWebhookDelivery(type: WebhookEventType): Promise<DeliveryPlan> {
      const targets = (await subscriptions()).filter((s) => wants(s, type));
      return {
        targets: targets.map((s) => ({ subscriptionId: s.id, url: s.url })),
        retry: {
          initialIntervalMs: w.initialRetrySeconds * 1000,
          maximumIntervalMs: w.maxRetryIntervalSeconds * 1000,
          maxDeliveryMs: w.maxDeliveryHours * 3_600_000,
          requestTimeoutMs: w.requestTimeoutMs,
        },
      };
    },

    /** POSTs the signed event to one subscription; any non-2xx answer or network error is retried. */
    async deliverWebhook(subscriptionId: string, event: WebhookEvent): Promise<'delivered' | 'skipped'> {
      const target = (await subscriptions()).find((s) => s.id === subscriptionId);
      if (!target) return 'skipped'; // deleted since the event
      const body = JSON.stringify(event);
      let status: number;
      try {
        const answer = await axios.post(target.url, body, {
          headers: {
            ...webhookHeaders(target.secret(), event.id, body),
            'content-type': 'application/json',
            'user-agent': 'whatsapp-number-lifecycle-webhooks',
          },
          timeout: w.requestTimeoutMs,
          maxRedirects: 0,
          validateStatus: () => true,
          responseType: 'text',
          transformResponse: (data: unknown) => data,
          signal: deps.abortSignal?.(),
        });
        status = answer.status;
      } catch (err) {
        // Only the error's code: axios errors carry the request config, headers (the signature) included.
        const code = axios.isAxiosError(err) ? (err.code ?? 'ERR_NETWORK') : 'ERR_UNKNOWN';
        const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
        countAttemptFailure(timedOut ? 'timeout' : 'network');
        throw ApplicationFailure.retryable(
          `POST ${shownUrl(target.url)} failed: ${code}`,
          'WebhookNetworkError',
        );
      }
      if (status >= 200 && status < 300) return 'delivered';
      countAttemptFailure(status >= 500 ? 'http_5xx' : 'http_4xx');
      throw ApplicationFailure.retryable(
        `POST ${shownUrl(target.url)} answered HTTP ${status}`,
        'WebhookHttpError',
      );
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
