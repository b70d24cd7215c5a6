// Hands a delivery of Meta's webhooks to Temporal: starts the intake workflow (workflows/meta-webhook-intake.ts)
// under an ID derived from the body's SHA-256, so a retry of the same delivery by Meta finds it and starts
// nothing (reuse refused for as long as the namespace keeps the closed run).
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { MetaNumberEvent } from '../domain/meta-webhooks';
import { metaWebhookIntake } from '../workflows/meta-webhook-intake';

export interface MetaWebhookDelivery {
  /** Hex SHA-256 of the exact body Meta sent. */
  bodySha256: string;
  events: MetaNumberEvent[];
}

/** started: a new intake run; duplicate: this body was handed over before (Meta retried). */
export type MetaWebhookIntake = (delivery: MetaWebhookDelivery) => Promise<'started' | 'duplicate'>;

export function metaWebhookWorkflowId(bodySha256: string): string {
  return `meta-webhook:${bodySha256.slice(0, 40)}`;
}

export function temporalMetaWebhookIntake(client: Client, taskQueue: string): MetaWebhookIntake {
  return async ({ bodySha256, events }) => {
    try {
      await client.workflow.start(metaWebhookIntake, {
        workflowId: metaWebhookWorkflowId(bodySha256),
        taskQueue,
        args: [{ events, receivedAt: new Date().toISOString() }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `Meta webhook: ${events.length} event(s)`,
      });
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
      throw err;
    }
  };
}
