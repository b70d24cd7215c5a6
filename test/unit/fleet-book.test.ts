// FleetBook, the fleet's bookkeeping rules, driven directly (no Temporal): batches within the concurrency, a
// member ends once, a refused start fails its member, a cancel stops what has not started and keeps its
// request for a retry fleet, and continue-as-new carries everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packMembers, type FleetMember, type FleetSpec } from '../../domain/fleet';
import { FleetBook } from '../../workflows/fleet-book';

const T0 = Date.parse('2026-12-05T00:00:00Z');
const ids = ['101', '102', '103', '104', '105'];
const members: FleetMember[] = ids.map((phoneNumberId) => ({
  phoneNumberId,
  request: { operation: 'register', pin: '123456' },
}));
const spec = (concurrency = 2): FleetSpec => ({
  fleetId: 'f1',
  operation: 'register',
  source: { kind: 'list', members: packMembers(members) },
  concurrency,
});
const ticket = (phoneNumberId: string, n: number) => ({
  operationId: `phone-number:${phoneNumberId}:register:${n}`,
  workflowId: `phone-number:${phoneNumberId}`,
  operation: 'register' as const,
  joined: false,
  position: 0,
});

function started(concurrency = 2): FleetBook {
  const book = new FleetBook(spec(concurrency), undefined, T0);
  book.addMembers(packMembers(members));
  return book;
}

test('members start in batches within the concurrency, and each is running once its lifecycle took it', () => {
  const book = started(2);
  assert.equal(book.phase, 'running');
  const batch = book.takeBatch(100);
  assert.deepEqual(
    batch.map((m) => m.phoneNumberId),
    ['101', '102'],
  );
  assert.deepEqual(batch[0]!.request, members[0]!.request, 'the request is rebuilt from the packed form');
  assert.equal(book.canStartMore(), false, 'two in flight');
  book.applyStart({ phoneNumberId: '101', ticket: ticket('101', 1) });
  book.applyStart({ phoneNumberId: '102', rejected: 'deregister is not allowed' });
  assert.equal(book.outcomeOf('101')?.status, 'running');
  assert.deepEqual(book.outcomeOf('102'), {
    phoneNumberId: '102',
    status: 'failed',
    reason: 'deregister is not allowed',
    failureType: 'Rejected',
  });
  assert.equal(book.canStartMore(), true);
  assert.deepEqual(book.running(), [{ phoneNumberId: '101', operationId: 'phone-number:101:register:1' }]);
});

test('a member ends once; news of another operation on the number is ignored', () => {
  const book = started(5);
  book.takeBatch(100);
  book.applyStart({ phoneNumberId: '101', ticket: ticket('101', 1) });
  assert.equal(
    book.applyFinished({
      phoneNumberId: '101',
      operationId: 'phone-number:101:register:9',
      status: 'completed',
    }),
    false,
  );
  assert.ok(
    book.applyFinished({
      phoneNumberId: '101',
      operationId: 'phone-number:101:register:1',
      status: 'completed',
      outcome: 'already-done',
    }),
  );
  book.applyFinished({
    phoneNumberId: '101',
    operationId: 'phone-number:101:register:1',
    status: 'failed',
    failure: { type: 'GraphTransient', message: 'late news' },
  });
  assert.equal(book.outcomeOf('101')?.status, 'already-done');
  assert.equal(book.inFlight, 4);
});

test('a fast operation that ended before its start was acknowledged keeps its outcome', () => {
  const book = started(5);
  book.takeBatch(100);
  book.applyFinished({
    phoneNumberId: '103',
    operationId: 'phone-number:103:register:1',
    status: 'completed',
  });
  book.applyStart({ phoneNumberId: '103', ticket: ticket('103', 1) });
  assert.equal(book.outcomeOf('103')?.status, 'completed');
});

