// The `webhooks:` section of temporal.yaml: delivery settings (env WA_WEBHOOKS_*) and the subscriptions an
// operator lists in the file, each naming where its secret is (an env var or a file), never the secret.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  checkAllowedUrl,
  webhookEventTypeSchema,
  webhookSubscriptionIdSchema,
  webhookUrlSchema,
} from '../domain/webhook-events';

const numeric = z.union(
  [
    z.number(),
    z
      .string()
      .regex(/^\s*\d+(\.\d+)?\s*$/)
      .transform(Number),
  ],
  {
    error: 'must be a number',
  },
);
const positive = numeric.pipe(z.number().positive('must be > 0'));

/** A list in the file; in its env variable, comma-separated. */
const prefixList = z
  .union([z.array(z.string()), z.string().transform((s) => s.split(',').map((p) => p.trim()))], {
    error: 'must be a list of URL prefixes (in env: comma-separated)',
  })
  .pipe(
    z
      .array(z.string().regex(/^https?:\/\/\S*$/, 'each must start with http:// or https://'))
      .min(1, 'must name at least one prefix'),
  );

const configSubscriptionSchema = z
  .object({
    id: webhookSubscriptionIdSchema(),
    url: webhookUrlSchema(),
    events: z.array(webhookEventTypeSchema()).min(1, 'must name at least one event type'),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    secretFile: z.string().min(1).optional(),
    description: z.string().max(200).optional(),
  })
  .strict()
  .refine((s) => (s.secretEnv === undefined) !== (s.secretFile === undefined), {
    message: 'give exactly one of secretEnv or secretFile',
    path: ['secretEnv'],
  });
export type ConfigWebhookSubscription = z.output<typeof configSubscriptionSchema>;

/** In the file: a list; in WA_WEBHOOKS_SUBSCRIPTIONS: the same as JSON. */
const subscriptionList = z
  .union([
    z.array(z.unknown()),
    z.string().transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array in its env variable' });
        return z.NEVER;
      }
    }),
  ])
  .pipe(z.array(configSubscriptionSchema))
  .refine((list) => new Set(list.map((s) => s.id)).size === list.length, 'must not repeat a subscription id');

export const webhooksConfigSchema = z
  .object({
    // Every subscription URL (file or API) must start with one of these.
    allowedUrlPrefixes: prefixList.default(['https://']),
    // A delivery is retried (5 s, 10 s, 20 s ... at most every 10 minutes) for this long, then given up.
    maxDeliveryHours: positive.default(72),
    initialRetrySeconds: positive.default(5),
    maxRetryIntervalSeconds: positive.default(600),
    requestTimeoutMs: positive.default(10_000),
    // How long a worker trusts what it read of the subscriptions before asking again.
    subscriptionCacheSeconds: numeric.pipe(z.number().min(0, 'must be >= 0')).default(5),
    subscriptions: subscriptionList.default([]),
  })
  .strict()
  .superRefine((w, ctx) => {
    w.subscriptions.forEach((s, i) => {
      const refused = checkAllowedUrl(s.url, w.allowedUrlPrefixes);
      if (refused) ctx.addIssue({ code: 'custom', path: ['subscriptions', i, 'url'], message: refused });
    });
  })
  .prefault({});
export type WebhooksConfig = z.output<typeof webhooksConfigSchema>;

/** A file subscription's secret, read when a delivery is signed (a rotated file applies at once). */
export function configSubscriptionSecret(
  subscription: ConfigWebhookSubscription,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const secret = subscription.secretFile
    ? readFileSync(subscription.secretFile, 'utf8').trim()
    : (env[subscription.secretEnv ?? ''] ?? '').trim();
  if (!secret) {
    const where = subscription.secretFile
      ? `file ${subscription.secretFile}`
      : `env ${subscription.secretEnv}`;
    throw new Error(`webhook subscription ${subscription.id}: no secret in ${where}`);
  }
  return secret;
}
