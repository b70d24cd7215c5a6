// What a fresh run's recovery local activity recorded. Since 2026-12-07 the activity also reads the policy,
// so the run's first operation, when it starts in the same workflow task, needs no policy read of its own:
// one marker fewer on a number's first register. Histories recorded before hold the predecessor alone (or
// nothing); they replay through this reader and their first operation reads the policy, as it did then.
// The recorded result decides, so neither needs a patch marker.
import type { OperationPolicy } from '../domain/operations';
import type { LedgerRecovery, RecoveredRun } from './messages';

/** Either shape the recovery has recorded. */
export type RecordedRecovery = LedgerRecovery | RecoveredRun | undefined | null;

export function readRecovery(recorded: RecordedRecovery): {
  predecessor?: RecoveredRun;
  policy?: OperationPolicy;
} {
  if (recorded === undefined || recorded === null) return {};
  return 'policy' in recorded ? recorded : { predecessor: recorded };
}

/**
 * A policy read by the recovery, kept for the run's first operation only, and only if that starts in the
 * same workflow task (the same workflow time): a later operation reads the policy anew, so neither the
 * policy nor the event types it says are wanted are ever older than its own read would be.
 */
export class RecoveredPolicy {
  private held?: { policy: OperationPolicy; readAt: number };

  keep(policy: OperationPolicy | undefined, readAt: number): void {
    this.held = policy ? { policy, readAt } : undefined;
  }

  /** The kept policy if `now` is still its task's time; either way it is used up. */
  take(now: number): OperationPolicy | undefined {
    const held = this.held;
    this.held = undefined;
    return held?.readAt === now ? held.policy : undefined;
  }
}
