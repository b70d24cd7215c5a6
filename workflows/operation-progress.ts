// How a running operation shows what it is doing: its own search attributes and current details in the
// Temporal UI, and a signal to the number's lifecycle workflow so the number shows it too.
import {
  getExternalWorkflowHandle,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WaLifecycleState, WaNextAttemptAt } from '../domain/search-attributes';
import type { LifecycleState } from '../domain/lifecycle-state';
import { operationProgressSignal, type OperationProgress } from './messages';

export class OperationProgressReporter {
  constructor(
    private readonly operationId: string,
    private readonly activeState: LifecycleState,
  ) {}

  /** Working (not waiting): the operation's own state, e.g. registering. */
  async active(what: string): Promise<void> {
    await this.report(this.activeState, what);
  }

  /** Waiting for Meta's budget: a durable timer until `until`. */
  async waiting(until: number, reason: string): Promise<void> {
    await this.report('waiting-for-rate-limit', reason, until);
  }

  /** Any state the operation is in, what it is doing or waiting for, and until when (if known). */
  async report(state: LifecycleState, what: string, until?: number): Promise<void> {
    const at = until !== undefined ? new Date(until) : undefined;
    upsertSearchAttributes([
      { key: WaLifecycleState, value: state },
      { key: WaNextAttemptAt, value: at ?? null },
    ]);
    setCurrentDetails(`**${state}**${at ? ` until ${at.toISOString()}` : ''}: ${what}`);
    const waiting = state !== this.activeState;
    await this.tellParent({
      operationId: this.operationId,
      state,
      ...(waiting ? { waitingFor: what } : {}),
      ...(until !== undefined ? { nextAttemptAt: until } : {}),
    });
  }

  private async tellParent(progress: OperationProgress): Promise<void> {
    const parent = workflowInfo().parent;
    if (!parent) return;
    try {
      await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(
        operationProgressSignal,
        progress,
      );
    } catch {
      // The lifecycle may have been terminated; the operation's own state still shows the wait.
    }
  }
}
