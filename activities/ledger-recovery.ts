// A lifecycle that was terminated leaves its request ledger in its memo (workflows/request-budget.ts).
// When the next request starts a fresh lifecycle for the number, this reads that memo back, so the new
// run knows every request Meta counted before it sends one. Requests still in flight when the run closed
// are counted from its close time: Meta cannot have counted them later.
import type { Client } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { requestLedgerSchema, settleInFlight } from '../domain/ledger';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { z } from 'zod';
import { operationRequestSchema } from '../domain/operations';
import type { OperationPolicy } from '../domain/operations';
import type { LedgerRecovery, RecoveredRun } from '../workflows/messages';
import { LEDGER_MEMO, LIFECYCLE_MEMO, type LifecycleMemo } from '../workflows/lifecycle-memo';

const lifecycleMemoSchema: z.ZodType<LifecycleMemo> = z.object({
  sequence: z.number().int().nonnegative(),
  open: z
    .object({
      operationId: z.string(),
      request: operationRequestSchema(),
      waitingForPin: z.boolean().optional(),
    })
    .optional(),
});

export function createLedgerRecoveryActivities(deps: {
  client: () => Promise<Client>;
  /** The loadPolicy activity: read here too, for the fresh run's first operation. */
  policy: () => Promise<OperationPolicy>;
}) {
  return {
    /**
     * The newest closed run of the number's lifecycle (not continued as new) with its ledger, if any, and
     * the policy, read last so that it is fresh for the first operation (workflows/recovery-result.ts).
     */
    async recoverLedger(phoneNumberId: string, currentRunId: string): Promise<LedgerRecovery> {
      const predecessor = await recoverPredecessor(await deps.client(), phoneNumberId, currentRunId);
      return { ...(predecessor ? { predecessor } : {}), policy: await deps.policy() };
    },
  };
}

/** The newest closed run of the number's lifecycle (not continued as new), and its ledger; undefined if none. */
async function recoverPredecessor(
  client: Client,
  phoneNumberId: string,
  currentRunId: string,
): Promise<RecoveredRun | undefined> {
  const workflowId = lifecycleWorkflowId(phoneNumberId);
  const latest = await latestClosedRun(client, workflowId, currentRunId);
  if (!latest) return undefined;
  // describe() decodes the memo with the client's data converter (and codec).
  const described = await client.workflow.getHandle(workflowId, latest.runId).describe();
  const memo = described.memo;
  // In-flight requests count from the close; a server that does not say when counts them from now.
  const closedAt = latest.closedAt ?? described.closeTime ?? new Date();
  const raw = memo?.[LEDGER_MEMO];
  if (raw === undefined) return undefined;
  const held = requestLedgerSchema().parse(raw);
  const inFlight = held.entries.filter((e) => e.inFlight).length;
  const ledger = settleInFlight(held, { observedAt: closedAt.getTime(), sent: true });
  // Memos written before the sequence was kept have none: the ledger alone is recovered then.
  const kept = lifecycleMemoSchema.safeParse(memo?.[LIFECYCLE_MEMO]);
  return {
    ...(kept.success ? kept.data : {}),
    runId: latest.runId,
    status: latest.status,
    closedAt: closedAt.toISOString(),
    ledger,
    requests: ledger.entries.length,
    inFlight,
  };
}

/**
 * The newest closed run with this workflow ID that did not continue as new. Uses the list of closed
 * executions filtered by workflow ID, which every server offers (the dev server, a cluster, Temporal Cloud
 * and the time-skipping test server, which has no visibility queries).
 */
async function latestClosedRun(
  client: Client,
  workflowId: string,
  currentRunId: string,
): Promise<{ runId: string; status: string; closedAt?: Date } | undefined> {
  let latest: { runId: string; status: string; closedAt?: Date } | undefined;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page: temporal.api.workflowservice.v1.IListClosedWorkflowExecutionsResponse =
      await client.workflowService.listClosedWorkflowExecutions({
        namespace: client.options.namespace,
        maximumPageSize: 100,
        executionFilter: { workflowId },
        startTimeFilter: { earliestTime: msToTs(0), latestTime: msToTs(Date.now() + 86_400_000) },
        ...(nextPageToken ? { nextPageToken } : {}),
      });
    for (const run of page.executions ?? []) {
      const runId = run.execution?.runId ?? '';
      const status = temporal.api.enums.v1.WorkflowExecutionStatus[run.status ?? 0] ?? 'UNKNOWN';
      if (!runId || runId === currentRunId) continue;
      if (status.endsWith('CONTINUED_AS_NEW') || status.endsWith('RUNNING')) continue;
      const closedAt = run.closeTime ? new Date(tsToMs(run.closeTime)) : undefined;
      // Newest close wins; without close times (the time-skipping test server), the list's first (newest).
      if (!latest || (closedAt && latest.closedAt && closedAt > latest.closedAt))
        latest = { runId, status: status.replace('WORKFLOW_EXECUTION_STATUS_', ''), closedAt };
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return latest;
}

export type LedgerRecoveryActivities = ReturnType<typeof createLedgerRecoveryActivities>;
