// The heart of the budget rules, shared by register and deregister: never send a request the ledger
// says would be refused; wait out 133016 blocks durably; after an unknown outcome, read the number's
// state before deciding to send again.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  sleep,
} from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import {
  emptyLedger,
  nextAllowedAt,
  recordBlock,
  recordRequests,
  type BudgetedEndpoint,
  type RequestLedger,
} from '../domain/ledger';
import type { Registration } from '../domain/lifecycle-state';
import type { OperationInput, OperationReport } from '../domain/operations';
import { workflowNow } from './clock';
import { graphFailureOf, type GraphFailure } from './graph-failure';
import { failWith, reportOf } from './operation-report';
import type { OperationProgressReporter } from './operation-progress';

export interface BudgetedRequest {
  endpoint: BudgetedEndpoint;
  /** Sends the request (one activity attempt). */
  send(): Promise<void>;
  /** Runs once, right before the first request is sent (not when the effect already holds). */
  beforeFirstSend?(): Promise<void>;
  /** Reads the number and says whether the request's effect already holds. */
  alreadyDone(): Promise<boolean>;
  /** Registration once the effect holds. */
  registrationWhenDone: Registration;
  progress: OperationProgressReporter;
  /** The number is offline until this request succeeds: waits say so loudly (state `offline`). */
  offline?: boolean;
  /** Overrides policy.maxLockoutWaits (bringing an offline number back tries harder). */
  maxLockoutWaits?: number;
}

/**
 * The send's activity ended without a Graph answer: it timed out (the worker died holding it, or its
 * completion was lost while the server was down) or failed before classifying. The request may have
 * reached Meta, so it is an unknown outcome: read before sending again.
 */
function silentSendFailure(err: unknown): GraphFailure | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause?.message ?? err.message;
  return {
    type: GraphErrorType.UnknownOutcome,
    message: `the request's activity ended without a Graph answer (${cause})`,
    details: {},
  };
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.ceil(ms / 1000)} s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

export async function runBudgetedRequest(
  input: OperationInput,
  req: BudgetedRequest,
): Promise<OperationReport> {
  const { policy, operationId } = input;
  let ledger: RequestLedger = input.ledger; // what we know, to decide
  let spent: RequestLedger = emptyLedger(); // what this run adds, to report back
  const report = (extra: Partial<OperationReport>): OperationReport => ({
    operationId,
    ledger: spent,
    registration: 'unknown',
    ...extra,
  });
  const fail = (type: string, message: string, graphCode?: number, registration: Registration = 'unknown') =>
    ApplicationFailure.nonRetryable(
      message,
      type,
      report({ registration, failure: { type, message, graphCode } }),
    );

  try {
    return await sendWithinBudget();
  } catch (err) {
    // Cancelled while waiting or reading: no request is in flight (sends are not cancellable), so this
    // is a safe point. Report what was spent, so the ledger stays exact.
    if (isCancellation(err)) {
      throw fail(
        'Cancelled',
        `cancelled before ${req.endpoint} succeeded (${spent.entries.length} request(s) sent)`,
      );
    }
    // Any other failure (a read that kept failing after a send, say) still reports what was spent:
    // a request Meta counts must never drop out of the ledger.
    if (reportOf(err)) throw err;
    throw failWith(err, { operationId, ledger: spent, registration: 'unknown' });
  }

  async function sendWithinBudget(): Promise<OperationReport> {
    await req.progress.active(`checking the number before ${req.endpoint}`);
    if (await req.alreadyDone())
      return report({ outcome: 'already-done', registration: req.registrationWhenDone });

    await req.beforeFirstSend?.();
    let lockoutWaits = 0;
    let retries = 0;
    for (;;) {
      const now = workflowNow();
      const allowedAt = nextAllowedAt(ledger, req.endpoint, now, policy);
      if (allowedAt > now) {
        const blocked = (ledger.blockedUntil[req.endpoint] ?? 0) > now;
        const why = blocked
          ? `Meta blocked ${req.endpoint} for this number (133016)`
          : `${policy.requestsPerWindow} ${req.endpoint} requests already sent in the moving ${formatDuration(policy.windowMs)} window`;
        const reason = `${why}; next ${req.endpoint} request allowed in ${formatDuration(allowedAt - now)}`;
        if (req.offline)
          await req.progress.report(
            'offline',
            `NUMBER IS OFFLINE until registered again: ${reason}`,
            allowedAt,
          );
        else await req.progress.waiting(allowedAt, reason);
        await sleep(allowedAt - now);
        await req.progress.active(`sending ${req.endpoint}`);
        continue;
      }

      const sent = { endpoint: req.endpoint, at: now, operationId };
      ledger = recordRequests(ledger, [sent]);
      spent = recordRequests(spent, [sent]);
      try {
        // Once sent, a request runs to its answer even if the operation is cancelled: its outcome must be known.
        await CancellationScope.nonCancellable(() => req.send());
        return report({ outcome: 'completed', registration: req.registrationWhenDone });
      } catch (err) {
        const failure = graphFailureOf(err) ?? silentSendFailure(err);
        if (!failure) throw err;
        const { type, details } = failure;
        if (type === GraphErrorType.RegistrationRateLimited) {
          // Meta blocks for 72 h from this request; our clock, not the activity's parse of details, decides.
          const until = now + policy.blockMs;
          ledger = recordBlock(ledger, req.endpoint, until);
          spent = recordBlock(spent, req.endpoint, until);
          if (++lockoutWaits > (req.maxLockoutWaits ?? policy.maxLockoutWaits)) {
            throw fail(
              type,
              `${req.endpoint} blocked by Meta (133016) ${lockoutWaits} times; giving up`,
              details.code,
            );
          }
          continue; // the loop sleeps until the block ends
        }
        if (type === GraphErrorType.UnknownOutcome) {
          // Timeout, 5xx or 131000: the request may have taken effect. Read before sending again.
          await req.progress.active(
            `${req.endpoint} outcome unknown (${failure.message}); reading the number`,
          );
          if (await req.alreadyDone()) {
            return report({ outcome: 'completed', registration: req.registrationWhenDone });
          }
        }
        const retryable =
          type === GraphErrorType.UnknownOutcome ||
          type === GraphErrorType.Transient ||
          type === GraphErrorType.WaitThenRetry;
        if (!retryable) throw fail(type, failure.message, details.code);
        if (++retries > policy.maxTransientRetries) {
          throw fail(type, `${failure.message} (gave up after ${retries} attempts)`, details.code);
        }
        const delay = details.retryAfterMs ?? policy.transientBackoffMs * 2 ** (retries - 1);
        await req.progress.active(`${failure.message}; retrying in ${formatDuration(delay)}`);
        await sleep(delay);
      }
    }
  }
}
