// Fleets from the client's side: start one (from validated members or a WABA), watch it, cancel it, and
// retry its failed numbers as a new fleet. Used by NumberLifecycleClient, the CLI and the HTTP API.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import {
  fleetIdSchema,
  fleetWorkflowId,
  type FleetMember,
  type FleetProgress,
  type FleetSpec,
  packMembers,
  unpackMembers,
  unpackOutcomes,
} from '../domain/fleet';
import { validateConcurrency } from '../domain/fleet-input';
import { OPERATION_KINDS, type OperationKind } from '../domain/operations';
import { WaOperation, WaWabaId } from '../domain/search-attributes';
import { InputError, parseInput } from '../domain/validation';
import type { FleetResult, numberFleet } from '../workflows/fleet';
import {
  cancelFleetUpdate,
  getProgressQuery,
  type CancelFleetResult,
  type ProgressDetail,
} from '../workflows/fleet-messages';

export type { FleetMember, FleetProgress, FleetResult, CancelFleetResult, ProgressDetail };

export interface StartFleetOptions {
  /** Chosen by the caller, or generated from the operation and the time. */
  fleetId?: string;
  operation: OperationKind;
  concurrency: number;
  requestedBy?: string;
  /** The numbers and their validated requests (see domain/fleet-input.ts)... */
  members?: FleetMember[];
  /** ...or every number of this WABA, with `defaults` for all and `pins` by phone-number ID. */
  wabaId?: string;
  defaults?: Record<string, unknown>;
  pins?: Record<string, string>;
  retryOf?: string;
}

export interface FleetStatus {
  fleetId: string;
  workflowId: string;
  /** Temporal's status of the fleet run: RUNNING, COMPLETED, FAILED, ... */
  status: WorkflowExecutionStatusName;
  /** Why the fleet itself failed (bad WABA input, no numbers), when it did. */
  failure?: { type?: string; message: string };
  progress?: FleetProgress;
}

/** How long a WABA fleet's start waits for the listing, so that "no numbers" comes back as an error. */
const LISTING_WAIT_MS = 60_000;

