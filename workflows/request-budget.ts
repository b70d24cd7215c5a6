// The number's request ledger, held by its lifecycle workflow, the only writer. Every register and
// deregister Meta counts is recorded here in the same workflow task that schedules it, and stamped with
// the time its answer (or failure, or timeout) was observed: no failure, termination, cancel or timeout of
// anything can lose one, and Meta cannot have counted it later than our stamp.
import {
  ActivityFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  upsertMemo,
} from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import {
  nextAllowedAt,
  recordBlock,
  recordPinLockout,
  recordRequests,
  settleInFlight,
  type BudgetedEndpoint,
  type LedgerPolicy,
  type RequestLedger,
} from '../domain/ledger';
import { workflowNow } from './clock';
import { graphFailureOf } from './graph-failure';
import { LEDGER_MEMO } from './lifecycle-memo';
import { countBudgetRequestSent } from './metrics';

/** The activity was never picked up by a worker (schedule-to-start timeout): the request never left. */
export function neverStarted(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

/** Writes the ledger where it outlives the run: by default the memo, alone. */
export type LedgerMirror = (ledger: RequestLedger) => void;

const ledgerOnlyMirror: LedgerMirror = (ledger) => upsertMemo({ [LEDGER_MEMO]: ledger });

export class RequestBudget {
  constructor(
    private ledger: RequestLedger,
    private readonly mirror: LedgerMirror = ledgerOnlyMirror,
  ) {}

  get current(): RequestLedger {
    return this.ledger;
  }

  nextAllowedAt(endpoint: BudgetedEndpoint, policy: LedgerPolicy, now = workflowNow()): number {
    return nextAllowedAt(this.ledger, endpoint, now, policy);
  }

  /** A ledger recovered from a closed predecessor, or given by a test: replaces what is held. */
  replace(ledger: RequestLedger): void {
    this.ledger = ledger;
    this.remember();
  }

  /**
   * Sends one counted request. Nothing is sent once the operation has been asked to stop (a cancel that
   * lands in the same workflow task as a timer or a read is seen here, before the send). Once scheduled,
   * the request runs to its answer even if the operation is cancelled: its outcome must be known.
   */
  async send<T>(
    endpoint: BudgetedEndpoint,
    operationId: string,
    policy: LedgerPolicy,
    call: () => Promise<T>,
  ): Promise<T> {
    if (CancellationScope.current().consideredCancelled) {
      throw new CancelledFailure(`cancelled before sending ${endpoint}`);
    }
    this.ledger = recordRequests(this.ledger, [{ endpoint, at: workflowNow(), operationId, inFlight: true }]);
    this.remember(); // same workflow task as the activity's schedule command
    try {
      const result = await CancellationScope.nonCancellable(call);
      this.settle({ sent: true });
      countBudgetRequestSent(endpoint);
      return result;
    } catch (err) {
      const failure = graphFailureOf(err);
      const blocked = failure?.type === GraphErrorType.RegistrationRateLimited;
      const pinLocked = failure?.type === GraphErrorType.PinLockedOut;
      const sent = !neverStarted(err);
      this.settle({
        sent,
        block: blocked ? { endpoint, ms: policy.blockMs } : undefined,
        pinLockMs: pinLocked ? failure.details.retryAfterMs : undefined,
      });
      if (sent) countBudgetRequestSent(endpoint);
      throw err;
    }
  }

  /**
   * Stamps the request in flight; after 133016, Meta's block runs from that same stamp, and after 133008
   * the PIN lockout Meta gave.
   */
  private settle(outcome: {
    sent: boolean;
    block?: { endpoint: BudgetedEndpoint; ms: number };
    pinLockMs?: number;
  }): void {
    const observedAt = workflowNow();
    this.ledger = settleInFlight(this.ledger, { observedAt, sent: outcome.sent });
    if (outcome.block) {
      this.ledger = recordBlock(this.ledger, outcome.block.endpoint, observedAt + outcome.block.ms);
    }
    if (outcome.pinLockMs !== undefined) {
      this.ledger = recordPinLockout(this.ledger, observedAt + outcome.pinLockMs);
    }
    this.remember();
  }

  /** Mirrors the ledger into the run's memo: readable after the run is closed, however it closed. */
  remember(): void {
    this.mirror(this.ledger);
  }
}
