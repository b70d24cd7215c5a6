// One lifecycle workflow per number (ID phone-number:{id}): the single writer for that number. It queues
// operation requests (Updates), runs them one at a time itself, and owns the request ledger: every
// register and deregister is recorded in the workflow task that schedules it. The ledger survives
// crashes, restarts and continue-as-new, and, mirrored in the memo, a terminate: the next run recovers it.
// A lifecycle never closes on its own: operation failures and cancellation requests do not end it.
// Its queue and bookkeeping rules live in LifecycleBook (lifecycle-book.ts); this function wires the
// handlers, the search attributes and the run loop around them.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  getExternalWorkflowHandle,
  patched,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { emptyLedger, pruneLedger } from '../domain/ledger';
import { operationRequestSchemaFor, type OperationPolicy, type OperationRequest } from '../domain/operations';
import {
  WaLifecycleState,
  WaNextAttemptAt,
  WaOperation,
  WaPhoneNumberId,
  WaWabaId,
} from '../domain/search-attributes';
import { OperationFailureType } from '../domain/failure-types';
import { InputError, parseInput } from '../domain/validation';
import { recovery } from './activity-proxies';
import { readRecovery, RecoveredPolicy } from './recovery-result';
import { workflowNow } from './clock';
import {
  cancelOperationUpdate,
  getStateQuery,
  metaNumberEventSignal,
  operationProgressSignal,
  retryOperationUpdate,
  requestOperationUpdate,
  runOperationUpdate,
  type OperationProgress,
  type OperationRun,
  type OperationTicket,
  type RecoveredRun,
  type RequestOrigin,
} from './messages';
import { fleetOperationFinishedSignal } from './fleet-messages';
import { PinMailbox } from './operation-context';
import { runOperation } from './operation-runner';
import { LEDGER_MEMO, LIFECYCLE_MEMO, type LifecycleMemo } from './lifecycle-memo';
import {
  cancelRequestSchema,
  LifecycleBook,
  retryRequestSchema,
  type CarriedLifecycleState,
  type QueuedOperation,
} from './lifecycle-book';
import { RequestBudget } from './request-budget';
import { versionedBuild, whenVersioned } from './versioning';
import { NameDecisions } from './name-decisions';
import { WEBHOOK_EVENTS_PATCH, WebhookEmitter } from './webhook-emitter';
import { upsertChangedSearchAttributes } from './search-attribute-publisher';
import { WebhookEventDetector } from './webhook-event-detector';

export type { CarriedLifecycleState } from './lifecycle-book';

export interface LifecycleInput {
  phoneNumberId: string;
  carried?: CarriedLifecycleState;
}

/** Continue-as-new well before Temporal's history limits, even if the server does not suggest it. */
const MAX_HISTORY_EVENTS = 2_000;
/**
 * runOperation Updates held open at once; more callers get their ticket at once and read instead. The
 * server admits 10 Updates in flight per workflow (history.maxInFlightUpdates): half stay free for cancel,
 * retry, requestOperation and code submissions.
 */
const MAX_HELD_RUN_OPERATIONS = 5;
/**
 * A run this old starts afresh after its next operation: a lifecycle lives for years, and one evicted from a
 * worker's cache replays its whole run; so a run covers at most a week of operations (plus the last one).
 */
const MAX_RUN_AGE_MS = 7 * 24 * 3_600_000;
/** The patch that introduced MAX_RUN_AGE_MS (runs recorded before it never continued as new for age). */
export const CONTINUE_AS_NEW_WHEN_OLD = 'continue-as-new-when-old';

