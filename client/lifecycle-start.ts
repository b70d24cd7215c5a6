// How a number's lifecycle workflow is started when a request finds none running (update-with-start),
// shared by the client library and the fleet's activities so that both start it the same way.
import { WithStartWorkflowOperation } from '@temporalio/client';
import { lifecycleWorkflowId } from '../domain/phone-number';
import { WaLifecycleState, WaPhoneNumberId } from '../domain/search-attributes';
import type { phoneNumberLifecycle } from '../workflows/lifecycle';

export function lifecycleStartOperation(
  phoneNumberId: string,
  taskQueue: string,
): WithStartWorkflowOperation<typeof phoneNumberLifecycle> {
  return new WithStartWorkflowOperation<typeof phoneNumberLifecycle>('phoneNumberLifecycle', {
    workflowId: lifecycleWorkflowId(phoneNumberId),
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    // A closed lifecycle (terminated) is replaced; the new run recovers its ledger first.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    args: [{ phoneNumberId }],
    // What the lifecycle would publish first (state unknown): it then has nothing to upsert for it.
    typedSearchAttributes: [
      { key: WaPhoneNumberId, value: phoneNumberId },
      { key: WaLifecycleState, value: 'unknown' },
    ],
    staticSummary: `lifecycle of phone number ${phoneNumberId}`,
  });
}
