// Simulator time = real time + an adjustable offset, so tests can jump over 72-hour windows
// without waiting. Every rule in the simulator reads time from here, never from Date.now().
export class SimClock {
  constructor(private offsetMs = 0) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  get offset(): number {
    return this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  set(epochMs: number): void {
    this.offsetMs = epochMs - Date.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

/** Graph prints datetimes as `2026-01-15T09:30:00+0000` (no milliseconds, numeric offset). */
export function formatGraphTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, '+0000');
}
