// On-Premises → Cloud API (reference §5): preflight, back up on the On-Prem client, register on Cloud
// with that backup, check the result. The backup data lives only in this run (an encrypted payload),
// never in the lifecycle or a result. A wrong PIN takes the On-Prem client down anyway: the run then
// says the number is on neither API and waits for a corrected PIN, reusing the same backup.
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import { emptyLedger, mergeLedgers, type RequestLedger } from '../domain/ledger';
import type { MigrateRequest, OperationInput, OperationReport } from '../domain/operations';
import { onPrem, reads } from './activity-proxies';
import { PinMailbox, registerBack } from './offline-recovery';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';
import { failWith, reportOf } from './operation-report';
import { registerNumber } from './register-operation';

const NAME_NOT_USABLE = new Set(['NONE', 'EXPIRED', 'DECLINED']);

export async function migrateOperation(input: OperationInput<MigrateRequest>): Promise<OperationReport> {
  labelOperation(input);
  const { phoneNumberId, policy, request } = input;
  const progress = new OperationProgressReporter(input.operationId, 'migrating');
  const pins = new PinMailbox();
  let spent: RequestLedger = emptyLedger();
  const soFar = () => ({ operationId: input.operationId, ledger: spent, registration: 'unknown' as const });

  try {
    await progress.active('preflight: reading the number');
    const number = await reads.readPhoneNumber(phoneNumberId);
    if (number.platformType === 'CLOUD_API') {
      throw ApplicationFailure.nonRetryable(
        `the number is already on Cloud API (platform_type CLOUD_API): nothing to migrate`,
        'AlreadyOnCloudApi',
      );
    }
    if (number.platformType !== 'ON_PREMISE') {
      throw ApplicationFailure.nonRetryable(
        `the number is not on the On-Premises API (platform_type ${number.platformType ?? 'unknown'}); ` +
          'migration needs a running On-Prem client to back up',
        'NotOnPremises',
      );
    }
    if (NAME_NOT_USABLE.has(number.nameStatus ?? '')) {
      throw ApplicationFailure.nonRetryable(
        `the display name cannot be used to register (name_status ${number.nameStatus}); fix it first, the On-Prem client is untouched`,
        'DisplayNameNotUsable',
      );
    }

    await progress.active('logging in to the On-Prem client and creating a backup');
    const backup = {
      data: await onPrem.createOnPremBackup({ ...request.onPrem, backupPassword: request.backupPassword }),
      password: request.backupPassword,
    };

    // From the first register on, a cancel waits: the outcome decides which API the number is on.
    return await CancellationScope.nonCancellable(async () => {
      try {
        const report = await registerNumber(
          { ...input, ledger: mergeLedgers(input.ledger, spent) },
          { pin: request.pin, backup },
          progress,
        );
        spent = mergeLedgers(spent, report.ledger);
      } catch (err) {
        const inner = reportOf(err);
        if (inner) spent = mergeLedgers(spent, inner.ledger);
        if (inner?.failure?.type !== GraphErrorType.PinMismatch) throw err;
        // Meta documents it: a wrong PIN takes the On-Prem deployment down anyway.
        const why = 'the wrong PIN shut the On-Prem client down; the number is on neither API';
        const pin = await pins.waitForPin(
          progress,
          `NUMBER IS ON NEITHER API: Meta refused the two-step PIN and the On-Prem client has shut down anyway. ` +
            'Reset the PIN (WhatsApp Manager: turn two-step verification off, then set a new PIN), then run ' +
            'the same migrate command again with the new PIN; the backup is kept for it.',
          policy.maxPinWaitMs,
        );
        const report = await registerBack(
          { ...input, ledger: mergeLedgers(input.ledger, spent) },
          { pin, backup, why },
          progress,
          pins,
        );
        spent = mergeLedgers(spent, report.ledger);
      }

      await progress.active('post-check: reading the number on Cloud API');
      const after = await reads.readPhoneNumber(phoneNumberId);
      if (after.platformType !== 'CLOUD_API' || after.status !== 'CONNECTED') {
        throw ApplicationFailure.nonRetryable(
          `post-check failed: Meta reports platform_type ${after.platformType}, status ${after.status}; expected CLOUD_API, CONNECTED`,
          'MigrationPostCheckFailed',
        );
      }
      return {
        ...soFar(),
        registration: 'registered',
        outcome: 'completed',
        verification: 'verified',
        pinSet: true,
      };
    });
  } catch (err) {
    throw failWith(err, soFar());
  }
}
