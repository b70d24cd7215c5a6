import { emptyLedger } from '../domain/ledger';
import type { OperationInput, OperationReport, SetPinRequest } from '../domain/operations';
import { verification } from './activity-proxies';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';
import { failWith } from './operation-report';

/** Sets or changes the two-step PIN. The lifecycle records that a PIN is set, never the PIN. */
export async function setPinOperation(input: OperationInput<SetPinRequest>): Promise<OperationReport> {
  labelOperation(input);
  const base = { operationId: input.operationId, ledger: emptyLedger(), registration: 'unknown' as const };
  await new OperationProgressReporter(input.operationId, 'setting-pin').active('setting the two-step PIN');
  try {
    await verification.setTwoStepPin(input.phoneNumberId, input.request.pin);
  } catch (err) {
    throw failWith(err, base);
  }
  return { ...base, outcome: 'completed', pinSet: true };
}
