import type { OperationInput, OperationReport, RegisterRequest } from '../domain/operations';
import type { DataLocalizationRegion } from '../domain/phone-number';
import { reads, mutations } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';

/** Registers the number for Cloud API with its two-step PIN (and region, when given). */
export async function registerOperation(input: OperationInput<RegisterRequest>): Promise<OperationReport> {
  labelOperation(input);
  return registerNumber(
    input,
    input.request,
    new OperationProgressReporter(input.operationId, 'registering'),
  );
}

/** The register step, also used by onboarding: budget-aware, region by the configured mechanism. */
export async function registerNumber(
  input: OperationInput,
  params: { pin: string; region?: DataLocalizationRegion; backup?: { data: string; password: string } },
  progress: OperationProgressReporter,
  options: { offline?: boolean; maxLockoutWaits?: number } = {},
): Promise<OperationReport> {
  const { phoneNumberId } = input;
  const viaSettings = params.region !== undefined && input.policy.regionMechanism === 'settings';
  const report = await runBudgetedRequest(input, {
    endpoint: 'register',
    registrationWhenDone: 'registered',
    progress,
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
  return { ...report, verification: 'verified', ...(report.outcome === 'completed' ? { pinSet: true } : {}) };
}
