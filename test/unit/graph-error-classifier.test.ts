// activities/graph-error-classifier.ts against the code table of the reference (graph-api-lifecycle.md §8.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyGraphError, parseWaitFromDetails } from '../../activities/graph-error-classifier';
import { GraphErrorType, type GraphErrorTypeName } from '../../domain/graph-errors';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const NOW = Date.parse('2026-03-01T12:00:00Z');
/** Deliberately not 72 h, so a test can tell the configured block from a constant. */
const BLOCK_MS = 71 * HOUR;

const mutation = { mutation: true, now: NOW, blockMs: BLOCK_MS };
const read = { mutation: false, now: NOW, blockMs: BLOCK_MS };

const {
  AccessTokenInvalid,
  Auth,
  Permission,
  InvalidRequest,
  PinMismatch,
  NotVerified,
  DisplayNameNotReady,
  IncompleteDeregistration,
  RegistrationRateLimited,
  WaitThenRetry,
  AccountLocked,
  PinLockedOut,
  PinTooFast,
  NotRegistered,
  Transient,
  UnknownOutcome,
  RequestCodeRefused,
  CodeRejected,
  Unexpected,
} = GraphErrorType;

interface Row {
  code: number;
  subcode?: number;
  /** Type for a register/deregister. */
  onMutation: GraphErrorTypeName;
  /** Type for a GET. */
  onRead: GraphErrorTypeName;
  /** Whether a read may be retried by Temporal (mutations never are). */
  readRetryable: boolean;
  /** retryAfterMs without details. */
  retryAfterMs?: number;
}

