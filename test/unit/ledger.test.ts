// domain/ledger.ts: Meta's moving 72-hour window, blocks, pruning and merging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyLedger,
  mergeLedgers,
  nextAllowedAt,
  pruneLedger,
  recordBlock,
  recordRequests,
  remainingBudget,
  requestsInWindow,
  type BudgetedEndpoint,
  type LedgerPolicy,
  type RequestLedger,
  recordPinLockout,
} from '../../domain/ledger';

const HOUR = 3_600_000;
const WINDOW = 72 * HOUR;
const MARGIN = 60_000;
const policy: LedgerPolicy = {
  windowMs: WINDOW,
  requestsPerWindow: 10,
  blockMs: 72 * HOUR,
  safetyMarginMs: MARGIN,
};
const T0 = Date.parse('2026-03-01T00:00:00Z');

/** A ledger with one `endpoint` request at each time. */
function ledgerWith(times: number[], endpoint: BudgetedEndpoint = 'register'): RequestLedger {
  return recordRequests(
    emptyLedger(),
    times.map((at, i) => ({ endpoint, at, operationId: `op-${i}` })),
  );
}
/** n requests one hour apart starting at T0. */
const hourly = (n: number) => Array.from({ length: n }, (_, i) => T0 + i * HOUR);

test('a request at t counts while now - t < window + safety margin, and no longer at exactly t + window + margin', () => {
  const ledger = ledgerWith([T0]);
  assert.deepEqual(requestsInWindow(ledger, 'register', T0, policy), [T0]);
  // Meta stops counting it at t + window; we keep counting it for the margin, in case Meta stamped it later.
  assert.deepEqual(requestsInWindow(ledger, 'register', T0 + WINDOW, policy), [T0]);
  assert.deepEqual(requestsInWindow(ledger, 'register', T0 + WINDOW + MARGIN - 1, policy), [T0]);
  assert.deepEqual(requestsInWindow(ledger, 'register', T0 + WINDOW + MARGIN, policy), []);
  assert.equal(remainingBudget(ledger, 'register', T0 + WINDOW + MARGIN - 1, policy), 9);
  assert.equal(remainingBudget(ledger, 'register', T0 + WINDOW + MARGIN, policy), 10);
});

test('requestsInWindow returns the times sorted, for one endpoint only', () => {
  const ledger = recordRequests(emptyLedger(), [
    { endpoint: 'register', at: T0 + 3 * HOUR },
    { endpoint: 'deregister', at: T0 + 2 * HOUR },
    { endpoint: 'register', at: T0 + HOUR },
  ]);
  assert.deepEqual(requestsInWindow(ledger, 'register', T0 + 4 * HOUR, policy), [T0 + HOUR, T0 + 3 * HOUR]);
  assert.deepEqual(requestsInWindow(ledger, 'deregister', T0 + 4 * HOUR, policy), [T0 + 2 * HOUR]);
});

test('an empty ledger allows a request now, with the full budget', () => {
  assert.equal(nextAllowedAt(emptyLedger(), 'register', T0, policy), T0);
  assert.equal(remainingBudget(emptyLedger(), 'deregister', T0, policy), 10);
});

test('9 requests in the window: allowed now, 1 left', () => {
  const ledger = ledgerWith(hourly(9));
  const now = T0 + 10 * HOUR;
  assert.equal(nextAllowedAt(ledger, 'register', now, policy), now);
  assert.equal(remainingBudget(ledger, 'register', now, policy), 1);
});

test('10 requests in the window: next slot = oldest + window + safety margin', () => {
  const ledger = ledgerWith(hourly(10));
  const now = T0 + 10 * HOUR;
  assert.equal(nextAllowedAt(ledger, 'register', now, policy), T0 + WINDOW + MARGIN);
  assert.equal(remainingBudget(ledger, 'register', now, policy), 0);
});

test('10 requests, order of recording does not matter', () => {
  const ledger = ledgerWith(hourly(10).reverse());
  assert.equal(nextAllowedAt(ledger, 'register', T0 + 10 * HOUR, policy), T0 + WINDOW + MARGIN);
});

test('at the returned slot, a request is allowed (the slot is stable)', () => {
  const ledger = ledgerWith(hourly(10));
  const slot = nextAllowedAt(ledger, 'register', T0 + 10 * HOUR, policy);
  assert.equal(nextAllowedAt(ledger, 'register', slot, policy), slot);
  assert.equal(remainingBudget(ledger, 'register', slot, policy), 1);
});

test('12 requests (more than the limit, e.g. after a merge): the slot is when 3 have left', () => {
  const ledger = ledgerWith(hourly(12));
  const now = T0 + 12 * HOUR;
  // 12 - 10 = 2 too many, so the 3rd oldest must leave before one more fits.
  assert.equal(nextAllowedAt(ledger, 'register', now, policy), T0 + 2 * HOUR + WINDOW + MARGIN);
  assert.equal(remainingBudget(ledger, 'register', now, policy), 0);
  // At that slot only 9 requests are still in the window.
  assert.equal(requestsInWindow(ledger, 'register', T0 + 2 * HOUR + WINDOW + MARGIN, policy).length, 9);
});

