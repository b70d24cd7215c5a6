// The names callers use to talk to a number's lifecycle workflow. The client library, the CLI and the
// HTTP API import these definitions, so the words are the same everywhere.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RequestLedger } from '../domain/ledger';
import type { LifecycleState, Registration } from '../domain/lifecycle-state';
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
  /** While waiting: what for and until when (ISO). */
  waitingFor?: string;
  nextAttemptAt?: string;
  enqueuedAt: string;
  finishedAt?: string;
}

export interface LifecycleSnapshot {
  phoneNumberId: string;
  state: LifecycleState;
  registration: Registration;
  ledger: RequestLedger;
  currentOperation?: OperationSummary;
  queued: OperationSummary[];
  recentOperations: OperationSummary[];
}

/** A child reports that it waits (or resumes), so the number's own state and search attributes show it. */
export interface OperationProgress {
  operationId: string;
  waitingFor?: string;
  nextAttemptAt?: number;
}

export const requestOperationUpdate = defineUpdate<OperationTicket, [OperationRequest]>('requestOperation');
export const getStateQuery = defineQuery<LifecycleSnapshot>('getState');
export const operationProgressSignal = defineSignal<[OperationProgress]>('operationProgress');
