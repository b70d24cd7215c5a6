// One lifecycle workflow per number (ID phone-number:{id}): the single writer for that number. It
// queues operation requests (Updates), runs them one at a time as child workflows, and owns the
// request ledger, which survives crashes, restarts and continue-as-new.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  allHandlersFinished,
  isCancellation,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { emptyLedger, mergeLedgers, pruneLedger, type RequestLedger } from '../domain/ledger';
import type { LifecycleState, Registration, Verification } from '../domain/lifecycle-state';
import {
  operationRequestSchema,
  sameRequest,
  type OperationInput,
  type OperationKind,
  type OperationReport,
  type OperationRequest,
} from '../domain/operations';
import { operationWorkflowId, pinSchema } from '../domain/phone-number';
import { z } from 'zod';
import {
  WaLifecycleState,
  WaNextAttemptAt,
  WaOperation,
  WaPhoneNumberId,
  WaWabaId,
} from '../domain/search-attributes';
import { InputError, parseInput } from '../domain/validation';
import { settings } from './activity-proxies';
import { workflowNow } from './clock';
import { deregisterOperation } from './deregister-operation';
import {
  cancelOperationUpdate,
  getStateQuery,
  operationProgressSignal,
  retryOperationUpdate,
  providePinSignal,
  requestOperationUpdate,
  type LifecycleSnapshot,
  type OperationSummary,
  type OperationTicket,
  type RequestOrigin,
  type RetryOperationRequest,
} from './messages';
import { fleetOperationFinishedSignal } from './fleet-messages';
import { changeRegionOperation } from './change-region-operation';
import { migrateOperation } from './migrate-operation';
import { onboardOperation } from './onboard-operation';
import { reportOf } from './operation-report';
import { registerOperation } from './register-operation';
import { setPinOperation } from './set-pin-operation';
import { verifyOperation } from './verify-operation';

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
}

export interface LifecycleInput {
  phoneNumberId: string;
  carried?: CarriedLifecycleState;
}

/** The child workflow that runs each kind of operation. */
const OPERATION_WORKFLOWS = {
  register: registerOperation,
  deregister: deregisterOperation,
  verify: verifyOperation,
  'set-pin': setPinOperation,
  onboard: onboardOperation,
  'change-region': changeRegionOperation,
  migrate: migrateOperation,
} satisfies Record<OperationKind, unknown>;

/** The number's state while an operation of that kind runs (until the operation reports otherwise). */
const ACTIVE_STATE: Record<OperationKind, LifecycleState> = {
  register: 'registering',
  deregister: 'deregistering',
  verify: 'verifying',
  'set-pin': 'setting-pin',
  onboard: 'onboarding',
  'change-region': 'changing-region',
  migrate: 'migrating',
};

/** Operations that register the number when they succeed. */
const REGISTERS: ReadonlySet<OperationKind> = new Set(['register', 'onboard', 'change-region', 'migrate']);

const RECENT_LIMIT = 20;

const cancelRequestSchema = z
  .object({ operationId: z.string().max(200).optional(), requestedBy: z.string().max(100).optional() })
  .strict();
const retryRequestSchema = z
  .object({ pin: pinSchema.optional(), requestedBy: z.string().max(100).optional() })
  .strict();
/** Continue-as-new well before Temporal's history limits, even if the server does not suggest it. */
const MAX_HISTORY_EVENTS = 2_000;

