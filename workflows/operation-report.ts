// Reports and failures of operations that are not budgeted requests (verify, set-pin, onboard).
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { mergeLedgers, type RequestLedger } from '../domain/ledger';
import type { OperationReport } from '../domain/operations';

/** The report a failed child carries in its failure details (see reportFromFailure in lifecycle.ts). */
export function reportOf(err: unknown): OperationReport | undefined {
  const detail =
    err instanceof ApplicationFailure ? (err.details?.[0] as OperationReport | undefined) : undefined;
  return detail?.ledger ? detail : undefined;
}

/**
 * Re-throws `err` as this operation's failure, with what the run learned so far (requests it spent,
 * verification), so the lifecycle keeps the ledger exact.
 */
export function failWith(thrown: unknown, partial: Omit<OperationReport, 'failure'>): ApplicationFailure {
  // An activity's failure arrives wrapped: its cause holds the type and message worth reporting.
  const err =
    thrown instanceof ActivityFailure && thrown.cause instanceof ApplicationFailure ? thrown.cause : thrown;
  const inner = reportOf(err);
  const ledger: RequestLedger = inner ? mergeLedgers(partial.ledger, inner.ledger) : partial.ledger;
  const failure = err instanceof ApplicationFailure ? err : undefined;
  const cancelled = !failure && isCancellation(err);
  const type = failure?.type ?? (cancelled ? 'Cancelled' : 'OperationFailed');
  const message =
    inner?.failure?.message ??
    (cancelled ? 'cancelled at a safe point' : err instanceof Error ? err.message : String(err));
  const graphCode =
    inner?.failure?.graphCode ?? (failure?.details?.[0] as { code?: number } | undefined)?.code;
  return ApplicationFailure.nonRetryable(message, type, {
    ...partial,
    registration: inner?.registration ?? partial.registration,
    ledger,
    failure: { type, message, graphCode },
  } satisfies OperationReport);
}
