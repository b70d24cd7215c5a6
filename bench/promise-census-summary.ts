// Reads what bench/lib/promise-census.ts wrote (one file per thread) and prints, per workflow type, the
// promises a run created and the lines that created most of them. Usage:
//   npx tsx bench/promise-census-summary.ts /tmp/census/*.json [--top N]
import { readFileSync } from 'node:fs';
import { table, topOption } from './lib/common';
import type { CensusFile } from './lib/promise-census';

/** A workflow type's counts over all threads. */
export interface CensusTotal {
  runs: number;
  promises: number;
  sites: Record<string, number>;
}

/** Sums the threads' counts: a workflow type's runs may be spread over several workers (counted once each). */
export function mergeCensus(files: CensusFile[]): Record<string, CensusTotal> {
  const runIds = new Map<string, Set<string>>();
  const merged: Record<string, CensusTotal> = {};
  for (const file of files) {
    for (const [type, c] of Object.entries(file)) {
      const m = (merged[type] ??= { runs: 0, promises: 0, sites: {} });
      const seen = runIds.get(type) ?? new Set();
      runIds.set(type, seen);
      for (const id of c.runIds) seen.add(id);
      m.runs = seen.size;
      m.promises += c.promises;
      for (const [site, n] of Object.entries(c.sites)) m.sites[site] = (m.sites[site] ?? 0) + n;
    }
  }
  return merged;
}

const perRun = (n: number, runs: number) => (runs ? (n / runs).toFixed(1) : '–');

/** Markdown: a table of promises per run by workflow type, then each type's top creating lines. */
export function censusReport(census: Record<string, CensusTotal>, top: number): string {
  const types = Object.entries(census).sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    table(
      ['Workflow type', 'Runs', 'Promises', 'Per run'],
      types.map(([type, c]) => [type, c.runs, c.promises, perRun(c.promises, c.runs)]),
    ),
  ];
  for (const [type, c] of types) {
    lines.push('', `${type}, per run, by the line that created them:`, '');
    const sites = Object.entries(c.sites).sort(([, a], [, b]) => b - a);
    for (const [site, n] of sites.slice(0, top)) lines.push(`- ${perRun(n, c.runs)}  ${site}`);
    if (sites.length > top) lines.push(`- … ${sites.length - top} more lines`);
  }
  return lines.join('\n');
}

function main(argv: string[]) {
  const { top, rest: paths } = topOption(argv);
  if (!paths.length) throw new Error('usage: promise-census-summary.ts <census.json>... [--top N]');
  const files = paths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as CensusFile);
  console.log(censusReport(mergeCensus(files), top));
}

if (require.main === module) main(process.argv.slice(2));
