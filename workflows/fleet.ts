// A fleet (ID fleet:{id}) runs one kind of operation over many numbers, at most `concurrency` at a time.
// Each number's operation goes through that number's lifecycle workflow, which keeps its queue and request
// ledger and signals the fleet when the operation ends: the fleet never polls a number.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities, FleetStartResult } from '../activities/fleet-activities';
import {
  FINAL_FLEET_STATUSES,
  boundReason,
  packOutcomes,
  emptyCounts,
  unpackOutcomes,
  packMembers,
  unpackMember,
  type PackedOutcomes,
  type FleetMember,
  type PackedMembers,
  type PackedNumber,
  type FleetNumberOutcome,
  type FleetPhase,
  type FleetProgress,
  type FleetSpec,
} from '../domain/fleet';
import { FleetInputError, buildFleetRequestsForIds } from '../domain/fleet-input';
import { WaOperation, WaWabaId } from '../domain/search-attributes';
import { reads } from './activity-proxies';
import { workflowNow } from './clock';
import {
  cancelFleetUpdate,
  fleetOperationFinishedSignal,
  getProgressQuery,
  type FleetOperationFinished,
  type ProgressDetail,
} from './fleet-messages';
import { whenVersioned } from './versioning';
import { OperationFailureType } from '../domain/failure-types';

/** With members running and no news for this long, the fleet asks their lifecycles (a lost signal). */
const RECONCILE_AFTER_QUIET = '10 minutes';

/** What continue-as-new carries: the numbers still to start or finish, and every outcome so far. */
export interface CarriedFleetState {
  /** What every number's request shares (see packMembers). */
  shared: Record<string, unknown>;
  pending: PackedNumber[];
  /** Requests of numbers started but not finished, and of failed ones (a retry fleet needs them). */
  open: PackedNumber[];
  outcomes: PackedOutcomes;
  phase: FleetPhase;
  cancelledBy?: string;
  startedAt: string;
}

export interface FleetInput {
  spec: FleetSpec;
  carried?: CarriedFleetState;
}

/**
 * The fleet's end: its final progress (per-number outcomes packed, see packOutcomes; the client unpacks
 * them), and the requests of the numbers worth retrying (encrypted payload).
 */
export interface FleetResult {
  progress: FleetProgress;
  outcomes: PackedOutcomes;
  retry: PackedMembers;
}

/** Numbers handed to one start activity. */
const START_BATCH = 100;
/** Continue-as-new well inside Temporal's limits: about 5 events per number, so 5,000 numbers take several runs. */
const MAX_HISTORY_EVENTS = 10_000;

