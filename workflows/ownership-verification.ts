// Proving ownership with a person in the loop (reference §3): request_code, wait durably for the code
// the person received (an Update on this operation's run), verify_code. Shared by verify and onboard.
import { ApplicationFailure, condition, setHandler, sleep } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import type { OperationPolicy } from '../domain/operations';
import { InputError, parseInput } from '../domain/validation';
import { verificationCodeSchema, type CodeMethod } from '../domain/verification';
import { codeRequests, reads, verification } from './activity-proxies';
import { formatDuration } from './format';
import { workflowNow } from './clock';
import { graphFailureOf } from './graph-failure';
import { submitVerificationCodeUpdate, type CodeSubmissionResult } from './messages';
import type { OperationProgressReporter } from './operation-progress';
import { OperationFailureType } from '../domain/failure-types';
import { WaitReason } from '../domain/metric-names';
import { countWaitEntered } from './metrics';

export interface VerificationOptions {
  method: CodeMethod;
  language: string;
  fallbackToVoice: boolean;
}

/** Thrown as the operation's failure: the type says why, the message says it in words. */
export const VerificationFailure = {
  NoCodeInTime: OperationFailureType.VerificationNoCodeInTime,
  TooManyWrongCodes: OperationFailureType.VerificationTooManyWrongCodes,
} as const;

export class OwnershipVerification {
  private awaitingSince: number | undefined;
  private method: CodeMethod;
  private verified = false;
  private wrongCodes = 0;
  private checking = false;

  constructor(
    private readonly phoneNumberId: string,
    private readonly options: VerificationOptions,
    private readonly policy: OperationPolicy,
    private readonly progress: OperationProgressReporter,
  ) {
    this.method = options.method;
    setHandler(submitVerificationCodeUpdate, (code) => this.submit(code), {
      // Refused before anything reaches history: malformed codes, and codes nobody is waiting for.
      validator: (code) => {
        parseInput(verificationCodeSchema(), code, 'code');
        if (this.awaitingSince === undefined) {
          throw new InputError('code', `no verification code is awaited on ${phoneNumberId} right now`);
        }
      },
    });
  }

  /** Resolves once the number is verified; throws a non-retryable failure when it cannot be. */
  async run(): Promise<'verified' | 'already-verified'> {
    await this.progress.active('reading code_verification_status');
    // request_code on a verified number is refused (136024): never send one that is bound to fail.
    if ((await reads.readPhoneNumber(this.phoneNumberId)).verification === 'verified')
      return 'already-verified';

    for (let requested = 0; requested < this.policy.maxCodeRequests; requested++) {
      if ((await this.requestCode()) === 'verified') return 'verified';
      this.awaitingSince = workflowNow();
      countWaitEntered(WaitReason.Code);
      const deadline = this.awaitingSince + this.policy.codeWaitMs;
      await this.progress.report(
        'waiting-for-code',
        `the verification code sent by ${this.method} at ${new Date(this.awaitingSince).toISOString()}` +
          ` (submit it: wa-number submit-code, or the submitVerificationCode update)`,
        deadline,
      );
      await condition(
        () => this.verified || this.wrongCodes >= this.policy.maxCodeAttempts,
        this.policy.codeWaitMs,
      );
      this.awaitingSince = undefined;
      await condition(() => !this.checking); // a code already submitted is still answered
      if (this.verified) return 'verified';
      if (this.wrongCodes >= this.policy.maxCodeAttempts) {
        throw ApplicationFailure.nonRetryable(
          `${this.wrongCodes} codes were rejected by Meta; request a new verification`,
          VerificationFailure.TooManyWrongCodes,
        );
      }
      if (this.method === 'SMS' && this.options.fallbackToVoice) this.method = 'VOICE';
    }
    throw ApplicationFailure.nonRetryable(
      `no code was submitted within ${formatDuration(this.policy.codeWaitMs)} after each of ` +
        `${this.policy.maxCodeRequests} code requests`,
      VerificationFailure.NoCodeInTime,
    );
  }

  /**
   * One request_code, never repeated blindly: each one texts or calls a person with a new code. A request
   * whose answer was lost may have sent a code, so the run then waits for it like any other; a throttled
   * one (Meta sent nothing) is tried again after the wait Meta gives.
   */
  private async requestCode(): Promise<'sent' | 'maybe-sent' | 'verified'> {
    for (let retries = 0; ; retries++) {
      await this.progress.active(`requesting a verification code by ${this.method}`);
      try {
        await codeRequests.requestVerificationCode(this.phoneNumberId, this.method, this.options.language);
        return 'sent';
      } catch (err) {
        const failure = graphFailureOf(err);
        if (!failure || failure.type === GraphErrorType.UnknownOutcome) return 'maybe-sent';
        if (failure.type === GraphErrorType.RequestCodeRefused) {
          if ((await reads.readPhoneNumber(this.phoneNumberId)).verification === 'verified')
            return 'verified';
          throw ApplicationFailure.nonRetryable(
            `Meta refused to send a code: ${failure.message}`,
            failure.type,
          );
        }
        const waitable =
          failure.type === GraphErrorType.Transient || failure.type === GraphErrorType.WaitThenRetry;
        if (!waitable || retries >= this.policy.maxTransientRetries) throw err;
        const delay = failure.details.retryAfterMs ?? this.policy.transientBackoffMs * 2 ** retries;
        if (failure.details.retryAfterMs !== undefined) countWaitEntered(WaitReason.Throttling);
        await this.progress.active(
          `${failure.message}; asking for a code again in ${formatDuration(delay)}`,
          workflowNow() + delay,
        );
        await sleep(delay);
      }
    }
  }

  private async submit(raw: string): Promise<CodeSubmissionResult> {
    const code = parseInput(verificationCodeSchema(), raw, 'code');
    await condition(() => !this.checking); // one verify_code at a time
    const attemptsLeft = () => Math.max(0, this.policy.maxCodeAttempts - this.wrongCodes);
    if (this.verified)
      return { accepted: true, reason: 'the number is already verified', attemptsLeft: attemptsLeft() };
    if (this.awaitingSince === undefined) {
      return { accepted: false, reason: 'no code is awaited any more', attemptsLeft: attemptsLeft() };
    }
    this.checking = true;
    try {
      await verification.submitCodeToMeta(this.phoneNumberId, code);
      this.verified = true;
      return { accepted: true, attemptsLeft: attemptsLeft() };
    } catch (err) {
      const failure = graphFailureOf(err);
      if (failure?.type !== GraphErrorType.CodeRejected) throw err;
      // A verify_code retried after a lost answer is "already used": the number may be verified anyway.
      if ((await reads.readPhoneNumber(this.phoneNumberId)).verification === 'verified') {
        this.verified = true;
        return { accepted: true, attemptsLeft: attemptsLeft() };
      }
      this.wrongCodes += 1;
      return {
        accepted: false,
        reason: `Meta rejected the code (wrong, expired or already used): ${failure.details.details ?? failure.message}`,
        attemptsLeft: attemptsLeft(),
      };
    } finally {
      this.checking = false;
    }
  }
}
