// A fleet runs one kind of operation over many numbers, each through that number's own lifecycle workflow
// (so serialization and the request ledger hold), at most `concurrency` at a time.
import { boundText, lazySchema } from './validation';
import { z } from 'zod';
import type { OperationKind, OperationRequest } from './operations';
import { operationWorkflowId } from './phone-number';

/** Fleet IDs are chosen by callers (or generated): they appear in the workflow ID fleet:{id}. */
export const fleetIdSchema = lazySchema(() =>
  z
    .string({ error: 'is required' })
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
      'must be 1-100 letters, digits, dots, hyphens or underscores',
    ),
);

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
  | { kind: 'list'; members: PackedMembers }
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

/**
 * A fleet's requests with what every number shares stored once: 5,000 migrate requests repeat the same
 * credentials and backup password, and unpacked they would pass Temporal's 2 MB payload limit.
 * Fields are flattened one level (`onPrem.url`); `numbers` holds each number's own fields.
 */
export interface PackedMembers {
  shared: Record<string, unknown>;
  numbers: PackedNumber[];
}
export type PackedNumber = [phoneNumberId: string, own: Record<string, unknown>];

function flatten(request: object): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, v] of Object.entries(value)) flat[`${key}.${inner}`] = v;
    } else if (value !== undefined) flat[key] = value;
  }
  return flat;
}

function unflatten(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    const dot = path.indexOf('.');
    if (dot < 0) out[path] = value;
    else {
      const key = path.slice(0, dot);
      out[key] = { ...(out[key] as object | undefined), [path.slice(dot + 1)]: value };
    }
  }
  return out;
}

export function packMembers(members: FleetMember[]): PackedMembers {
  const flats = members.map((m) => flatten(m.request));
  const shared: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flats[0] ?? {})) {
    const text = JSON.stringify(value);
    if (flats.every((f) => path in f && JSON.stringify(f[path]) === text)) shared[path] = value;
  }
  return {
    shared,
    numbers: members.map((m, i) => {
      const own = Object.fromEntries(Object.entries(flats[i]!).filter(([path]) => !(path in shared)));
      return [m.phoneNumberId, own];
    }),
  };
}

export function unpackMember(
  shared: Record<string, unknown>,
  [phoneNumberId, own]: PackedNumber,
): FleetMember {
  return { phoneNumberId, request: unflatten({ ...shared, ...own }) as FleetMember['request'] };
}

export function unpackMembers(packed: PackedMembers): FleetMember[] {
  return packed.numbers.map((n) => unpackMember(packed.shared, n));
}

/** An outcome as a fleet carries it across continue-as-new: [id, status, operation sequence, reason, type]. */
export type CompactOutcome = [string, FleetNumberStatus, number?, string?, string?];

/**
 * Outcomes as a fleet carries them (continue-as-new, its result): tuples whose reason is an index into a
 * table of distinct reasons, each bounded, with the number's own ID taken out. Thousands of numbers that
 * fail with one of Meta's long messages then cost one copy of it, not thousands: a 10,000-number fleet stays
 * far below Temporal's 2 MB payload limit.
 */
export interface PackedOutcomes {
  reasons: string[];
  outcomes: [string, FleetNumberStatus, number?, number?, string?][];
}

/** Longest reason a fleet keeps per number (the number's lifecycle keeps the whole failure). */
export const MAX_FLEET_REASON = 300;
const ID_TOKEN = '{phoneNumberId}';

export function packOutcomes(outcomes: FleetNumberOutcome[]): PackedOutcomes {
  const reasons: string[] = [];
  const index = new Map<string, number>();
  const packed = outcomes.map((o) => {
    const [id, status, seq, reason, type] = compactOutcome(o);
    let at: number | undefined;
    if (reason !== undefined) {
      // The ID as a whole number only (never the digits inside 133005).
      const generic = boundReason(reason).replace(new RegExp(`(?<![0-9])${id}(?![0-9])`, 'g'), ID_TOKEN);
      at = index.get(generic);
      if (at === undefined) index.set(generic, (at = reasons.push(generic) - 1));
    }
    const tuple: PackedOutcomes['outcomes'][number] = [id, status, seq, at, type];
    while (tuple.length > 2 && tuple[tuple.length - 1] === undefined) tuple.pop();
    return tuple;
  });
  return { reasons, outcomes: packed };
}

export function unpackOutcomes(packed: PackedOutcomes, operation: string): FleetNumberOutcome[] {
  return packed.outcomes.map(([id, status, seq, at, type]) =>
    expandOutcome(
      [
        id,
        status,
        seq ?? undefined,
        at !== undefined && at !== null ? packed.reasons[at]!.split(ID_TOKEN).join(id) : undefined,
        type,
      ],
      operation,
    ),
  );
}

export function boundReason(reason: string): string {
  return boundText(reason, MAX_FLEET_REASON);
}

export function compactOutcome(o: FleetNumberOutcome): CompactOutcome {
  const seq = o.operationId ? Number(o.operationId.slice(o.operationId.lastIndexOf(':') + 1)) : undefined;
  const tuple: CompactOutcome = [o.phoneNumberId, o.status, seq, o.reason, o.failureType];
  while (tuple.length > 2 && tuple[tuple.length - 1] === undefined) tuple.pop();
  return tuple;
}

export function expandOutcome(c: CompactOutcome, operation: string): FleetNumberOutcome {
  const [phoneNumberId, status, seq, reason, failureType] = c;
  return {
    phoneNumberId,
    status,
    ...(seq !== undefined && seq !== null
      ? { operationId: operationWorkflowId(phoneNumberId, operation, seq) }
      : {}),
    ...(reason ? { reason } : {}),
    ...(failureType ? { failureType } : {}),
  };
}
