// Parameter checks more than one endpoint makes: blank values, an unparseable body, the two-step PIN, and the
// local-storage region and retention (register before v21, /settings from v21).
import { graphErrors, type GraphError } from '../graph-errors';
import {
  DATA_LOCALIZATION_REGIONS,
  NO_STORAGE_RETENTION_MINUTES,
  type DataLocalizationRegion,
} from '../phone-numbers';

export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

export function rejectUnparseableBody(bodyUnparseable: boolean): void {
  if (bodyUnparseable) {
    throw graphErrors.invalidParameter(
      'Invalid parameter',
      'The request body is neither valid JSON nor form data.',
    );
  }
}

/** A 6-digit PIN (register, set PIN). Never echoes the value: a wrong-format PIN may still be someone's real PIN. */
export function parsePin(rawPin: unknown): string {
  if (isBlank(rawPin))
    throw graphErrors.invalidParameter('The parameter pin is required', 'Send the 6-digit two-step PIN.');
  const pin = typeof rawPin === 'number' ? String(rawPin) : rawPin;
  if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) {
    throw graphErrors.invalidParameter(
      'Param pin must be a 6-digit number',
      'The PIN must be exactly 6 digits.',
    );
  }
  return pin;
}

export function isRegion(value: unknown): value is DataLocalizationRegion {
  return (DATA_LOCALIZATION_REGIONS as readonly unknown[]).includes(value);
}

export function invalidRegion(param: string): GraphError {
  return graphErrors.invalidParameter(
    `Param ${param} must be one of {${DATA_LOCALIZATION_REGIONS.join(', ')}}`,
    'Use one of the supported local-storage country codes.',
  );
}

/** No Storage's retention: only 60 minutes exists; a form sends it as the string "60". */
export function isNoStorageRetention(value: unknown): boolean {
  return value === NO_STORAGE_RETENTION_MINUTES || value === String(NO_STORAGE_RETENTION_MINUTES);
}