export async function phoneNumberLifecycle(input: LifecycleInput): Promise<void> {
  const { phoneNumberId } = input;
  const carried = input.carried;
  let ledger = carried?.ledger ?? emptyLedger();
  let registration: Registration = carried?.registration ?? 'unknown';
  let sequence = carried?.sequence ?? 0;
  const queue: QueuedOperation[] = [...(carried?.queue ?? [])];
  const recent: OperationSummary[] = [...(carried?.recent ?? [])];
  let lastFailed = carried?.lastFailed ?? false;
  let lastFailedOp = carried?.lastFailedOp;
  /** Cancels the running operation's child run (it stops at its next safe point). */
  let currentScope: CancellationScope | undefined;
  let wabaId = carried?.wabaId;
  let verification: Verification = carried?.verification ?? 'unknown';
  let pinSet = carried?.pinSet ?? false;
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
      { key: WaOperation, value: current?.request.operation ?? null },
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
    setCurrentDetails(lines.join('\n\n'));
  };

  /** The last operation in line: a new identical request joins it rather than queueing a duplicate. */
  const tail = (): QueuedOperation | undefined => queue[queue.length - 1] ?? current;

  const expectedRegistration = (): Registration => {
    const last = tail();
    if (!last) return registration;
    if (last.request.operation === 'deregister') return 'not-registered';
    return REGISTERS.has(last.request.operation) ? 'registered' : registration;
  };

  const checkAllowed = (request: OperationRequest): void => {
    const last = tail();
    if (last && sameRequest(last.request, request)) return; // joins
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
    ledger,
    currentOperation: current?.summary,
    queued: queue.map((q) => q.summary),
    recentOperations: recent,
  }));

  setHandler(operationProgressSignal, (progress) => {
    if (!current || current.summary.operationId !== progress.operationId) return;
    current.summary.status = progress.waitingFor ? 'waiting' : 'running';
    current.summary.activeState = progress.state;
    current.summary.waitingFor = progress.waitingFor;
    current.summary.nextAttemptAt = progress.nextAttemptAt
      ? new Date(progress.nextAttemptAt).toISOString()
      : undefined;
    publish();
  });

  setHandler(
    requestOperationUpdate,
    async (raw, origin?: RequestOrigin) => enqueue(parseInput(operationRequestSchema, raw), origin),
    {
      // Runs before anything is written to history: bad input and forbidden commands leave no trace.
      validator: (raw, _origin?: RequestOrigin) => checkAllowed(parseInput(operationRequestSchema, raw)),
    },
  );

  /** Queues the request, or joins an identical one; a corrected PIN goes to an operation waiting for one. */
  async function enqueue(
    request: OperationRequest,
    origin?: RequestOrigin,
    retryOf?: string,
  ): Promise<OperationTicket> {
    wabaId = request.wabaId ?? wabaId;
    const subscribe = (op: QueuedOperation): QueuedOperation => {
      const fleet = origin?.fleetWorkflowId;
      if (fleet && !op.notify?.includes(fleet)) op.notify = [...(op.notify ?? []), fleet];
      return op;
    };
    // The same command again, with a corrected PIN, for an operation that waits for one: hand it over.
    if (
      current?.summary.activeState === 'waiting-for-pin' &&
      current.request.operation === request.operation
    ) {
      if ('pin' in request) {
        await getExternalWorkflowHandle(current.summary.workflowId).signal(providePinSignal, request.pin);
      }
      return ticket(subscribe(current), true);
    }
    const last = tail();
    if (last && sameRequest(last.request, request)) return ticket(subscribe(last), true);
    sequence += 1;
    const workflowId = operationWorkflowId(phoneNumberId, request.operation, sequence);
    const op: QueuedOperation = {
      request,
      summary: {
        operationId: workflowId,
        workflowId,
        operation: request.operation,
        requestedBy: request.requestedBy,
        status: 'queued',
        enqueuedAt: new Date(workflowNow()).toISOString(),
        ...(retryOf ? { retryOf } : {}),
      },
    };
    queue.push(subscribe(op));
    publish();
    return ticket(op, false);
  }

  /** The operation a cancel refers to: the named one, else the running one, else the last queued. */
  const cancelTarget = (operationId?: string): QueuedOperation | undefined =>
    operationId
      ? [current, ...queue].find((op) => op?.summary.operationId === operationId)
      : (current ?? queue[queue.length - 1]);

  setHandler(
    cancelOperationUpdate,
    async (raw) => {
      const { operationId, requestedBy } = parseInput(cancelRequestSchema, raw);
      const op = cancelTarget(operationId)!;
      const who = requestedBy ?? 'an operator';
      if (op !== current) {
        queue.splice(queue.indexOf(op), 1);
        const failure = { type: 'Cancelled', message: `cancelled by ${who} before it started` };
        Object.assign(op.summary, {
          status: 'failed',
          failure,
          finishedAt: new Date(workflowNow()).toISOString(),
        });
        lastFailedOp = { operationId: op.summary.operationId, request: op.request };
        recent.unshift(op.summary);
        recent.splice(RECENT_LIMIT);
        publish();
        await notifyFleets(phoneNumberId, op);
        return { operationId: op.summary.operationId, status: 'cancelled', note: failure.message };
      }
      op.summary.cancelRequestedBy = who;
      currentScope?.cancel();
      publish();
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
    async (raw) => enqueue(retryRequest(raw), undefined, lastFailedOp?.operationId),
    { validator: (raw) => checkAllowed(retryRequest(raw)) },
  );

  publish();
  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;

  for (;;) {
    await condition(() => queue.length > 0 || shouldContinueAsNew());
    if (queue.length === 0) break;
    current = queue.shift()!;
    current.summary.status = 'running';
    publish();
    currentScope = new CancellationScope();
    const outcome = await runOperation(phoneNumberId, current, ledger, currentScope);
    currentScope = undefined;
    ledger = mergeLedgers(ledger, outcome.report.ledger);
    if (outcome.report.registration !== 'unknown') registration = outcome.report.registration;
    if (outcome.report.verification && outcome.report.verification !== 'unknown') {
      verification = outcome.report.verification;
    }
    if (outcome.report.pinSet) pinSet = true;
    Object.assign(current.summary, {
      status: outcome.report.failure ? 'failed' : 'completed',
      activeState: undefined,
      outcome: outcome.report.outcome,
      failure: outcome.report.failure,
      waitingFor: undefined,
      nextAttemptAt: undefined,
      finishedAt: new Date(workflowNow()).toISOString(),
    } satisfies Partial<OperationSummary>);
    const cancelled = outcome.report.failure?.type === 'Cancelled';
    lastFailed = !!outcome.report.failure && !cancelled; // a cancel leaves the number as it was
    if (outcome.report.failure)
      lastFailedOp = { operationId: current.summary.operationId, request: current.request };
    else if (lastFailedOp?.request.operation === current.request.operation) lastFailedOp = undefined;
    recent.unshift(current.summary);
    recent.splice(RECENT_LIMIT);
    const finished = current;
    current = undefined;
    publish();
    await notifyFleets(phoneNumberId, finished);
  }

  // Idle and the history is long: start afresh with the same state (updates must not be mid-flight).
  await condition(allHandlersFinished);
  const policy = await settings.loadPolicy();
  await continueAsNew<typeof phoneNumberLifecycle>({
    phoneNumberId,
    carried: {
      ledger: pruneLedger(ledger, workflowNow(), policy),
      registration,
      sequence,
      queue,
      recent,
      lastFailed,
      lastFailedOp,
      wabaId,
      verification,
      pinSet,
    },
  });
}

