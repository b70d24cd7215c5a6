// Counts the promises each workflow run creates, by workflow type and by the line that created them, in
// every thread that runs workflows. Why: SDK 1.24's promise hook captures a source-mapped stack for every
// promise a workflow creates (it has no switch), so promises per run is a cost of our workflow code that a
// CPU profile shows only as SDK time. Census runs are slower (this hook captures a stack too): count with
// them, never time. Load it into every thread of a benchmark (worker threads inherit the flags; --require,
// because a worker thread runs --import preloads before tsx's loader is in place):
//   WA_PROMISE_CENSUS_DIR=/tmp/census node --require tsx/cjs --require ./bench/lib/promise-census.ts \
//     --import tsx bench/run.ts --only floor --floor-ops 20 --floor-rounds 1 --no-uncapped --no-floor-parent-child
//   npx tsx bench/promise-census-summary.ts /tmp/census/*.json
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promiseHooks } from 'node:v8';
import { threadId } from 'node:worker_threads';

export interface CensusType {
  /** The runs seen; a run evicted from one thread's cache may come back on another, so files share IDs. */
  runIds: string[];
  promises: number;
  /** Promises by the line that created them (see promiseSite). */
  sites: Record<string, number>;
}
/** What one thread writes: workflow type → its counts. */
export type CensusFile = Record<string, CensusType>;

const FRAME = /^\s*at (?:(.*?) \()?(.+?):(\d+):\d+\)?$/;

/**
 * The line a promise is charged to, from its (source-mapped) stack: the first frame in our own code (a file
 * under `cwd`, outside node_modules), else the first frame of the SDK's (its packages, or the script it
 * enters the sandbox with), else "(await)" for the promises `await` and `then` make, whose stacks hold only
 * built-ins. Frames of this file and of Node's internals are skipped.
 */
export function promiseSite(stack: string, cwd: string): string {
  let sdk: string | undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const [, fn, file = '', lineNo] = m;
    if (file.startsWith('node:') || file === '<anonymous>' || file.endsWith('promise-census.ts')) continue;
    const relative = path.isAbsolute(file) ? path.relative(cwd, file) : '..';
    const ours = !relative.startsWith('..') && !relative.includes('node_modules');
    const where = `${ours ? relative : file.replace(/^.*node_modules\//, '')}:${lineNo}${fn ? ` (${fn})` : ''}`;
    if (ours) return where;
    sdk ??= where;
  }
  return sdk ?? '(await)';
}

interface SandboxGlobal {
  __TEMPORAL_ACTIVATOR__?: { info: { workflowType: string; runId: string } };
  Error: ErrorConstructor;
}

/** A workflow's promises belong to its sandbox, whose global holds the SDK's activator (as the SDK finds it). */
function sandboxOf(promise: Promise<unknown>): SandboxGlobal {
  const sandboxFunction = promise.constructor.constructor as FunctionConstructor;
  return sandboxFunction('return globalThis')() as SandboxGlobal;
}

function install(dir: string): void {
  const counts = new Map<string, { runIds: Set<string>; promises: number; sites: Map<string, number> }>();
  const cwd = process.cwd();
  promiseHooks.onInit((promise) => {
    const sandbox = sandboxOf(promise);
    const activator = sandbox.__TEMPORAL_ACTIVATOR__;
    if (!activator) return;
    const { workflowType, runId } = activator.info;
    let c = counts.get(workflowType);
    if (!c) counts.set(workflowType, (c = { runIds: new Set(), promises: 0, sites: new Map() }));
    c.runIds.add(runId);
    c.promises += 1;
    // The sandbox's Error, so the SDK's stack preparation maps its frames through the bundle's source map.
    const site = promiseSite(new sandbox.Error().stack ?? '', cwd);
    c.sites.set(site, (c.sites.get(site) ?? 0) + 1);
  });
  const file = path.join(dir, `census-${process.pid}-${threadId}.json`);
  const write = () => {
    if (!counts.size) return;
    const out: CensusFile = {};
    for (const [type, c] of counts)
      out[type] = { runIds: [...c.runIds], promises: c.promises, sites: Object.fromEntries(c.sites) };
    writeFileSync(file, JSON.stringify(out, null, 1));
  };
  // A worker thread may end without an exit event of its own, so the counts are written every second too.
  setInterval(write, 1000).unref();
  process.on('exit', write);
}

const dir = process.env.WA_PROMISE_CENSUS_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  install(dir);
}