// Every code in §8.3, in the table's order. Same type for reads and mutations unless noted.
const same = (code: number, type: GraphErrorTypeName, readRetryable = false, retryAfterMs?: number): Row => ({
  code,
  onMutation: type,
  onRead: type,
  readRetryable,
  retryAfterMs,
});
const TABLE: Row[] = [
  // A token problem: fix or rotate the token, never retried (nothing the operation can change).
  same(0, AccessTokenInvalid),
  // "possible server error": a register/deregister may have happened, so read back first.
  { code: 1, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
  // Temporary unavailability: a register/deregister may have been applied anyway (issue 12).
  { code: 2, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
  same(3, Permission),
  same(4, Transient, true),
  same(102, Auth),
  same(104, Auth),
  same(10, Permission),
  same(12, InvalidRequest),
  same(17, Transient, true),
  same(32, Transient, true),
  same(613, Transient, true),
  same(341, Transient, true),
  same(33, InvalidRequest),
  same(100, InvalidRequest),
  { ...same(100, DisplayNameNotReady), subcode: 2388001 },
  same(190, AccessTokenInvalid),
  same(200, Permission),
  same(250, Permission),
  same(299, Permission),
  same(368, Permission),
  same(506, InvalidRequest),
  same(803, InvalidRequest),
  same(2500, InvalidRequest),
  same(80007, Transient, true),
  same(80008, Transient, true),
  same(130429, Transient, true),
  // "Something went wrong": a register/deregister may have happened anyway.
  { code: 131000, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
  same(131005, Permission),
  same(131008, InvalidRequest),
  same(131009, InvalidRequest),
  { code: 131016, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
  // "Account locked" first; the register activity reads the account before calling it a wrong PIN.
  same(131031, AccountLocked),
  // Not known to the classifier yet: what it does today (see the notes in the report).
  same(131045, InvalidRequest),
  { code: 131056, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
  { code: 131057, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
  same(133000, IncompleteDeregistration),
  { code: 133004, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
  same(133005, PinMismatch),
  same(133006, NotVerified),
  same(133008, PinLockedOut, false, HOUR),
  same(133009, PinTooFast, false, MINUTE),
  same(133010, NotRegistered),
  same(133015, WaitThenRetry, false, 5 * MINUTE),
  same(133016, RegistrationRateLimited, false, BLOCK_MS),
  // Not known to the classifier yet: what it does today.
  same(136024, RequestCodeRefused),
  same(136025, CodeRejected),
  { code: 2494100, onMutation: UnknownOutcome, onRead: Transient, readRetryable: true },
];

test('the table covers every code of reference §8.3', () => {
  const codes = new Set(TABLE.map((r) => r.code));
  const reference = [
    0, 1, 2, 3, 4, 10, 12, 17, 32, 613, 33, 100, 190, 200, 250, 299, 368, 80007, 80008, 130429, 131000,
    131005, 131008, 131009, 131016, 131031, 131045, 131056, 131057, 133000, 133004, 133005, 133006, 133008,
    133009, 133010, 133015, 133016, 136024, 136025, 2494100,
  ];
  assert.deepEqual(
    reference.filter((c) => !codes.has(c)),
    [],
  );
  assert.ok(TABLE.some((r) => r.code === 100 && r.subcode === 2388001));
});

for (const row of TABLE) {
  const label = row.subcode === undefined ? `${row.code}` : `${row.code}/${row.subcode}`;
  const facts = { code: row.code, subcode: row.subcode };

  test(`code ${label} on a mutation → ${row.onMutation}, not retryable`, () => {
    const c = classifyGraphError(facts, mutation);
    assert.equal(c.type, row.onMutation);
    assert.equal(c.retryable, false);
    assert.equal(c.retryAfterMs, row.retryAfterMs);
  });

  test(`code ${label} on a read → ${row.onRead}, ${row.readRetryable ? '' : 'not '}retryable`, () => {
    const c = classifyGraphError(facts, read);
    assert.equal(c.type, row.onRead);
    assert.equal(c.retryable, row.readRetryable);
    assert.equal(c.retryAfterMs, row.retryAfterMs);
  });
}

test('only transient types are ever retryable, and only on reads', () => {
  for (const row of TABLE) {
    const facts = { code: row.code, subcode: row.subcode };
    assert.equal(classifyGraphError(facts, mutation).retryable, false, `mutation ${row.code}`);
    const r = classifyGraphError(facts, read);
    if (r.retryable) assert.equal(r.type, Transient, `read ${row.code}`);
  }
});

test('the 200-299 permission range ends at its bounds', () => {
  assert.equal(classifyGraphError({ code: 199 }, mutation).type, Unexpected);
  assert.equal(classifyGraphError({ code: 300 }, mutation).type, Unexpected);
  assert.equal(classifyGraphError({ code: 201 }, read).type, Permission);
});

test('subcode 2388001 means "display name not ready" only with code 100', () => {
  assert.equal(classifyGraphError({ code: 100, subcode: 33 }, mutation).type, InvalidRequest);
  assert.equal(classifyGraphError({ code: 131009, subcode: 2388001 }, mutation).type, InvalidRequest);
  assert.equal(classifyGraphError({ code: 100, subcode: 2388001 }, read).type, DisplayNameNotReady);
});

test('an unknown code is GraphUnexpectedError, not retryable, even on a read', () => {
  for (const code of [42, 999999, -1]) {
    assert.deepEqual(classifyGraphError({ code }, read), { type: Unexpected, retryable: false });
  }
});

test('133016: retryAfterMs is the configured block, or what details say', () => {
  assert.equal(classifyGraphError({ code: 133016 }, mutation).retryAfterMs, BLOCK_MS);
  assert.equal(
    classifyGraphError({ code: 133016 }, { ...mutation, blockMs: 72 * HOUR }).retryAfterMs,
    72 * HOUR,
  );
  assert.equal(
    classifyGraphError({ code: 133016, details: 'Try again in 48 hours' }, mutation).retryAfterMs,
    48 * HOUR,
  );
});

test('133015: 5 minutes by default, details win when they say', () => {
  assert.equal(classifyGraphError({ code: 133015 }, mutation).retryAfterMs, 5 * MINUTE);
  assert.equal(
    classifyGraphError({ code: 133015, details: 'unrelated text' }, mutation).retryAfterMs,
    5 * MINUTE,
  );
  assert.equal(
    classifyGraphError({ code: 133015, details: 'Try again in 10 minutes' }, mutation).retryAfterMs,
    10 * MINUTE,
  );
});

test('133008/133009: the wait comes from details (relative text or ISO time)', () => {
  const c = classifyGraphError(
    { code: 133008, details: 'Too many attempts. Try again in 30 minutes.' },
    mutation,
  );
  assert.deepEqual(c, { type: PinLockedOut, retryable: false, retryAfterMs: 30 * MINUTE });
  assert.equal(
    classifyGraphError({ code: 133008, details: 'Try again in 2 hours' }, mutation).retryAfterMs,
    2 * HOUR,
  );
  assert.equal(
    classifyGraphError({ code: 133009, details: 'Please wait 45 seconds' }, mutation).retryAfterMs,
    45 * SECOND,
  );
  assert.equal(
    classifyGraphError({ code: 133009, details: 'Try again after 2026-03-01T13:15:00Z' }, mutation)
      .retryAfterMs,
    75 * MINUTE,
  );
  // Without a readable wait: our defaults (an hour locked out, a minute too fast).
  assert.equal(
    classifyGraphError({ code: 133009, details: 'PIN guessed too fast' }, mutation).retryAfterMs,
    MINUTE,
  );
  assert.equal(classifyGraphError({ code: 133008 }, mutation).retryAfterMs, HOUR);
});

test('transient codes carry a wait from details when there is one', () => {
  const r = classifyGraphError({ code: 133004, details: 'Try again in 2 minutes' }, read);
  assert.deepEqual(r, { type: Transient, retryable: true, retryAfterMs: 2 * MINUTE });
  const m = classifyGraphError({ code: 80007, details: 'Retry in 15 min' }, mutation);
  assert.deepEqual(m, { type: Transient, retryable: false, retryAfterMs: 15 * MINUTE });
});

test('throttling is a refusal in front of the endpoint: Transient even on a mutation, even at 5xx; a header wait wins', () => {
  const m = classifyGraphError({ code: 80007, httpStatus: 503, headerWaitMs: 7 * MINUTE }, mutation);
  assert.deepEqual(m, { type: Transient, retryable: false, retryAfterMs: 7 * MINUTE });
  const h = classifyGraphError({ code: 4, details: 'Try again in 2 minutes', headerWaitMs: MINUTE }, read);
  assert.deepEqual(h, { type: Transient, retryable: true, retryAfterMs: MINUTE });
});

test('is_transient or a 5xx: a mutation may have been applied (read back), a read retries; definite codes keep their meaning', () => {
  assert.equal(classifyGraphError({ code: 42, isTransient: true }, mutation).type, UnknownOutcome);
  assert.equal(classifyGraphError({ code: 42, httpStatus: 500 }, mutation).type, UnknownOutcome);
  assert.equal(classifyGraphError({ code: 42, httpStatus: 400 }, mutation).type, Unexpected);
  assert.deepEqual(classifyGraphError({ code: 42, isTransient: true }, read), {
    type: Transient,
    retryable: true,
  });
  // Meta's is_transient never turns a refusal into an unknown outcome.
  assert.equal(classifyGraphError({ code: 133005, isTransient: true }, mutation).type, PinMismatch);
  assert.equal(
    classifyGraphError({ code: 133000, httpStatus: 500 }, mutation).type,
    IncompleteDeregistration,
  );
  assert.equal(classifyGraphError({ code: 133016, httpStatus: 500 }, mutation).type, RegistrationRateLimited);
});

test('non-waiting codes ignore a wait in details', () => {
  const c = classifyGraphError({ code: 133005, details: 'Try again in 5 minutes' }, mutation);
  assert.deepEqual(c, { type: PinMismatch, retryable: false });
});

test('131000: UnknownOutcome for mutations, retryable Transient for reads', () => {
  assert.deepEqual(classifyGraphError({ code: 131000 }, mutation), {
    type: UnknownOutcome,
    retryable: false,
  });
  assert.deepEqual(classifyGraphError({ code: 131000 }, read), { type: Transient, retryable: true });
});

// parseWaitFromDetails

test('parseWaitFromDetails: seconds, minutes, hours and days, singular, plural and short', () => {
  const cases: [string, number][] = [
    ['Try again in 30 seconds', 30 * SECOND],
    ['after 1 second', SECOND],
    ['wait 20 sec', 20 * SECOND],
    ['wait 5 secs', 5 * SECOND],
    ['Try again in 30 minutes', 30 * MINUTE],
    ['Try again in 1 minute', MINUTE],
    ['in 5 mins', 5 * MINUTE],
    ['10min', 10 * MINUTE],
    ['Try again in 2 hours', 2 * HOUR],
    ['1 hour', HOUR],
    ['3 hrs', 3 * HOUR],
    ['1 day', 24 * HOUR],
    ['Try again in 3 days', 72 * HOUR],
    ['TRY AGAIN IN 30 MINUTES', 30 * MINUTE],
  ];
  for (const [details, ms] of cases) assert.equal(parseWaitFromDetails(details, NOW), ms, details);
});

test('parseWaitFromDetails: an ISO time is a wait until then; in the past or now → 0', () => {
  assert.equal(parseWaitFromDetails('Try again after 2026-03-01T13:00:00Z', NOW), HOUR);
  assert.equal(parseWaitFromDetails('at 2026-03-01T12:00:30.500Z', NOW), 30_500);
  assert.equal(parseWaitFromDetails('at 2026-03-01T12:05Z', NOW), 5 * MINUTE);
  assert.equal(parseWaitFromDetails('Try again after 2026-02-28T12:00:00Z', NOW), 0);
  assert.equal(parseWaitFromDetails('Try again after 2026-03-01T12:00:00Z', NOW), 0);
  // An ISO time wins over a relative wait in the same text.
  assert.equal(parseWaitFromDetails('in 5 minutes (at 2026-03-01T14:00:00Z)', NOW), 2 * HOUR);
});

test('parseWaitFromDetails: no number, no unit, or nothing → undefined', () => {
  for (const details of [
    undefined,
    '',
    'no number here',
    'Try again later',
    'error 133008 occurred',
    'wait 5 months',
    'wait 10 minutesx',
  ]) {
    assert.equal(parseWaitFromDetails(details, NOW), undefined, String(details));
  }
});

test('parseWaitFromDetails reads "Try again in 1.5 hours" as 1.5 hours', () => {
  assert.equal(parseWaitFromDetails('Try again in 1.5 hours', NOW), 1.5 * HOUR);
});
