// A fleet runs one kind of operation over many numbers, each through that number's own lifecycle workflow
// (so serialization and the request ledger hold), at most `concurrency` at a time.
import { z } from 'zod';
import type { OperationKind, OperationRequest } from './operations';

/** Fleet IDs are chosen by callers (or generated): they appear in the workflow ID fleet:{id}. */
export const fleetIdSchema = z
  .string({ error: 'is required' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, dots, hyphens or underscores');

export function fleetWorkflowId(fleetId: string): string {
  return `fleet:${fleetId}`;
}

/** One number of a fleet and the request to run on it (validated with the operation's schema). */
export interface FleetMember {
  phoneNumberId: string;
  request: OperationRequest;
}

/** Where the fleet's numbers come from: a list given by the caller, or every number of a WABA. */
export type FleetSource =
  | { kind: 'list'; numbers: FleetMember[] }
  | {
      kind: 'waba';
      wabaId: string;
      /** Parameters for every number (region, backup password...); the WABA's numbers are listed by the fleet. */
      defaults: Record<string, unknown>;
      /** PINs by phone-number ID (payloads are encrypted like every other). */
      pins: Record<string, string>;
    };

export interface FleetSpec {
  fleetId: string;
  operation: OperationKind;
  source: FleetSource;
  concurrency: number;
  requestedBy?: string;
  /** The fleet this one retries (its failed numbers). */
  retryOf?: string;
}

/** Where each number stands in the fleet. */
export const FLEET_NUMBER_STATUSES = [
  'pending',
  'starting',
  'running',
  'completed',
  'already-done',
  'failed',
  'not-started',
] as const;
export type FleetNumberStatus = (typeof FLEET_NUMBER_STATUSES)[number];

export const FINAL_FLEET_STATUSES: ReadonlySet<FleetNumberStatus> = new Set([
  'completed',
  'already-done',
  'failed',
  'not-started',
]);

export interface FleetNumberOutcome {
  phoneNumberId: string;
  status: FleetNumberStatus;
  /** The operation run on the number (phone-number:{id}:{operation}:{n}), once started or joined. */
  operationId?: string;
  /** Why it failed or was not started, in words. */
  reason?: string;
  failureType?: string;
}

export type FleetPhase = 'listing' | 'running' | 'cancelling' | 'finished' | 'cancelled';

export interface FleetProgress {
  fleetId: string;
  operation: OperationKind;
  phase: FleetPhase;
  concurrency: number;
  total: number;
  counts: Record<FleetNumberStatus, number>;
  /** Every number's outcome (pending numbers included), in the fleet's order. */
  numbers: FleetNumberOutcome[];
  requestedBy?: string;
  retryOf?: string;
  wabaId?: string;
  startedAt: string;
  finishedAt?: string;
}

export function emptyCounts(): Record<FleetNumberStatus, number> {
  return Object.fromEntries(FLEET_NUMBER_STATUSES.map((s) => [s, 0])) as Record<FleetNumberStatus, number>;
}

/** Numbers worth a retry fleet: failed or never started. */
export function retryableNumbers(progress: FleetProgress): string[] {
  return progress.numbers
    .filter((n) => n.status === 'failed' || n.status === 'not-started')
    .map((n) => n.phoneNumberId);
}
