// The rules behind the per-number conditions of number-conditions.ts that are not about the PIN: a locked
// account (131031), an incomplete deregistration (133000), what deregister answers for a number that is not
// registered, and regions whose local storage a number cannot use. Deregister itself lives here too.
import { catalogueError } from './error-titles';
import { graphErrors, type GraphError } from './graph-errors';
import { DEFAULT_STORAGE, isRegistered, type PhoneNumberRecord } from './phone-numbers';
import type { DataLocalizationRegion } from './regions';

/** [ERR 131031 "Business account locked"]; the details are ours. Legacy HTTP 403. */
export function accountLocked(): GraphError {
  return catalogueError(
    131031,
    'The WhatsApp Business Account of this phone number is locked: numbers cannot be registered or ' +
      'deregistered until Meta unlocks it. Read health_status for the reason.',
  );
}

/** [ERR 133000]: "a previous deregistration failed; deregister the number again before registering". HTTP 500. */
export function incompleteDeregistration(): GraphError {
  return catalogueError(
    133000,
    'A previous deregistration of this phone number did not complete. Deregister the number again, then register it.',
  );
}

/**
 * Register's account-level refusals, checked once its parameters are valid and before the number's own
 * preconditions (verification, display name, PIN). Both are counted register calls, like every register.
 */
export function checkRegisterConditions(record: PhoneNumberRecord): void {
  if (record.account_locked) throw accountLocked();
  if (record.deregistration_incomplete) throw incompleteDeregistration();
}

function notRegistered(record: PhoneNumberRecord): GraphError | null {
  switch (record.deregister_when_not_registered) {
    case 'success':
      // Our default: deregister is idempotent (Meta documents no error for it, reference doc §2).
      return null;
    case '133010':
      // [ERR 133010 "Phone number not registered"], which GREF lists for these edges. HTTP 400.
      return catalogueError(
        133010,
        'The phone number is not registered with Cloud API: there is nothing to deregister.',
      );
    case 'invalid-parameter':
      // A plain (#100) instead: undocumented, our choice (for clients that must not rely on 133010).
      return graphErrors.invalidParameter(
        'Invalid parameter',
        'The phone number is not registered with Cloud API, so it cannot be deregistered.',
      );
  }
}

/**
 * POST /{id}/deregister after the budget admitted it; returns whether the number changed. A locked account is
 * 131031. An incomplete deregistration is completed: success and applied (the flag clears), even for a number
 * that is not registered [ERR 133000]. Otherwise a registered number is disconnected (reference doc §2:
 * DISCONNECTED, NOT_APPLICABLE, local storage off), and an unregistered one answers per
 * deregister_when_not_registered.
 */
export function applyDeregister(record: PhoneNumberRecord): boolean {
  if (record.account_locked) throw accountLocked();
  if (record.deregistration_incomplete) {
    record.deregistration_incomplete = false;
    if (isRegistered(record)) disconnect(record);
    return true;
  }
  if (!isRegistered(record)) {
    const error = notRegistered(record);
    if (error !== null) throw error;
    return false;
  }
  disconnect(record);
  return true;
}

function disconnect(record: PhoneNumberRecord): void {
  record.status = 'DISCONNECTED';
  record.platform_type = 'NOT_APPLICABLE';
  record.storage_configuration = { ...DEFAULT_STORAGE }; // local storage is turned off by deregistration
}

/**
 * Local storage in a region listed in the number's unavailable_regions: (#100) naming the region. Meta does not
 * document this error (reference doc §6 "Conflicts": "unsupported region ... probably 100"): our choice.
 */
export function checkRegionAvailable(record: PhoneNumberRecord, region: DataLocalizationRegion | null): void {
  if (region === null || !record.unavailable_regions.includes(region)) return;
  throw graphErrors.invalidParameter(
    'Invalid parameter',
    `Local storage in ${region} is not available for this phone number: data_localization_region ${region} ` +
      'cannot be used. Choose another region.',
  );
}
