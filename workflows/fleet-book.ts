// The fleet's book: every member's outcome, the numbers still to start, the requests still needed, and the
// rules on them (a member ends once, a cancel stops what has not started, a start that was refused fails its
// member, what continue-as-new carries). Plain state and methods, no Temporal calls: numberFleet wires the
// handlers, activities and loop around it, and unit tests drive it directly. Time comes in as an argument.
import {
  boundReason,
  emptyCounts,
  FINAL_FLEET_STATUSES,
  packOutcomes,
  unpackMember,
  unpackOutcomes,
  type FleetMember,
  type FleetNumberOutcome,
  type FleetNumberStatus,
  type FleetPhase,
  type FleetProgress,
  type FleetSpec,
  type PackedMembers,
  type PackedNumber,
  type PackedOutcomes,
} from '../domain/fleet';
import { OperationFailureType } from '../domain/failure-types';
import type { FleetStartResult } from '../activities/fleet-activities';
import type { FleetOperationFinished, ProgressDetail } from './fleet-messages';

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

/**
 * The fleet's end: its final progress (per-number outcomes packed, see packOutcomes; the client unpacks
 * them), and the requests of the numbers worth retrying (encrypted payload).
 */
export interface FleetResult {
  progress: FleetProgress;
  outcomes: PackedOutcomes;
  retry: PackedMembers;
}

export class FleetBook {
  readonly startedAt: string;
  phase: FleetPhase;
  cancelledBy: string | undefined;
  private shared: Record<string, unknown>;
  private pending: PackedNumber[];
  /** Requests we may still need (each number's own fields): started-not-finished and failed numbers. */
  private readonly open: Map<string, Record<string, unknown>>;
  private readonly outcomes: FleetNumberOutcome[];
  private readonly index: Map<string, number>;
  /**
   * How many members have each status, kept as statuses change: the fleet publishes its details after every
   * member's end, and counting 10,000 outcomes each time made a run's workflow tasks quadratic in its size.
   */
  private readonly counts = emptyCounts();

  constructor(
    readonly spec: FleetSpec,
    carried: CarriedFleetState | undefined,
    now: number,
  ) {
    this.startedAt = carried?.startedAt ?? new Date(now).toISOString();
    this.phase = carried?.phase ?? 'listing';
    this.cancelledBy = carried?.cancelledBy;
    this.shared = carried?.shared ?? {};
    this.pending = carried ? [...carried.pending] : [];
    this.open = new Map(carried?.open ?? []);
    this.outcomes = carried ? unpackOutcomes(carried.outcomes, spec.operation) : [];
    this.index = new Map(this.outcomes.map((o, i) => [o.phoneNumberId, i]));
    for (const o of this.outcomes) this.counts[o.status] += 1;
  }

  /** Members starting or running. */
  get inFlight(): number {
    return this.counts.starting + this.counts.running;
  }

  /** Every status change goes through here, so the counts stay true. */
  private setStatus(o: FleetNumberOutcome, status: FleetNumberStatus): void {
    this.counts[o.status] -= 1;
    this.counts[status] += 1;
    o.status = status;
  }

  /** The members of a fresh fleet (a cancel that came while listing stops them at once). */
  addMembers(packed: PackedMembers): void {
    this.shared = packed.shared;
    this.pending = packed.numbers;
    for (const [id] of this.pending) {
      this.index.set(id, this.outcomes.length);
      this.outcomes.push({ phoneNumberId: id, status: 'pending' });
    }
    this.counts.pending += this.pending.length;
    if (this.cancelledBy !== undefined) this.stopStarting();
    if (this.phase === 'listing') this.phase = 'running';
  }

