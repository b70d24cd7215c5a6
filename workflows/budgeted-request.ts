// The heart of the budget rules, shared by register and deregister: never send a request the ledger
// says would be refused; wait out 133016 blocks durably; after an unknown outcome, read the number's
// state before deciding to send again. Every send goes through the lifecycle's RequestBudget.
import { ActivityFailure, ApplicationFailure, isCancellation, sleep } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import type { BudgetedEndpoint } from '../domain/ledger';
import type { Registration } from '../domain/lifecycle-state';
import { workflowNow } from './clock';
import { formatDuration } from './format';
import { graphFailureOf, type GraphFailure } from './graph-failure';
import type { OperationContext } from './operation-context';
import { neverStarted } from './request-budget';
import { pinLockEnd } from '../domain/ledger';
import { OperationFailureType } from '../domain/failure-types';
import { WaitReason } from '../domain/metric-names';
import { countWaitEntered } from './metrics';

/** A heartbeat interval (10 s, activities/index.ts) and a margin. */
const SETTLE_AFTER_SILENT_FAILURE_MS = 15_000;

export interface BudgetedRequest {
  endpoint: BudgetedEndpoint;
  /** Sends the request (one activity attempt). */
  send(): Promise<void>;
  /** Runs once, right before the first request is sent (not when the effect already holds). */
  beforeFirstSend?(): Promise<void>;
  /** Reads the number and says whether the request's effect already holds. */
  alreadyDone(): Promise<boolean>;
  /**
   * A refusal that still means the effect holds (a deregister Meta answers "not registered"): checked,
   * reading if need be, before the refusal fails the request.
   */
  doneDespite?(failure: GraphFailure): Promise<boolean>;
  /** Registration once the effect holds. */
  registrationWhenDone: Registration;
  /** The number is offline until this request succeeds: waits say so loudly (state `offline`). */
  offline?: boolean;
  /** Overrides policy.maxLockoutWaits (bringing an offline number back tries harder). */
  maxLockoutWaits?: number;
}

/** Thrown when a budgeted request fails for good: the type names the class, graphCode Meta's code. */
export function requestFailure(type: string, message: string, graphCode?: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, { graphCode });
}

/**
 * The send's activity ended without a Graph answer: it timed out (the worker died holding it, or its
 * completion was lost while the server was down) or failed before classifying. The request may have
 * reached Meta, so it is an unknown outcome: read before sending again. An activity that never started
 * (schedule-to-start timeout) never sent anything: plain retry, nothing to read.
 */
function silentSendFailure(err: unknown): GraphFailure | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause?.message ?? err.message;
  if (neverStarted(err)) {
    return {
      type: GraphErrorType.Transient,
      message: `no worker picked up the request (${cause})`,
      details: {},
    };
  }
  return {
    type: GraphErrorType.UnknownOutcome,
    message: `the request's activity ended without a Graph answer (${cause})`,
    details: {},
  };
}

export async function runBudgetedRequest(
  ctx: OperationContext,
  req: BudgetedRequest,
): Promise<'completed' | 'already-done'> {
  const sentSoFar = () =>
    ctx.budget.current.entries.filter((e) => e.operationId === ctx.operationId && e.endpoint === req.endpoint)
      .length;
  const before = sentSoFar();
  try {
    return await sendWithinBudget(ctx, req);
  } catch (err) {
    // Cancelled while waiting or reading (a request in flight always runs to its answer): a safe point.
    if (isCancellation(err)) {
      throw ApplicationFailure.nonRetryable(
        `cancelled before ${req.endpoint} succeeded (${sentSoFar() - before} request(s) sent)`,
        OperationFailureType.Cancelled,
      );
    }
    throw err;
  }
}

