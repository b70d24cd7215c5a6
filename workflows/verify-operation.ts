import { allHandlersFinished, condition } from '@temporalio/workflow';
import { emptyLedger } from '../domain/ledger';
import type { OperationInput, OperationReport, VerifyRequest } from '../domain/operations';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';
import { failWith } from './operation-report';
import { OwnershipVerification } from './ownership-verification';

/** Proves ownership of the number: a code sent by SMS or voice, typed in by a person. */
export async function verifyOperation(input: OperationInput<VerifyRequest>): Promise<OperationReport> {
  labelOperation(input);
  const progress = new OperationProgressReporter(input.operationId, 'verifying');
  const verification = new OwnershipVerification(input.phoneNumberId, input.request, input.policy, progress);
  const base = { operationId: input.operationId, ledger: emptyLedger(), registration: 'unknown' as const };
  try {
    const result = await verification.run();
    await condition(allHandlersFinished); // the submitter of the right code gets its answer
    return {
      ...base,
      outcome: result === 'already-verified' ? 'already-done' : 'completed',
      verification: 'verified',
    };
  } catch (err) {
    throw failWith(err, { ...base, verification: 'not-verified' });
  }
}