test('a cancel stops what has not started, keeps those requests for a retry fleet, and lets the running end', () => {
  const book = started(2);
  book.takeBatch(100);
  book.applyStart({ phoneNumberId: '101', ticket: ticket('101', 1) });
  book.applyStart({ phoneNumberId: '102', ticket: ticket('102', 1) });
  assert.deepEqual(book.cancel('ops'), { notStarted: 3, stillRunning: 2 });
  assert.equal(book.phase, 'cancelling');
  assert.equal(book.canStartMore(), false);
  assert.equal(book.outcomeOf('105')?.reason, 'fleet cancelled by ops');
  book.applyFinished({
    phoneNumberId: '101',
    operationId: 'phone-number:101:register:1',
    status: 'completed',
  });
  book.applyFinished({
    phoneNumberId: '102',
    operationId: 'phone-number:102:register:1',
    status: 'failed',
    failure: { type: 'GraphPinMismatch', message: 'wrong PIN' },
  });
  assert.ok(book.allDone());
  book.close();
  const result = book.result(T0 + 1000);
  assert.equal(result.progress.phase, 'cancelled');
  assert.deepEqual(result.progress.counts, {
    pending: 0,
    starting: 0,
    running: 0,
    completed: 1,
    'already-done': 0,
    failed: 1,
    'not-started': 3,
  });
  assert.deepEqual(
    result.retry.numbers.map(([id]) => id).sort(),
    ['102', '103', '104', '105'],
    'the failed and the never started, not the completed',
  );
});

test('continue-as-new carries the fleet: the next run picks up where this one stands', () => {
  const book = started(2);
  book.takeBatch(100);
  book.applyStart({ phoneNumberId: '101', ticket: ticket('101', 1) });
  book.applyStart({ phoneNumberId: '102', ticket: ticket('102', 1) });
  const { spec: nextSpec, carried } = book.continueInput();
  assert.deepEqual(
    nextSpec.source,
    { kind: 'list', members: { shared: {}, numbers: [] } },
    'the list is not repeated',
  );
  const next = new FleetBook(nextSpec, carried, T0 + 60_000);
  assert.equal(next.inFlight, 2);
  assert.equal(next.startedAt, book.startedAt);
  assert.deepEqual(next.progress('all', T0), book.progress('all', T0));
  assert.deepEqual(
    next.takeBatch(100).map((m) => m.phoneNumberId),
    [],
    'still at the concurrency',
  );
  next.applyFinished({
    phoneNumberId: '101',
    operationId: 'phone-number:101:register:1',
    status: 'completed',
  });
  assert.deepEqual(
    next.takeBatch(100).map((m) => m.phoneNumberId),
    ['103'],
  );
});

test('the counts the fleet publishes stay those of its outcomes through starts, ends, repeats, a cancel and a carry', () => {
  const many: FleetMember[] = Array.from({ length: 40 }, (_, i) => ({
    phoneNumberId: String(200 + i),
    request: { operation: 'register', pin: '123456' },
  }));
  const recount = (book: FleetBook) => {
    const all = book.progress('all', T0);
    const counted: Record<string, number> = {};
    for (const o of all.numbers) counted[o.status] = (counted[o.status] ?? 0) + 1;
    for (const [status, n] of Object.entries(all.counts)) assert.equal(n, counted[status] ?? 0, status);
    assert.equal(book.inFlight, (counted.starting ?? 0) + (counted.running ?? 0));
  };
  let book = new FleetBook(spec(7), undefined, T0);
  book.addMembers(packMembers(many));
  recount(book);
  for (let round = 0; round < 4; round++) {
    const batch = book.takeBatch(5);
    recount(book);
    batch.forEach((m, i) =>
      book.applyStart(
        i === 0
          ? { phoneNumberId: m.phoneNumberId, rejected: 'not allowed' }
          : { phoneNumberId: m.phoneNumberId, ticket: ticket(m.phoneNumberId, 1) },
      ),
    );
    recount(book);
    for (const m of batch.slice(1, 3)) {
      const finished = {
        phoneNumberId: m.phoneNumberId,
        operationId: ticket(m.phoneNumberId, 1).operationId,
      };
      book.applyFinished({ ...finished, status: 'completed' });
      book.applyFinished({ ...finished, status: 'failed' }); // a repeat: ignored
    }
    recount(book);
    book = new FleetBook(spec(7), book.continueInput().carried, T0);
    recount(book);
  }
  book.cancel('ops');
  recount(book);
  assert.ok(book.progress('none', T0).counts['not-started'] > 0);
});