  outcomeOf(id: string): FleetNumberOutcome | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.outcomes[i];
  }

  progress(detail: ProgressDetail, now: number): FleetProgress {
    const counts = { ...this.counts };
    const numbers =
      detail === 'all'
        ? this.outcomes
        : detail === 'problems'
          ? this.outcomes.filter((o) => o.status === 'failed' || o.status === 'not-started')
          : [];
    const { spec } = this;
    return {
      fleetId: spec.fleetId,
      operation: spec.operation,
      phase: this.phase,
      concurrency: spec.concurrency,
      total: this.outcomes.length,
      counts,
      numbers,
      requestedBy: spec.requestedBy,
      retryOf: spec.retryOf,
      wabaId: spec.source.kind === 'waba' ? spec.source.wabaId : undefined,
      startedAt: this.startedAt,
      finishedAt:
        this.phase === 'finished' || this.phase === 'cancelled' ? new Date(now).toISOString() : undefined,
    };
  }

  /** The workflow's current details in the Temporal UI (Markdown). */
  details(now: number): string {
    const p = this.progress('none', now);
    const c = p.counts;
    const done = c.completed + c['already-done'];
    return [
      `**${this.spec.operation} fleet ${this.spec.fleetId}: ${this.phase}**`,
      `${done} done, ${c.failed} failed, ${c.running + c.starting} running, ${c.pending} pending, ` +
        `${c['not-started']} not started, of ${p.total} (concurrency ${this.spec.concurrency})`,
      ...(this.cancelledBy !== undefined ? [`cancelled by ${this.cancelledBy || 'an operator'}`] : []),
    ].join('\n\n');
  }

  /** A member's end; a member ends once (later news is ignored). */
  private finish(id: string, { status, ...update }: Partial<FleetNumberOutcome>): void {
    const o = this.outcomeOf(id);
    if (!o || FINAL_FLEET_STATUSES.has(o.status)) return;
    Object.assign(o, update);
    if (status) this.setStatus(o, status);
    if (o.status !== 'failed' && o.status !== 'not-started') this.open.delete(id); // its secrets are no longer needed
  }

  /** Cancelled: what was not started never will be (its request is kept for a retry fleet). */
  private stopStarting(): void {
    for (const [id, own] of this.pending) {
      this.open.set(id, own);
      this.finish(id, {
        status: 'not-started',
        reason: `fleet cancelled by ${this.cancelledBy || 'an operator'}`,
      });
    }
    this.pending = [];
  }

  /** A member's operation ended (its lifecycle's signal, or reconciliation); news of another operation is ignored. */
  applyFinished(finished: FleetOperationFinished): boolean {
    const o = this.outcomeOf(finished.phoneNumberId);
    if (!o || (o.operationId && o.operationId !== finished.operationId)) return false;
    this.finish(finished.phoneNumberId, {
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
    return true;
  }

  /** Members whose operation runs, with its ID (to reconcile or cancel them). */
  running(): { phoneNumberId: string; operationId: string }[] {
    return this.outcomes
      .filter((o) => o.status === 'running' && o.operationId)
      .map((o) => ({ phoneNumberId: o.phoneNumberId, operationId: o.operationId! }));
  }

  /** A cancel: nothing more starts. Returns how many had not started, and how many ran when asked. */
  cancel(requestedBy: string | undefined): { notStarted: number; stillRunning: number } {
    this.cancelledBy = requestedBy ?? '';
    const notStarted = this.pending.length;
    const stillRunning = this.inFlight; // as it was when asked: cancelled ones may end before the answer
    this.stopStarting();
    if (this.phase === 'running' || this.phase === 'listing') this.phase = 'cancelling';
    return { notStarted, stillRunning };
  }

  canStartMore(): boolean {
    return this.pending.length > 0 && this.inFlight < this.spec.concurrency;
  }

  allDone(): boolean {
    return this.pending.length === 0 && this.inFlight === 0;
  }

  /** The next members to start, at most `max` and within the concurrency; they are marked starting. */
  takeBatch(max: number): FleetMember[] {
    const batch = this.pending.slice(0, Math.min(this.spec.concurrency - this.inFlight, max));
    this.pending = this.pending.slice(batch.length);
    for (const [id, own] of batch) {
      this.setStatus(this.outcomeOf(id)!, 'starting');
      this.open.set(id, own);
    }
    return batch.map((n) => unpackMember(this.shared, n));
  }

  /** What a start activity answered for a member: its operation runs, or the lifecycle refused it. */
  applyStart(result: FleetStartResult): void {
    const o = this.outcomeOf(result.phoneNumberId);
    if (!o) return;
    if (result.rejected !== undefined) {
      this.finish(result.phoneNumberId, {
        status: 'failed',
        reason: result.rejected,
        failureType: OperationFailureType.Rejected,
      });
      return;
    }
    // The lifecycle may already have signalled the end (a fast operation): keep that outcome.
    o.operationId ??= result.ticket?.operationId;
    if (o.status === 'starting') this.setStatus(o, 'running');
  }

  /** The fleet is over: finished, or cancelled. */
  close(): void {
    this.phase = this.cancelledBy !== undefined ? 'cancelled' : 'finished';
  }

  result(now: number): FleetResult {
    return {
      progress: this.progress('none', now),
      outcomes: packOutcomes(this.outcomes),
      retry: { shared: this.shared, numbers: [...this.open.entries()] },
    };
  }

  /** The next run's input: the numbers travel in `carried` only, the spec's own list is not repeated. */
  continueInput(): { spec: FleetSpec; carried: CarriedFleetState } {
    const { spec } = this;
    return {
      spec: {
        ...spec,
        source:
          spec.source.kind === 'list' ? { kind: 'list', members: { shared: {}, numbers: [] } } : spec.source,
      },
      carried: {
        shared: this.shared,
        pending: this.pending,
        open: [...this.open.entries()],
        outcomes: packOutcomes(this.outcomes),
        phase: this.phase,
        cancelledBy: this.cancelledBy,
        startedAt: this.startedAt,
      },
    };
  }
}
