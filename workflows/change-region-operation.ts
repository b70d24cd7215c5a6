// Moving local storage to another region, or turning it off (reference §6): deregister → (v21+: set
// storage_configuration) → register with the PIN, then read the result back. The deregister is sent only
// when the register that must follow fits Meta's budget at once; until then the number stays online.
import { ApplicationFailure, CancellationScope, CancelledFailure, sleep } from '@temporalio/workflow';
import type { ChangeRegionRequest } from '../domain/operations';
import { mutations, reads } from './activity-proxies';
import { runBudgetedRequest } from './budgeted-request';
import { formatDuration } from './format';
import { workflowNow } from './clock';
import { graphFailureOf } from './graph-failure';
import type { OperationContext } from './operation-context';
import { registerBack } from './offline-recovery';

const describe = (region: string | null | undefined) =>
  region ? `local storage in ${region}` : 'no local storage';

export async function runChangeRegion(
  ctx: OperationContext,
  request: ChangeRegionRequest,
): Promise<'completed' | 'already-done'> {
  const { phoneNumberId, policy, progress, budget } = ctx;
  const target = request.region; // null: turn local storage off
  const readsStorage = policy.regionMechanism === 'settings';

  await progress.active('reading the number and its local-storage setting');
  const number = await reads.readPhoneNumber(phoneNumberId);
  ctx.learn({ registration: number.registration });
  // Up to v20 Meta exposes no way to read the setting back: the change is always made.
  const current = readsStorage ? await reads.readLocalStorage(phoneNumberId) : undefined;
  const already = current && (current.enabled ? current.region === target : target === null);
  if (already && number.registration === 'registered') return 'already-done';

  if (number.registration === 'registered') {
    // Wait (online) until both requests fit: a deregister now, and the register right after it.
    for (;;) {
      const now = workflowNow();
      const at = Math.max(
        budget.nextAllowedAt('deregister', policy, now),
        budget.nextAllowedAt('register', policy, now),
      );
      if (at <= now) break;
      await progress.waiting(
        at,
        `waiting before deregistering so that the register that must follow fits Meta's budget; ` +
          `the number stays online meanwhile (${formatDuration(at - now)})`,
      );
      await sleep(at - now);
    }
  }

  // The point of no return: a cancel that arrived by now (even with the timer that just fired) holds.
  if (CancellationScope.current().consideredCancelled) {
    throw new CancelledFailure('cancelled before the deregister; the number was left as it was');
  }
  // From the deregister on, a cancel waits: a deregistered number must be registered again first.
  return CancellationScope.nonCancellable(async () => {
    if (number.registration === 'registered') {
      await runBudgetedRequest(ctx, {
        endpoint: 'deregister',
        registrationWhenDone: 'not-registered',
        send: () => mutations.deregisterPhoneNumber(phoneNumberId),
        alreadyDone: async () =>
          (await reads.readPhoneNumber(phoneNumberId)).registration === 'not-registered',
      });
    }

    const why = `deregistered to change to ${describe(target)}`;
    let settingsFailure: unknown;
    if (readsStorage) {
      await progress.report('offline', `NUMBER IS OFFLINE (${why}): setting local storage`);
      try {
        await reads.configureLocalStorage(phoneNumberId, target ?? undefined);
      } catch (err) {
        settingsFailure = err; // bring the number back first, then report
      }
    }
    await registerBack(ctx, {
      pin: request.pin,
      region: readsStorage ? undefined : (target ?? undefined),
      why,
    });
    if (settingsFailure) {
      throw ApplicationFailure.nonRetryable(
        `the local-storage setting was refused (${graphFailureOf(settingsFailure)?.message ?? String(settingsFailure)}); ` +
          'the number was registered again with its previous setting',
        'RegionNotChanged',
      );
    }

    // Read back: the change is done only when Meta reports it.
    await progress.active('reading the result back');
    const after = await reads.readPhoneNumber(phoneNumberId);
    const storage = readsStorage ? await reads.readLocalStorage(phoneNumberId) : undefined;
    const matches = !storage || (storage.enabled ? storage.region === target : target === null);
    if (after.registration !== 'registered' || !matches) {
      throw ApplicationFailure.nonRetryable(
        `read-back mismatch: Meta reports ${after.registration}, ` +
          `${storage ? describe(storage.enabled ? storage.region : null) : 'setting unknown'}; expected registered, ${describe(target)}`,
        'RegionReadBackMismatch',
      );
    }
    ctx.learn({ verification: 'verified', pinSet: true });
    return 'completed' as const;
  });
}
