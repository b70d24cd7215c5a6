// Deregister: the number leaves Cloud API (it stays on the WABA; local storage turns off). Run by the lifecycle.
import { reads, mutations } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import type { OperationContext } from './operation-context';

export async function runDeregister(ctx: OperationContext) {
  const { phoneNumberId } = ctx;
  return runBudgetedRequest(ctx, {
    endpoint: 'deregister',
    registrationWhenDone: 'not-registered',
    send: () => mutations.deregisterPhoneNumber(phoneNumberId),
    alreadyDone: async () => (await reads.readPhoneNumber(phoneNumberId)).registration === 'not-registered',
  });
}
