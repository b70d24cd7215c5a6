// Moving local storage to another region, or turning it off (reference §6): deregister → (v21+: set
// storage_configuration) → register with the PIN, then read the result back. The deregister is sent only
// when the register that must follow fits Meta's budget at once; until then the number stays online.
import { ApplicationFailure, CancellationScope, sleep } from '@temporalio/workflow';
import { emptyLedger, mergeLedgers, nextAllowedAt, type RequestLedger } from '../domain/ledger';
import type { ChangeRegionRequest, OperationInput, OperationReport } from '../domain/operations';
import { mutations, reads } from './activity-proxies';
import { formatDuration, runBudgetedRequest } from './budgeted-request';
import { workflowNow } from './clock';
import { registerBack, PinMailbox } from './offline-recovery';
import { labelOperation } from './operation-labels';
import { OperationProgressReporter } from './operation-progress';
import { failWith } from './operation-report';
import { graphFailureOf } from './graph-failure';

const describe = (region: string | null | undefined) =>
  region ? `local storage in ${region}` : 'no local storage';

export async function changeRegionOperation(
  input: OperationInput<ChangeRegionRequest>,
): Promise<OperationReport> {
  labelOperation(input);
  const { phoneNumberId, policy, request } = input;
  const target = request.region; // null: turn local storage off
  const progress = new OperationProgressReporter(input.operationId, 'changing-region');
  const pins = new PinMailbox();
  const readsStorage = policy.regionMechanism === 'settings';
  let spent: RequestLedger = emptyLedger();
  let registration: 'registered' | 'not-registered' | 'unknown' = 'unknown';
  const soFar = () => ({ operationId: input.operationId, ledger: spent, registration });
  const ledgerNow = () => mergeLedgers(input.ledger, spent);

  try {
    await progress.active('reading the number and its local-storage setting');
    const number = await reads.readPhoneNumber(phoneNumberId);
    registration = number.registration;
    // Up to v20 Meta exposes no way to read the setting back: the change is always made.
    const current = readsStorage ? await reads.readLocalStorage(phoneNumberId) : undefined;
    const already = current && (current.enabled ? current.region === target : target === null);
    if (already && number.registration === 'registered') {
      return { ...soFar(), outcome: 'already-done' };
    }

    if (number.registration === 'registered') {
      // Wait (online) until both requests fit: a deregister now, and the register right after it.
      for (;;) {
        const now = workflowNow();
        const at = Math.max(
          nextAllowedAt(ledgerNow(), 'deregister', now, policy),
          nextAllowedAt(ledgerNow(), 'register', now, policy),
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

    // From the deregister on, a cancel waits: a deregistered number must be registered again first.
    return await CancellationScope.nonCancellable(async () => {
      if (number.registration === 'registered') {
        const deregistered = await runBudgetedRequest(
          { ...input, ledger: ledgerNow() },
          {
            endpoint: 'deregister',
            registrationWhenDone: 'not-registered',
            progress,
            send: () => mutations.deregisterPhoneNumber(phoneNumberId),
            alreadyDone: async () =>
              (await reads.readPhoneNumber(phoneNumberId)).registration === 'not-registered',
          },
        );
        spent = mergeLedgers(spent, deregistered.ledger);
        registration = 'not-registered';
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
      const registered = await registerBack(
        { ...input, ledger: ledgerNow() },
        { pin: request.pin, region: readsStorage ? undefined : (target ?? undefined), why },
        progress,
        pins,
      );
      spent = mergeLedgers(spent, registered.ledger);
      registration = 'registered';
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
      return { ...soFar(), outcome: 'completed', verification: 'verified', pinSet: true };
    });
  } catch (err) {
    throw failWith(err, soFar());
  }
}
