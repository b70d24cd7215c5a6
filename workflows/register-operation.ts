// Register: the number on Cloud API with its two-step PIN (and region, when given). Run by the lifecycle.
import { ApplicationFailure } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import type { RegisterRequest } from '../domain/operations';
import type { DataLocalizationRegion } from '../domain/phone-number';
import { reads, mutations } from './activity-proxies';
import { requestFailure, runBudgetedRequest } from './budgeted-request';
import { workflowNow } from './clock';
import { formatDuration } from './format';
import { deregisterNumber } from './deregister-operation';
import { isRegistered } from './number-reads';
import type { OperationContext } from './operation-context';

export async function runRegister(ctx: OperationContext, request: RegisterRequest) {
  return registerNumber(ctx, request);
}

interface RegisterParams {
  pin: string;
  region?: DataLocalizationRegion;
  backup?: { data: string; password: string };
}

/**
 * The register step, also used by onboarding, region changes and migration: budget-aware, region by the
 * configured mechanism. A 133000 (a previous deregistration did not finish) gets Meta's remedy here.
 */
export async function registerNumber(
  ctx: OperationContext,
  params: RegisterParams,
  options: { offline?: boolean; maxLockoutWaits?: number } = {},
): Promise<'completed' | 'already-done'> {
  let outcome: 'completed' | 'already-done';
  try {
    outcome = await sendRegister(ctx, params, options);
  } catch (err) {
    if (!(err instanceof ApplicationFailure) || err.type !== GraphErrorType.IncompleteDeregistration)
      throw err;
    await finishDeregistration(ctx);
    outcome = await sendRegister(ctx, params, options);
  }
  // A registered number is verified (Meta requires it); registering with a PIN set it or matched it.
  ctx.learn({ verification: 'verified', ...(outcome === 'completed' ? { pinSet: true } : {}) });
  return outcome;
}

function sendRegister(
  ctx: OperationContext,
  params: RegisterParams,
  options: { offline?: boolean; maxLockoutWaits?: number },
): Promise<'completed' | 'already-done'> {
  const { phoneNumberId, policy } = ctx;
  const viaSettings = params.region !== undefined && policy.regionMechanism === 'settings';
  return runBudgetedRequest(ctx, {
    endpoint: 'register',
    registrationWhenDone: 'registered',
    offline: options.offline,
    maxLockoutWaits: options.maxLockoutWaits,
    // v21+: the region is a setting made while deregistered; register then keeps it.
    beforeFirstSend: viaSettings
      ? () => reads.configureLocalStorage(phoneNumberId, params.region)
      : undefined,
    send: () =>
      mutations.registerPhoneNumber(phoneNumberId, {
        pin: params.pin,
        region: viaSettings ? undefined : params.region,
        ...(params.backup ? { backup: params.backup } : {}),
      }),
    alreadyDone: () => isRegistered(ctx),
  });
}

/**
 * 133000 [ERR]: "a previous deregistration failed; deregister the number again before registering". Done
 * at once when the budget has room for both the deregister and the register after it; otherwise the
 * operation stops and says exactly when to run it again (a retry does both).
 */
async function finishDeregistration(ctx: OperationContext): Promise<void> {
  const { budget, policy, phoneNumberId } = ctx;
  const now = workflowNow();
  const ready = Math.max(
    budget.nextAllowedAt('deregister', policy, now),
    budget.nextAllowedAt('register', policy, now),
  );
  if (ready > now) {
    throw requestFailure(
      GraphErrorType.IncompleteDeregistration,
      `Meta says a previous deregistration did not finish (133000); its remedy is a deregister, then a register, ` +
        `and the budget has room for both in ${formatDuration(ready - now)} (${new Date(ready).toISOString()}). ` +
        `Then run: wa-number retry ${phoneNumberId}`,
      133000,
    );
  }
  await ctx.progress.active(
    "133000: a previous deregistration did not finish; deregistering again (Meta's remedy)",
  );
  await deregisterNumber(ctx, { evenIfNotRegistered: true });
}
