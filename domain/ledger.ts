// The per-number request ledger: which register/deregister requests we sent in the moving window,
// and any block Meta told us about (133016). Pure functions over plain data so the same code runs in
// workflows (deterministic), in the client (rendering status) and in unit tests. Times are epoch ms.
import { z } from 'zod';
import { lazySchema } from './validation';

export const BUDGETED_ENDPOINTS = ['register', 'deregister'] as const;
export type BudgetedEndpoint = (typeof BUDGETED_ENDPOINTS)[number];

export interface LedgerPolicy {
  /** Length of Meta's moving window (72 h). */
  windowMs: number;
  /** Requests allowed per endpoint inside the window (10). */
  requestsPerWindow: number;
  /** How long Meta blocks an endpoint after the request that got 133016 (72 h). */
  blockMs: number;
  /**
   * Extra wait on top of every computed slot: Meta stamps a request a little later than we do (network,
   * clocks), so a request sent exactly at the edge could still be counted in the old window.
   */
  safetyMarginMs: number;
}

export const ledgerEntrySchema = lazySchema(() =>
  z.object({
    endpoint: z.enum(BUDGETED_ENDPOINTS),
    at: z.number(),
    /** The operation that sent it, for the audit trail in getState. */
    operationId: z.string().optional(),
    /**
     * Sent (its activity scheduled), answer not observed yet. It counts as sent at every moment until it is
     * stamped with the time its answer (or failure, or timeout) was observed: Meta may receive it any time.
     */
    inFlight: z.boolean().optional(),
  }),
);
export type LedgerEntry = z.infer<ReturnType<typeof ledgerEntrySchema>>;

export const requestLedgerSchema = lazySchema(() =>
  z.object({
    entries: z.array(ledgerEntrySchema()),
    blockedUntil: z.object({ register: z.number().optional(), deregister: z.number().optional() }),
    /** 133008: Meta locked two-step PIN entry (so any register) until then. */
    pinLockedUntil: z.number().optional(),
  }),
);
export type RequestLedger = z.infer<ReturnType<typeof requestLedgerSchema>>;

export function emptyLedger(): RequestLedger {
  return { entries: [], blockedUntil: {} };
}

/**
 * A request at `at` counts at `now` while now - at < window (Meta's moving window), and for the safety
 * margin beyond it: Meta may have stamped it a little later than we did.
 */
function inWindow(entryAt: number, now: number, policy: LedgerPolicy): boolean {
  return now - entryAt < policy.windowMs + policy.safetyMarginMs;
}

/** A known block, extended by the safety margin; undefined when over. */
function blockEnd(ledger: RequestLedger, endpoint: BudgetedEndpoint, now: number, policy: LedgerPolicy) {
  const until = ledger.blockedUntil[endpoint];
  return until !== undefined && until + policy.safetyMarginMs > now
    ? until + policy.safetyMarginMs
    : undefined;
}

/** When an entry counts from: its stamp, or (in flight) any moment up to now. */
const countsFrom = (e: LedgerEntry, now: number) => (e.inFlight ? Math.max(e.at, now) : e.at);

export function requestsInWindow(
  ledger: RequestLedger,
  endpoint: BudgetedEndpoint,
  now: number,
  policy: LedgerPolicy,
): number[] {
  return ledger.entries
    .filter((e) => e.endpoint === endpoint && inWindow(countsFrom(e, now), now, policy))
    .map((e) => countsFrom(e, now))
    .sort((a, b) => a - b);
}

/**
 * The earliest time (>= now) at which a request to `endpoint` would be accepted: after any known block,
 * and once the window holds fewer than `requestsPerWindow` requests.
 */
export function nextAllowedAt(
  ledger: RequestLedger,
  endpoint: BudgetedEndpoint,
  now: number,
  policy: LedgerPolicy,
): number {
  let at = blockEnd(ledger, endpoint, now, policy) ?? now;
  if (endpoint === 'register') at = Math.max(at, pinLockEnd(ledger, now, policy) ?? now);
  const times = requestsInWindow(ledger, endpoint, at, policy);
  const excess = times.length - policy.requestsPerWindow;
  if (excess >= 0) {
    // The (excess+1)-th oldest request must leave the window (and the margin) before one more fits.
    at = Math.max(at, times[excess]! + policy.windowMs + policy.safetyMarginMs);
  }
  return at;
}

