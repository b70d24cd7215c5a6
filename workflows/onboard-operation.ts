// Onboarding as one operation a caller starts once: verify ownership (if needed), wait until the display
// name can be used, register with the PIN (and region). Waits are durable; no register request is spent
// on a number Meta would refuse.
import { ApplicationFailure, allHandlersFinished, condition, sleep } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import { emptyLedger, mergeLedgers } from '../domain/ledger';
import type { Verification } from '../domain/lifecycle-state';
import type { OnboardRequest, OperationInput, OperationReport } from '../domain/operations';
import { reads } from './activity-proxies';
import { formatDuration } from './budgeted-request';
import { workflowNow } from './clock';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';
import { failWith, reportOf } from './operation-report';
import { OwnershipVerification } from './ownership-verification';
import { registerNumber } from './register-operation';

/** name_status values Meta refuses to register with (reference §1, §7). */
const NAME_NOT_USABLE_YET = new Set(['NONE', 'EXPIRED']);

export async function onboardOperation(input: OperationInput<OnboardRequest>): Promise<OperationReport> {
  labelOperation(input);
  const { phoneNumberId, policy, request } = input;
  const progress = new OperationProgressReporter(input.operationId, 'onboarding');
  const ownership = new OwnershipVerification(phoneNumberId, request, policy, progress);
  let spent = emptyLedger();
  let verification: Verification = 'unknown';
  const soFar = () => ({
    operationId: input.operationId,
    ledger: spent,
    registration: 'unknown' as const,
    verification,
  });

  const waitForDisplayName = async (nameStatus: string, deadline: number) => {
    const now = workflowNow();
    if (now + policy.displayNameRecheckMs > deadline) {
      throw ApplicationFailure.nonRetryable(
        `the display name is still not usable (${nameStatus}) after ${formatDuration(policy.maxDisplayNameWaitMs)}; ` +
          'get it approved in WhatsApp Manager, then onboard again',
        'DisplayNameNotUsable',
      );
    }
    await progress.report(
      'waiting-for-display-name',
      `display name not usable yet (${nameStatus}); registering now would fail, re-checking`,
      now + policy.displayNameRecheckMs,
    );
    await sleep(policy.displayNameRecheckMs);
    await progress.active('re-checking the display name');
  };

  try {
    const verified = await ownership.run();
    verification = 'verified';
    await condition(allHandlersFinished);
    const deadline = workflowNow() + policy.maxDisplayNameWaitMs;
    for (;;) {
      const number = await reads.readPhoneNumber(phoneNumberId);
      if (number.registration === 'registered') {
        return {
          ...soFar(),
          registration: 'registered',
          outcome: verified === 'already-verified' ? 'already-done' : 'completed',
        };
      }
      const nameStatus = number.nameStatus ?? 'unknown';
      if (nameStatus === 'DECLINED') {
        throw ApplicationFailure.nonRetryable(
          'the display name was declined by Meta; submit a new one in WhatsApp Manager, then onboard again',
          'DisplayNameDeclined',
        );
      }
      if (NAME_NOT_USABLE_YET.has(nameStatus)) {
        await waitForDisplayName(nameStatus, deadline);
        continue;
      }
      try {
        const report = await registerNumber(
          { ...input, ledger: mergeLedgers(input.ledger, spent) },
          request,
          progress,
        );
        spent = mergeLedgers(spent, report.ledger);
        return { ...report, ledger: spent, verification, outcome: 'completed' };
      } catch (err) {
        const inner = reportOf(err);
        if (inner) spent = mergeLedgers(spent, inner.ledger);
        // 2388001: the certificate is not ready although name_status looked fine. Wait, do not retry blindly.
        if (inner?.failure?.type !== GraphErrorType.DisplayNameNotReady) throw err;
        await waitForDisplayName('certificate not ready (2388001)', deadline);
      }
    }
  } catch (err) {
    throw failWith(err, soFar());
  }
}
