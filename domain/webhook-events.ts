// Outbound webhooks: the events other services receive when a number's lifecycle changes, the JSON body
// each one is sent as, and the rules for a subscription (who receives which events, where). Pure types and
// zod schemas, safe in the workflow sandbox. A body never carries a secret: no PIN, code, token or backup.
import { z } from 'zod';
import { lazySchema } from './validation';

export const WEBHOOK_EVENT_TYPES = [
  'operation.succeeded',
  'operation.failed',
  'number.offline',
  'number.online',
  'verification.waiting_for_code',
  'operation.waiting_for_limit',
  'display_name.approved',
  'display_name.rejected',
  'number.quality_changed',
  'number.status_changed',
  'fleet.finished',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The `data` of each event type. */
export interface WebhookEventData {
  'operation.succeeded': { operation: string; outcome?: string };
  'operation.failed': { operation: string; failureType: string; graphCode?: number; message: string };
  'number.offline': { state: string; operation?: string };
  'number.online': { state: string; operation?: string };
  'verification.waiting_for_code': { operation: string; until?: string };
  /** `until`: when the next request fits Meta's budget (ISO 8601). */
  'operation.waiting_for_limit': { operation: string; until: string; reason?: string };
  // From Meta's own webhooks (POST /webhooks/meta → the number's lifecycle; workflows/meta-facts.ts), `at`
  // being Meta's time of the change (ISO 8601).
  'display_name.approved': { decision: string; requestedName?: string; at: string };
  'display_name.rejected': { decision: string; requestedName?: string; rejectionReason?: string; at: string };
  /** `event`: Meta's (FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE…); the messaging limits as Meta names them. */
  'number.quality_changed': { event: string; messagingLimit?: string; previousLimit?: string; at: string };
  /** `status`: active, restricted, banned or offboarded; `event`: Meta's account_update event. */
  'number.status_changed': {
    status: string;
    previousStatus: string;
    event: string;
    restrictions?: { type: string; expiration?: string }[];
    banState?: string;
    violationType?: string;
    at: string;
  };
  'fleet.finished': {
    fleetId: string;
    operation: string;
    status: string;
    succeeded: number;
    failed: number;
    notStarted: number;
  };
}

/** The JSON body POSTed to a subscriber (and the `webhook-id` header is its `id`). */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  /** Unique per event: receivers deduplicate on it (a delivery may be repeated). */
  id: string;
  type: T;
  /** When it happened (ISO 8601). */
  time: string;
  /** The number; absent on fleet.finished (its data names the fleet). */
  phoneNumberId?: string;
  operationId?: string;
  data: WebhookEventData[T];
}

/** How a delivery workflow fails when a subscriber never accepted its event (not an operation's failure). */
export const WEBHOOK_DELIVERY_GAVE_UP = 'WebhookDeliveryGaveUp';

/** The workflow ID of the run that delivers one event: starting it twice is harmless (deduplicated). */
export const webhookDeliveryWorkflowId = (eventId: string) => `webhook-event:${eventId}`;
/** The workflow that stores subscriptions created through the API (a durable entity). */
export const WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID = 'webhook-subscriptions';

export const webhookEventTypeSchema = lazySchema(() =>
  z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` }),
);

export const webhookSubscriptionIdSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      'must be 1-64 letters, digits, . _ or - (starting with a letter or digit)',
    ),
);

/**
 * http(s) only; no credentials in it (they would be logged and shown). Checked with patterns, not URL: the
 * store workflow's validator runs it in the workflow sandbox.
 */
export const webhookUrlSchema = lazySchema(() =>
  z
    .string()
    .max(2048, 'must be at most 2048 characters')
    .refine((text) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(text), 'must be an absolute URL')
    .refine((text) => !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) || /^https?:/i.test(text), {
      message: 'must use the http or https scheme',
    })
    .refine((text) => !/^https?:/i.test(text) || /^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i.test(text), {
      message: 'must be http(s)://host[:port][/path], without spaces, user name or password',
    }),
);

/** What a caller gives to create a subscription (the secret is generated). */
export const webhookSubscriptionRequestSchema = lazySchema(() =>
  z
    .object({
      id: webhookSubscriptionIdSchema(),
      url: webhookUrlSchema(),
      events: z
        .array(webhookEventTypeSchema())
        .min(1, 'must name at least one event type')
        .refine((events) => new Set(events).size === events.length, 'must not repeat an event type'),
      description: z.string().max(200, 'must be at most 200 characters').optional(),
    })
    .strict(),
);
export type WebhookSubscriptionRequest = z.output<ReturnType<typeof webhookSubscriptionRequestSchema>>;

/** A subscription as listed: never its secret. */
export interface WebhookSubscriptionView {
  id: string;
  url: string;
  events: WebhookEventType[];
  description?: string;
  /** config: from temporal.yaml (read-only here); api: created through the API (stored in Temporal). */
  source: 'config' | 'api';
  createdAt?: string;
}

/** A subscription as the store keeps it (its payloads encrypted by the codec). */
export interface StoredWebhookSubscription extends WebhookSubscriptionRequest {
  secret: string;
  createdAt: string;
}

/** The operator's rule: a subscription's URL must start with one of these (default: any https URL). */
export function checkAllowedUrl(url: string, allowedPrefixes: readonly string[]): string | undefined {
  if (allowedPrefixes.some((prefix) => url.startsWith(prefix))) return undefined;
  return `must start with one of ${allowedPrefixes.join(', ')} (webhooks.allowedUrlPrefixes)`;
}

/** Whether a subscription wants an event type. */
export const wants = (subscription: { events: readonly string[] }, type: WebhookEventType) =>
  subscription.events.includes(type);

/**
 * The event types some subscription wanted when a worker read its subscriptions, handed to a lifecycle with
 * the policy at an operation's start. For `forMs` after that read (the worker's subscription cache time),
 * the lifecycle skips emitting the other types instead of asking the worker about each one: an event no
 * subscription wants costs no local activity and no history event.
 */
export interface EventsWanted {
  types: WebhookEventType[];
  forMs: number;
}

/** Whether an event of `type` must be emitted, going by what was wanted at `readAt` (`now`: workflow time). */
export function mustEmit(
  type: WebhookEventType,
  now: number,
  known?: { wanted: EventsWanted; readAt: number },
) {
  if (!known || now - known.readAt >= known.wanted.forMs) return true; // unknown or too old: ask the worker
  return known.wanted.types.includes(type);
}
