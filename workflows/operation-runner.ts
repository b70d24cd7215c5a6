// Runs one operation inside the number's lifecycle workflow. Operations run here, not in child runs, so
// every register and deregister they send goes through the lifecycle's RequestBudget (recorded in the
// task that schedules it). Only ownership verification has a child run: a person answers it there.
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  type CancellationScope,
} from '@temporalio/workflow';
import type { RequestLedger } from '../domain/ledger';
import type {
  OperationKind,
  OperationOutcome,
  OperationPolicy,
  OperationReport,
  OperationRequest,
  VerifyRequest,
} from '../domain/operations';
import type { LifecycleState } from '../domain/lifecycle-state';
import { boundText } from '../domain/validation';
import { settings } from './activity-proxies';
import { runChangeRegion } from './change-region-operation';
import { runDeregister } from './deregister-operation';
import { runMigrate } from './migrate-operation';
import { runOnboard } from './onboard-operation';
import type { NumberFacts, OperationContext, PinMailbox } from './operation-context';
import { OperationProgressReporter, type ProgressSink } from './operation-progress';
import { runRegister } from './register-operation';
import type { RequestBudget } from './request-budget';
import { runSetPin } from './set-pin-operation';
import { verifyOperation } from './verify-operation';
import { countOperationFinished, countOperationStarted } from './metrics';
import type { NameDecisions } from './name-decisions';
import { FAILURE_TYPES, OperationFailureType } from '../domain/failure-types';

const KNOWN_FAILURE_TYPES: ReadonlySet<string> = new Set(FAILURE_TYPES);

/** The number's state while an operation of that kind runs (until it reports otherwise). */
export const ACTIVE_STATE: Record<OperationKind, LifecycleState> = {
  register: 'registering',
  deregister: 'deregistering',
  verify: 'verifying',
  'set-pin': 'setting-pin',
  onboard: 'onboarding',
  'change-region': 'changing-region',
  migrate: 'migrating',
};

/** Operations whose messages (a verification code) go to a child run with the operation's ID. */
export const HAS_CHILD_RUN: ReadonlySet<OperationKind> = new Set(['verify', 'onboard']);

/** Longest failure message kept: Meta's texts can be long, and thousands of them travel in fleets. */
export const MAX_FAILURE_MESSAGE = 500;

export interface OperationRun {
  phoneNumberId: string;
  operationId: string;
  request: OperationRequest;
  budget: RequestBudget;
  pins: PinMailbox;
  scope: CancellationScope;
  progress: ProgressSink;
  learn(facts: NumberFacts): void;
  /** Display-name decisions from Meta's webhooks (an onboarding waiting for its name wakes on one). */
  nameDecisions?: NameDecisions;
  /** A policy read moments ago (by a fresh run's recovery): the operation reads none of its own then. */
  policy?: OperationPolicy;
  /** The policy the operation ran with, for the lifecycle's bookkeeping (undefined if it could not be read). */
  onPolicy(policy: OperationPolicy): void;
}

export async function runOperation(run: OperationRun): Promise<OperationReport> {
  countOperationStarted(run.request.operation);
  const report = await runToReport(run);
  countOperationFinished(run.request.operation, report);
  return report;
}

async function runToReport(run: OperationRun): Promise<OperationReport> {
  const { operationId, request } = run;
  try {
    const outcome = await run.scope.run(async () => {
      const policy = run.policy ?? (await settings.loadPolicy());
      run.onPolicy(policy);
      const ctx: OperationContext = {
        phoneNumberId: run.phoneNumberId,
        operationId,
        policy,
        budget: run.budget,
        pins: run.pins,
        progress: new OperationProgressReporter(operationId, ACTIVE_STATE[request.operation], run.progress),
        learn: run.learn,
        ...(run.nameDecisions ? { nameDecisions: run.nameDecisions } : {}),
      };
      return dispatch(ctx, request);
    });
    return { operationId, outcome, registration: 'unknown', ledger: sentBy(run.budget.current, operationId) };
  } catch (err) {
    return {
      operationId,
      registration: 'unknown',
      ledger: sentBy(run.budget.current, operationId),
      failure: failureOf(err),
    };
  }
}

function dispatch(ctx: OperationContext, request: OperationRequest): Promise<OperationOutcome> {
  switch (request.operation) {
    case 'register':
      return runRegister(ctx, request);
    case 'deregister':
      return runDeregister(ctx);
    case 'set-pin':
      return runSetPin(ctx, request);
    case 'change-region':
      return runChangeRegion(ctx, request);
    case 'migrate':
      return runMigrate(ctx, request);
    case 'verify':
      return verifyInChildRun(ctx, request);
    case 'onboard':
      return runOnboard(ctx, request, () =>
        verifyInChildRun(ctx, {
          operation: 'verify',
          method: request.method,
          language: request.language,
          fallbackToVoice: request.fallbackToVoice,
          ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
          ...(request.wabaId ? { wabaId: request.wabaId } : {}),
        }),
      );
  }
}

async function verifyInChildRun(ctx: OperationContext, request: VerifyRequest): Promise<OperationOutcome> {
  const outcome = await executeChild(verifyOperation, {
    workflowId: ctx.operationId,
    staticSummary: `verify ownership of ${ctx.phoneNumberId}${request.requestedBy ? ` (requested by ${request.requestedBy})` : ''}`,
    args: [{ phoneNumberId: ctx.phoneNumberId, operationId: ctx.operationId, request, policy: ctx.policy }],
  });
  ctx.learn({ verification: 'verified' });
  return outcome;
}

/** The requests this operation sent, from the lifecycle's ledger (its report and the UI's audit trail). */
function sentBy(ledger: RequestLedger, operationId: string): RequestLedger {
  return {
    entries: ledger.entries.filter((e) => e.operationId === operationId),
    blockedUntil: ledger.blockedUntil,
  };
}

/** How the operation failed: the failure's type (a child run's failure is its cause's), bounded message. */
export function failureOf(err: unknown): NonNullable<OperationReport['failure']> {
  const cause = err instanceof ChildWorkflowFailure && err.cause ? err.cause : err;
  const inner =
    cause instanceof Error && 'cause' in cause && cause.cause instanceof ApplicationFailure
      ? cause.cause
      : cause;
  const failure = inner instanceof ApplicationFailure ? inner : undefined;
  const cancelled = !failure && (isCancellation(cause) || isCancellation(err));
  const type =
    failure?.type ?? (cancelled ? OperationFailureType.Cancelled : OperationFailureType.OperationFailed);
  const raw = cancelled
    ? `cancelled at a safe point${cause instanceof Error && cause.message ? ` (${cause.message})` : ''}`
    : inner instanceof Error
      ? inner.message
      : String(inner);
  const details = failure?.details?.[0] as { graphCode?: number; code?: number } | undefined;
  const graphCode = details?.graphCode ?? details?.code;
  // Callers branch on the documented list: any other type (a plain Error from an activity) is reported as such.
  const known = KNOWN_FAILURE_TYPES.has(type);
  return {
    type: known ? type : OperationFailureType.OperationFailed,
    message: boundText(known ? raw : `${type}: ${raw}`, MAX_FAILURE_MESSAGE),
    ...(graphCode !== undefined ? { graphCode } : {}),
  };
}
