// wa-number webhooks list|create|delete: outbound webhook subscriptions (README "Webhooks"), straight on
// Temporal (the store workflow). create prints the signing secret once; nothing else ever prints one.
import type { Command } from 'commander';
import { InputError, parseInput } from '../domain/validation';
import {
  WEBHOOK_EVENT_TYPES,
  checkAllowedUrl,
  webhookSubscriptionRequestSchema,
  type WebhookEventType,
} from '../domain/webhook-events';
import type { WebhookSubscriptionsApi } from '../client/webhook-subscriptions';

export type WithSubscriptions = <T>(fn: (api: WebhookSubscriptionsApi) => Promise<T>) => Promise<T>;

const print = (json: boolean | undefined, value: unknown, text: string) =>
  console.log(json ? JSON.stringify(value) : text);

export function addWebhookCommands(
  program: Command,
  withSubscriptions: WithSubscriptions,
  setExit: (code: number) => void,
  /** webhooks.allowedUrlPrefixes of the CLI's config. */
  allowedUrlPrefixes: () => string[],
): void {
  const webhooks = program
    .command('webhooks')
    .description('outbound webhook subscriptions: list, create, delete');

  webhooks
    .command('list')
    .description('every subscription (temporal.yaml and created), without secrets')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await withSubscriptions((api) => api.listWebhookSubscriptions());
      const lines = list.map((s) => `${s.id}\t${s.source}\t${s.url}\t${s.events.join(',')}`);
      print(o.json, list, lines.length ? lines.join('\n') : 'no webhook subscriptions');
      setExit(0);
    });

  webhooks
    .command('create')
    .description('subscribe a URL to events; prints the signing secret (whsec_...) this once')
    .requiredOption('--id <id>', 'the subscription ID (letters, digits, . _ -)')
    .requiredOption('--url <url>', 'where events are POSTed (http(s), under webhooks.allowedUrlPrefixes)')
    .requiredOption('--events <types>', `comma-separated: ${WEBHOOK_EVENT_TYPES.join(', ')}`)
    .option('--description <text>', 'what it is for')
    .option('--json', 'print JSON')
    .action(async (o: { id: string; url: string; events: string; description?: string; json?: boolean }) => {
      const events = o.events.split(',').map((e) => e.trim()) as WebhookEventType[];
      // Bad input is refused here, before any connection.
      const request = parseInput(webhookSubscriptionRequestSchema(), {
        id: o.id,
        url: o.url,
        events,
        ...(o.description !== undefined ? { description: o.description } : {}),
      });
      const refused = checkAllowedUrl(request.url, allowedUrlPrefixes());
      if (refused) throw new InputError('url', refused);
      const created = await withSubscriptions((api) => api.createWebhookSubscription(request));
      print(
        o.json,
        created,
        `created ${created.subscription.id} → ${created.subscription.url}\n` +
          `secret (shown only now; give it to the receiver to verify signatures): ${created.secret}`,
      );
      setExit(0);
    });

  webhooks
    .command('delete')
    .description('delete a subscription created through the API or this CLI')
    .argument('<id>', 'the subscription ID')
    .action(async (id: string) => {
      await withSubscriptions((api) => api.deleteWebhookSubscription(id));
      console.log(`deleted ${id}`);
      setExit(0);
    });
}

/** The webhooks commands talk to Temporal; over --api they are refused for now. */
export function refuseOverApi(): never {
  throw new InputError('api', 'the webhooks commands run against Temporal; use the HTTP API routes directly');
}
