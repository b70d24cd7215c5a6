// Waiting for an operation that a number's lifecycle runs, and reading how it ended: its summary, and the
// requests it sent from the lifecycle's ledger. On the time-skipping server, a wait the operation shows
// (a rate-limit slot, a block, a PIN or a code, until a time) is skipped to its end. Time is not simply
// unlocked: the lifecycle never ends, so an unlocked test server would skip an idle one to its timeout.
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { OperationReport } from '../../domain/operations';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { getStateQuery, type LifecycleSnapshot, type OperationSummary } from '../../workflows/messages';

export interface FinishedOperation extends OperationReport {
  summary: OperationSummary;
  snapshot: LifecycleSnapshot;
}

export async function operationReport(
  client: Client,
  phoneNumberId: string,
  operationId: string,
  options: { timeoutMs?: number; timeSkipping?: TestWorkflowEnvironment } = {},
): Promise<FinishedOperation> {
  const handle = client.workflow.getHandle(lifecycleWorkflowId(phoneNumberId));
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const env = options.timeSkipping;
  for (;;) {
    const snapshot = await handle.query(getStateQuery);
    const summary = snapshot.recentOperations.find((o) => o.operationId === operationId);
    if (summary) {
      return {
        operationId,
        summary,
        snapshot,
        outcome: summary.outcome,
        failure: summary.failure,
        // What the lifecycle knows of the number once the operation ended.
        registration: snapshot.registration,
        verification: snapshot.verification,
        pinSet: snapshot.pinSet,
        ledger: {
          entries: snapshot.ledger.entries.filter((e) => e.operationId === operationId),
          blockedUntil: snapshot.ledger.blockedUntil,
        },
      };
    }
    if (Date.now() > deadline)
      throw new Error(`${operationId} did not finish in time: ${JSON.stringify(snapshot)}`);
    const waitingUntil = snapshot.currentOperation?.nextAttemptAt;
    if (env && snapshot.currentOperation?.operationId === operationId && waitingUntil) {
      const ms = Date.parse(waitingUntil) - (await env.currentTimeMs());
      if (ms > 0) await env.sleep(ms + 1000);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