test('requests outside the window do not count toward the limit', () => {
  // 5 old requests (out of the window by now) + 9 recent ones.
  const old = [
    T0 - WINDOW - 5 * HOUR,
    T0 - WINDOW - 4 * HOUR,
    T0 - WINDOW - 3 * HOUR,
    T0 - WINDOW - 2 * HOUR,
    T0 - WINDOW,
  ];
  const ledger = ledgerWith([...old, ...hourly(9)]);
  const now = T0 + 9 * HOUR;
  assert.equal(nextAllowedAt(ledger, 'register', now, policy), now);
  assert.equal(remainingBudget(ledger, 'register', now, policy), 1);
});

test('register and deregister have separate budgets', () => {
  const ledger = ledgerWith(hourly(10), 'register');
  const now = T0 + 10 * HOUR;
  assert.equal(nextAllowedAt(ledger, 'register', now, policy), T0 + WINDOW + MARGIN);
  assert.equal(nextAllowedAt(ledger, 'deregister', now, policy), now);
  assert.equal(remainingBudget(ledger, 'deregister', now, policy), 10);

  const both = recordRequests(ledger, [{ endpoint: 'deregister', at: T0 }]);
  assert.equal(remainingBudget(both, 'deregister', now, policy), 9);
  assert.equal(remainingBudget(both, 'register', now, policy), 0);
});

test('a block in the future: next slot = blockedUntil + margin, budget 0', () => {
  const until = T0 + 72 * HOUR;
  const ledger = recordBlock(emptyLedger(), 'register', until);
  assert.equal(nextAllowedAt(ledger, 'register', T0, policy), until + MARGIN);
  assert.equal(remainingBudget(ledger, 'register', T0, policy), 0);
  assert.equal(remainingBudget(ledger, 'register', until - 1, policy), 0);
  // The other endpoint is not blocked.
  assert.equal(nextAllowedAt(ledger, 'deregister', T0, policy), T0);
  assert.equal(remainingBudget(ledger, 'deregister', T0, policy), 10);
});

test('a block in the past is ignored', () => {
  const ledger = recordBlock(ledgerWith(hourly(3)), 'register', T0 - HOUR);
  const now = T0 + 5 * HOUR;
  assert.equal(nextAllowedAt(ledger, 'register', now, policy), now);
  assert.equal(remainingBudget(ledger, 'register', now, policy), 7);
});

test('a block and a full window: the later of the two wins', () => {
  const now = T0 + 10 * HOUR;
  const windowSlot = T0 + WINDOW + MARGIN;
  // Block ends before the window frees up → the window's slot.
  const shortBlock = recordBlock(ledgerWith(hourly(10)), 'register', now + HOUR);
  assert.equal(nextAllowedAt(shortBlock, 'register', now, policy), windowSlot);
  // Block ends after → the block's end + margin.
  const longUntil = T0 + 100 * HOUR;
  const longBlock = recordBlock(ledgerWith(hourly(10)), 'register', longUntil);
  assert.equal(nextAllowedAt(longBlock, 'register', now, policy), longUntil + MARGIN);
});

test('a block whose end still sees a full window waits for the window too', () => {
  // 10 requests at T0+60h..T0+69h; a block until T0+80h. At T0+80h+margin all 10 still count.
  const times = Array.from({ length: 10 }, (_, i) => T0 + (60 + i) * HOUR);
  const ledger = recordBlock(ledgerWith(times), 'register', T0 + 80 * HOUR);
  assert.equal(nextAllowedAt(ledger, 'register', T0 + 70 * HOUR, policy), T0 + 60 * HOUR + WINDOW + MARGIN);
});

test('recordBlock keeps the later block', () => {
  let ledger = recordBlock(emptyLedger(), 'register', T0 + 10 * HOUR);
  ledger = recordBlock(ledger, 'register', T0 + 5 * HOUR);
  assert.equal(ledger.blockedUntil.register, T0 + 10 * HOUR);
  ledger = recordBlock(ledger, 'register', T0 + 20 * HOUR);
  assert.equal(ledger.blockedUntil.register, T0 + 20 * HOUR);
  assert.equal(ledger.blockedUntil.deregister, undefined);
});

test('ledger functions do not mutate their input', () => {
  const ledger = ledgerWith(hourly(2));
  const copy = structuredClone(ledger);
  recordBlock(ledger, 'register', T0 + HOUR);
  recordRequests(ledger, [{ endpoint: 'deregister', at: T0 }]);
  pruneLedger(ledger, T0 + 2 * WINDOW, policy);
  mergeLedgers(ledger, ledgerWith([T0 + 5 * HOUR]));
  assert.deepEqual(ledger, copy);
});

