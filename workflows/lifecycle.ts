// One lifecycle workflow per number (ID phone-number:{id}): the single writer for that number. It queues
// operation requests (Updates), runs them one at a time itself, and owns the request ledger: every
// register and deregister is recorded in the workflow task that schedules it. The ledger survives
// crashes, restarts and continue-as-new, and, mirrored in the memo, a terminate: the next run recovers it.
// A lifecycle never closes on its own: operation failures and cancellation requests do not end it.
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
import { emptyLedger, pruneLedger, type RequestLedger } from '../domain/ledger';
import type { LifecycleState, Registration, Verification } from '../domain/lifecycle-state';
import {
  operationRequestSchema,
  sameRequest,
  type OperationKind,
  type OperationPolicy,
  type OperationRequest,
} from '../domain/operations';
import { lifecycleWorkflowId, operationWorkflowId, pinSchema } from '../domain/phone-number';
import { z } from 'zod';
import {
  WaLifecycleState,
  WaNextAttemptAt,
  WaOperation,
  WaPhoneNumberId,
  WaWabaId,
} from '../domain/search-attributes';
import { InputError, parseInput } from '../domain/validation';
import { recovery } from './activity-proxies';
import { workflowNow } from './clock';
import {
  cancelOperationUpdate,
  getStateQuery,
  operationProgressSignal,
  RECENT_OPERATIONS_KEPT,
  retryOperationUpdate,
  requestOperationUpdate,
  type LifecycleSnapshot,
  type OperationProgress,
  type OperationSummary,
  type OperationTicket,
  type RecoveredLedger,
  type RecoveredRun,
  type RequestOrigin,
  type RetryOperationRequest,
} from './messages';
import { fleetOperationFinishedSignal } from './fleet-messages';
import { PinMailbox } from './operation-context';
import { ACTIVE_STATE, HAS_CHILD_RUN, runOperation } from './operation-runner';
import { LEDGER_MEMO, LIFECYCLE_MEMO, type LifecycleMemo, type OpenOperation } from './lifecycle-memo';
import { RequestBudget } from './request-budget';
import { versionedBuild, whenVersioned } from './versioning';
import { OperationFailureType } from '../domain/failure-types';

interface QueuedOperation {
  summary: OperationSummary;
  request: OperationRequest;
  /** Fleets (workflow IDs) to tell when the operation ends. */
  notify?: string[];
}

/** What continue-as-new carries to the next run. */
export interface CarriedLifecycleState {
  ledger: RequestLedger;
  registration: Registration;
  sequence: number;
  queue: QueuedOperation[];
  recent: OperationSummary[];
  lastFailed: boolean;
  /** The last failed or cancelled operation's request, for retryOperation (an encrypted payload). */
  lastFailedOp?: { operationId: string; request: OperationRequest };
  wabaId?: string;
  verification?: Verification;
  pinSet?: boolean;
  recovered?: RecoveredLedger;
  /** Recent idempotency keys and the tickets they got, so a retried call after continue-as-new joins. */
  idempotencyKeys?: RememberedKey[];
}

interface RememberedKey {
  key: string;
  ticket: OperationTicket;
  /** When the first call came (epoch ms); keys are forgotten after IDEMPOTENCY_WINDOW_MS. */
  at: number;
}

export interface LifecycleInput {
  phoneNumberId: string;
  carried?: CarriedLifecycleState;
}

/** Operations that register the number when they succeed. */
const REGISTERS: ReadonlySet<OperationKind> = new Set(['register', 'onboard', 'change-region', 'migrate']);

/**
 * Operations that can leave the number offline part-way (a region change between its deregister and
 * register, a migration after its register): if the run is terminated there, the successor resumes them.
 */
const RESUMABLE: ReadonlySet<OperationKind> = new Set(['change-region', 'migrate']);

/** How long, and how many, idempotency keys are remembered (a retrying caller gives up well before). */
const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
const IDEMPOTENCY_KEYS_KEPT = 200;