export async function phoneNumberLifecycle(input: LifecycleInput): Promise<void> {
  const { phoneNumberId, carried } = input;
  /** Whether the memo names an open operation (it is cleared when that operation ends). */
  let memoNamesOpen = false;
  // A resumable operation that starts waiting for a PIN says so: a successor must not resend the refused one.
  const pins = new PinMailbox(() => {
    if (book.openOperation()) budget.remember();
  });
  const book = new LifecycleBook(phoneNumberId, carried, pins);
  // Every ledger write also records the sequence and the open operation, for a successor after a terminate.
  const budget = new RequestBudget(carried?.ledger ?? emptyLedger(), (ledger) => {
    const memo: LifecycleMemo = book.memo();
    upsertMemo({ [LEDGER_MEMO]: ledger, [LIFECYCLE_MEMO]: memo });
    memoNamesOpen = !!memo.open;
  });
  /** Cancels the running operation (it stops at its next safe point). */
  let currentScope: CancellationScope | undefined;
  /** Until the recovery of a fresh run is done, requests wait (their operation IDs continue its sequence). */
  let recovering = !carried;
  let lastPolicy: OperationPolicy | undefined;
  /** The policy a fresh run's recovery read, for its first operation. */
  const recoveredPolicy = new RecoveredPolicy();
  // Outbound webhooks (workflows/webhook-emitter.ts): events detected in what publish() shows, and those
  // Meta's webhooks give rise to (the metaNumberEvent handler).
  const webhooks = new WebhookEmitter(phoneNumberId);
  const detector = new WebhookEventDetector();
  /** Whether the detector has seen this run's first published state. */
  let baselined = false;
  const publish = (): void => {
    const nextAttemptAt = book.current?.summary.nextAttemptAt;
    const attributes = [
      { key: WaPhoneNumberId, value: phoneNumberId },
      { key: WaLifecycleState, value: book.state() },
      // The running operation; after a failure, the one that failed (the UI finds failed migrations so).
      { key: WaOperation, value: book.shownOperation() },
      { key: WaNextAttemptAt, value: nextAttemptAt ? new Date(nextAttemptAt) : null },
      ...(book.wabaId ? [{ key: WaWabaId, value: book.wabaId }] : []),
    ];
    // Runs recorded before the webhook patch upserted every attribute at every publish; newer runs upsert
    // only what changed (one patch marker per run covers both changes of that round).
    if (patched(WEBHOOK_EVENTS_PATCH)) upsertChangedSearchAttributes(attributes);
    else upsertSearchAttributes(attributes);
    setCurrentDetails(book.details());
    const view = { state: book.state(), ...(book.current ? { current: book.current.summary } : {}) };
    if (!baselined) {
      baselined = true;
      if (workflowInfo().continuedFromExecutionRunId) return detector.baseline(view);
    }
    for (const event of detector.observe(view)) webhooks.emit(event.type, event.data, event.operationId);
  };

  /** Queues (or joins) a request; a new operation is published at once. */
  const enqueue = (request: OperationRequest, options: Parameters<LifecycleBook['enqueue']>[2] = {}) => {
    const issued = book.enqueue(request, workflowNow(), options);
    if (!issued.joined) publish();
    return issued;
  };

  setHandler(getStateQuery, () => book.snapshot(budget.current));

  /** Progress of the running operation (its own, or its verification child's by signal). */
  const showProgress = (progress: OperationProgress): void => {
    const current = book.current;
    if (!current || current.summary.operationId !== progress.operationId) return;
    current.summary.status = progress.waitingFor ? 'waiting' : 'running';
    current.summary.activeState = progress.state;
    current.summary.waitingFor = progress.waitingFor;
    current.summary.nextAttemptAt = progress.nextAttemptAt
      ? new Date(progress.nextAttemptAt).toISOString()
      : undefined;
    publish();
  };
  setHandler(operationProgressSignal, showProgress);

  // Meta's webhooks (via the intake workflow): recorded in the book; a display-name decision also wakes an
  // onboarding waiting for it. Old histories hold no such signal, so replay is unchanged.
  const nameDecisions = new NameDecisions();
  setHandler(metaNumberEventSignal, (event) => {
    const outbound = book.learnFromMeta(event, workflowNow());
    if (event.change.kind === 'name') nameDecisions.record(event.change.decision);
    publish();
    // What Meta's change means to other services: display_name.*, number.quality_changed, .status_changed.
    for (const event of outbound) webhooks.emit(event.type, event.data);
  });

  /** Queues a request (after a fresh run's recovery), or answers a repeated idempotency key with its ticket. */
  const takeRequest = async (raw: OperationRequest, origin?: RequestOrigin): Promise<OperationTicket> => {
    const request = parseInput(operationRequestSchemaFor(raw), raw);
    await condition(() => !recovering);
    const key = origin?.idempotencyKey;
    const seen = book.ticketForKey(key);
    if (seen) return seen;
    const issued = enqueue(request, { origin });
    if (key) book.rememberKey(key, issued, workflowNow());
    return issued;
  };
  // Runs before anything is written to history: bad input and forbidden commands leave no trace.
  const requestValidator = {
    validator: (raw: OperationRequest, _origin?: RequestOrigin) =>
      book.checkAllowed(parseInput(operationRequestSchemaFor(raw), raw)),
  };
  setHandler(requestOperationUpdate, takeRequest, requestValidator);
  // The same request, answered when it ends or when the number starts a long wait (messages.ts).
  let heldRuns = 0;
  setHandler(
    runOperationUpdate,
    async (raw, origin?: RequestOrigin): Promise<OperationRun> => {
      const ticket = await takeRequest(raw, origin);
      // Held Updates count against the server's in-flight limit, which cancel and the others share.
      if (heldRuns >= MAX_HELD_RUN_OPERATIONS) return { ticket };
      heldRuns++;
      try {
        await condition(
          () => !book.isPending(ticket.operationId) || book.current?.summary.status === 'waiting',
        );
      } finally {
        heldRuns--;
      }
      const finished = book.finished(ticket.operationId);
      return finished ? { ticket, finished } : { ticket };
    },
    requestValidator,
  );

  /** Drops a queued operation (it never started) and tells whoever waits for it. */
  const dropQueued = (op: QueuedOperation, who: string): Promise<void> => {
    book.dropQueued(op, who, workflowNow());
    publish();
    return notifyFleets(phoneNumberId, op);
  };

  /** Asks the running operation to stop at its next safe point. */
  const cancelRunning = (who: string): void => {
    if (!book.markCancelRequested(who)) return;
    currentScope?.cancel();
    publish();
  };

  setHandler(
    cancelOperationUpdate,
    async (raw) => {
      const { operationId, requestedBy } = parseInput(cancelRequestSchema(), raw);
      const op = book.cancelTarget(operationId)!;
      const who = requestedBy ?? 'an operator';
      if (op !== book.current) {
        await dropQueued(op, who);
        return {
          operationId: op.summary.operationId,
          status: 'cancelled',
          note: `cancelled by ${who} before it started`,
        };
      }
      cancelRunning(who);
      return {
        operationId: op.summary.operationId,
        status: 'cancel-requested',
        note:
          'the operation stops at its next safe point: a request in flight gets its answer first, and a ' +
          'deregistered (or migrating) number is registered again before it stops',
      };
    },
    { validator: (raw) => book.checkCancel(parseInput(cancelRequestSchema(), raw).operationId) },
  );

  // "Request Cancellation" on the lifecycle (Temporal UI, API) cancels its operations, never the
  // lifecycle itself: it holds the ledger, and may be the only thing bringing an offline number back.
  CancellationScope.current().cancelRequested.catch(() =>
    CancellationScope.nonCancellable(async () => {
      const who = 'a cancellation request on the lifecycle workflow';
      cancelRunning(who);
      for (const op of [...book.queue]) await dropQueued(op, who);
    }),
  );

  setHandler(
    retryOperationUpdate,
    async (raw) => {
      // A retry that starts a successor (the lifecycle was terminated) waits for what it recovers.
      await condition(() => !recovering);
      // Nothing failed, but an operation the predecessor left open was resumed: that is the retry.
      const resuming = book.resumedOperation();
      if (resuming && !book.lastFailedOp) return book.ticket(resuming, true);
      try {
        return enqueue(book.retryRequest(raw), { retryOf: book.lastFailedOp?.operationId });
      } catch (err) {
        // Checked here, not in the validator, while recovering: an update failure, not a task failure.
        if (err instanceof InputError)
          throw ApplicationFailure.nonRetryable(err.message, OperationFailureType.InputError);
        throw err;
      }
    },
    {
      validator: (raw) => {
        if (recovering) parseInput(retryRequestSchema(), raw);
        else book.checkAllowed(book.retryRequest(raw));
      },
    },
  );

  /** Runs the next queued operation to its end and records how it ended. */
  const runNext = async (): Promise<void> => {
    const current = book.startNext();
    publish();
    currentScope = new CancellationScope();
    const report = await runOperation({
      phoneNumberId,
      operationId: current.summary.operationId,
      request: current.request,
      budget,
      pins,
      scope: currentScope,
      progress: showProgress,
      learn: (facts) => book.learn(facts),
      nameDecisions,
      policy: recoveredPolicy.take(workflowNow()),
      onPolicy: (policy) => {
        lastPolicy = policy;
        webhooks.learnWanted(policy.eventsWanted, workflowNow());
      },
    });
    currentScope = undefined;
    const finished = book.finishCurrent(report, workflowNow());
    if (memoNamesOpen) budget.remember(); // the open operation ended: a successor has nothing to resume
    publish(); // number.online, when this operation brought the number back
    const ended = detector.finished(finished.summary);
    webhooks.emit(ended.type, ended.data, ended.operationId);
    await notifyFleets(phoneNumberId, finished);
  };

  /** Takes over what a closed predecessor left: its ledger, its sequence, and an operation left open. */
  const adoptRecovered = (found: RecoveredRun): void => {
    const ledger = book.adoptRecovered(found, workflowNow());
    if (book.recovered?.interrupted?.resumedAs) publish(); // the resumed operation was queued
    budget.replace(ledger);
    publish();
  };

  /** The build this run started on (Worker Versioning; undefined when off). */
  const startedOnBuild = versionedBuild();
  /** Auto-upgraded to a newer build: start afresh there, so its history is written by one build only. */
  const movedToNewBuild = () => {
    const build = versionedBuild();
    return startedOnBuild !== undefined && build !== undefined && build !== startedOnBuild;
  };
  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength > MAX_HISTORY_EVENTS ||
    movedToNewBuild();
  const runIsOld = () => workflowNow() - workflowInfo().runStartTime.getTime() >= MAX_RUN_AGE_MS;

  // Everything below ignores the lifecycle's own cancellation (handled above, by cancelling operations).
  await CancellationScope.nonCancellable(async () => {
    publish();
    if (carried) {
      // Started with a ledger but not by continue-as-new (which passes the memo on): mirror it now.
      if (!workflowInfo().continuedFromExecutionRunId) budget.replace(budget.current);
    } else {
      // A fresh run: a predecessor may have been terminated holding counted requests. Recover them first.
      const { predecessor, policy } = readRecovery(
        await recovery.recoverLedger(phoneNumberId, workflowInfo().runId),
      );
      if (predecessor) adoptRecovered(predecessor);
      recoveredPolicy.keep(policy, workflowNow());
      recovering = false;
    }
    for (;;) {
      await condition(() => book.queue.length > 0 || shouldContinueAsNew());
      if (book.queue.length > 0) {
        await runNext();
        // patched(): runs recorded before this rule went on at this point; only new ones continue as new.
        if (book.queue.length > 0 || !runIsOld() || !patched(CONTINUE_AS_NEW_WHEN_OLD)) continue;
      }
      // Idle, and the history is long or old: start afresh with the same state once no update handler runs.
      // No webhook emission may be lost to continue-as-new: its local activity must have run.
      await webhooks.drained();
      await condition(allHandlersFinished);
      if (book.queue.length === 0 && webhooks.idle) break;
    }
  });
  const ledger = lastPolicy ? pruneLedger(budget.current, workflowNow(), lastPolicy) : budget.current;
  const continueWith = makeContinueAsNewFunc<typeof phoneNumberLifecycle>({
    memo: { [LEDGER_MEMO]: ledger, [LIFECYCLE_MEMO]: { sequence: book.sequence } satisfies LifecycleMemo },
  });
  await continueWith({ phoneNumberId, carried: book.carried(ledger) });
}

// Worker Versioning (when on): a lifecycle lives for years, so it follows the current build; its changes
// replay its history or sit behind patched() (docs/versioning.md).
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), phoneNumberLifecycle);

/** Tells each fleet that asked for the operation how it ended. A fleet that is gone no longer cares. */
async function notifyFleets(phoneNumberId: string, op: QueuedOperation): Promise<void> {
  const { summary } = op;
  const status = summary.status === 'failed' ? 'failed' : 'completed';
  await Promise.all(
    (op.notify ?? []).map((fleetWorkflowId) =>
      getExternalWorkflowHandle(fleetWorkflowId)
        .signal(fleetOperationFinishedSignal, {
          phoneNumberId,
          operationId: summary.operationId,
          status,
          outcome: summary.outcome,
          failure: summary.failure,
        })
        .catch(() => undefined),
    ),
  );
}
