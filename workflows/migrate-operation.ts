// On-Premises → Cloud API (reference §5): preflight, back up on the On-Prem client, register on Cloud
// with that backup, check the result. Run by the lifecycle, so its register is counted like any other;
// the backup data is an encrypted payload of the lifecycle's history only while the migration runs (it
// is never carried across continue-as-new, nor returned). A wrong PIN takes the On-Prem client down
// anyway: the operation then says the number is on neither API and waits for a corrected PIN, reusing
// the same backup.
import { ApplicationFailure, CancellationScope, CancelledFailure } from '@temporalio/workflow';
import type { MigrateRequest } from '../domain/operations';
import { onPrem, reads } from './activity-proxies';
import type { OperationContext } from './operation-context';
import { pinRefused, registerBack } from './offline-recovery';
import { registerNumber } from './register-operation';
import { readKnownNumber } from './number-reads';
import { OperationFailureType } from '../domain/failure-types';

const NAME_NOT_USABLE = new Set(['NONE', 'EXPIRED', 'DECLINED']);

export async function runMigrate(ctx: OperationContext, request: MigrateRequest): Promise<'completed'> {
  const { phoneNumberId, policy, progress } = ctx;
  await progress.active('preflight: reading the number');
  const number = await reads.readPhoneNumber(phoneNumberId);
  if (number.platformType === 'CLOUD_API') {
    throw ApplicationFailure.nonRetryable(
      `the number is already on Cloud API (platform_type CLOUD_API): nothing to migrate`,
      OperationFailureType.AlreadyOnCloudApi,
    );
  }
  if (number.platformType !== 'ON_PREMISE') {
    throw ApplicationFailure.nonRetryable(
      `the number is not on the On-Premises API (platform_type ${number.platformType ?? 'unknown'}); ` +
        'migration needs a running On-Prem client to back up',
      OperationFailureType.NotOnPremises,
    );
  }
  if (NAME_NOT_USABLE.has(number.nameStatus ?? '')) {
    throw ApplicationFailure.nonRetryable(
      `the display name cannot be used to register (name_status ${number.nameStatus}); fix it first, the On-Prem client is untouched`,
      OperationFailureType.DisplayNameNotUsable,
    );
  }

  await progress.active('logging in to the On-Prem client and creating a backup');
  const backup = {
    data: await onPrem.createOnPremBackup({ ...request.onPrem, backupPassword: request.backupPassword }),
    password: request.backupPassword,
  };

  // The point of no return: a cancel that arrived during the backup holds; the On-Prem client is untouched.
  if (CancellationScope.current().consideredCancelled) {
    throw new CancelledFailure('cancelled before the register; the number is still on the On-Premises API');
  }
  // From the first register on, a cancel waits: the outcome decides which API the number is on.
  return CancellationScope.nonCancellable(async () => {
    try {
      await registerNumber(ctx, { pin: request.pin, backup });
    } catch (err) {
      const code = pinRefused(err);
      if (code === undefined) throw err;
      // Meta documents it: a wrong PIN takes the On-Prem deployment down anyway.
      ctx.learn({ registration: 'not-registered' });
      const why = 'the wrong PIN shut the On-Prem client down; the number is on neither API';
      const pin = await ctx.pins.waitForPin(
        progress,
        `NUMBER IS ON NEITHER API: Meta refused the two-step PIN (${code}) and the On-Prem client has shut down anyway. ` +
          'Reset the PIN (WhatsApp Manager: turn two-step verification off, then set a new PIN), then run ' +
          'the same migrate command again with the new PIN; the backup is kept for it.',
        policy.maxPinWaitMs,
      );
      await registerBack(ctx, { pin, backup, why });
    }

    await progress.active('post-check: reading the number on Cloud API');
    const after = await readKnownNumber(ctx);
    // Registered on Cloud API: CONNECTED, or a quality/limit state (FLAGGED, ...) of a registered number.
    if (after.platformType !== 'CLOUD_API' || after.registration !== 'registered') {
      throw ApplicationFailure.nonRetryable(
        `post-check failed: Meta reports platform_type ${after.platformType}, status ${after.status}; expected a registered Cloud API number`,
        OperationFailureType.MigrationPostCheckFailed,
      );
    }
    ctx.learn({ registration: 'registered', verification: 'verified', pinSet: true });
    return 'completed' as const;
  });
}