test('pruneLedger drops requests out of the window and expired blocks, keeps the live ones', () => {
  const now = T0 + WINDOW + HOUR;
  let ledger = ledgerWith([T0, T0 + HOUR, T0 + 2 * HOUR, now - 1]);
  ledger = recordRequests(ledger, [{ endpoint: 'deregister', at: T0 + 30 * HOUR }]);
  ledger = recordBlock(ledger, 'register', now - MARGIN); // ends (with the margin) exactly now: expired
  ledger = recordBlock(ledger, 'deregister', now + 1); // still live
  const pruned = pruneLedger(ledger, now, policy);
  // T0 is window + 1 h old (out); T0+1h is exactly window old, still inside the margin.
  assert.deepEqual(
    pruned.entries.map((e) => [e.endpoint, e.at]),
    [
      ['register', T0 + HOUR],
      ['register', T0 + 2 * HOUR],
      ['register', now - 1],
      ['deregister', T0 + 30 * HOUR],
    ],
  );
  assert.deepEqual(pruned.blockedUntil, { deregister: now + 1 });
  // Pruning changes no answer.
  for (const endpoint of ['register', 'deregister'] as const) {
    assert.equal(
      remainingBudget(pruned, endpoint, now, policy),
      remainingBudget(ledger, endpoint, now, policy),
    );
  }
});

test('mergeLedgers deduplicates identical entries and adds new ones', () => {
  const base = ledgerWith([T0, T0 + HOUR]);
  const update = recordRequests(base, [{ endpoint: 'register', at: T0 + 2 * HOUR, operationId: 'op-new' }]);
  const merged = mergeLedgers(base, update);
  assert.deepEqual(
    merged.entries.map((e) => e.at),
    [T0, T0 + HOUR, T0 + 2 * HOUR],
  );
  // Merging the same update again changes nothing.
  assert.deepEqual(mergeLedgers(merged, update), merged);
  assert.equal(remainingBudget(merged, 'register', T0 + 3 * HOUR, policy), 7);
});

test('mergeLedgers keeps entries that differ by endpoint or operation', () => {
  const base = recordRequests(emptyLedger(), [{ endpoint: 'register', at: T0, operationId: 'a' }]);
  const update = recordRequests(emptyLedger(), [
    { endpoint: 'deregister', at: T0, operationId: 'a' },
    { endpoint: 'register', at: T0, operationId: 'b' },
  ]);
  assert.equal(mergeLedgers(base, update).entries.length, 3);
});

test('mergeLedgers keeps the later block per endpoint', () => {
  let base = recordBlock(emptyLedger(), 'register', T0 + 10 * HOUR);
  base = recordBlock(base, 'deregister', T0 + 50 * HOUR);
  let update = recordBlock(emptyLedger(), 'register', T0 + 20 * HOUR);
  update = recordBlock(update, 'deregister', T0 + 30 * HOUR);
  const merged = mergeLedgers(base, update);
  assert.deepEqual(merged.blockedUntil, { register: T0 + 20 * HOUR, deregister: T0 + 50 * HOUR });
  // A block only in the update arrives too.
  assert.deepEqual(mergeLedgers(emptyLedger(), recordBlock(emptyLedger(), 'deregister', T0)).blockedUntil, {
    deregister: T0,
  });
});

test('nextAllowedAt keeps the safety margin when asked just after oldest + window (full window)', () => {
  // 10 requests, the oldest at T0. Asked an hour earlier, the slot is T0 + window + margin.
  const ledger = ledgerWith(hourly(10));
  assert.equal(nextAllowedAt(ledger, 'register', T0 + 10 * HOUR, policy), T0 + WINDOW + MARGIN);
  // Asked 1 s after T0 + window, still inside the margin, it answers "now" (T0 + window + 1 s).
  assert.equal(nextAllowedAt(ledger, 'register', T0 + WINDOW + 1000, policy), T0 + WINDOW + MARGIN);
});

test('nextAllowedAt keeps the safety margin when asked just after blockedUntil', () => {
  const until = T0 + 72 * HOUR;
  const ledger = recordBlock(emptyLedger(), 'register', until);
  assert.equal(nextAllowedAt(ledger, 'register', until - 1000, policy), until + MARGIN);
  // 1 s after the block's end, still inside the margin, it answers "now" (until + 1 s).
  assert.equal(nextAllowedAt(ledger, 'register', until + 1000, policy), until + MARGIN);
});

test('a PIN lockout (133008) holds back registers only, until it ends plus the margin; it survives pruning and merging', () => {
  const locked = recordPinLockout(emptyLedger(), T0 + HOUR);
  assert.equal(nextAllowedAt(locked, 'register', T0, policy), T0 + HOUR + MARGIN);
  assert.equal(nextAllowedAt(locked, 'deregister', T0, policy), T0);
  assert.equal(nextAllowedAt(locked, 'register', T0 + 2 * HOUR, policy), T0 + 2 * HOUR);
  assert.equal(
    recordPinLockout(locked, T0).pinLockedUntil,
    T0 + HOUR,
    'a shorter lockout does not shorten it',
  );
  assert.equal(pruneLedger(locked, T0, policy).pinLockedUntil, T0 + HOUR);
  assert.equal(pruneLedger(locked, T0 + 2 * HOUR, policy).pinLockedUntil, undefined);
  assert.equal(mergeLedgers(emptyLedger(), locked).pinLockedUntil, T0 + HOUR);
});
