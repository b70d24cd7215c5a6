// LifecycleBook, the lifecycle's queue and bookkeeping rules, driven directly (no Temporal): joining,
// refusing, idempotency keys, how an operation's end is recorded, recovery of a predecessor's open operation
// and what continue-as-new carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyLedger } from '../../domain/ledger';
import {
  operationRequestSchema,
  type OperationReport,
  type OperationRequestInput,
} from '../../domain/operations';
import { InputError } from '../../domain/validation';
import { LifecycleBook, IDEMPOTENCY_KEYS_KEPT, IDEMPOTENCY_WINDOW_MS } from '../../workflows/lifecycle-book';
import type { RecoveredRun } from '../../workflows/messages';

const T0 = Date.parse('2026-12-05T00:00:00Z');
const req = (input: OperationRequestInput) => operationRequestSchema().parse(input);
const register = req({ operation: 'register', pin: '123456' });
const deregister = req({ operation: 'deregister' });
/** How an operation ended, as runOperation reports it (only the fields the book reads matter). */
const ended = (r: Partial<OperationReport>) =>
  ({ operationId: 'x', ledger: emptyLedger(), registration: 'unknown', ...r }) as OperationReport;

function fakePins(waiting = false) {
  const given: string[] = [];
  return { waiting, given, provide: (pin: string) => void given.push(pin) };
}

const newBook = (pins = fakePins()) => new LifecycleBook('4477', undefined, pins);

test('operations get sequential IDs; messages go to the lifecycle, or to the child run of verify', () => {
  const book = newBook();
  const a = book.enqueue(register, T0);
  const b = book.enqueue(req({ operation: 'verify' }), T0);
  assert.deepEqual(a, {
    operationId: 'phone-number:4477:register:1',
    workflowId: 'phone-number:4477',
    operation: 'register',
    joined: false,
    position: 0,
  });
  assert.equal(b.workflowId, 'phone-number:4477:verify:2');
  assert.equal(b.position, 1);
  assert.equal(book.startNext().summary.status, 'running');
  assert.equal(book.ticket(book.queue[0]!, false).position, 1, 'behind the running one');
});

test('an identical request joins the last one in line, unless that one is being cancelled', () => {
  const book = newBook();
  book.enqueue(register, T0);
  const joined = book.enqueue(register, T0);
  assert.equal(joined.joined, true);
  assert.equal(book.queue.length, 1);
  book.startNext();
  assert.ok(book.markCancelRequested('ops'));
  assert.equal(book.markCancelRequested('ops again'), false, 'already being cancelled');
  assert.equal(book.enqueue(register, T0).joined, false, 'a cancelled operation is not joined');
});

test('a fleet that joins an operation is told when it ends, once', () => {
  const book = newBook();
  book.enqueue(register, T0, { origin: { fleetWorkflowId: 'fleet:a' } });
  book.enqueue(register, T0, { origin: { fleetWorkflowId: 'fleet:a' } });
  book.enqueue(register, T0, { origin: { fleetWorkflowId: 'fleet:b' } });
  assert.deepEqual(book.queue[0]!.notify, ['fleet:a', 'fleet:b']);
});

test('deregister is refused while the number is, or will be, not registered', () => {
  const book = newBook();
  book.learn({ registration: 'not-registered' });
  assert.throws(() => book.checkAllowed(deregister), InputError);
  book.enqueue(register, T0);
  assert.doesNotThrow(() => book.checkAllowed(deregister), 'a register is queued first');
  book.enqueue(deregister, T0);
  assert.doesNotThrow(() => book.checkAllowed(deregister), 'joins the queued deregister');
  book.enqueue(req({ operation: 'set-pin', pin: '111111' }), T0);
  assert.throws(
    () => book.checkAllowed(deregister),
    /deregister is not allowed: the number is not registered/,
  );
});

test('the same command with another PIN corrects the running operation that waits for one', () => {
  const pins = fakePins(true);
  const book = newBook(pins);
  book.enqueue(req({ operation: 'change-region', region: 'DE', pin: '111111' }), T0);
  book.startNext();
  const again = req({ operation: 'change-region', region: 'DE', pin: '222222' });
  assert.doesNotThrow(() => book.checkAllowed(again));
  const ticket = book.enqueue(again, T0);
  assert.equal(ticket.joined, true);
  assert.deepEqual(pins.given, ['222222']);
  assert.equal((book.current!.request as { pin: string }).pin, '222222', 'a successor resends this one');
  assert.equal(book.openOperation()?.waitingForPin, true);
  const other = req({ operation: 'change-region', region: 'IN', pin: '333333' });
  assert.equal(book.enqueue(other, T0).joined, false, 'another region is another operation');
});

test('idempotency keys: remembered for 24 hours, at most 200', () => {
  const book = newBook();
  const ticket = book.enqueue(register, T0);
  book.rememberKey('k-1', ticket, T0);
  assert.deepEqual(book.ticketForKey('k-1'), ticket);
  assert.equal(book.ticketForKey(undefined), undefined);
  book.rememberKey('k-2', ticket, T0 + IDEMPOTENCY_WINDOW_MS);
  assert.equal(book.ticketForKey('k-1'), undefined, 'forgotten after the window');
  for (let i = 0; i < IDEMPOTENCY_KEYS_KEPT + 5; i++)
    book.rememberKey(`many-${i}`, ticket, T0 + IDEMPOTENCY_WINDOW_MS);
  assert.equal(book.idempotencyKeys.length, IDEMPOTENCY_KEYS_KEPT);
  assert.ok(book.ticketForKey(`many-${IDEMPOTENCY_KEYS_KEPT + 4}`), 'the newest are kept');
});