/** Requests left for `endpoint` right now (0 while blocked). */
export function remainingBudget(
  ledger: RequestLedger,
  endpoint: BudgetedEndpoint,
  now: number,
  policy: LedgerPolicy,
): number {
  if (blockEnd(ledger, endpoint, now, policy) !== undefined) return 0;
  return Math.max(0, policy.requestsPerWindow - requestsInWindow(ledger, endpoint, now, policy).length);
}

export function recordRequests(ledger: RequestLedger, entries: readonly LedgerEntry[]): RequestLedger {
  return { ...ledger, entries: [...ledger.entries, ...entries] };
}

/**
 * The request in flight (there is one at a time: the lifecycle sends one by one) was answered, failed or
 * timed out, observed at `observedAt`: that is its stamp, a time Meta cannot have counted it after.
 * `sent: false` (its activity never started) removes it: Meta never saw it.
 */
export function settleInFlight(
  ledger: RequestLedger,
  outcome: { observedAt: number; sent: boolean },
): RequestLedger {
  const entries = ledger.entries.flatMap((e) => {
    if (!e.inFlight) return [e];
    if (!outcome.sent) return [];
    const { inFlight: _, ...settled } = e;
    return [{ ...settled, at: outcome.observedAt }];
  });
  return { ...ledger, entries };
}

/** A known PIN lockout (133008), extended by the safety margin; undefined when over. */
export function pinLockEnd(ledger: RequestLedger, now: number, policy: LedgerPolicy): number | undefined {
  const until = ledger.pinLockedUntil;
  return until !== undefined && until + policy.safetyMarginMs > now
    ? until + policy.safetyMarginMs
    : undefined;
}

export function recordPinLockout(ledger: RequestLedger, until: number): RequestLedger {
  return { ...ledger, pinLockedUntil: Math.max(ledger.pinLockedUntil ?? 0, until) };
}

export function recordBlock(ledger: RequestLedger, endpoint: BudgetedEndpoint, until: number): RequestLedger {
  const current = ledger.blockedUntil[endpoint] ?? 0;
  return { ...ledger, blockedUntil: { ...ledger.blockedUntil, [endpoint]: Math.max(current, until) } };
}

/** Drops what can no longer matter, so the ledger stays small across continue-as-new. */
export function pruneLedger(ledger: RequestLedger, now: number, policy: LedgerPolicy): RequestLedger {
  const blockedUntil: RequestLedger['blockedUntil'] = {};
  for (const endpoint of BUDGETED_ENDPOINTS) {
    if (blockEnd(ledger, endpoint, now, policy) !== undefined)
      blockedUntil[endpoint] = ledger.blockedUntil[endpoint];
  }
  const pinLock =
    pinLockEnd(ledger, now, policy) !== undefined ? { pinLockedUntil: ledger.pinLockedUntil } : {};
  return {
    entries: ledger.entries.filter((e) => inWindow(countsFrom(e, now), now, policy)),
    blockedUntil,
    ...pinLock,
  };
}

/** Merges two ledgers (a recovered one into the current one; entries are deduplicated). */
export function mergeLedgers(base: RequestLedger, update: RequestLedger): RequestLedger {
  const key = (e: LedgerEntry) => `${e.endpoint}@${e.at}@${e.operationId ?? ''}`;
  const seen = new Set(base.entries.map(key));
  let merged = recordRequests(
    base,
    update.entries.filter((e) => !seen.has(key(e))),
  );
  for (const endpoint of BUDGETED_ENDPOINTS) {
    const until = update.blockedUntil[endpoint];
    if (until !== undefined) merged = recordBlock(merged, endpoint, until);
  }
  if (update.pinLockedUntil !== undefined) merged = recordPinLockout(merged, update.pinLockedUntil);
  return merged;
}
