// The names callers use to talk to a number's lifecycle workflow. The client library, the CLI and the
// HTTP API import these definitions, so the words are the same everywhere.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RequestLedger } from '../domain/ledger';
import type { LifecycleState, Registration, Verification } from '../domain/lifecycle-state';
import type { OperationKind, OperationOutcome, OperationRequest } from '../domain/operations';

/** What a caller gets back for a request: the operation it started or joined. */
export interface OperationTicket {
  operationId: string;
  /** The child run's workflow ID (phone-number:{id}:{operation}:{n}). */
  workflowId: string;
  operation: OperationKind;
  /** true when an identical request was already queued or running and this caller joined it. */
  joined: boolean;
  /** Operations ahead of this one. */
  position: number;
}

export interface OperationSummary {
  operationId: string;
  workflowId: string;
  operation: OperationKind;
  requestedBy?: string;
  status: 'queued' | 'running' | 'waiting' | 'completed' | 'failed';
  outcome?: OperationOutcome;
  failure?: { type: string; message: string; graphCode?: number };
  /** What the operation is doing now (its lifecycle state), while it runs. */
  activeState?: LifecycleState;
  /** While waiting: what for and until when (ISO). */
  waitingFor?: string;
  nextAttemptAt?: string;
  enqueuedAt: string;
  finishedAt?: string;
  /** Who asked to cancel it while it ran (it stops at its next safe point). */
  cancelRequestedBy?: string;
  /** The failed operation this one re-runs (wa-number retry). */
  retryOf?: string;
}

export interface LifecycleSnapshot {
  phoneNumberId: string;
  state: LifecycleState;
  registration: Registration;
  verification: Verification;
  /** Whether a two-step PIN is known to be set (the PIN itself is never kept). */
  pinSet: boolean;
  ledger: RequestLedger;
  currentOperation?: OperationSummary;
  queued: OperationSummary[];
  recentOperations: OperationSummary[];
}

/** A child reports that it waits (or resumes), so the number's own state and search attributes show it. */
export interface OperationProgress {
  operationId: string;
  /** The state the number is in because of this operation (registering, waiting-for-code, ...). */
  state?: LifecycleState;
  waitingFor?: string;
  nextAttemptAt?: number;
}

/** Who else must hear when the operation ends: a fleet that asked for it is told by signal, not polled. */
export interface RequestOrigin {
  fleetWorkflowId?: string;
}

export const requestOperationUpdate = defineUpdate<OperationTicket, [OperationRequest, RequestOrigin?]>(
  'requestOperation',
);
export const getStateQuery = defineQuery<LifecycleSnapshot>('getState');

export interface CancelOperationRequest {
  /** The operation to cancel; default: the running one, else the last queued. */
  operationId?: string;
  requestedBy?: string;
}
export interface CancelOperationResult {
  operationId: string;
  /** cancelled: it was queued and never started. cancel-requested: it stops at its next safe point. */
  status: 'cancelled' | 'cancel-requested';
  note: string;
}
/**
 * Cancels a queued operation at once, or asks the running one to stop at its next safe point. Requests in
 * flight always get their answer, and a deregistered number is always registered again first.
 */
export const cancelOperationUpdate = defineUpdate<CancelOperationResult, [CancelOperationRequest]>(
  'cancelOperation',
);

export interface RetryOperationRequest {
  requestedBy?: string;
  /** A corrected two-step PIN, for operations that take one; otherwise the original request's is used. */
  pin?: string;
}
/** Queues the number's last failed (or cancelled) operation again, with its original parameters. */
export const retryOperationUpdate = defineUpdate<OperationTicket, [RetryOperationRequest]>('retryOperation');
export const operationProgressSignal = defineSignal<[OperationProgress]>('operationProgress');

/** The answer a person gets when submitting a verification code: at once, accepted or not and why. */
export interface CodeSubmissionResult {
  accepted: boolean;
  /** Why not, in words (Meta's rejection, or the operation's state). */
  reason?: string;
  /** Wrong codes still allowed before the verification fails. */
  attemptsLeft: number;
}

/** Sent to the running verify/onboard operation (its child run), not to the lifecycle. */
export const submitVerificationCodeUpdate = defineUpdate<CodeSubmissionResult, [string]>(
  'submitVerificationCode',
);

/**
 * A corrected two-step PIN for an operation that left the number offline after Meta refused the PIN. The
 * lifecycle forwards it when the same command is run again with the new PIN.
 */
export const providePinSignal = defineSignal<[string]>('providePin');
