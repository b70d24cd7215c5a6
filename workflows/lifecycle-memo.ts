// What a lifecycle run keeps in its memo so that a successor can pick up after a terminate: the memo is
// readable (and decoded by the codec) after the run is closed, however it closed.
import type { OperationRequest } from '../domain/operations';

/** The request ledger (domain/ledger), written in the task that schedules each counted request. */
export const LEDGER_MEMO = 'requestLedger';
/** The operation sequence and the open operation, written beside the ledger. */
export const LIFECYCLE_MEMO = 'lifecycle';

/**
 * An operation past its point of no return (a region change's deregister, a migration's register): if
 * the run ends here, the number may be offline and only this operation brings it back.
 */
export interface OpenOperation {
  operationId: string;
  request: OperationRequest;
  /** Meta refused the PIN and the operation waits for a corrected one: re-running it would resend that PIN. */
  waitingForPin?: boolean;
}

export interface LifecycleMemo {
  /** The last operation number handed out, so a successor never repeats an operation ID. */
  sequence: number;
  open?: OpenOperation;
}
