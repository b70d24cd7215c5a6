// A fleet (ID fleet:{id}) runs one kind of operation over many numbers, at most `concurrency` at a time.
// Each number's operation goes through that number's lifecycle workflow, which keeps its queue and request
// ledger and signals the fleet when the operation ends: the fleet never polls a number.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities } from '../activities/fleet-activities';
import { packMembers, type FleetMember, type FleetSpec } from '../domain/fleet';
import { FleetInputError, buildFleetRequestsForIds } from '../domain/fleet-input';
import { WaOperation, WaWabaId } from '../domain/search-attributes';
import { reads } from './activity-proxies';
import { workflowNow } from './clock';
import {
  cancelFleetUpdate,
  fleetOperationFinishedSignal,
  getProgressQuery,
  type FleetOperationFinished,
} from './fleet-messages';
import { FleetBook, type CarriedFleetState, type FleetResult } from './fleet-book';
import { whenVersioned } from './versioning';
import { OperationFailureType } from '../domain/failure-types';
import { WebhookEmitter } from './webhook-emitter';

export type { CarriedFleetState, FleetResult } from './fleet-book';

/** With members running and no news for this long, the fleet asks their lifecycles (a lost signal). */
const RECONCILE_AFTER_QUIET = '10 minutes';

export interface FleetInput {
  spec: FleetSpec;
  carried?: CarriedFleetState;
}

/** Numbers handed to one start activity. */
const START_BATCH = 100;
/** Continue-as-new well inside Temporal's limits: about 5 events per number, so 5,000 numbers take several runs. */
const MAX_HISTORY_EVENTS = 10_000;
/**
 * Before continuing as new, the fleet starts no one and lets the members in flight end, at most this long:
 * an end signal that lands while the continue-as-new completes fails that workflow task, and the worker then
 * replays the whole run (8.6–20.9 s at 10,000 members here, against a 10 s task timeout).
 */
const DRAIN_BEFORE_CONTINUE_AS_NEW = '2 minutes';
/** The patch that introduced the drain (runs recorded before it continued as new with members in flight). */
export const FLEET_DRAINS_BEFORE_CONTINUE_AS_NEW = 'fleet-drains-before-continue-as-new';

const starts = proxyActivities<FleetActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function numberFleet(input: FleetInput): Promise<FleetResult> {
  const { spec, carried } = input;
  const fleetWorkflowId = workflowInfo().workflowId;
  const book = new FleetBook(spec, carried, workflowNow());

  const publish = (): void => setCurrentDetails(book.details(workflowNow()));

  setHandler(getProgressQuery, (detail) => book.progress(detail ?? 'all', workflowNow()));

  /** A member's operation ended: told by its lifecycle's signal, or found by reconciliation. */
  const applyFinished = (finished: FleetOperationFinished): void => {
    if (book.applyFinished(finished)) publish();
  };
  setHandler(fleetOperationFinishedSignal, applyFinished);

  /**
   * A quiet spell with members still running: ask their lifecycles how their operations stand, so a lost
   * end signal (a lifecycle terminated and replaced, a signal dropped) cannot leave the fleet waiting forever.
   */
  const reconcile = async (): Promise<void> => {
    const running = book.running();
    if (!running.length) return;
    const found = await starts.reconcileFleetOperations(running);
    found.forEach(applyFinished);
  };

  setHandler(cancelFleetUpdate, async (request) => {
    const { notStarted, stillRunning } = book.cancel(request.requestedBy);
    publish();
    const running = book.running();
    const cancelRequested =
      request.cancelRunning && running.length
        ? await starts.cancelFleetOperations(
            running,
            `fleet ${spec.fleetId} (cancelled by ${book.cancelledBy || 'an operator'})`,
          )
        : 0;
    return { notStarted, stillRunning, cancelRequested };
  });

  upsertSearchAttributes([
    { key: WaOperation, value: spec.operation },
    ...(spec.source.kind === 'waba' ? [{ key: WaWabaId, value: spec.source.wabaId }] : []),
  ]);

  if (!carried) {
    book.addMembers(
      spec.source.kind === 'list' ? spec.source.members : packMembers(await listWabaMembers(spec)),
    );
  }
  publish();

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;

  for (;;) {
    const moved = await condition(
      () => book.canStartMore() || book.allDone() || shouldContinueAsNew(),
      RECONCILE_AFTER_QUIET,
    );
    if (!moved) {
      await reconcile();
      continue;
    }
    if (book.allDone()) break;
    if (shouldContinueAsNew()) {
      if (book.inFlight > 0 && patched(FLEET_DRAINS_BEFORE_CONTINUE_AS_NEW)) {
        await condition(() => book.inFlight === 0, DRAIN_BEFORE_CONTINUE_AS_NEW);
        if (book.allDone()) break;
      }
      await condition(allHandlersFinished);
      await continueAsNew<typeof numberFleet>(book.continueInput());
    }
    const members = book.takeBatch(START_BATCH);
    publish();
    const results = await starts.startFleetOperations(fleetWorkflowId, members);
    results.forEach((result) => book.applyStart(result));
    publish();
  }

  book.close();
  publish();
  await condition(allHandlersFinished);
  const result = book.result(workflowNow());
  await emitFleetFinished(result);
  return result;
}

/** fleet.finished to webhook subscribers (behind the 'webhook-events' patch), before the fleet completes. */
async function emitFleetFinished({ progress }: FleetResult): Promise<void> {
  const webhooks = new WebhookEmitter();
  const { counts } = progress;
  webhooks.emit('fleet.finished', {
    fleetId: progress.fleetId,
    operation: progress.operation,
    status: progress.phase,
    succeeded: counts.completed + counts['already-done'],
    failed: counts.failed,
    notStarted: counts['not-started'],
  });
  await webhooks.drained();
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