async function runOperation(
  phoneNumberId: string,
  op: QueuedOperation,
  ledger: RequestLedger,
  scope: CancellationScope,
): Promise<{ report: OperationReport }> {
  const policy = await settings.loadPolicy();
  const input: OperationInput = {
    phoneNumberId,
    operationId: op.summary.operationId,
    request: op.request,
    ledger: pruneLedger(ledger, workflowNow(), policy),
    policy,
  };
  const options = {
    workflowId: op.summary.workflowId,
    staticSummary: `${op.request.operation} ${phoneNumberId}${op.request.requestedBy ? ` (requested by ${op.request.requestedBy})` : ''}`,
  };
  try {
    const child = OPERATION_WORKFLOWS[op.request.operation] as (
      i: OperationInput,
    ) => Promise<OperationReport>;
    // Cancelling the scope asks the child to stop; the child decides where (its safe points) and reports.
    const report = await scope.run(() => executeChild(child, { ...options, args: [input] }));
    return { report };
  } catch (err) {
    return { report: reportFromFailure(op.summary.operationId, err) };
  }
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

/** A failed child carries its report (requests sent, blocks learned) in the failure's details. */
function reportFromFailure(operationId: string, err: unknown): OperationReport {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  const message = cause instanceof Error ? cause.message : String(cause);
  const type =
    cause instanceof ApplicationFailure && cause.type
      ? cause.type
      : isCancellation(cause)
        ? 'Cancelled'
        : 'OperationFailed';
  const detail = reportOf(cause);
  if (detail) return { ...detail, failure: detail.failure ?? { type, message } };
  return { operationId, ledger: emptyLedger(), registration: 'unknown', failure: { type, message } };
}
