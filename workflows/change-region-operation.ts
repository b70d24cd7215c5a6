// Moving local storage to another region, or turning it off (reference §6): deregister → (v21+: set
// storage_configuration) → register with the PIN, then read the result back. The deregister is sent only
// when the register that must follow fits Meta's budget at once; until then the number stays online.
import { ApplicationFailure, CancellationScope, CancelledFailure, sleep } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import type { ChangeRegionRequest } from '../domain/operations';
import { reads } from './activity-proxies';
import { formatDuration } from './format';
import { workflowNow } from './clock';
import { graphFailureOf } from './graph-failure';
import type { OperationContext } from './operation-context';
import { registerBack } from './offline-recovery';
import { deregisterNumber } from './deregister-operation';
import { readKnownNumber } from './number-reads';
import { OperationFailureType } from '../domain/failure-types';

const describe = (region: string | null | undefined) =>
  region ? `local storage in ${region}` : 'no local storage';
const storageOf = (s: { enabled: boolean; region?: string }) => (s.enabled ? (s.region ?? null) : null);
const failureText = (err: unknown) =>
  graphFailureOf(err)?.message ?? (err instanceof Error ? err.message : String(err));

export async function runChangeRegion(
  ctx: OperationContext,
  request: ChangeRegionRequest,
): Promise<'completed' | 'already-done'> {
  const { phoneNumberId, policy, progress, budget } = ctx;
  const target = request.region; // null: turn local storage off
  const readsStorage = policy.regionMechanism === 'settings';

  await progress.active('reading the number and its local-storage setting');
  const number = await readKnownNumber(ctx);
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
      await deregisterNumber(ctx);
    }

    const why = `deregistered to change to ${describe(target)}`;
    const previous = current ? (current.enabled ? (current.region ?? null) : null) : undefined;
    let refused: string | undefined;
    let restoreRefused = '';
    if (readsStorage) {
      await progress.report('offline', `NUMBER IS OFFLINE (${why}): setting local storage`);
      try {
        await reads.configureLocalStorage(phoneNumberId, target ?? undefined);
      } catch (err) {
        refused = failureText(err);
        // Deregistering turned local storage off: set the previous region back before registering.
        if (previous) {
          await reads.configureLocalStorage(phoneNumberId, previous).catch((again: unknown) => {
            restoreRefused = `; setting ${describe(previous)} back was refused too (${failureText(again)})`;
          });
        }
      }
    }
    try {
      await registerBack(ctx, {
        pin: request.pin,
        region: readsStorage ? undefined : (target ?? undefined),
        why,
      });
    } catch (err) {
      // Up to v20 the region travels on register: refused for it, the number comes back without it.
      const refusedForRegion =
        !readsStorage &&
        target &&
        err instanceof ApplicationFailure &&
        err.type === GraphErrorType.InvalidRequest;
      if (!refusedForRegion) throw err;
      refused = failureText(err);
      await registerBack(ctx, { pin: request.pin, why });
    }
    if (refused !== undefined) {
      // Report what is in force now, as Meta reports it (v21+), never an assumed "previous setting".
      const inForce = readsStorage ? storageOf(await reads.readLocalStorage(phoneNumberId)) : null;
      const versus =
        previous === undefined
          ? ' (Graph v20 and older cannot read the previous setting back)'
          : inForce === previous
            ? ' (its previous setting)'
            : `, NOT its previous setting (${describe(previous)})`;
      throw ApplicationFailure.nonRetryable(
        // What is in force comes first: failure messages are bounded, Meta's texts are long.
        `the number is registered again with ${describe(inForce)}${versus}; ` +
          `the change to ${describe(target)} was refused (${refused})${restoreRefused}`,
        OperationFailureType.RegionNotChanged,
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
        OperationFailureType.RegionReadBackMismatch,
      );
    }
    ctx.learn({ verification: 'verified', pinSet: true });
    return 'completed' as const;
  });
}
