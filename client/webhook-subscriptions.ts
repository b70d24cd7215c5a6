// Webhook subscriptions from the client library: create (the secret is generated here and returned once),
// list (never a secret) and delete. Those created here live in the store workflow (webhook-subscriptions);
// those in temporal.yaml are listed beside them and can only be changed there.
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID,
  checkAllowedUrl,
  webhookSubscriptionIdSchema,
  webhookSubscriptionRequestSchema,
  type WebhookSubscriptionRequest,
  type WebhookSubscriptionView,
} from '../domain/webhook-events';
import { InputError, parseInput } from '../domain/validation';
import { generateWebhookSecret } from '../platform/webhook-signature';
import type { WebhooksConfig } from '../platform/webhooks-config';
import {
  createWebhookSubscriptionUpdate,
  deleteWebhookSubscriptionUpdate,
  listWebhookSubscriptionsQuery,
  webhookSubscriptions,
} from '../workflows/webhook-subscriptions';

export interface CreatedWebhookSubscription {
  subscription: WebhookSubscriptionView;
  /** whsec_<base64>: shown this once; receivers verify signatures with it (verifyWebhook). */
  secret: string;
}

export interface WebhookSubscriptionsApi {
  createWebhookSubscription(request: WebhookSubscriptionRequest): Promise<CreatedWebhookSubscription>;
  listWebhookSubscriptions(): Promise<WebhookSubscriptionView[]>;
  deleteWebhookSubscription(id: string): Promise<void>;
}

/** An update the store's validator refused: its "field: rule" message back as an InputError. */
function refusal(err: unknown): unknown {
  if (!(err instanceof WorkflowUpdateFailedError)) return err;
  const message = err.cause?.message ?? err.message;
  const colon = message.indexOf(': ');
  return colon > 0
    ? new InputError(message.slice(0, colon), message.slice(colon + 2))
    : new InputError('input', message);
}

export class WebhookSubscriptionsClient implements WebhookSubscriptionsApi {
  constructor(
    private readonly client: Client,
    /** The workers' task queue (the store workflow runs there). */
    private readonly taskQueue: string,
    /** The operator's settings: allowed URL prefixes, and the subscriptions of temporal.yaml. */
    private readonly settings: Pick<WebhooksConfig, 'allowedUrlPrefixes' | 'subscriptions'> = {
      allowedUrlPrefixes: ['https://'],
      subscriptions: [],
    },
  ) {}

  /** Bad input throws InputError naming the field and the rule; nothing is stored then. */
  async createWebhookSubscription(request: WebhookSubscriptionRequest): Promise<CreatedWebhookSubscription> {
    const valid = parseInput(webhookSubscriptionRequestSchema(), request);
    const refused = checkAllowedUrl(valid.url, this.settings.allowedUrlPrefixes);
    if (refused) throw new InputError('url', refused);
    const reservedIds = this.settings.subscriptions.map((s) => s.id);
    if (reservedIds.includes(valid.id))
      throw new InputError('id', `a subscription with id ${valid.id} exists already`);
    const secret = generateWebhookSecret();
    try {
      const subscription = await this.client.workflow.executeUpdateWithStart(
        createWebhookSubscriptionUpdate,
        {
          args: [
            {
              subscription: valid,
              secret,
              allowedUrlPrefixes: this.settings.allowedUrlPrefixes,
              reservedIds,
            },
          ],
          startWorkflowOperation: new WithStartWorkflowOperation(webhookSubscriptions, {
            workflowId: WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID,
            taskQueue: this.taskQueue,
            workflowIdConflictPolicy: 'USE_EXISTING',
            args: [{}],
            staticSummary: 'webhook subscriptions created through the API',
          }),
        },
      );
      return { subscription, secret };
    } catch (err) {
      throw refusal(err);
    }
  }

  async listWebhookSubscriptions(): Promise<WebhookSubscriptionView[]> {
    const fromConfig: WebhookSubscriptionView[] = this.settings.subscriptions.map((s) => ({
      id: s.id,
      url: s.url,
      events: s.events,
      ...(s.description !== undefined ? { description: s.description } : {}),
      source: 'config',
    }));
    const stored = await this.client.workflow
      .getHandle(WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID)
      .query(listWebhookSubscriptionsQuery)
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      });
    return [...fromConfig, ...stored];
  }

  async deleteWebhookSubscription(id: string): Promise<void> {
    const valid = parseInput(webhookSubscriptionIdSchema(), id, 'id');
    if (this.settings.subscriptions.some((s) => s.id === valid)) {
      throw new InputError(
        'id',
        `${valid} is defined in temporal.yaml (webhooks.subscriptions): remove it there`,
      );
    }
    try {
      await this.client.workflow
        .getHandle(WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID)
        .executeUpdate(deleteWebhookSubscriptionUpdate, { args: [valid] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new InputError('id', `no subscription with id ${valid}`);
      throw refusal(err);
    }
  }
}
