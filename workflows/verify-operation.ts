// Ownership verification runs as a child run of the lifecycle because a person is in the loop: the code
// they receive arrives as an Update on this run (its ID is the operation's ID). It sends no counted request.
import { allHandlersFinished, condition, setWorkflowOptions } from '@temporalio/workflow';
import type { OperationInput, VerifyRequest } from '../domain/operations';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';
import { OwnershipVerification } from './ownership-verification';
import { whenVersioned } from './versioning';

export async function verifyOperation(
  input: OperationInput<VerifyRequest>,
): Promise<'completed' | 'already-done'> {
  labelOperation(input);
  const progress = new OperationProgressReporter(input.operationId, 'verifying');
  const verification = new OwnershipVerification(input.phoneNumberId, input.request, input.policy, progress);
  const result = await verification.run();
  await condition(allHandlersFinished); // the submitter of the right code gets its answer
  return result === 'already-verified' ? 'already-done' : 'completed';
}

// Worker Versioning (when on): a verification stays on the build that started it (docs/versioning.md).
setWorkflowOptions(whenVersioned('PINNED'), verifyOperation);
