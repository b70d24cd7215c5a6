// The lifecycle's book: its queue of operations, the one running, the recent ones, what it knows of the number,
// and the rules that decide on them (join an identical request, refuse a deregister of an unregistered number,
// remember idempotency keys, record how an operation ended, carry everything to the next run). Plain state
// and methods, no Temporal calls: the workflow function wires handlers and timers around it, and unit tests
// drive it directly. Time comes in as an argument.
import type { RequestLedger } from '../domain/ledger';
import type { LifecycleState, Registration, Verification } from '../domain/lifecycle-state';
import {
  sameRequest,
  type OperationKind,
  type OperationReport,
  type OperationRequest,
} from '../domain/operations';
import { lifecycleWorkflowId, operationWorkflowId, pinSchema } from '../domain/phone-number';
import { OperationFailureType } from '../domain/failure-types';
import { InputError, lazySchema, parseInput } from '../domain/validation';
import { z } from 'zod';
import type { LifecycleMemo, OpenOperation } from './lifecycle-memo';
import {
  RECENT_OPERATIONS_KEPT,
  type LifecycleSnapshot,
  type OperationSummary,
  type OperationTicket,
  type RecoveredLedger,
  type RecoveredRun,
  type RequestOrigin,
  type RetryOperationRequest,
} from './messages';
import { ACTIVE_STATE, HAS_CHILD_RUN } from './operation-runner';
import type { MetaNumberEvent } from '../domain/meta-webhooks';
import {
  applyMetaEvent,
  describeMetaFacts,
  standingState,
  type NumberMetaFacts,
  type OutboundLifecycleEvent,
} from './meta-facts';

export interface QueuedOperation {
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
  /** What Meta's webhooks reported (meta-facts.ts). */
  meta?: NumberMetaFacts;
}

interface RememberedKey {
  key: string;
  ticket: OperationTicket;
  /** When the first call came (epoch ms); keys are forgotten after IDEMPOTENCY_WINDOW_MS. */
  at: number;
}

/** The corrected-PIN mailbox, as the book sees it (operation-context's PinMailbox). */
export interface PinSlot {
  readonly waiting: boolean;
  provide(pin: string): void;
}

/** Operations that register the number when they succeed. */
const REGISTERS: ReadonlySet<OperationKind> = new Set(['register', 'onboard', 'change-region', 'migrate']);

/**
 * Operations that can leave the number offline part-way (a region change between its deregister and
 * register, a migration after its register): if the run is terminated there, the successor resumes them.
 */
const RESUMABLE: ReadonlySet<OperationKind> = new Set(['change-region', 'migrate']);

