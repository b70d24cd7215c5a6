// Onboarding as one operation a caller starts once: verify ownership (if needed, in a child run that a
// person answers), wait until the display name can be used, register with the PIN (and region). Waits
// are durable; no register request is spent on a number Meta would refuse.
import { ApplicationFailure, condition, patched, sleep } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import type { OnboardRequest } from '../domain/operations';
import { readKnownNumber } from './number-reads';
import { formatDuration } from './format';
import { workflowNow } from './clock';
import type { OperationContext } from './operation-context';
import { registerNumber } from './register-operation';
import { OperationFailureType } from '../domain/failure-types';
import { WaitReason } from '../domain/metric-names';
import { countWaitEntered } from './metrics';

/**
 * The patch that lets a phone_number_name_update webhook end the display-name wait early (the timer is
 * then cancelled): runs recorded before it slept the whole recheck interval.
 */
export const WAKE_ON_NAME_DECISION = 'wake-on-name-decision';

/** name_status values Meta refuses to register with (reference §1, §7). */
const NAME_NOT_USABLE_YET = new Set(['NONE', 'EXPIRED']);

export async function runOnboard(
  ctx: OperationContext,
  request: OnboardRequest,
  /** Runs the ownership verification as a child run (the code arrives there, from a person). */
  verifyOwnership: () => Promise<unknown>,
): Promise<'completed' | 'already-done'> {
  const { policy, progress } = ctx;

  const waitForDisplayName = async (nameStatus: string, deadline: number) => {
    const now = workflowNow();
    if (now + policy.displayNameRecheckMs > deadline) {
      throw ApplicationFailure.nonRetryable(
        `the display name is still not usable (${nameStatus}) after ${formatDuration(policy.maxDisplayNameWaitMs)}; ` +
          'get it approved in WhatsApp Manager, then onboard again',
        OperationFailureType.DisplayNameNotUsable,
      );
    }
    countWaitEntered(WaitReason.DisplayName);
    await progress.report(
      'waiting-for-display-name',
      `display name not usable yet (${nameStatus}); registering now would fail, re-checking`,
      now + policy.displayNameRecheckMs,
    );
    const decisions = ctx.nameDecisions;
    if (decisions && patched(WAKE_ON_NAME_DECISION)) {
      // A webhook decision (APPROVED or REJECTED; DEFERRED keeps waiting) ends the wait at once.
      const before = decisions.count;
      await condition(
        () => decisions.count > before && decisions.latest !== 'DEFERRED',
        policy.displayNameRecheckMs,
      );
      if (decisions.count > before && decisions.latest === 'REJECTED') {
        throw ApplicationFailure.nonRetryable(
          'the display name was rejected by Meta (phone_number_name_update webhook); submit a new one in ' +
            'WhatsApp Manager, then onboard again',
          OperationFailureType.DisplayNameDeclined,
        );
      }
    } else {
      await sleep(policy.displayNameRecheckMs);
    }
    await progress.active('re-checking the display name');
  };

  await progress.active('reading code_verification_status');
  let number = await readKnownNumber(ctx);
  const wasVerified = number.verification === 'verified';
  if (!wasVerified) {
    await verifyOwnership();
    ctx.learn({ verification: 'verified' });
    number = await readKnownNumber(ctx);
  }
  const deadline = workflowNow() + policy.maxDisplayNameWaitMs;
  for (; ; number = await readKnownNumber(ctx)) {
    if (number.registration === 'registered') {
      ctx.learn({ registration: 'registered', verification: 'verified' });
      return wasVerified ? 'already-done' : 'completed';
    }
    const nameStatus = number.nameStatus ?? 'unknown';
    if (nameStatus === 'DECLINED') {
      throw ApplicationFailure.nonRetryable(
        'the display name was declined by Meta; submit a new one in WhatsApp Manager, then onboard again',
        OperationFailureType.DisplayNameDeclined,
      );
    }
    if (NAME_NOT_USABLE_YET.has(nameStatus)) {
      await waitForDisplayName(nameStatus, deadline);
      continue;
    }
    try {
      await registerNumber(ctx, request);
      return 'completed';
    } catch (err) {
      // 2388001: the certificate is not ready although name_status looked fine. Wait, do not retry blindly.
      if (!(err instanceof ApplicationFailure) || err.type !== GraphErrorType.DisplayNameNotReady) throw err;
      await waitForDisplayName('certificate not ready (2388001)', deadline);
    }
  }
}