const cancelRequestSchema = z
  .object({ operationId: z.string().max(200).optional(), requestedBy: z.string().max(100).optional() })
  .strict();
const retryRequestSchema = z
  .object({ pin: pinSchema.optional(), requestedBy: z.string().max(100).optional() })
  .strict();
/** Continue-as-new well before Temporal's history limits, even if the server does not suggest it. */
const MAX_HISTORY_EVENTS = 2_000;
/**
 * A run this old starts afresh after its next operation: a lifecycle lives for years, and one evicted from a
 * worker's cache replays its whole run; so a run covers at most a week of operations (plus the last one).
 */
const MAX_RUN_AGE_MS = 7 * 24 * 3_600_000;
/** The patch that introduced MAX_RUN_AGE_MS (runs recorded before it never continued as new for age). */
export const CONTINUE_AS_NEW_WHEN_OLD = 'continue-as-new-when-old';

export async function phoneNumberLifecycle(input: LifecycleInput): Promise<void> {
  const { phoneNumberId } = input;
  const carried = input.carried;
  /** Whether the memo names an open operation (it is cleared when that operation ends). */
  let memoNamesOpen = false;
  const openOperation = (): OpenOperation | undefined =>
    current && RESUMABLE.has(current.request.operation)
      ? {
          operationId: current.summary.operationId,
          request: current.request,
          ...(pins.waiting ? { waitingForPin: true } : {}),
        }
      : undefined;
  // Every ledger write also records the sequence and the open operation, for a successor after a terminate.
  const budget = new RequestBudget(carried?.ledger ?? emptyLedger(), (ledger) => {
    const open = openOperation();
    const memo: LifecycleMemo = { sequence, ...(open ? { open } : {}) };
    upsertMemo({ [LEDGER_MEMO]: ledger, [LIFECYCLE_MEMO]: memo });
    memoNamesOpen = !!open;
  });
  // A resumable operation that starts waiting for a PIN says so: a successor must not resend the refused one.
  const pins = new PinMailbox(() => {
    if (openOperation()) budget.remember();
  });
  let registration: Registration = carried?.registration ?? 'unknown';
  let sequence = carried?.sequence ?? 0;
  const queue: QueuedOperation[] = [...(carried?.queue ?? [])];
  const recent: OperationSummary[] = [...(carried?.recent ?? [])];
  let lastFailed = carried?.lastFailed ?? false;
  let lastFailedOp = carried?.lastFailedOp;
  /** Cancels the running operation (it stops at its next safe point). */
  let currentScope: CancellationScope | undefined;
  let wabaId = carried?.wabaId;
  let verification: Verification = carried?.verification ?? 'unknown';
  let pinSet = carried?.pinSet ?? false;
  let recovered = carried?.recovered;
  /** Until the recovery of a fresh run is done, requests wait (their operation IDs continue its sequence). */
  let recovering = !carried;
  const idempotencyKeys: RememberedKey[] = [...(carried?.idempotencyKeys ?? [])];
  let lastPolicy: OperationPolicy | undefined;
  let current: QueuedOperation | undefined;

  const state = (): LifecycleState => {
    if (current) return current.summary.activeState ?? ACTIVE_STATE[current.request.operation];
    if (lastFailed) return 'failed';
    if (registration === 'registered') return 'registered';
    if (registration === 'not-registered') return 'deregistered';
    return 'unknown';
  };

  const publish = (): void => {
    const nextAttemptAt = current?.summary.nextAttemptAt;
    upsertSearchAttributes([
      { key: WaPhoneNumberId, value: phoneNumberId },
      { key: WaLifecycleState, value: state() },
      // The running operation; after a failure, the one that failed (the UI finds failed migrations so).
      {
        key: WaOperation,
        value: current?.request.operation ?? (lastFailed ? lastFailedOp?.request.operation : null) ?? null,
      },
      { key: WaNextAttemptAt, value: nextAttemptAt ? new Date(nextAttemptAt) : null },
      ...(wabaId ? [{ key: WaWabaId, value: wabaId }] : []),
    ]);
    const lines = [`**${state()}** (registration: ${registration})`];
    if (current) {
      lines.push(
        `current: ${current.summary.operation} ${current.summary.operationId} (${current.summary.status})`,
      );
      if (current.summary.cancelRequestedBy)
        lines.push(`cancel requested by ${current.summary.cancelRequestedBy}: stops at its next safe point`);
      if (current.summary.waitingFor)
        lines.push(`waiting for: ${current.summary.waitingFor} until ${nextAttemptAt}`);
    }
    if (queue.length) lines.push(`queued: ${queue.map((q) => q.summary.operationId).join(', ')}`);
    if (recovered) lines.push(describeRecovery(recovered));
    setCurrentDetails(lines.join('\n\n'));
  };

  /** The last operation in line: a new identical request joins it rather than queueing a duplicate. */
  const tail = (): QueuedOperation | undefined => queue[queue.length - 1] ?? current;
  /** An operation being cancelled is not joined: the caller asked for it to happen. */
  const joinable = (op: QueuedOperation | undefined, request: OperationRequest) =>
    op && !op.summary.cancelRequestedBy && sameRequest(op.request, request) ? op : undefined;
  /** The running operation waits for a corrected PIN and this is the same command with another PIN. */
  const correctsPin = (request: OperationRequest) =>
    pins.waiting &&
    current &&
    !current.summary.cancelRequestedBy &&
    'pin' in request &&
    'pin' in current.request &&
    sameRequest({ ...current.request, pin: request.pin } as OperationRequest, request);

  const expectedRegistration = (): Registration => {
    const last = tail();
    if (!last) return registration;
    if (last.request.operation === 'deregister') return 'not-registered';
    return REGISTERS.has(last.request.operation) ? 'registered' : registration;
  };

  const checkAllowed = (request: OperationRequest): void => {
    if (joinable(tail(), request) || correctsPin(request)) return;
    if (request.operation === 'deregister' && expectedRegistration() === 'not-registered') {
      throw new InputError('operation', 'deregister is not allowed: the number is not registered');
    }
  };

  const ticket = (op: QueuedOperation, joined: boolean): OperationTicket => ({
    operationId: op.summary.operationId,
    workflowId: op.summary.workflowId,
    operation: op.request.operation,
    joined,
    position: op === current ? 0 : queue.indexOf(op) + (current ? 1 : 0),
  });

  setHandler(getStateQuery, (): LifecycleSnapshot => ({
    phoneNumberId,
    state: state(),
    registration,
    verification,
    pinSet,
    ledger: budget.current,
    currentOperation: current?.summary,
    queued: queue.map((q) => q.summary),
    recentOperations: recent,
    ...(recovered ? { recovered } : {}),
  }));

  /** Progress of the running operation (its own, or its verification child's by signal). */
  const showProgress = (progress: OperationProgress): void => {
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

  setHandler(
    requestOperationUpdate,
    async (raw, origin?: RequestOrigin) => {
      const request = parseInput(operationRequestSchema, raw);
      await condition(() => !recovering);
      const key = origin?.idempotencyKey;
      const seen = key ? idempotencyKeys.find((k) => k.key === key) : undefined;
      if (seen) return seen.ticket;
      const issued = enqueue(request, origin);
      if (key) rememberKey(key, issued);
      return issued;
    },
    {
      // Runs before anything is written to history: bad input and forbidden commands leave no trace.
      validator: (raw, _origin?: RequestOrigin) => checkAllowed(parseInput(operationRequestSchema, raw)),
    },
  );

  const rememberKey = (key: string, issued: OperationTicket): void => {
    const now = workflowNow();
    idempotencyKeys.unshift({ key, ticket: issued, at: now });
    const fresh = idempotencyKeys.filter((k) => now - k.at < IDEMPOTENCY_WINDOW_MS);
    idempotencyKeys.splice(0, idempotencyKeys.length, ...fresh.slice(0, IDEMPOTENCY_KEYS_KEPT));
  };

  /**
   * Queues the request, or joins an identical one; a corrected PIN goes to the operation waiting for one.
   * `front`: ahead of everything queued (an operation resumed after a terminate).
   */
  function enqueue(
    request: OperationRequest,
    origin?: RequestOrigin,
    retryOf?: string,
    front = false,
  ): OperationTicket {
    wabaId = request.wabaId ?? wabaId;
    const subscribe = (op: QueuedOperation): QueuedOperation => {
      const fleet = origin?.fleetWorkflowId;
      if (fleet && !op.notify?.includes(fleet)) op.notify = [...(op.notify ?? []), fleet];
      return op;
    };
    if (current && correctsPin(request) && 'pin' in request) {
      pins.provide(request.pin);
      // The request now carries the PIN in use: a retry, or a successor resuming it, sends this one.
      current.request = { ...current.request, pin: request.pin } as OperationRequest;
      return ticket(subscribe(current), true);
    }
    const last = joinable(tail(), request);
    if (last) return ticket(subscribe(last), true);
    sequence += 1;
    const operationId = operationWorkflowId(phoneNumberId, request.operation, sequence);
    const op: QueuedOperation = {
      request,
      summary: {
        operationId,
        // Where the operation's messages go: its verification child run, or this lifecycle.
        workflowId: HAS_CHILD_RUN.has(request.operation) ? operationId : lifecycleWorkflowId(phoneNumberId),
        operation: request.operation,
        requestedBy: request.requestedBy,
        status: 'queued',
        enqueuedAt: new Date(workflowNow()).toISOString(),
        ...(retryOf ? { retryOf } : {}),
      },
    };
    if (front) queue.unshift(subscribe(op));
    else queue.push(subscribe(op));
    publish();
    return ticket(op, false);
  }

  /** The operation a cancel refers to: the named one, else the running one, else the last queued. */
  const cancelTarget = (operationId?: string): QueuedOperation | undefined =>
    operationId
      ? [current, ...queue].find((op) => op?.summary.operationId === operationId)
      : (current ?? queue[queue.length - 1]);

  /** Drops a queued operation (it never started) and tells whoever waits for it. */
  const dropQueued = (op: QueuedOperation, who: string): Promise<void> => {
    queue.splice(queue.indexOf(op), 1);
    Object.assign(op.summary, {
      status: 'failed',
      failure: { type: OperationFailureType.Cancelled, message: `cancelled by ${who} before it started` },
      finishedAt: new Date(workflowNow()).toISOString(),
    });
    lastFailedOp = { operationId: op.summary.operationId, request: op.request };
    recent.unshift(op.summary);
    recent.splice(RECENT_OPERATIONS_KEPT);
    publish();
    return notifyFleets(phoneNumberId, op);
  };

  /** Asks the running operation to stop at its next safe point. */
  const cancelRunning = (who: string): void => {
    if (!current || current.summary.cancelRequestedBy) return;
    current.summary.cancelRequestedBy = who;
    currentScope?.cancel();
    publish();
  };

  setHandler(
    cancelOperationUpdate,
    async (raw) => {
      const { operationId, requestedBy } = parseInput(cancelRequestSchema, raw);
      const op = cancelTarget(operationId)!;
      const who = requestedBy ?? 'an operator';
      if (op !== current) {
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
    {
      validator: (raw) => {
        const { operationId } = parseInput(cancelRequestSchema, raw);
        const op = cancelTarget(operationId);
        if (!op) {
          throw new InputError(
            'operationId',
            operationId
              ? `${operationId} is not queued or running on this number`
              : 'nothing to cancel: no operation is queued or running on this number',
          );
        }
        if (op === current && op.summary.cancelRequestedBy) {
          throw new InputError('operationId', `${op.summary.operationId} is already being cancelled`);
        }
      },
    },
  );

  // "Request Cancellation" on the lifecycle (Temporal UI, API) cancels its operations, never the
  // lifecycle itself: it holds the ledger, and may be the only thing bringing an offline number back.
  CancellationScope.current().cancelRequested.catch(() =>
    CancellationScope.nonCancellable(async () => {
      const who = 'a cancellation request on the lifecycle workflow';
      cancelRunning(who);
      for (const op of [...queue]) await dropQueued(op, who);
    }),
  );

  /** The last failed operation again, with its original parameters (and a corrected PIN when given). */
  const retryRequest = (raw: RetryOperationRequest): OperationRequest => {
    const { pin, requestedBy } = parseInput(retryRequestSchema, raw);
    if (!lastFailedOp) {
      throw new InputError('operation', 'nothing to retry: no failed or cancelled operation on this number');
    }
    const original = lastFailedOp.request;
    if (pin !== undefined && !('pin' in original)) {
      throw new InputError('pin', `the ${original.operation} operation takes no PIN`);
    }
    return {
      ...original,
      ...(pin !== undefined ? { pin } : {}),
      ...(requestedBy !== undefined ? { requestedBy } : {}),
    } as OperationRequest;
  };

  setHandler(
    retryOperationUpdate,
    async (raw) => {
      // A retry that starts a successor (the lifecycle was terminated) waits for what it recovers.
      await condition(() => !recovering);
      // Nothing failed, but an operation the predecessor left open was resumed: that is the retry.
      const resumed = recovered?.interrupted?.resumedAs;
      const resuming = [current, ...queue].find((op) => op && op.summary.operationId === resumed);
      if (resuming && !lastFailedOp) return ticket(resuming, true);
      try {
        return enqueue(retryRequest(raw), undefined, lastFailedOp?.operationId);
      } catch (err) {
        // Checked here, not in the validator, while recovering: an update failure, not a task failure.
        if (err instanceof InputError)
          throw ApplicationFailure.nonRetryable(err.message, OperationFailureType.InputError);
        throw err;
      }
    },
    {
      validator: (raw) => {
        if (recovering) parseInput(retryRequestSchema, raw);
        else checkAllowed(retryRequest(raw));
      },
    },
  );

  /** Runs the next queued operation to its end and records how it ended. */
  const runNext = async (): Promise<void> => {
    current = queue.shift()!;
    current.summary.status = 'running';
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
      learn: (facts) => {
        if (facts.registration && facts.registration !== 'unknown') registration = facts.registration;
        if (facts.verification && facts.verification !== 'unknown') verification = facts.verification;
        if (facts.pinSet) pinSet = true;
      },
      onPolicy: (policy) => (lastPolicy = policy),
    });
    currentScope = undefined;
    Object.assign(current.summary, {
      status: report.failure ? 'failed' : 'completed',
      activeState: undefined,
      outcome: report.outcome,
      failure: report.failure,
      waitingFor: undefined,
      nextAttemptAt: undefined,
      finishedAt: new Date(workflowNow()).toISOString(),
    } satisfies Partial<OperationSummary>);
    const cancelled = report.failure?.type === OperationFailureType.Cancelled;
    lastFailed = !!report.failure && !cancelled; // a cancel leaves the number as it was
    if (report.failure) lastFailedOp = { operationId: current.summary.operationId, request: current.request };
    else if (lastFailedOp?.request.operation === current.request.operation) lastFailedOp = undefined;
    recent.unshift(current.summary);
    recent.splice(RECENT_OPERATIONS_KEPT);
    const finished = current;
    current = undefined;
    if (memoNamesOpen) budget.remember(); // the open operation ended: a successor has nothing to resume
    publish();
    await notifyFleets(phoneNumberId, finished);
  };

  /** Takes over what a closed predecessor left: its ledger, its sequence, and an operation left open. */
  const adoptRecovered = (found: RecoveredRun): void => {
    const { open, sequence: lastSequence, ...seen } = found;
    sequence = Math.max(sequence, lastSequence ?? 0);
    recovered = seen;
    if (open) recovered.interrupted = takeOverOpen(open, seen.status);
    budget.replace(seen.ledger);
    publish();
  };

  /**
   * An operation the predecessor left past its point of no return runs again from the start (it reads the
   * number first, so it does only what is left). One that waited for a corrected PIN is recorded as failed
   * instead: running it again would resend the PIN Meta refused; `retry --pin` brings the number back.
   */
  const takeOverOpen = (open: OpenOperation, status: string): RecoveredLedger['interrupted'] => {
    const { operationId, request } = open;
    const how = `the lifecycle was ${status.toLowerCase()} while ${operationId} ran`;
    if (!open.waitingForPin) {
      const resumed = enqueue(
        { ...request, requestedBy: `recovery (${how})` } as OperationRequest,
        undefined,
        operationId,
        true,
      );
      return { operationId, operation: request.operation, resumedAs: resumed.operationId };
    }
    registration = 'not-registered';
    lastFailed = true;
    lastFailedOp = { operationId, request };
    recent.unshift({
      operationId,
      workflowId: lifecycleWorkflowId(phoneNumberId),
      operation: request.operation,
      requestedBy: request.requestedBy,
      status: 'failed',
      enqueuedAt: new Date(workflowNow()).toISOString(),
      finishedAt: new Date(workflowNow()).toISOString(),
      failure: {
        type: OperationFailureType.Interrupted,
        message:
          `${how}, waiting for a corrected two-step PIN after Meta refused one; the number may be offline. ` +
          `Run it again with the new PIN: wa-number retry ${phoneNumberId} --pin <new PIN>`,
      },
    });
    recent.splice(RECENT_OPERATIONS_KEPT);
    return { operationId, operation: request.operation };
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
      const found = await recovery.recoverLedger(phoneNumberId, workflowInfo().runId);
      if (found) adoptRecovered(found);
      recovering = false;
    }
    for (;;) {
      await condition(() => queue.length > 0 || shouldContinueAsNew());
      if (queue.length > 0) {
        await runNext();
        // patched(): runs recorded before this rule went on at this point; only new ones continue as new.
        if (queue.length > 0 || !runIsOld() || !patched(CONTINUE_AS_NEW_WHEN_OLD)) continue;
      }
      // Idle, and the history is long or old: start afresh with the same state once no update handler runs.
      await condition(allHandlersFinished);
      if (queue.length === 0) break;
    }
  });
  const ledger = lastPolicy ? pruneLedger(budget.current, workflowNow(), lastPolicy) : budget.current;
  const continueWith = makeContinueAsNewFunc<typeof phoneNumberLifecycle>({
    memo: { [LEDGER_MEMO]: ledger, [LIFECYCLE_MEMO]: { sequence } satisfies LifecycleMemo },
  });
  await continueWith({
    phoneNumberId,
    carried: {
      ledger,
      registration,
      sequence,
      queue,
      recent,
      lastFailed,
      lastFailedOp,
      wabaId,
      verification,
      pinSet,
      recovered,
      idempotencyKeys,
    },
  });
}

// Worker Versioning (when on): a lifecycle lives for years, so it follows the current build; its changes
// replay its history or sit behind patched() (docs/versioning.md).
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), phoneNumberLifecycle);

function describeRecovery(r: RecoveredLedger): string {
  const interrupted = r.interrupted
    ? r.interrupted.resumedAs
      ? `; it was running ${r.interrupted.operationId} past its point of no return: resumed as ${r.interrupted.resumedAs}`
      : `; ${r.interrupted.operationId} waited for a corrected PIN: recorded as failed, retry it with the new PIN`
    : '';
  return (
    `recovered the request ledger of run ${r.runId} (${r.status.toLowerCase()} at ${r.closedAt}): ` +
    `${r.requests} counted request(s)${r.inFlight ? `, ${r.inFlight} of them in flight when it closed (counted from then)` : ''}` +
    interrupted
  );
}

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
