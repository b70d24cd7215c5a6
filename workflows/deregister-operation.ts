// Deregister: the number leaves Cloud API (it stays on the WABA; local storage turns off). Run by the lifecycle.
import { GraphErrorType } from '../domain/graph-errors';
import { mutations } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import type { GraphFailure } from './graph-failure';
import { isRegistered } from './number-reads';
import type { OperationContext } from './operation-context';

export async function runDeregister(ctx: OperationContext) {
  return deregisterNumber(ctx);
}

/**
 * The deregister step, also used by region changes and by register's 133000 remedy (`evenIfNotRegistered`:
 * the number reads "not registered" before and after, so only Meta's answer says it went through).
 */
export function deregisterNumber(
  ctx: OperationContext,
  options: { evenIfNotRegistered?: boolean } = {},
): Promise<'completed' | 'already-done'> {
  return runBudgetedRequest(ctx, {
    endpoint: 'deregister',
    registrationWhenDone: 'not-registered',
    send: () => mutations.deregisterPhoneNumber(ctx.phoneNumberId),
    alreadyDone: async () => !options.evenIfNotRegistered && !(await isRegistered(ctx)),
    doneDespite: (failure) => notRegisteredAnswer(ctx, failure),
  });
}

/**
 * Meta answering a deregister with "not registered" means there is nothing to do: 133010 says so; an
 * invalid-parameter answer (100) may, and the number is read to be sure rather than parsing its text.
 */
async function notRegisteredAnswer(ctx: OperationContext, failure: GraphFailure): Promise<boolean> {
  if (failure.type === GraphErrorType.NotRegistered) return true;
  if (failure.type === GraphErrorType.InvalidRequest && failure.details.code === 100) {
    return !(await isRegistered(ctx));
  }
  return false;
}
