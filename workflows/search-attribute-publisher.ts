// Upserts only the search attributes whose value differs from what the run already has. Each upsert is a
// history event, and the lifecycle publishes its state several times in one workflow task (the request,
// the queue, the operation starting), mostly with the values it had.
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';

export function upsertChangedSearchAttributes(updates: SearchAttributeUpdatePair[]): void {
  const current = workflowInfo().typedSearchAttributes;
  const changed = updates.filter((update) => !sameValue(current.get(update.key), update.value));
  if (changed.length > 0) upsertSearchAttributes(changed);
}

/** null (or undefined) removes an attribute: the same as one the run does not have. */
function sameValue(held: unknown, wanted: unknown): boolean {
  if (wanted === null || wanted === undefined) return held === undefined || held === null;
  if (wanted instanceof Date) return held instanceof Date && held.getTime() === wanted.getTime();
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(held) && held.length === wanted.length && wanted.every((v, i) => sameValue(held[i], v))
    );
  }
  return held === wanted;
}