export function generateFleetId(operation: OperationKind, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${operation}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function startFleet(
  client: Client,
  taskQueue: string,
  options: StartFleetOptions,
): Promise<FleetStatus> {
  const spec = fleetSpecOf(options);
  const count =
    spec.source.kind === 'list'
      ? `${spec.source.members.numbers.length} numbers`
      : `WABA ${spec.source.kind === 'waba' ? spec.source.wabaId : ''}`;
  const workflowId = fleetWorkflowId(spec.fleetId);
  try {
    await client.workflow.start<typeof numberFleet>('numberFleet', {
      workflowId,
      taskQueue,
      args: [{ spec }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: WaOperation, value: spec.operation },
        ...(spec.source.kind === 'waba' ? [{ key: WaWabaId, value: spec.source.wabaId }] : []),
      ],
      staticSummary: `${spec.operation} fleet over ${count}, concurrency ${spec.concurrency}${spec.requestedBy ? ` (requested by ${spec.requestedBy})` : ''}${spec.retryOf ? `, retry of ${spec.retryOf}` : ''}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new InputError('fleetId', `a fleet with ID ${spec.fleetId} already exists; choose another`);
    }
    throw err;
  }
  if (spec.source.kind === 'waba') return awaitListing(client, spec.fleetId);
  return { fleetId: spec.fleetId, workflowId, status: 'RUNNING' };
}

function fleetSpecOf(options: StartFleetOptions): FleetSpec {
  if (!OPERATION_KINDS.includes(options.operation)) {
    throw new InputError('operation', `must be one of ${OPERATION_KINDS.join(', ')}`);
  }
  const concurrency = validateConcurrency(options.concurrency);
  const fleetId = parseInput(
    fleetIdSchema(),
    options.fleetId ?? generateFleetId(options.operation),
    'fleetId',
  );
  const common = {
    fleetId,
    operation: options.operation,
    concurrency,
    ...(options.requestedBy ? { requestedBy: options.requestedBy } : {}),
    ...(options.retryOf ? { retryOf: options.retryOf } : {}),
  };
  if (options.members && options.wabaId) {
    throw new InputError('wabaId', 'give either a list of numbers or a WABA, not both');
  }
  if (options.wabaId !== undefined) {
    if (!/^\d{1,32}$/.test(options.wabaId))
      throw new InputError('wabaId', 'must be all digits (the WABA ID)');
    return {
      ...common,
      source: {
        kind: 'waba',
        wabaId: options.wabaId,
        defaults: options.defaults ?? {},
        pins: options.pins ?? {},
      },
    };
  }
  if (!options.members?.length) throw new InputError('numbers', 'give at least one number (or a WABA)');
  return { ...common, source: { kind: 'list', members: packMembers(options.members) } };
}

/** Waits until a WABA fleet has listed its numbers: an empty WABA or bad parameters fail here, nothing started. */
async function awaitListing(client: Client, fleetId: string): Promise<FleetStatus> {
  const deadline = Date.now() + LISTING_WAIT_MS;
  for (;;) {
    const status = await describeFleet(client, fleetId, 'none');
    if (status.failure && ['FleetHasNoNumbers', 'FleetInputInvalid'].includes(status.failure.type ?? '')) {
      throw new InputError('wabaId', status.failure.message);
    }
    if (status.status !== 'RUNNING' || status.progress?.phase !== 'listing' || Date.now() > deadline) {
      return status;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The fleet's run status and progress; undefined progress while the worker has not yet run it. */
export async function describeFleet(
  client: Client,
  fleetId: string,
  detail: ProgressDetail = 'all',
): Promise<FleetStatus> {
  const id = parseInput(fleetIdSchema(), fleetId, 'fleetId');
  const handle = client.workflow.getHandle(fleetWorkflowId(id));
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new InputError('fleetId', `no fleet with ID ${id}`);
    throw err;
  }
  const status: FleetStatus = { fleetId: id, workflowId: handle.workflowId, status: description.status.name };
  if (description.status.name === 'FAILED') {
    try {
      await handle.result();
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : err;
      status.failure = {
        type: cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined,
        message: cause instanceof Error ? cause.message : String(cause),
      };
    }
  }
  if (description.status.name === 'COMPLETED') {
    status.progress = narrow(finalProgress((await handle.result()) as FleetResult), detail);
    return status;
  }
  try {
    status.progress = await handle.query(getProgressQuery, detail);
  } catch {
    // Not yet run by a worker, or it failed before its handlers were set: no progress to show.
  }
  return status;
}

/** A finished fleet's progress with its packed per-number outcomes unpacked. */
function finalProgress(result: FleetResult): FleetProgress {
  return { ...result.progress, numbers: unpackOutcomes(result.outcomes, result.progress.operation) };
}

function narrow(progress: FleetProgress, detail: ProgressDetail): FleetProgress {
  if (detail === 'all') return progress;
  const numbers =
    detail === 'none'
      ? []
      : progress.numbers.filter((n) => n.status === 'failed' || n.status === 'not-started');
  return { ...progress, numbers };
}

/** Stops starting new numbers; the started ones finish. */
export async function cancelFleet(
  client: Client,
  fleetId: string,
  requestedBy?: string,
  options: { cancelRunning?: boolean } = {},
): Promise<CancelFleetResult> {
  const id = parseInput(fleetIdSchema(), fleetId, 'fleetId');
  const status = await describeFleet(client, id, 'none');
  if (status.status !== 'RUNNING')
    throw new InputError('fleetId', `fleet ${id} is not running (${status.status})`);
  return client.workflow.getHandle(fleetWorkflowId(id)).executeUpdate(cancelFleetUpdate, {
    args: [
      { ...(requestedBy ? { requestedBy } : {}), ...(options.cancelRunning ? { cancelRunning: true } : {}) },
    ],
  });
}

/** A new fleet over the failed (and never started) numbers of a finished fleet, with their original requests. */
export async function retryFleet(
  client: Client,
  taskQueue: string,
  fleetId: string,
  options: { fleetId?: string; concurrency?: number; requestedBy?: string } = {},
): Promise<FleetStatus> {
  const id = parseInput(fleetIdSchema(), fleetId, 'fleetId');
  const status = await describeFleet(client, id, 'none');
  if (status.status === 'RUNNING') {
    throw new InputError(
      'fleetId',
      `fleet ${id} is still running; retry it when it has finished (or cancel it)`,
    );
  }
  if (status.status !== 'COMPLETED') {
    throw new InputError(
      'fleetId',
      `fleet ${id} did not run its numbers (${status.status}${status.failure ? `: ${status.failure.message}` : ''})`,
    );
  }
  const result = (await client.workflow.getHandle(fleetWorkflowId(id)).result()) as FleetResult;
  if (result.retry.numbers.length === 0)
    throw new InputError('fleetId', `fleet ${id} has no failed numbers to retry`);
  return startFleet(client, taskQueue, {
    fleetId: options.fleetId ?? `${id}-retry-${Math.random().toString(36).slice(2, 6)}`.slice(-100),
    operation: result.progress.operation,
    concurrency: options.concurrency ?? result.progress.concurrency,
    requestedBy: options.requestedBy ?? result.progress.requestedBy,
    members: unpackMembers(result.retry),
    retryOf: id,
  });
}

/** Waits for the fleet to finish and returns its final progress. */
export async function waitForFleet(client: Client, fleetId: string): Promise<FleetProgress> {
  const id = parseInput(fleetIdSchema(), fleetId, 'fleetId');
  return finalProgress((await client.workflow.getHandle(fleetWorkflowId(id)).result()) as FleetResult);
}
