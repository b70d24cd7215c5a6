// What every drill shares: its arguments, its report, the timestamped log and the PASS/FAIL printout.
import { rmSync } from 'node:fs';
import type { Check } from './checks';
import { ms } from './stack';

export const DRILL_NAMES = ['kill-worker', 'restart-server', 'fault-soak', 'upgrade'] as const;
export type DrillName = (typeof DRILL_NAMES)[number];

export interface DrillArgs {
  numbers: number;
  concurrency: number;
  /** Share of the fleet settled when the disruption happens. */
  at: number;
  latencyMs: number;
  downMs: number;
  outageMs: number;
  timeoutS: number;
  graphTimeoutMs: number;
  hangMs: number;
  backoffS: number;
  rps: number;
  seed: number;
  /** upgrade: how long the rate-limit and 133016 waits last from the moment they are set. */
  waitS: number;
  keep: boolean;
}

/** --numbers and --concurrency when not given: the upgrade drill is small by default. */
export const DRILL_DEFAULTS: Record<DrillName, { numbers: number; concurrency: number }> = {
  'kill-worker': { numbers: 200, concurrency: 20 },
  'restart-server': { numbers: 200, concurrency: 20 },
  'fault-soak': { numbers: 200, concurrency: 20 },
  upgrade: { numbers: 12, concurrency: 3 },
};

export interface DrillReport {
  name: DrillName;
  ok: boolean;
  wallMs: number;
  checks: Check[];
  lines: string[];
  dir: string;
  kept: boolean;
}

/** One drill's log: timestamped notes (printed at once), figure lines and checks (printed at the end). */
export class DrillLog {
  readonly t0 = Date.now();
  readonly lines: string[] = [];
  readonly checks: Check[] = [];

  constructor(
    readonly name: DrillName,
    readonly dir: string,
  ) {}

  /** Seconds since the drill started, as the notes print them. */
  at(time = Date.now()): string {
    return `+${((time - this.t0) / 1000).toFixed(1)}s`;
  }

  note = (line: string): void => {
    const text = `  [${this.at().padStart(8)}] ${line}`;
    this.lines.push(text);
    console.log(text);
  };

  check(name: string, ok: boolean, detail: string): void {
    this.checks.push({ name, ok, detail });
  }

  /** Prints the figures and the checks, removes the temp dir of a passing drill (unless kept). */
  finish(keep: boolean): DrillReport {
    const ok = this.checks.length > 0 && this.checks.every((c) => c.ok);
    for (const l of this.lines.filter((l) => !l.startsWith('  ['))) console.log(l);
    console.log('  checks:');
    for (const c of this.checks) console.log(`    ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
    const kept = keep || !ok;
    if (!kept) rmSync(this.dir, { recursive: true, force: true });
    const wallMs = Date.now() - this.t0;
    console.log(
      `  RESULT ${this.name}: ${ok ? 'PASS' : 'FAIL'} in ${ms(wallMs)}${kept ? ` (logs kept in ${this.dir})` : ''}`,
    );
    return { name: this.name, ok, wallMs, checks: this.checks, lines: this.lines, dir: this.dir, kept };
  }
}
