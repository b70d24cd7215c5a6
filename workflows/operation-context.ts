// What an operation the lifecycle runs itself gets to work with: the number, its policy, the lifecycle's
// request budget (the only way to send a counted request), progress, and a mailbox for corrected PINs.
import { ApplicationFailure, condition } from '@temporalio/workflow';
import type { Registration, Verification } from '../domain/lifecycle-state';
import type { OperationPolicy } from '../domain/operations';
import { formatDuration } from './format';
import type { OperationProgressReporter } from './operation-progress';
import type { RequestBudget } from './request-budget';
import { workflowNow } from './clock';
import { OperationFailureType } from '../domain/failure-types';
import { WaitReason } from '../domain/metric-names';
import { countWaitEntered } from './metrics';
import type { NameDecisions } from './name-decisions';

/** What a run learned about the number; the lifecycle applies it at once, whether the run succeeds or not. */
export interface NumberFacts {
  registration?: Registration;
  verification?: Verification;
  pinSet?: boolean;
}

export interface OperationContext {
  phoneNumberId: string;
  operationId: string;
  policy: OperationPolicy;
  budget: RequestBudget;
  progress: OperationProgressReporter;
  pins: PinMailbox;
  learn(facts: NumberFacts): void;
  /** Display-name decisions from Meta's webhooks, as the lifecycle received them. */
  nameDecisions?: NameDecisions;
}

/** A corrected two-step PIN, handed over by the lifecycle when the same command is run again with it. */
export class PinMailbox {
  private pin: string | undefined;
  private awaiting = false;

  /** onWait: told when a wait begins (the lifecycle records it for a successor). */
  constructor(private readonly onWait: () => void = () => undefined) {}

  /** True while an operation waits for a corrected PIN. */
  get waiting(): boolean {
    return this.awaiting;
  }

  provide(pin: string): void {
    if (this.awaiting) this.pin = pin;
  }

  async waitForPin(progress: OperationProgressReporter, reason: string, maxWaitMs: number): Promise<string> {
    this.pin = undefined;
    this.awaiting = true;
    this.onWait();
    countWaitEntered(WaitReason.Pin);
    try {
      await progress.report('waiting-for-pin', reason, workflowNow() + maxWaitMs);
      if (!(await condition(() => this.pin !== undefined, maxWaitMs))) {
        throw ApplicationFailure.nonRetryable(
          `no corrected PIN arrived within ${formatDuration(maxWaitMs)}; the number is still offline: ${reason}`,
          OperationFailureType.PinNotProvided,
        );
      }
      return this.pin!;
    } finally {
      this.awaiting = false;
    }
  }
}