/** How long, and how many, idempotency keys are remembered (a retrying caller gives up well before). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
export const IDEMPOTENCY_KEYS_KEPT = 200;

export const cancelRequestSchema = lazySchema(() =>
  z
    .object({ operationId: z.string().max(200).optional(), requestedBy: z.string().max(100).optional() })
    .strict(),
);
export const retryRequestSchema = lazySchema(() =>
  z.object({ pin: pinSchema().optional(), requestedBy: z.string().max(100).optional() }).strict(),
);

export class LifecycleBook {
  registration: Registration;
  sequence: number;
  readonly queue: QueuedOperation[];
  readonly recent: OperationSummary[];
  lastFailed: boolean;
  lastFailedOp: CarriedLifecycleState['lastFailedOp'];
  wabaId: string | undefined;
  verification: Verification;
  pinSet: boolean;
  recovered: RecoveredLedger | undefined;
  readonly idempotencyKeys: RememberedKey[];
  /** The running operation. */
  current: QueuedOperation | undefined;
  /** What Meta's webhooks reported about the number. */
  meta: NumberMetaFacts;

  constructor(
    readonly phoneNumberId: string,
    carried: CarriedLifecycleState | undefined,
    private readonly pins: PinSlot,
  ) {
    this.registration = carried?.registration ?? 'unknown';
    this.sequence = carried?.sequence ?? 0;
    this.queue = [...(carried?.queue ?? [])];
    this.recent = [...(carried?.recent ?? [])];
    this.lastFailed = carried?.lastFailed ?? false;
    this.lastFailedOp = carried?.lastFailedOp;
    this.wabaId = carried?.wabaId;
    this.verification = carried?.verification ?? 'unknown';
    this.pinSet = carried?.pinSet ?? false;
    this.recovered = carried?.recovered;
    this.idempotencyKeys = [...(carried?.idempotencyKeys ?? [])];
    this.meta = carried?.meta ?? {};
  }

  state(): LifecycleState {
    if (this.current) return this.current.summary.activeState ?? ACTIVE_STATE[this.current.request.operation];
    // A restriction or ban Meta reported says more about the number than how its last operation ended.
    const standing = standingState(this.meta);
    if (standing) return standing;
    if (this.lastFailed) return 'failed';
    if (this.registration === 'registered') return 'registered';
    if (this.registration === 'not-registered') return 'deregistered';
    return 'unknown';
  }

  /** The running operation, if it can leave the number offline: what a successor must resume. */
  openOperation(): OpenOperation | undefined {
    const current = this.current;
    return current && RESUMABLE.has(current.request.operation)
      ? {
          operationId: current.summary.operationId,
          request: current.request,
          ...(this.pins.waiting ? { waitingForPin: true } : {}),
        }
      : undefined;
  }

  memo(): LifecycleMemo {
    const open = this.openOperation();
    return { sequence: this.sequence, ...(open ? { open } : {}) };
  }

  /** The last operation in line: a new identical request joins it rather than queueing a duplicate. */
  tail(): QueuedOperation | undefined {
    return this.queue[this.queue.length - 1] ?? this.current;
  }

  /** An operation being cancelled is not joined: the caller asked for it to happen. */
  joinable(op: QueuedOperation | undefined, request: OperationRequest): QueuedOperation | undefined {
    return op && !op.summary.cancelRequestedBy && sameRequest(op.request, request) ? op : undefined;
  }

  /** The running operation waits for a corrected PIN and this is the same command with another PIN. */
  correctsPin(request: OperationRequest): boolean {
    const current = this.current;
    return (
      this.pins.waiting &&
      !!current &&
      !current.summary.cancelRequestedBy &&
      'pin' in request &&
      'pin' in current.request &&
      sameRequest({ ...current.request, pin: request.pin } as OperationRequest, request)
    );
  }

  /** What the number's registration will be once everything queued has run. */
  expectedRegistration(): Registration {
    const last = this.tail();
    if (!last) return this.registration;
    if (last.request.operation === 'deregister') return 'not-registered';
    return REGISTERS.has(last.request.operation) ? 'registered' : this.registration;
  }

  /** Refuses a command the number's state forbids (an InputError naming the rule). */
  checkAllowed(request: OperationRequest): void {
    if (this.joinable(this.tail(), request) || this.correctsPin(request)) return;
    if (request.operation === 'deregister' && this.expectedRegistration() === 'not-registered') {
      throw new InputError('operation', 'deregister is not allowed: the number is not registered');
    }
  }

  ticket(op: QueuedOperation, joined: boolean): OperationTicket {
    return {
      operationId: op.summary.operationId,
      workflowId: op.summary.workflowId,
      operation: op.request.operation,
      joined,
      position: op === this.current ? 0 : this.queue.indexOf(op) + (this.current ? 1 : 0),
    };
  }

  /** Whether the operation is still queued or running. */
  isPending(operationId: string): boolean {
    return (
      this.current?.summary.operationId === operationId ||
      this.queue.some((op) => op.summary.operationId === operationId)
    );
  }

  /** A finished operation's summary, while it is among the recent ones. */
  finished(operationId: string): OperationSummary | undefined {
    return this.recent.find((op) => op.operationId === operationId);
  }

  /** The ticket an idempotency key already got, if the key is remembered. */
  ticketForKey(key: string | undefined): OperationTicket | undefined {
    return key ? this.idempotencyKeys.find((k) => k.key === key)?.ticket : undefined;
  }

  rememberKey(key: string, issued: OperationTicket, now: number): void {
    this.idempotencyKeys.unshift({ key, ticket: issued, at: now });
    const fresh = this.idempotencyKeys.filter((k) => now - k.at < IDEMPOTENCY_WINDOW_MS);
    this.idempotencyKeys.splice(0, this.idempotencyKeys.length, ...fresh.slice(0, IDEMPOTENCY_KEYS_KEPT));
  }

  /**
   * Queues the request, or joins an identical one; a corrected PIN goes to the operation waiting for one.
   * `front`: ahead of everything queued (an operation resumed after a terminate).
   */
  enqueue(
    request: OperationRequest,
    now: number,
    options: { origin?: RequestOrigin; retryOf?: string; front?: boolean } = {},
  ): OperationTicket {
    const { origin, retryOf, front = false } = options;
    this.wabaId = request.wabaId ?? this.wabaId;
    const subscribe = (op: QueuedOperation): QueuedOperation => {
      const fleet = origin?.fleetWorkflowId;
      if (fleet && !op.notify?.includes(fleet)) op.notify = [...(op.notify ?? []), fleet];
      return op;
    };
    const current = this.current;
    if (current && this.correctsPin(request) && 'pin' in request) {
      this.pins.provide(request.pin);
      // The request now carries the PIN in use: a retry, or a successor resuming it, sends this one.
      current.request = { ...current.request, pin: request.pin } as OperationRequest;
      return this.ticket(subscribe(current), true);
    }
    const last = this.joinable(this.tail(), request);
    if (last) return this.ticket(subscribe(last), true);
    this.sequence += 1;
    const operationId = operationWorkflowId(this.phoneNumberId, request.operation, this.sequence);
    const op: QueuedOperation = {
      request,
      summary: {
        operationId,
        // Where the operation's messages go: its verification child run, or this lifecycle.
        workflowId: HAS_CHILD_RUN.has(request.operation)
          ? operationId
          : lifecycleWorkflowId(this.phoneNumberId),
        operation: request.operation,
        requestedBy: request.requestedBy,
        status: 'queued',
        enqueuedAt: new Date(now).toISOString(),
        ...(retryOf ? { retryOf } : {}),
      },
    };
    if (front) this.queue.unshift(subscribe(op));
    else this.queue.push(subscribe(op));
    return this.ticket(op, false);
  }

  /** The operation a cancel refers to: the named one, else the running one, else the last queued. */
  cancelTarget(operationId?: string): QueuedOperation | undefined {
    return operationId
      ? [this.current, ...this.queue].find((op) => op?.summary.operationId === operationId)
      : (this.current ?? this.queue[this.queue.length - 1]);
  }

  /** Refuses a cancel with nothing to cancel, or one already under way. */
  checkCancel(operationId?: string): void {
    const op = this.cancelTarget(operationId);
    if (!op) {
      throw new InputError(
        'operationId',
        operationId
          ? `${operationId} is not queued or running on this number`
          : 'nothing to cancel: no operation is queued or running on this number',
      );
    }
    if (op === this.current && op.summary.cancelRequestedBy) {
      throw new InputError('operationId', `${op.summary.operationId} is already being cancelled`);
    }
  }

  /** Drops a queued operation (it never started) and records it as cancelled. */
  dropQueued(op: QueuedOperation, who: string, now: number): void {
    this.queue.splice(this.queue.indexOf(op), 1);
    Object.assign(op.summary, {
      status: 'failed',
      failure: { type: OperationFailureType.Cancelled, message: `cancelled by ${who} before it started` },
      finishedAt: new Date(now).toISOString(),
    });
    this.lastFailedOp = { operationId: op.summary.operationId, request: op.request };
    this.remember(op.summary);
  }

  /** Marks the running operation as being cancelled; false if it already is (or nothing runs). */
  markCancelRequested(who: string): boolean {
    if (!this.current || this.current.summary.cancelRequestedBy) return false;
    this.current.summary.cancelRequestedBy = who;
    return true;
  }

  /** The last failed operation again, with its original parameters (and a corrected PIN when given). */
  retryRequest(raw: RetryOperationRequest): OperationRequest {
    const { pin, requestedBy } = parseInput(retryRequestSchema(), raw);
    if (!this.lastFailedOp) {
      throw new InputError('operation', 'nothing to retry: no failed or cancelled operation on this number');
    }
    const original = this.lastFailedOp.request;
    if (pin !== undefined && !('pin' in original)) {
      throw new InputError('pin', `the ${original.operation} operation takes no PIN`);
    }
    return {
      ...original,
      ...(pin !== undefined ? { pin } : {}),
      ...(requestedBy !== undefined ? { requestedBy } : {}),
    } as OperationRequest;
  }

  /** The operation a successor resumed in place of the predecessor's open one (a retry joins it). */
  resumedOperation(): QueuedOperation | undefined {
    const resumed = this.recovered?.interrupted?.resumedAs;
    return [this.current, ...this.queue].find((op) => op && op.summary.operationId === resumed);
  }

  /** Takes the next queued operation as the running one. */
  startNext(): QueuedOperation {
    const current = this.queue.shift()!;
    current.summary.status = 'running';
    this.current = current;
    return current;
  }

  /** What an operation learned about the number. */
  learn(facts: { registration?: Registration; verification?: Verification; pinSet?: boolean }): void {
    if (facts.registration && facts.registration !== 'unknown') this.registration = facts.registration;
    if (facts.verification && facts.verification !== 'unknown') this.verification = facts.verification;
    if (facts.pinSet) this.pinSet = true;
  }

  /** Records what a Meta webhook said; returns the outbound events it gives rise to. */
  learnFromMeta(event: MetaNumberEvent, now: number): OutboundLifecycleEvent[] {
    const { facts, outbound } = applyMetaEvent(this.meta, event, this.phoneNumberId, now);
    this.meta = facts;
    return outbound;
  }

  /** Records how the running operation ended; returns it. */
  finishCurrent(report: OperationReport, now: number): QueuedOperation {
    const current = this.current!;
    Object.assign(current.summary, {
      status: report.failure ? 'failed' : 'completed',
      activeState: undefined,
      outcome: report.outcome,
      failure: report.failure,
      waitingFor: undefined,
      nextAttemptAt: undefined,
      finishedAt: new Date(now).toISOString(),
    } satisfies Partial<OperationSummary>);
    const cancelled = report.failure?.type === OperationFailureType.Cancelled;
    this.lastFailed = !!report.failure && !cancelled; // a cancel leaves the number as it was
    if (report.failure)
      this.lastFailedOp = { operationId: current.summary.operationId, request: current.request };
    else if (this.lastFailedOp?.request.operation === current.request.operation)
      this.lastFailedOp = undefined;
    this.remember(current.summary);
    this.current = undefined;
    return current;
  }

  /** Takes over what a closed predecessor left: its sequence, and an operation left open. */
  adoptRecovered(found: RecoveredRun, now: number): RequestLedger {
    const { open, sequence: lastSequence, ...seen } = found;
    this.sequence = Math.max(this.sequence, lastSequence ?? 0);
    this.recovered = seen;
    if (open) this.recovered.interrupted = this.takeOverOpen(open, seen.status, now);
    return seen.ledger;
  }

  /**
   * An operation the predecessor left past its point of no return runs again from the start (it reads the
   * number first, so it does only what is left). One that waited for a corrected PIN is recorded as failed
   * instead: running it again would resend the PIN Meta refused; `retry --pin` brings the number back.
   */
  private takeOverOpen(open: OpenOperation, status: string, now: number): RecoveredLedger['interrupted'] {
    const { operationId, request } = open;
    const how = `the lifecycle was ${status.toLowerCase()} while ${operationId} ran`;
    if (!open.waitingForPin) {
      const resumed = this.enqueue(
        { ...request, requestedBy: `recovery (${how})` } as OperationRequest,
        now,
        {
          retryOf: operationId,
          front: true,
        },
      );
      return { operationId, operation: request.operation, resumedAs: resumed.operationId };
    }
    this.registration = 'not-registered';
    this.lastFailed = true;
    this.lastFailedOp = { operationId, request };
    this.remember({
      operationId,
      workflowId: lifecycleWorkflowId(this.phoneNumberId),
      operation: request.operation,
      requestedBy: request.requestedBy,
      status: 'failed',
      enqueuedAt: new Date(now).toISOString(),
      finishedAt: new Date(now).toISOString(),
      failure: {
        type: OperationFailureType.Interrupted,
        message:
          `${how}, waiting for a corrected two-step PIN after Meta refused one; the number may be offline. ` +
          `Run it again with the new PIN: wa-number retry ${this.phoneNumberId} --pin <new PIN>`,
      },
    });
    return { operationId, operation: request.operation };
  }

  /** The operation the search attributes name: the running one, else the one that failed last. */
  shownOperation(): OperationKind | null {
    return (
      this.current?.request.operation ??
      (this.lastFailed ? this.lastFailedOp?.request.operation : null) ??
      null
    );
  }

  /** The workflow's current details in the Temporal UI (Markdown). */
  details(): string {
    const current = this.current;
    const lines = [`**${this.state()}** (registration: ${this.registration})`];
    if (current) {
      lines.push(
        `current: ${current.summary.operation} ${current.summary.operationId} (${current.summary.status})`,
      );
      if (current.summary.cancelRequestedBy)
        lines.push(`cancel requested by ${current.summary.cancelRequestedBy}: stops at its next safe point`);
      if (current.summary.waitingFor)
        lines.push(`waiting for: ${current.summary.waitingFor} until ${current.summary.nextAttemptAt}`);
    }
    if (this.queue.length) lines.push(`queued: ${this.queue.map((q) => q.summary.operationId).join(', ')}`);
    if (this.recovered) lines.push(describeRecovery(this.recovered));
    const meta = describeMetaFacts(this.meta);
    if (meta) lines.push(meta);
    return lines.join('\n\n');
  }

  snapshot(ledger: RequestLedger): LifecycleSnapshot {
    return {
      phoneNumberId: this.phoneNumberId,
      state: this.state(),
      registration: this.registration,
      verification: this.verification,
      pinSet: this.pinSet,
      ledger,
      currentOperation: this.current?.summary,
      queued: this.queue.map((q) => q.summary),
      recentOperations: this.recent,
      ...(this.recovered ? { recovered: this.recovered } : {}),
      ...(Object.keys(this.meta).length ? { meta: this.meta } : {}),
    };
  }

  /** What continue-as-new carries, with the (pruned) ledger. */
  carried(ledger: RequestLedger): CarriedLifecycleState {
    return {
      ledger,
      registration: this.registration,
      sequence: this.sequence,
      queue: this.queue,
      recent: this.recent,
      lastFailed: this.lastFailed,
      lastFailedOp: this.lastFailedOp,
      wabaId: this.wabaId,
      verification: this.verification,
      pinSet: this.pinSet,
      recovered: this.recovered,
      idempotencyKeys: this.idempotencyKeys,
      ...(Object.keys(this.meta).length ? { meta: this.meta } : {}),
    };
  }

  private remember(summary: OperationSummary): void {
    this.recent.unshift(summary);
    this.recent.splice(RECENT_OPERATIONS_KEPT);
  }
}

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
