import type { OperationInput, OperationReport } from '../domain/operations';
import { reads, mutations } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';

/** Deregisters the number from Cloud API (it stays on the WABA; local storage turns off). */
export async function deregisterOperation(input: OperationInput): Promise<OperationReport> {
  const { phoneNumberId } = input;
  labelOperation(input);
  return runBudgetedRequest(input, {
    endpoint: 'deregister',
    registrationWhenDone: 'not-registered',
    progress: new OperationProgressReporter(input.operationId, 'deregistering'),
    send: () => mutations.deregisterPhoneNumber(phoneNumberId),
    alreadyDone: async () => (await reads.readPhoneNumber(phoneNumberId)).registration === 'not-registered',
  });
}
