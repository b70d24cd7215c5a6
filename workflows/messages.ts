// The names callers use to talk to a number's lifecycle workflow. The client library, the CLI and the
// HTTP API import these definitions, so the words are the same everywhere.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RequestLedger } from '../domain/ledger';
import type { LifecycleState, Registration, Verification } from '../domain/lifecycle-state';
import type {
  OperationKind,
  OperationOutcome,
  OperationPolicy,
  OperationRequest,
} from '../domain/operations';
import type { OpenOperation } from './lifecycle-memo';
import type { MetaNumberEvent } from '../domain/meta-webhooks';
import type { NumberMetaFacts } from './meta-facts';

/** What a caller gets back for a request: the operation it started or joined. */
export interface OperationTicket {
  operationId: string;
  /**
   * Where the operation's messages go: its verification child run (verify, onboard; the run's ID is the
   * operation ID) or the number's lifecycle workflow, which runs every other operation itself.
   */
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

/** How many finished operations a lifecycle lists in recentOperations. */
export const RECENT_OPERATIONS_KEPT = 20;

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
  /** Set when this lifecycle replaced one that was terminated: what it recovered. */
  recovered?: RecoveredLedger;
  /** What Meta's webhooks reported (display name, quality, account standing); absent until one arrives. */
  meta?: NumberMetaFacts;
}

/** The ledger a fresh lifecycle recovered from its closed predecessor's memo. */
export interface RecoveredLedger {
  runId: string;
  /** How the predecessor closed (TERMINATED, FAILED, ...). */
  status: string;
  closedAt: string;
  ledger: RequestLedger;
  /** Counted requests recovered, and how many of them were in flight (stamped at the close time). */
  requests: number;
  inFlight: number;
  /**
   * The operation the predecessor was running past its point of no return (the number may be offline):
   * resumed as a new operation, or, when it waited for a corrected PIN, recorded as failed for a retry.
   */
  interrupted?: { operationId: string; operation: OperationKind; resumedAs?: string };
}

/** What the recovery activity reads from the predecessor's memo (the open operation holds secrets). */
export interface RecoveredRun extends Omit<RecoveredLedger, 'interrupted'> {
  /** The predecessor's last operation number; absent in memos written before it was kept. */
  sequence?: number;
  open?: OpenOperation;
}

/**
 * What a fresh run's recovery activity returns (since 2026-12-07): the predecessor, if any, and the policy
 * for the run's first operation. Histories recorded earlier hold the predecessor alone, or nothing
 * (workflows/recovery-result.ts reads both).
 */
export interface LedgerRecovery {
  predecessor?: RecoveredRun;
  policy: OperationPolicy;
}

/** A child reports that it waits (or resumes), so the number's own state and search attributes show it. */
export interface OperationProgress {
  operationId: string;
  /** The state the number is in because of this operation (registering, waiting-for-code, ...). */
  state?: LifecycleState;
  /** What it waits for (the state is a waiting one), or what it is doing. */
  waitingFor?: string;
  doing?: string;
  nextAttemptAt?: number;
}

/** Who else must hear when the operation ends: a fleet that asked for it is told by signal, not polled. */
export interface RequestOrigin {
  fleetWorkflowId?: string;
  /**
   * The caller's idempotency key (also the Update's ID, which the server deduplicates within a run): the
   * lifecycle remembers it across continue-as-new, so a retried call still gets the first call's ticket.
   */
  idempotencyKey?: string;
}

export const requestOperationUpdate = defineUpdate<OperationTicket, [OperationRequest, RequestOrigin?]>(
  'requestOperation',
);
/**
 * The same request, answered when its operation ends, so a caller waits on the server's long poll instead
 * of polling getState. It answers early, without `finished`, when the number starts a long wait (a blocked
 * budget, a code from a person): an Update should not stay open for days; and at once when 5 callers are
 * already held (the server admits 10 Updates in flight per workflow, and cancel needs one). It writes the
 * same two events as requestOperation; only the completion moves, to the task that ends the operation.
 */
export interface OperationRun {
  ticket: OperationTicket;
  /** The operation's summary once it ended; absent when the answer came at the start of a long wait. */
  finished?: OperationSummary;
}
export const runOperationUpdate = defineUpdate<OperationRun, [OperationRequest, RequestOrigin?]>(
  'runOperation',
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
 * What Meta's webhooks said about the number (display name, quality, account), resolved to it by the
 * intake workflow (meta-webhook-intake.ts). The lifecycle records it; an onboarding waiting for its display
 * name wakes on it.
 */
export const metaNumberEventSignal = defineSignal<[MetaNumberEvent]>('metaNumberEvent');
