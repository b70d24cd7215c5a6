// The routes of outbound webhook subscriptions: create one (its secret is in this answer only), list them
// (never a secret), delete one. Subscriptions from temporal.yaml are listed too, but changed only there.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  WEBHOOK_EVENT_TYPES,
  webhookSubscriptionIdSchema,
  webhookSubscriptionRequestSchema,
} from '../../domain/webhook-events';
import { InputError } from '../../domain/validation';
import type { WebhookSubscriptionsApi } from '../../client/webhook-subscriptions';
import { ApiError } from '../errors';
import type { RouteSpec } from './route-spec';

const subscriptionParams = z.object({
  id: webhookSubscriptionIdSchema().meta({ description: 'The subscription ID', example: 'billing-service' }),
});

const subscriptionViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().optional(),
  source: z
    .enum(['config', 'api'])
    .meta({ description: 'config: temporal.yaml (read-only here); api: created here' }),
  createdAt: z.string().optional(),
});
const createdSchema = z.object({
  subscription: subscriptionViewSchema,
  secret: z.string().meta({
    description:
      'whsec_<base64>: shown only in this answer. Verify each delivery with it (README "Webhooks").',
  }),
});
const listSchema = z.object({ subscriptions: z.array(subscriptionViewSchema) });

/** The library's InputError on `id` that means "not there" (404) or "taken" (409); others are 400s. */
function subscriptionError(err: unknown): unknown {
  if (!(err instanceof InputError) || err.field !== 'id') return err;
  if (/^no subscription with id /.test(err.rule)) return new ApiError('NOT_FOUND', err.message, 'id');
  if (/exists already$/.test(err.rule)) return new ApiError('CONFLICT', err.message, 'id');
  return err;
}

export function webhookRoutes(webhooks: () => WebhookSubscriptionsApi): RouteSpec[] {
  const call = async <T>(fn: (api: WebhookSubscriptionsApi) => Promise<T>): Promise<T> => {
    try {
      return await fn(webhooks());
    } catch (err) {
      throw subscriptionError(err);
    }
  };

  async function createSubscription(request: FastifyRequest, reply: FastifyReply) {
    const body = request.body as z.output<ReturnType<typeof webhookSubscriptionRequestSchema>>;
    const created = await call((api) => api.createWebhookSubscription(body));
    return reply
      .code(201)
      .header('location', `/v1/webhook-subscriptions/${encodeURIComponent(created.subscription.id)}`)
      .send(created);
  }

  async function listSubscriptions() {
    return { subscriptions: await call((api) => api.listWebhookSubscriptions()) };
  }

  async function deleteSubscription(request: FastifyRequest, reply: FastifyReply) {
    const { id } = request.params as z.output<typeof subscriptionParams>;
    await call((api) => api.deleteWebhookSubscription(id));
    return reply.code(204).send();
  }

  const tags = ['webhooks'];
  return [
    {
      method: 'POST',
      url: '/v1/webhook-subscriptions',
      access: 'admin',
      operationId: 'createWebhookSubscription',
      summary: 'Subscribe a URL to lifecycle events; the answer holds its signing secret, shown only once',
      description:
        'The URL must be http(s) and start with one of the operator’s webhooks.allowedUrlPrefixes (default https://). ' +
        'Each delivery is a signed POST (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).',
      tags,
      body: {
        schema: webhookSubscriptionRequestSchema(),
        examples: {
          subscription: {
            value: {
              id: 'billing-service',
              url: 'https://billing.example/hooks/whatsapp',
              events: ['operation.succeeded', 'operation.failed', 'number.offline', 'number.online'],
            },
          },
        },
      },
      responses: {
        201: {
          description: 'Created; the secret is in this answer only',
          schema: createdSchema,
          headers: { Location: { description: '/v1/webhook-subscriptions/{id}' } },
        },
      },
      errors: [400, 401, 403, 409, 413, 415, 429, 500, 503],
      errorNotes: { 409: 'CONFLICT: a subscription with this id exists already (field id)' },
      handler: createSubscription,
    },
    {
      method: 'GET',
      url: '/v1/webhook-subscriptions',
      access: 'read',
      operationId: 'listWebhookSubscriptions',
      summary: 'Every subscription (from temporal.yaml and created here), without secrets',
      tags,
      responses: { 200: { description: 'The subscriptions', schema: listSchema } },
      errors: [401, 403, 429, 500, 503],
      handler: listSubscriptions,
    },
    {
      method: 'DELETE',
      url: '/v1/webhook-subscriptions/:id',
      access: 'admin',
      operationId: 'deleteWebhookSubscription',
      summary: 'Delete a subscription created here (deliveries still pending for it are dropped)',
      tags,
      params: subscriptionParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [400, 401, 403, 404, 429, 500, 503],
      errorNotes: { 400: 'BAD_REQUEST: a bad id, or a subscription of temporal.yaml (change it there)' },
      handler: deleteSubscription,
    },
  ];
}