test('how an operation ended: a failure marks the number failed and is the retry target; a cancel only the target', () => {
  const book = newBook();
  book.enqueue(register, T0);
  book.startNext();
  book.finishCurrent(
    ended({ outcome: undefined, failure: { type: 'GraphPinMismatch', message: 'wrong PIN' } }),
    T0,
  );
  assert.equal(book.state(), 'failed');
  assert.equal(book.lastFailedOp?.operationId, 'phone-number:4477:register:1');
  assert.deepEqual(book.retryRequest({ pin: '654321' }), { ...register, pin: '654321' });

  book.enqueue(register, T0);
  book.startNext();
  book.finishCurrent(ended({ outcome: undefined, failure: { type: 'Cancelled', message: 'stop' } }), T0);
  assert.equal(book.lastFailed, false, 'a cancel leaves the number as it was');
  assert.equal(book.lastFailedOp?.operationId, 'phone-number:4477:register:2');

  book.enqueue(register, T0);
  book.startNext();
  book.learn({ registration: 'registered' });
  book.finishCurrent(ended({ outcome: 'completed' }), T0 + 1000);
  assert.equal(book.lastFailedOp, undefined, 'the same kind succeeded');
  assert.equal(book.state(), 'registered');
  assert.deepEqual(
    book.recent.map((s) => s.status),
    ['completed', 'failed', 'failed'],
  );
  assert.throws(() => book.retryRequest({}), /nothing to retry/);
});

test('a retry with a PIN of an operation that takes none is refused', () => {
  const book = newBook();
  book.enqueue(deregister, T0);
  book.startNext();
  book.finishCurrent(ended({ failure: { type: 'GraphTransient', message: 'x' } }), T0);
  assert.throws(() => book.retryRequest({ pin: '123456' }), /the deregister operation takes no PIN/);
});

test('a queued operation dropped by a cancel is recorded as cancelled before it started', () => {
  const book = newBook();
  book.enqueue(register, T0);
  const second = book.enqueue(req({ operation: 'set-pin', pin: '111111' }), T0);
  book.startNext();
  const target = book.cancelTarget(second.operationId)!;
  book.dropQueued(target, 'ops', T0);
  assert.equal(book.queue.length, 0);
  assert.deepEqual(book.recent[0]!.failure, {
    type: 'Cancelled',
    message: 'cancelled by ops before it started',
  });
  assert.throws(() => book.checkCancel('phone-number:4477:set-pin:9'), /is not queued or running/);
});

const predecessor = (open?: RecoveredRun['open']): RecoveredRun => ({
  runId: 'run-1',
  status: 'TERMINATED',
  closedAt: new Date(T0).toISOString(),
  ledger: emptyLedger(),
  requests: 1,
  inFlight: 0,
  sequence: 7,
  ...(open ? { open } : {}),
});

test('a predecessor’s open operation is resumed first, continuing its sequence', () => {
  const book = newBook();
  book.enqueue(register, T0);
  const request = req({ operation: 'change-region', region: 'DE', pin: '111111' });
  book.adoptRecovered(predecessor({ operationId: 'phone-number:4477:change-region:7', request }), T0);
  assert.equal(book.queue[0]!.summary.operationId, 'phone-number:4477:change-region:8');
  assert.equal(book.queue[0]!.summary.retryOf, 'phone-number:4477:change-region:7');
  assert.equal(book.recovered?.interrupted?.resumedAs, 'phone-number:4477:change-region:8');
  assert.ok(book.resumedOperation());
  assert.match(book.details(), /resumed as phone-number:4477:change-region:8/);
});

test('one that waited for a corrected PIN is recorded as Interrupted, never resumed', () => {
  const book = newBook();
  const request = req({
    operation: 'migrate',
    pin: '111111',
    backupPassword: 'pw-123456',
    onPrem: { url: 'http://127.0.0.1:9', username: 'a', password: 'b' },
  });
  book.adoptRecovered(
    predecessor({ operationId: 'phone-number:4477:migrate:7', request, waitingForPin: true }),
    T0,
  );
  assert.equal(book.queue.length, 0);
  assert.equal(book.recent[0]!.failure?.type, 'Interrupted');
  assert.equal(book.registration, 'not-registered');
  assert.equal(book.state(), 'failed');
  assert.equal(book.lastFailedOp?.operationId, 'phone-number:4477:migrate:7');
});

test('continue-as-new carries everything: a book built from it shows the same snapshot', () => {
  const book = newBook();
  book.enqueue(register, T0, { origin: { fleetWorkflowId: 'fleet:a' } });
  book.rememberKey('k', book.ticket(book.queue[0]!, false), T0);
  book.enqueue(deregister, T0);
  book.startNext();
  book.learn({ registration: 'registered', verification: 'verified', pinSet: true });
  const next = new LifecycleBook('4477', book.carried(emptyLedger()), fakePins());
  // The running operation is not carried (the run only continues as new when idle): compare the rest.
  const { currentOperation: _running, ...before } = book.snapshot(emptyLedger());
  const { currentOperation: none, ...after } = next.snapshot(emptyLedger());
  assert.equal(none, undefined);
  assert.deepEqual(after, { ...before, state: 'registered' });
  assert.ok(next.ticketForKey('k'));
  assert.equal(next.sequence, 2);
});
