// How a fleet looks on a terminal: a progress bar redrawn in place, and a summary with every failure's reason.
import type { FleetProgress } from '../domain/fleet';

const BAR_WIDTH = 30;

export function progressLine(p: FleetProgress): string {
  const c = p.counts;
  const settled = c.completed + c['already-done'] + c.failed + c['not-started'];
  const filled = p.total ? Math.round((settled / p.total) * BAR_WIDTH) : 0;
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
  const parts = [
    `${c.completed + c['already-done']} done`,
    `${c.failed} failed`,
    `${c.running + c.starting} running`,
    `${c.pending} pending`,
    ...(c['not-started'] ? [`${c['not-started']} not started`] : []),
  ];
  return `[${bar}] ${settled}/${p.total} ${p.phase} · ${parts.join(' · ')}`;
}

/** Counts by state, then one line per failed or never-started number with its reason. */
export function renderFleet(p: FleetProgress, status?: string): string {
  const c = p.counts;
  const lines = [
    `fleet ${p.fleetId}: ${p.operation} over ${p.total} number(s), ${p.phase}${status && status !== 'RUNNING' && status !== 'COMPLETED' ? ` (${status})` : ''}`,
    `  completed ${c.completed}, already done ${c['already-done']}, failed ${c.failed}, running ${c.running + c.starting}, pending ${c.pending}, not started ${c['not-started']}`,
    `  concurrency ${p.concurrency}; started ${p.startedAt}${p.finishedAt ? `, finished ${p.finishedAt}` : ''}` +
      (p.requestedBy ? `; requested by ${p.requestedBy}` : '') +
      (p.retryOf ? `; retry of ${p.retryOf}` : '') +
      (p.wabaId ? `; WABA ${p.wabaId}` : ''),
  ];
  const problems = p.numbers.filter((n) => n.status === 'failed' || n.status === 'not-started');
  if (problems.length) {
    lines.push('  failures:');
    for (const n of problems) {
      lines.push(
        `    ${n.phoneNumberId}  ${n.status}  ${n.failureType ? `${n.failureType}: ` : ''}${n.reason ?? ''}`.trimEnd(),
      );
    }
  }
  if (p.phase === 'finished' || p.phase === 'cancelled') {
    if (problems.length) lines.push(`retry them with: wa-number fleet retry ${p.fleetId}`);
  }
  return lines.join('\n');
}
