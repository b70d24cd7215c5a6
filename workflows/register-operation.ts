// Register: the number on Cloud API with its two-step PIN (and region, when given). Run by the lifecycle.
import type { RegisterRequest } from '../domain/operations';
import type { DataLocalizationRegion } from '../domain/phone-number';
import { reads, mutations } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import type { OperationContext } from './operation-context';

export async function runRegister(ctx: OperationContext, request: RegisterRequest) {
  return registerNumber(ctx, request);
}

/** The register step, also used by onboarding, region changes and migration: budget-aware, region by the configured mechanism. */
export async function registerNumber(
  ctx: OperationContext,
  params: { pin: string; region?: DataLocalizationRegion; backup?: { data: string; password: string } },
  options: { offline?: boolean; maxLockoutWaits?: number } = {},
): Promise<'completed' | 'already-done'> {
  const { phoneNumberId, policy } = ctx;
  const viaSettings = params.region !== undefined && policy.regionMechanism === 'settings';
  const outcome = await runBudgetedRequest(ctx, {
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
    alreadyDone: async () => (await reads.readPhoneNumber(phoneNumberId)).registration === 'registered',
  });
  // A registered number is verified (Meta requires it); registering with a PIN set it or matched it.
  ctx.learn({ verification: 'verified', ...(outcome === 'completed' ? { pinSet: true } : {}) });
  return outcome;
}