async function sendWithinBudget(
  ctx: OperationContext,
  req: BudgetedRequest,
): Promise<'completed' | 'already-done'> {
  const { policy, progress, budget } = ctx;
  const done = (): 'completed' => {
    ctx.learn({ registration: req.registrationWhenDone });
    return 'completed';
  };
  await progress.active(`checking the number before ${req.endpoint}`);
  if (await req.alreadyDone()) {
    ctx.learn({ registration: req.registrationWhenDone });
    return 'already-done';
  }

  await req.beforeFirstSend?.();
  let lockoutWaits = 0;
  let retries = 0;
  let tooFastRetried = false;
  for (;;) {
    const now = workflowNow();
    const allowedAt = budget.nextAllowedAt(req.endpoint, policy, now);
    if (allowedAt > now) {
      // Still "blocked" while the safety margin after Meta's block runs (nextAllowedAt adds it).
      const blocked = (budget.current.blockedUntil[req.endpoint] ?? 0) + policy.safetyMarginMs > now;
      const pinLocked = req.endpoint === 'register' && pinLockEnd(budget.current, now, policy) === allowedAt;
      const why = pinLocked
        ? 'Meta locked two-step PIN entry for this number after too many guesses (133008)'
        : blocked
          ? `Meta blocked ${req.endpoint} for this number (133016)`
          : `${policy.requestsPerWindow} ${req.endpoint} requests already sent in the moving ${formatDuration(policy.windowMs)} window`;
      const reason = `${why}; next ${req.endpoint} request allowed in ${formatDuration(allowedAt - now)}`;
      countWaitEntered(
        pinLocked ? WaitReason.PinLockout : blocked ? WaitReason.Block : WaitReason.RateLimitSlot,
      );
      if (req.offline)
        await progress.report('offline', `NUMBER IS OFFLINE until registered again: ${reason}`, allowedAt);
      else await progress.waiting(allowedAt, reason);
      await sleep(allowedAt - now);
      await progress.active(`sending ${req.endpoint}`);
      continue;
    }

    try {
      await budget.send(req.endpoint, ctx.operationId, policy, req.send);
      return done();
    } catch (err) {
      const answered = graphFailureOf(err); // undefined: the activity ended without Graph's answer
      const failure = answered ?? silentSendFailure(err);
      if (!failure) throw err;
      const { type, details } = failure;
      if (type === GraphErrorType.RegistrationRateLimited) {
        // The budget recorded Meta's block from the answer's time; the loop sleeps until it ends.
        if (++lockoutWaits > (req.maxLockoutWaits ?? policy.maxLockoutWaits)) {
          throw requestFailure(
            type,
            `${req.endpoint} blocked by Meta (133016) ${lockoutWaits} times; giving up`,
            details.code,
          );
        }
        continue;
      }
      if (type === GraphErrorType.UnknownOutcome) {
        // The activity timed out without an answer: its worker may still hold the HTTP call. It learns of
        // the timeout at its next heartbeat and aborts the call; read only after that.
        if (!answered) await sleep(SETTLE_AFTER_SILENT_FAILURE_MS);
        // Timeout, 5xx or 131000: the request may have taken effect. Read before sending again.
        await progress.active(`${req.endpoint} outcome unknown (${failure.message}); reading the number`);
        if (await req.alreadyDone()) return done();
      }
      if (type === GraphErrorType.PinTooFast && !tooFastRetried) {
        // 133009: the PIN was not checked, only entered too soon. Wait the time Meta gives, then once more.
        tooFastRetried = true;
        const wait = details.retryAfterMs ?? policy.transientBackoffMs;
        countWaitEntered(WaitReason.Throttling);
        await progress.active(
          `${failure.message}; sending the same PIN once more in ${formatDuration(wait)}`,
          workflowNow() + wait,
        );
        await sleep(wait);
        continue;
      }
      if (req.doneDespite && (await req.doneDespite(failure))) {
        ctx.learn({ registration: req.registrationWhenDone });
        return 'already-done';
      }
      const retryable =
        type === GraphErrorType.UnknownOutcome ||
        type === GraphErrorType.Transient ||
        type === GraphErrorType.WaitThenRetry;
      if (!retryable) throw requestFailure(type, failure.message, details.code);
      if (++retries > policy.maxTransientRetries) {
        throw requestFailure(type, `${failure.message} (gave up after ${retries} attempts)`, details.code);
      }
      const delay = details.retryAfterMs ?? policy.transientBackoffMs * 2 ** (retries - 1);
      // A wait Meta named (throttling, 133015) is a wait; our own backoff after a 5xx is not counted.
      if (details.retryAfterMs !== undefined) countWaitEntered(WaitReason.Throttling);
      await progress.active(
        `${failure.message}; retrying in ${formatDuration(delay)}`,
        workflowNow() + delay,
      );
      await sleep(delay);
    }
  }
}
