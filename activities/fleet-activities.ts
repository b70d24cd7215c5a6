// The fleet's one way of starting work: it asks each number's lifecycle workflow for the operation, exactly
// as any client does (update-with-start), so the number's queue and request ledger decide what happens.
// Workflows cannot send updates themselves, hence an activity that holds a Temporal client.
import { heartbeat } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { lifecycleStartOperation } from '../client/lifecycle-start';
import type { FleetMember } from '../domain/fleet';
import { lifecycleWorkflowId } from '../domain/phone-number';
import type { FleetOperationFinished } from '../workflows/fleet-messages';
import {
  cancelOperationUpdate,
  getStateQuery,
  RECENT_OPERATIONS_KEPT,
  requestOperationUpdate,
  type OperationTicket,
} from '../workflows/messages';
import { OperationFailureType } from '../domain/failure-types';

export interface FleetStartResult {
  phoneNumberId: string;
  ticket?: OperationTicket;
  /** The lifecycle refused the request (its validator), in its words. */
  rejected?: string;
}

/** Update-with-start calls in flight at once per activity: enough to keep up, few enough to be gentle. */
const PARALLEL_STARTS = 16;

export function createFleetActivities(deps: { client: () => Promise<Client>; taskQueue: string }) {
  return {
    /**
     * Starts (or joins) each member's operation on its lifecycle and subscribes the fleet to its end.
     * Safe to retry: the update ID is the fleet's and the number's, so the server answers a repeat with
     * the first result instead of queueing the operation twice.
     */
    async startFleetOperations(fleetWorkflowId: string, members: FleetMember[]): Promise<FleetStartResult[]> {
      const client = await deps.client();
      const results: FleetStartResult[] = new Array(members.length);
      let next = 0;
      const startOne = async (member: FleetMember): Promise<FleetStartResult> => {
        const { phoneNumberId } = member;
        const startWorkflowOperation = lifecycleStartOperation(phoneNumberId, deps.taskQueue);
        try {
          const ticket = await client.workflow.executeUpdateWithStart(requestOperationUpdate, {
            args: [member.request, { fleetWorkflowId }],
            startWorkflowOperation,
            updateId: `${fleetWorkflowId}/${phoneNumberId}`,
          });
          return { phoneNumberId, ticket };
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            return { phoneNumberId, rejected: err.cause?.message ?? err.message };
          }
          throw err; // the server or network: the activity is retried, the update ID keeps it idempotent
        }
      };
      const lane = async (): Promise<void> => {
        while (next < members.length) {
          const i = next++;
          results[i] = await startOne(members[i]!);
          heartbeat(i);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_STARTS, members.length) }, lane));
      return results;
    },

    /**
     * Asks each operation to stop at its next safe point (cancelOperation on its lifecycle). Returns how many
     * accepted; one that has finished meanwhile refuses, which is fine.
     */
    async cancelFleetOperations(
      operations: { phoneNumberId: string; operationId: string }[],
      requestedBy: string,
    ): Promise<number> {
      const client = await deps.client();
      let accepted = 0;
      for (const { phoneNumberId, operationId } of operations) {
        try {
          await client.workflow
            .getHandle(lifecycleWorkflowId(phoneNumberId))
            .executeUpdate(cancelOperationUpdate, { args: [{ operationId, requestedBy }] });
          accepted += 1;
        } catch (err) {
          if (!(err instanceof WorkflowUpdateFailedError)) throw err;
        }
        heartbeat(accepted);
      }
      return accepted;
    },

    /**
     * The end of each operation whose end signal the fleet has not had: read from its lifecycle's state.
     * One the lifecycle no longer knows (it was terminated and replaced, or the operation left its recent
     * list) is reported failed with type OperationLost; one still queued or running is left out.
     */
    async reconcileFleetOperations(
      operations: { phoneNumberId: string; operationId: string }[],
    ): Promise<FleetOperationFinished[]> {
      const client = await deps.client();
      const found: FleetOperationFinished[] = [];
      for (const { phoneNumberId, operationId } of operations) {
        const handle = client.workflow.getHandle(lifecycleWorkflowId(phoneNumberId));
        const running = await handle.describe().then(
          (d) => d.status.name === 'RUNNING',
          (err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return false;
            throw err;
          },
        );
        // A closed run (terminated) still answers queries from its history; what it was doing is lost.
        const state = await handle.query(getStateQuery).catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        });
        const known =
          running &&
          [state?.currentOperation, ...(state?.queued ?? [])].some((o) => o?.operationId === operationId);
        const ended = state?.recentOperations.find((o) => o.operationId === operationId);
        if (ended && (ended.status === 'completed' || ended.status === 'failed')) {
          found.push({
            phoneNumberId,
            operationId,
            status: ended.status,
            ...(ended.outcome ? { outcome: ended.outcome } : {}),
            ...(ended.failure
              ? { failure: { type: ended.failure.type, message: ended.failure.message } }
              : {}),
          });
        } else if (!known) {
          found.push({
            phoneNumberId,
            operationId,
            status: 'failed',
            failure: {
              type: OperationFailureType.OperationLost,
              message:
                `the number's lifecycle no longer knows how ${operationId} ended (it was terminated and replaced, ` +
                `or the operation is older than its ${RECENT_OPERATIONS_KEPT} recent ones); read the number's state before running it again`,
            },
          });
        }
        heartbeat(found.length);
      }
      return found;
    },
  };
}

export type FleetActivities = ReturnType<typeof createFleetActivities>;
