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

/**
 * Failures after which the PIN just sent must not be sent again (issue 12): a mismatch (133005, or 131031
 * once the account is known not to be locked), too many guesses (133008), or too fast twice (133009).
 */
const PIN_REFUSALS: ReadonlySet<string> = new Set([
  GraphErrorType.PinMismatch,
  GraphErrorType.PinLockedOut,
  GraphErrorType.PinTooFast,
]);

/** Meta refused the two-step PIN: its Graph code (133005 and its kin), or undefined for other failures. */
export function pinRefused(err: unknown): number | undefined {
  if (!(err instanceof ApplicationFailure) || !err.type || !PIN_REFUSALS.has(err.type)) return undefined;
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
          'Reset the PIN if needed (WhatsApp Manager), then run the same command again with the right PIN' +
          (code === 133008 ? ' (it is sent once Meta lifts the PIN lockout).' : '.'),
        ctx.policy.maxPinWaitMs,
      );
      await ctx.progress.report(
        'offline',
        `NUMBER IS OFFLINE (${params.why}): registering with the corrected PIN`,
      );
    }
  }
}
