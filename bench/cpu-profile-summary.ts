// Reads V8 CPU profiles (node --cpu-prof) and prints, per thread, where its busy time went: by package or
// top folder, and by function (self time). A profile of `npm run bench -- --only floor` holds one file per
// thread: the main thread (client, activities, simulator) and each worker's workflow thread, told apart by
// the workflow functions they ran. Usage:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts --only floor --floor-rounds 1
//   npx tsx bench/cpu-profile-summary.ts /tmp/prof/*.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { topOption } from './lib/common';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Workflow functions that say which worker a workflow thread belongs to. */
const WORKFLOW_MARKS = new Map([
  ['phoneNumberLifecycle', 'ours (workflows/)'],
  ['floorFlat', 'floor (bench/baseline-workflow.ts)'],
]);

function place(url: string, fn: string): string {
  if (!url) return fn || '(native)';
  const pkg = url.match(/node_modules\/(@[^/]+\/[^/]+|[^/]+)/)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return url.split('/')[0]!;
  if (/workflow-bundle/.test(url)) return 'workflow bundle';
  return path.relative(process.cwd(), url.replace(/^file:\/\//, '')).split(path.sep)[0] || url;
}

export function summarize(profile: Profile, top: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  const marks = new Set<string>();
  for (const node of profile.nodes) {
    const mark = WORKFLOW_MARKS.get(node.callFrame.functionName);
    if (mark) marks.add(mark);
  }
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = place(url, functionName);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '');
    const fn = url
      ? `${functionName || '(anonymous)'} ${path.relative(process.cwd(), file) || file}:${lineNumber + 1}`
      : where;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${k}`,
      );
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    marks: [...marks],
    places: rank(byPlace),
    functions: rank(byFunction),
  };
}

function main() {
  const argv = process.argv.slice(2);
  const { top, rest: files } = topOption(argv);
  if (!files.length) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile>... [--top N]');
  for (const file of files) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, top);
    console.log(
      `\n=== ${path.basename(file)}: busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms` +
        (s.marks.length ? `; workflow thread of ${s.marks.join(' and ')}` : ''),
    );
    console.log('-- self time by package or folder');
    console.log(s.places.join('\n'));
    console.log('-- self time by function');
    console.log(s.functions.join('\n'));
  }
}

if (require.main === module) main();