const starts = proxyActivities<FleetActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function numberFleet(input: FleetInput): Promise<FleetResult> {
  const { spec } = input;
  const fleetWorkflowId = workflowInfo().workflowId;
  const carried = input.carried;
  const startedAt = carried?.startedAt ?? new Date(workflowNow()).toISOString();
  let phase: FleetPhase = carried?.phase ?? 'listing';
  let cancelledBy = carried?.cancelledBy;
  let shared = carried?.shared ?? {};
  let pending: PackedNumber[] = carried ? [...carried.pending] : [];
  /** Requests we may still need (each number's own fields): started-not-finished and failed numbers. */
  const open = new Map<string, Record<string, unknown>>(carried?.open ?? []);
  const outcomes: FleetNumberOutcome[] = carried ? unpackOutcomes(carried.outcomes, spec.operation) : [];
  const index = new Map(outcomes.map((o, i) => [o.phoneNumberId, i]));
  let inFlight = outcomes.filter((o) => o.status === 'starting' || o.status === 'running').length;

  const outcomeOf = (id: string): FleetNumberOutcome | undefined => {
    const i = index.get(id);
    return i === undefined ? undefined : outcomes[i];
  };

  const progress = (detail: ProgressDetail = 'all'): FleetProgress => {
    const counts = emptyCounts();
    for (const o of outcomes) counts[o.status] += 1;
    const numbers =
      detail === 'all'
        ? outcomes
        : detail === 'problems'
          ? outcomes.filter((o) => o.status === 'failed' || o.status === 'not-started')
          : [];
    return {
      fleetId: spec.fleetId,
      operation: spec.operation,
      phase,
      concurrency: spec.concurrency,
      total: outcomes.length,
      counts,
      numbers,
      requestedBy: spec.requestedBy,
      retryOf: spec.retryOf,
      wabaId: spec.source.kind === 'waba' ? spec.source.wabaId : undefined,
      startedAt,
      finishedAt:
        phase === 'finished' || phase === 'cancelled' ? new Date(workflowNow()).toISOString() : undefined,
    };
  };

  const publish = (): void => {
    const p = progress('none');
    const c = p.counts;
    const done = c.completed + c['already-done'];
    setCurrentDetails(
      [
        `**${spec.operation} fleet ${spec.fleetId}: ${phase}**`,
        `${done} done, ${c.failed} failed, ${c.running + c.starting} running, ${c.pending} pending, ` +
          `${c['not-started']} not started, of ${p.total} (concurrency ${spec.concurrency})`,
        ...(cancelledBy !== undefined ? [`cancelled by ${cancelledBy || 'an operator'}`] : []),
      ].join('\n\n'),
    );
  };

  const finish = (id: string, update: Partial<FleetNumberOutcome>): void => {
    const o = outcomeOf(id);
    if (!o || FINAL_FLEET_STATUSES.has(o.status)) return;
    if (o.status === 'starting' || o.status === 'running') inFlight -= 1;
    Object.assign(o, update);
    if (o.status !== 'failed' && o.status !== 'not-started') open.delete(id); // its secrets are no longer needed
  };

  /** Cancelled: what was not started never will be (its request is kept for a retry fleet). */
  const stopStarting = (): void => {
    for (const [id, own] of pending) {
      open.set(id, own);
      finish(id, {
        status: 'not-started',
        reason: `fleet cancelled by ${cancelledBy || 'an operator'}`,
      });
    }
    pending = [];
  };

  setHandler(getProgressQuery, (detail) => progress(detail ?? 'all'));

  /** A member's operation ended: told by its lifecycle's signal, or found by reconciliation. */
  const applyFinished = (finished: FleetOperationFinished): void => {
    const o = outcomeOf(finished.phoneNumberId);
    // A signal about another operation on the number (not ours) is ignored.
    if (!o || (o.operationId && o.operationId !== finished.operationId)) return;
    finish(finished.phoneNumberId, {
      operationId: finished.operationId,
      status:
        finished.status === 'failed'
          ? 'failed'
          : finished.outcome === 'already-done'
            ? 'already-done'
            : 'completed',
      reason: finished.failure ? boundReason(finished.failure.message) : undefined,
      failureType: finished.failure?.type,
    });
    publish();
  };
  setHandler(fleetOperationFinishedSignal, applyFinished);

  /**
   * A quiet spell with members still running: ask their lifecycles how their operations stand, so a lost
   * end signal (a lifecycle terminated and replaced, a signal dropped) cannot leave the fleet waiting forever.
   */
  const reconcile = async (): Promise<void> => {
    const running = outcomes.filter((o) => o.status === 'running' && o.operationId);
    if (!running.length) return;
    const found = await starts.reconcileFleetOperations(
      running.map((o) => ({ phoneNumberId: o.phoneNumberId, operationId: o.operationId! })),
    );
    found.forEach(applyFinished);
  };

  setHandler(cancelFleetUpdate, async (request) => {
    cancelledBy = request.requestedBy ?? '';
    const notStarted = pending.length;
    const stillRunning = inFlight; // as it was when asked: cancelled ones may end before this returns
    stopStarting();
    if (phase === 'running' || phase === 'listing') phase = 'cancelling';
    publish();
    const running = outcomes.filter((o) => o.status === 'running' && o.operationId);
    const cancelRequested =
      request.cancelRunning && running.length
        ? await starts.cancelFleetOperations(
            running.map((o) => ({ phoneNumberId: o.phoneNumberId, operationId: o.operationId! })),
            `fleet ${spec.fleetId} (cancelled by ${cancelledBy || 'an operator'})`,
          )
        : 0;
    return { notStarted, stillRunning, cancelRequested };
  });

  upsertSearchAttributes([
    { key: WaOperation, value: spec.operation },
    ...(spec.source.kind === 'waba' ? [{ key: WaWabaId, value: spec.source.wabaId }] : []),
  ]);

  if (!carried) {
    const packed =
      spec.source.kind === 'list' ? spec.source.members : packMembers(await listWabaMembers(spec));
    shared = packed.shared;
    pending = packed.numbers;
    for (const [id] of pending) {
      index.set(id, outcomes.length);
      outcomes.push({ phoneNumberId: id, status: 'pending' });
    }
    if (cancelledBy !== undefined) stopStarting(); // cancelled while listing the WABA
    if (phase === 'listing') phase = 'running';
  }
  publish();

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;

  for (;;) {
    const moved = await condition(
      () =>
        (pending.length > 0 && inFlight < spec.concurrency) ||
        (pending.length === 0 && inFlight === 0) ||
        shouldContinueAsNew(),
      RECONCILE_AFTER_QUIET,
    );
    if (!moved) {
      await reconcile();
      continue;
    }
    if (pending.length === 0 && inFlight === 0) break;
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof numberFleet>({
        // The numbers travel in `carried` only: the spec's own list is not repeated.
        spec: {
          ...spec,
          source:
            spec.source.kind === 'list'
              ? { kind: 'list', members: { shared: {}, numbers: [] } }
              : spec.source,
        },
        carried: {
          shared,
          pending,
          open: [...open.entries()],
          outcomes: packOutcomes(outcomes),
          phase,
          cancelledBy,
          startedAt,
        },
      });
    }
    const batch = pending.slice(0, Math.min(spec.concurrency - inFlight, START_BATCH));
    pending = pending.slice(batch.length);
    for (const [id, own] of batch) {
      outcomeOf(id)!.status = 'starting';
      open.set(id, own);
    }
    inFlight += batch.length;
    publish();
    const members: FleetMember[] = batch.map((n) => unpackMember(shared, n));
    const results = await starts.startFleetOperations(fleetWorkflowId, members);
    results.forEach(applyStart);
    publish();
  }

  function applyStart(result: FleetStartResult): void {
    const o = outcomeOf(result.phoneNumberId);
    if (!o) return;
    if (result.rejected !== undefined) {
      finish(result.phoneNumberId, {
        status: 'failed',
        reason: result.rejected,
        failureType: OperationFailureType.Rejected,
      });
      return;
    }
    // The lifecycle may already have signalled the end (a fast operation): keep that outcome.
    o.operationId ??= result.ticket?.operationId;
    if (o.status === 'starting') o.status = 'running';
  }

  phase = cancelledBy !== undefined ? 'cancelled' : 'finished';
  publish();
  await condition(allHandlersFinished);
  return {
    progress: progress('none'),
    outcomes: packOutcomes(outcomes),
    retry: { shared, numbers: [...open.entries()] },
  };
}

