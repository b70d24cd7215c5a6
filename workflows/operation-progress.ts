// How a running operation shows what it is doing. Operations the lifecycle runs itself update the
// number's state directly; a child run (verification) shows it on its own run and signals the lifecycle.
import {
  getExternalWorkflowHandle,
  isCancellation,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WaLifecycleState, WaNextAttemptAt } from '../domain/search-attributes';
import type { LifecycleState } from '../domain/lifecycle-state';
import { operationProgressSignal, type OperationProgress } from './messages';

/** Where progress goes: the lifecycle's own state, or (from a child run) a signal to it. */
export type ProgressSink = (progress: OperationProgress) => Promise<void> | void;

export class OperationProgressReporter {
  constructor(
    private readonly operationId: string,
    private readonly activeState: LifecycleState,
    private readonly sink: ProgressSink = showOnChildRun,
  ) {}

  /**
   * Working (not waiting): the operation's own state, e.g. registering; `until` when its next step is a
   * backoff (throttling, an unknown answer), so the number shows when it tries again.
   */
  async active(what: string, until?: number): Promise<void> {
    await this.report(this.activeState, what, until);
  }

  /** Waiting for Meta's budget: a durable timer until `until`. */
  async waiting(until: number, reason: string): Promise<void> {
    await this.report('waiting-for-rate-limit', reason, until);
  }

  /** Any state the operation is in, what it is doing or waiting for, and until when (if known). */
  async report(state: LifecycleState, what: string, until?: number): Promise<void> {
    const waiting = state !== this.activeState;
    await this.sink({
      operationId: this.operationId,
      state,
      ...(waiting ? { waitingFor: what } : { doing: what }),
      ...(until !== undefined ? { nextAttemptAt: until } : {}),
    });
  }
}

/** A child run: its own search attributes and details, and a signal so the number shows it too. */
async function showOnChildRun(progress: OperationProgress): Promise<void> {
  const at = progress.nextAttemptAt !== undefined ? new Date(progress.nextAttemptAt) : undefined;
  upsertSearchAttributes([
    { key: WaLifecycleState, value: progress.state ?? null },
    { key: WaNextAttemptAt, value: at ?? null },
  ]);
  const what = progress.waitingFor ?? progress.doing ?? '';
  setCurrentDetails(`**${progress.state}**${at ? ` until ${at.toISOString()}` : ''}: ${what}`);
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(
      operationProgressSignal,
      progress,
    );
  } catch (err) {
    // A cancel that lands now must stop the operation, not be swallowed with the signal's failure.
    if (isCancellation(err)) throw err;
    // Otherwise the lifecycle is gone (terminated); the run's own state still shows the wait.
  }
}
