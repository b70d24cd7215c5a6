import { upsertSearchAttributes } from '@temporalio/workflow';
import type { OperationInput, OperationReport, RegisterRequest } from '../domain/operations';
import { WaOperation, WaPhoneNumberId, WaWabaId } from '../domain/search-attributes';
import { reads, mutations } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import { OperationProgressReporter } from './operation-progress';

/** Registers the number for Cloud API with its two-step PIN (and region, when given). */
export async function registerOperation(input: OperationInput<RegisterRequest>): Promise<OperationReport> {
  const { phoneNumberId, request } = input;
  upsertSearchAttributes([
    { key: WaPhoneNumberId, value: phoneNumberId },
    { key: WaOperation, value: 'register' },
    ...(input.request.wabaId ? [{ key: WaWabaId, value: input.request.wabaId }] : []),
  ]);
  const viaSettings = request.region !== undefined && input.policy.regionMechanism === 'settings';
  return runBudgetedRequest(input, {
    endpoint: 'register',
    registrationWhenDone: 'registered',
    progress: new OperationProgressReporter(input.operationId, 'registering'),
    // v21+: the region is a setting made while deregistered; register then keeps it.
    beforeFirstSend: viaSettings
      ? () => reads.configureLocalStorage(phoneNumberId, request.region)
      : undefined,
    send: () =>
      mutations.registerPhoneNumber(phoneNumberId, {
        pin: request.pin,
        region: viaSettings ? undefined : request.region,
      }),
    alreadyDone: async () => (await reads.readPhoneNumber(phoneNumberId)).registration === 'registered',
  });
}