/** Every number of the WABA (Graph pages), each with its request; bad or missing parameters start nothing. */
async function listWabaMembers(spec: FleetSpec): Promise<FleetMember[]> {
  if (spec.source.kind !== 'waba') return [];
  const { wabaId, defaults, pins } = spec.source;
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await reads.listWabaPhoneNumbersPage(wabaId, after);
    ids.push(...page.phoneNumbers.map((n) => n.phoneNumberId));
    after = page.after;
  } while (after);
  if (ids.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `WABA ${wabaId} has no phone numbers: nothing to do`,
      OperationFailureType.FleetHasNoNumbers,
    );
  }
  try {
    return buildFleetRequestsForIds({
      operation: spec.operation,
      phoneNumberIds: ids,
      defaults: { ...defaults, wabaId, ...(spec.requestedBy ? { requestedBy: spec.requestedBy } : {}) },
      pins: new Map(Object.entries(pins)),
      pinsSource: 'pins file',
    });
  } catch (err) {
    if (err instanceof FleetInputError) {
      throw ApplicationFailure.nonRetryable(err.message, OperationFailureType.FleetInputInvalid, err.errors);
    }
    throw err;
  }
}

// Worker Versioning (when on): a fleet, and each run it continues as, stays on the build that started it; the
// old build drains it (docs/versioning.md).
setWorkflowOptions(whenVersioned('PINNED'), numberFleet);
