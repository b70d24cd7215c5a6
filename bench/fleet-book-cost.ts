// `npx tsx bench/fleet-book-cost.ts [members…]`: the fleet workflow's own bookkeeping, without Temporal. For
// a fleet of N members it times what one fleet run's workflow code does for every member (start it in
// batches of 100, record its start and its end, publish the details after each end) and what
// continue-as-new costs (the carried state, its size, and building the next run's book from it). The
// workflow repeats all of it when a run is replayed, so it bounds what a cache miss on a big fleet costs.
import { packMembers, type FleetMember, type FleetSpec } from '../domain/fleet';
import { FleetBook } from '../workflows/fleet-book';
import { fixed, formatDuration, median, table } from './lib/common';

const ROUNDS = 3;

function oneFleet(members: number): { perMemberMs: number; carryMs: number; carriedBytes: number } {
  const list: FleetMember[] = Array.from({ length: members }, (_, i) => ({
    phoneNumberId: String(1_000_000_000 + i),
    request: { operation: 'register', pin: '123456' },
  }));
  const spec: FleetSpec = {
    fleetId: 'cost',
    operation: 'register',
    concurrency: 200,
    source: { kind: 'list', members: packMembers(list) },
  };
  const book = new FleetBook(spec, undefined, 0);
  book.addMembers(spec.source.kind === 'list' ? spec.source.members : packMembers([]));
  const t0 = performance.now();
  while (book.canStartMore()) {
    const batch = book.takeBatch(100);
    book.details(0);
    for (const m of batch) {
      book.applyStart({
        phoneNumberId: m.phoneNumberId,
        ticket: {
          operationId: `${m.phoneNumberId}-1`,
          workflowId: m.phoneNumberId,
          operation: 'register',
          joined: false,
          position: 0,
        },
      });
    }
    for (const m of batch) {
      book.applyFinished({
        phoneNumberId: m.phoneNumberId,
        operationId: `${m.phoneNumberId}-1`,
        status: 'completed',
      });
      book.details(0); // numberFleet publishes after every end
    }
  }
  const perMemberMs = (performance.now() - t0) / members;
  const t1 = performance.now();
  const carried = JSON.stringify(book.continueInput());
  new FleetBook(spec, JSON.parse(carried).carried, 0);
  return { perMemberMs, carryMs: performance.now() - t1, carriedBytes: carried.length };
}

const sizes = process.argv.slice(2).map(Number);
const rows = (sizes.length ? sizes : [1_000, 10_000]).map((members) => {
  const runs = Array.from({ length: ROUNDS }, () => oneFleet(members));
  const perMember = median(runs.map((r) => r.perMemberMs));
  return [
    members.toLocaleString('en'),
    `${fixed(perMember * 1000, 1)} µs`,
    formatDuration(perMember * members),
    formatDuration(median(runs.map((r) => r.carryMs))),
    `${fixed(runs[0]!.carriedBytes / 1024, 0)} KiB`,
  ];
});
console.log(
  table(
    [
      'Members',
      'Per member (start, end, publish)',
      'Whole fleet',
      'Continue-as-new (carry, next book)',
      'Carried (JSON)',
    ],
    rows,
  ),
);
console.log(`\nMedians of ${ROUNDS}; node ${process.version}, plain node (not the workflow sandbox).`);
