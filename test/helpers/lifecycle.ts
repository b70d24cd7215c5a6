// Starts a number's lifecycle workflow as continue-as-new would: with a ledger it already holds, so a
// test can put the number at the edge of Meta's budget without spending real requests.
import type { LedgerEntry } from '../../domain/ledger';
import type { Registration } from '../../domain/lifecycle-state';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import type { LifecycleInput } from '../../workflows/lifecycle';
import type { TestStack } from './stack';

export async function startLifecycleWithLedger(
  stack: TestStack,
  phoneNumberId: string,
  entries: LedgerEntry[],
  registration: Registration,
): Promise<void> {
  const input: LifecycleInput = {
    phoneNumberId,
    carried: {
      ledger: { entries, blockedUntil: {} },
      registration,
      sequence: 0,
      queue: [],
      recent: [],
      lastFailed: false,
    },
  };
  await stack.env.client.workflow.start('phoneNumberLifecycle', {
    workflowId: lifecycleWorkflowId(phoneNumberId),
    taskQueue: stack.config.temporal.taskQueue,
    args: [input],
  });
}

/** `count` register requests, one an hour, the oldest `oldestHoursAgo` before `now`. */
export function hourlyRegisters(now: number, count: number, oldestHoursAgo: number): LedgerEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    endpoint: 'register' as const,
    at: now - (oldestHoursAgo - i) * 3_600_000,
  }));
}
