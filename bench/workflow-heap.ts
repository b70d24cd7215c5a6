// What one cached waiting workflow costs the worker's heap, and what holds it (issue 18, item 1).
// N lifecycles start with a 72-hour register block carried in, each gets a register request and sleeps on
// its durable timer; the in-process worker keeps them all cached. The V8 heap (after a full GC) is read
// before and after, and a heap snapshot, if asked for, is summarised by constructor (self sizes).
//
//   node --expose-gc --import tsx bench/workflow-heap.ts [N] [--snapshot]
//   node --expose-gc --import tsx bench/workflow-heap.ts [N] --process [--dist]
//
// --process: the worker runs as its own process (worker/main.ts through tsx, or dist/worker/main.js with
// --dist, as in production) with the SDK's defaults (workflows on a worker thread, the cache sized from the
// heap), and its resident set size is read from /proc before and after the N numbers wait.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { seedManyVerified } from '../test/helpers/seed';
import { startTestStack, workerProcessEnv, type TestStack } from '../test/helpers/stack';
import type { ChildProcess } from 'node:child_process';
import { delay, mapLimit } from './lib/common';
import { startWorkerProcess } from './lib/worker-process';
import { startBlockedLifecycle } from './waiting';

const PIN = '123456';
const ID_BASE = 6_700_000_000;
const WAITING_QUERY =
  "WorkflowType = 'phoneNumberLifecycle' AND ExecutionStatus = 'Running' AND WaLifecycleState = 'waiting-for-rate-limit'";

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function startWaiting(stack: TestStack, ids: string[]): Promise<void> {
  const blockedUntil = Date.now() + 72 * 3_600_000;
  await seedManyVerified(stack.sim, ids, { pin: PIN });
  await mapLimit(ids, 50, async (id) => {
    await startBlockedLifecycle(stack, id, blockedUntil);
    await stack.client.requestOperation(id, { operation: 'register', pin: PIN, requestedBy: 'bench' });
  });
  for (;;) {
    const { count } = await stack.env.client.workflow.count(
      `${WAITING_QUERY} AND WaPhoneNumberId >= '${ids[0]}' AND WaPhoneNumberId <= '${ids.at(-1)}'`,
    );
    if (count >= ids.length) return;
    await delay(500);
  }
}

/** Self size by constructor name, the largest first (a snapshot's node array, read without devtools). */
function summariseSnapshot(file: string, top = 25): { name: string; count: number; bytes: number }[] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const byName = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const name =
      type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt!]!]! : `(${type})`;
    const key = type === 'closure' ? `closure ${name}` : name;
    const row = byName.get(key) ?? { count: 0, bytes: 0 };
    row.count++;
    row.bytes += snap.nodes[i + sizeAt!]!;
    byName.set(key, row);
  }
  return [...byName]
    .map(([name, row]) => ({ name, ...row }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

/** Resident set size of a process, from /proc (Linux). */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kb, `VmRSS of ${pid}`);
  return Number(kb) * 1024;
}

/** The worker as its own process on the stack's server and simulator; resolves once it polls. */
async function spawnWorker(stack: TestStack, fromDist: boolean): Promise<ChildProcess> {
  const args = fromDist ? ['dist/worker/main.js'] : ['--import', 'tsx', 'worker/main.ts'];
  return (await startWorkerProcess(args, workerProcessEnv(stack))).child;
}

async function measureProcess(n: number, fromDist: boolean): Promise<void> {
  const stack = await startTestStack();
  await stack.worker.shutdown(); // the spawned worker takes the task queue
  const worker = await spawnWorker(stack, fromDist);
  try {
    await startWaiting(stack, [String(ID_BASE - 1)]);
    await delay(2_000);
    const before = rssOf(worker.pid!);
    const ids = Array.from({ length: n }, (_, i) => String(ID_BASE + i));
    const t0 = Date.now();
    await startWaiting(stack, ids);
    await delay(5_000);
    const after = rssOf(worker.pid!);
    console.log(
      `worker process (${fromDist ? 'dist/, plain node' : 'source, tsx'}): ${n} waiting lifecycles in ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s on ${os.cpus().length} cores: RSS ` +
        `${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB, ` +
        `${((after - before) / n / 2 ** 20).toFixed(3)} MiB per cached waiting lifecycle`,
    );
  } finally {
    worker.kill('SIGTERM');
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 200);
  if (process.argv.includes('--process')) return measureProcess(n, process.argv.includes('--dist'));
  const snapshot = process.argv.includes('--snapshot');
  // debugMode: workflows run on this thread, so its heap (and a snapshot of it) holds them.
  const stack = await startTestStack({ workerOverrides: { debugMode: true } });
  try {
    // Loads the workflow bundle and warms every code path once.
    await startWaiting(stack, [String(ID_BASE - 1)]);
    const before = heapUsed();
    const ids = Array.from({ length: n }, (_, i) => String(ID_BASE + i));
    const t0 = Date.now();
    await startWaiting(stack, ids);
    const after = heapUsed();
    const perWorkflow = (after - before) / n;
    console.log(
      `${n} waiting lifecycles in ${((Date.now() - t0) / 1000).toFixed(1)} s on ${os.cpus().length} cores: ` +
        `heap ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB, ` +
        `${(perWorkflow / 2 ** 20).toFixed(3)} MiB per cached waiting lifecycle; ` +
        `RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
    if (snapshot) {
      const file = v8.writeHeapSnapshot(path.join(os.tmpdir(), `workflow-heap-${n}.heapsnapshot`));
      console.log(`heap snapshot ${file}; largest self sizes by constructor:`);
      for (const row of summariseSnapshot(file)) {
        console.log(
          `  ${(row.bytes / 2 ** 20).toFixed(1).padStart(7)} MiB ${String(row.count).padStart(9)}  ${row.name}`,
        );
      }
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
