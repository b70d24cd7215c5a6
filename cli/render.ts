// Human-readable output for the CLI (--json prints the raw objects instead).
import { remainingBudget, nextAllowedAt, BUDGETED_ENDPOINTS } from '../domain/ledger';
import type { OperationPolicy } from '../domain/operations';
import type { LifecycleSnapshot, OperationSummary, OperationTicket } from '../workflows/messages';

export function renderTicket(phoneNumberId: string, t: OperationTicket): string {
  const how = t.joined ? 'joined' : 'started';
  const where = t.position > 0 ? `, ${t.position} operation(s) ahead` : '';
  return `${t.operation} ${phoneNumberId}: ${how} ${t.operationId}${where}`;
}

export function renderOutcome(o: OperationSummary): string {
  if (o.status === 'completed') {
    return `${o.operationId}: completed${o.outcome === 'already-done' ? ' (already in that state; no request sent)' : ''}`;
  }
  return `${o.operationId}: failed: ${o.failure?.message ?? 'unknown reason'}${o.failure?.type ? ` [${o.failure.type}]` : ''}`;
}

export function renderState(s: LifecycleSnapshot, policy: OperationPolicy, now: number): string {
  const lines = [
    `phone number ${s.phoneNumberId}: ${s.state} (registration: ${s.registration}, ` +
      `verification: ${s.verification}, two-step PIN: ${s.pinSet ? 'set' : 'not known to be set'})`,
  ];
  const hours = Math.round(policy.windowMs / 3_600_000);
  for (const endpoint of BUDGETED_ENDPOINTS) {
    const left = remainingBudget(s.ledger, endpoint, now, policy);
    const used = policy.requestsPerWindow - left;
    const free = nextAllowedAt(s.ledger, endpoint, now, policy);
    let line =
      `  ${endpoint}: ${used} of ${policy.requestsPerWindow} ${endpoint} requests used in the last ${hours} h, ` +
      `next free slot ${free > now ? `at ${new Date(free).toISOString()}` : 'now'}`;
    const blocked = s.ledger.blockedUntil[endpoint];
    if (blocked && blocked > now) line += ` (blocked by Meta until ${new Date(blocked).toISOString()})`;
    lines.push(line);
  }
  const c = s.currentOperation;
  if (c) {
    lines.push(`  current: ${c.operationId} (${c.status})`);
    if (c.waitingFor) {
      lines.push(
        `    ${c.activeState ?? 'waiting'}: ${c.waitingFor}${c.nextAttemptAt ? ` (until ${c.nextAttemptAt})` : ''}`,
      );
    }
  }
  for (const q of s.queued) lines.push(`  queued: ${q.operationId}`);
  const last = s.recentOperations[0];
  if (last) lines.push(`  last: ${renderOutcome(last)}`);
  return lines.join('\n');
}
