// Reading the number before deciding: registration comes from one function (domain/registration), and an
// answer it cannot place (an undocumented status, Meta's own UNKNOWN) is read again, never guessed.
import { sleep } from '@temporalio/workflow';
import type { PhoneNumberSnapshot } from '../activities';
import type { Registration } from '../domain/lifecycle-state';
import { reads } from './activity-proxies';
import { requestFailure } from './budgeted-request';
import { workflowNow } from './clock';
import { formatDuration } from './format';
import type { OperationContext } from './operation-context';
import { OperationFailureType } from '../domain/failure-types';

/** The failure type when Meta keeps answering a registration state we cannot place. */
export const REGISTRATION_UNKNOWN = OperationFailureType.RegistrationUnknown;

/**
 * The number as Meta reports it, with a registration that is known. While the answer is unknown it is
 * read again (backoff as for transient errors); if it stays unknown, the operation stops and says why.
 */
export async function readKnownNumber(
  ctx: OperationContext,
): Promise<PhoneNumberSnapshot & { registration: Exclude<Registration, 'unknown'> }> {
  const { policy, phoneNumberId } = ctx;
  for (let attempt = 0; ; attempt++) {
    const number = await reads.readPhoneNumber(phoneNumberId);
    ctx.learn({ registration: number.registration, verification: number.verification });
    if (number.registration !== 'unknown') return { ...number, registration: number.registration };
    const said = `Meta reports status ${number.status ?? '(none)'}, platform_type ${number.platformType ?? '(none)'}`;
    if (attempt >= policy.maxTransientRetries) {
      throw requestFailure(
        REGISTRATION_UNKNOWN,
        `${said}: not a documented registration state, so nothing was sent (read ${attempt + 1} times). ` +
          'Check the number in WhatsApp Manager, then run the operation again.',
      );
    }
    const delay = policy.transientBackoffMs * 2 ** attempt;
    await ctx.progress.active(
      `${said}: cannot tell whether it is registered; reading again in ${formatDuration(delay)}`,
      workflowNow() + delay,
    );
    await sleep(delay);
  }
}

/** Whether the number is registered, read until known. */
export async function isRegistered(ctx: OperationContext): Promise<boolean> {
  return (await readKnownNumber(ctx)).registration === 'registered';
}
