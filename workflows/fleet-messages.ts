// The names callers and lifecycles use to talk to a fleet workflow (ID fleet:{id}).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FleetProgress } from '../domain/fleet';
import type { OperationOutcome } from '../domain/operations';

/** How much of the per-number list a progress query returns: all, only failures and running ones, or none. */
export type ProgressDetail = 'all' | 'problems' | 'none';

export const getProgressQuery = defineQuery<FleetProgress, [ProgressDetail?]>('getProgress');

/** Sent by a number's lifecycle when an operation a fleet asked for has finished: no polling needed. */
export interface FleetOperationFinished {
  phoneNumberId: string;
  operationId: string;
  status: 'completed' | 'failed';
  outcome?: OperationOutcome;
  failure?: { type: string; message: string };
}
export const fleetOperationFinishedSignal = defineSignal<[FleetOperationFinished]>('fleetOperationFinished');

export interface CancelFleetRequest {
  requestedBy?: string;
  /** Also ask each started number's operation to stop at its own next safe point. */
  cancelRunning?: boolean;
}
export interface CancelFleetResult {
  /** Numbers that will not be started. */
  notStarted: number;
  /** Numbers already started: their operations finish, or stop at their own safe points when asked. */
  stillRunning: number;
  /** Started operations asked to stop (cancelRunning). */
  cancelRequested: number;
}
/** Stops starting new numbers; started operations finish, or are asked to stop at a safe point. */
export const cancelFleetUpdate = defineUpdate<CancelFleetResult, [CancelFleetRequest]>('cancelFleet');
