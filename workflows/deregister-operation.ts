import { upsertSearchAttributes } from '@temporalio/workflow';
import type { OperationInput, OperationReport } from '../domain/operations';
import { WaOperation, WaPhoneNumberId, WaWabaId } from '../domain/search-attributes';
import { reads, mutations } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import { OperationProgressReporter } from './operation-progress';

/** Deregisters the number from Cloud API (it stays on the WABA; local storage turns off). */
export async function deregisterOperation(input: OperationInput): Promise<OperationReport> {
  const { phoneNumberId } = input;
  upsertSearchAttributes([
    { key: WaPhoneNumberId, value: phoneNumberId },
    { key: WaOperation, value: 'deregister' },
    ...(input.request.wabaId ? [{ key: WaWabaId, value: input.request.wabaId }] : []),
  ]);
  return runBudgetedRequest(input, {
    endpoint: 'deregister',
    registrationWhenDone: 'not-registered',
    progress: new OperationProgressReporter(input.operationId, 'deregistering'),
    send: () => mutations.deregisterPhoneNumber(phoneNumberId),
    alreadyDone: async () => (await reads.readPhoneNumber(phoneNumberId)).registration === 'not-registered',
  });
}
