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

  async active(what: string): Promise<void> {
    upsertSearchAttributes([
      { key: WaLifecycleState, value: this.activeState },
      { key: WaNextAttemptAt, value: null },
    ]);
    setCurrentDetails(`**${this.activeState}**: ${what}`);
    await this.tellParent({ operationId: this.operationId });
  }

  async waiting(until: number, reason: string): Promise<void> {
    const at = new Date(until);
    upsertSearchAttributes([
      { key: WaLifecycleState, value: 'waiting-for-rate-limit' },
      { key: WaNextAttemptAt, value: at },
    ]);
    setCurrentDetails(`**waiting-for-rate-limit** until ${at.toISOString()}: ${reason}`);
    await this.tellParent({ operationId: this.operationId, waitingFor: reason, nextAttemptAt: until });
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
