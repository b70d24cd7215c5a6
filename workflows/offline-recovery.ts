// Bringing a number back after an operation took it offline (region change: deregistered; migration:
// On-Prem shut down). Register keeps trying within the budget, and a refused PIN waits for a corrected
// one instead of failing: the number must not stay down because of a typo.
import { ApplicationFailure } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import type { DataLocalizationRegion } from '../domain/phone-number';
import type { OperationContext } from './operation-context';
import { registerNumber } from './register-operation';

/** Taking a number offline is serious: try harder than usual to bring it back. */
const OFFLINE_LOCKOUT_WAITS = 10;

export interface RegisterBackParams {
  pin: string;
  region?: DataLocalizationRegion;
  backup?: { data: string; password: string };
  /** Why the number is offline, for the state and the failure message. */
  why: string;
}

/** Meta refused the two-step PIN (133005 and its kin): the failure's type says so. */
export function pinRefused(err: unknown): number | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== GraphErrorType.PinMismatch) return undefined;
  return (err.details?.[0] as { graphCode?: number } | undefined)?.graphCode ?? 133005;
}

/** Registers the offline number, waiting out budget and blocks, and asking for a new PIN when refused. */
export async function registerBack(ctx: OperationContext, params: RegisterBackParams): Promise<void> {
  let pin = params.pin;
  for (;;) {
    try {
      await registerNumber(
        ctx,
        { pin, region: params.region, backup: params.backup },
        { offline: true, maxLockoutWaits: Math.max(OFFLINE_LOCKOUT_WAITS, ctx.policy.maxLockoutWaits) },
      );
      return;
    } catch (err) {
      const code = pinRefused(err);
      if (code === undefined) throw err;
      pin = await ctx.pins.waitForPin(
        ctx.progress,
        `NUMBER IS OFFLINE (${params.why}) and Meta refused the two-step PIN (${code}). ` +
          'Reset the PIN if needed (WhatsApp Manager), then run the same command again with the right PIN.',
        ctx.policy.maxPinWaitMs,
      );
      await ctx.progress.report(
        'offline',
        `NUMBER IS OFFLINE (${params.why}): registering with the corrected PIN`,
      );
    }
  }
}
