// Register with backup, the On-Premises API side (reference doc §5 steps 4–5): the `backup` parameter, and
// what Meta does with the number's On-Prem deployment before registration.ts connects it to Cloud API.
import { graphErrors, type GraphError } from '../graph-errors';
import type { Params } from '../http-io';
import { checkBackup, stopOnPrem } from '../onprem';
import { hashPin, type PhoneNumberRecord } from '../phone-numbers';
import { checkPinAttempt } from '../pin-guard';
import { isBlank } from './params';

export interface BackupParam {
  data: string;
  password: string;
}

const BACKUP_USAGE =
  'Send backup as {"data":"<settings.data from POST /v1/settings/backup>","password":"<the backup password>"}.';

/**
 * /register's `backup` parameter, or null when absent: an object in JSON; in a form or query string a
 * JSON-encoded string or `backup[data]=...&backup[password]=...`. Never echoes a value.
 */
export function parseBackupParam(params: Params): BackupParam | null {
  const bracketed = Object.entries(params).flatMap(([key, value]) => {
    const match = /^backup\[(\w+)\]$/.exec(key);
    return match?.[1] === undefined ? [] : [[match[1], value] as const];
  });
  const raw = params.backup;
  if (isBlank(raw) && bracketed.length === 0) return null;
  let value: unknown = isBlank(raw) ? Object.fromEntries(bracketed) : raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      // reported below as not an object
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw graphErrors.invalidParameter('Param backup must be a JSON object', BACKUP_USAGE);
  }
  const { data, password } = value as Params;
  for (const [name, field] of [
    ['data', data],
    ['password', password],
  ] as const) {
    if (isBlank(field))
      throw graphErrors.invalidParameter(`The parameter backup[${name}] is required`, BACKUP_USAGE);
    if (typeof field !== 'string')
      throw graphErrors.invalidParameter(`Param backup[${name}] must be a string`, BACKUP_USAGE);
  }
  return { data: data as string, password: password as string };
}

export interface MigrationResult {
  /** The number's state changed. */
  applied: boolean;
  /** A failure that still changed state (a wrong PIN takes On-Prem down). */
  error?: GraphError;
}

/**
 * Only for a number on the On-Premises API (or one whose On-Prem client a wrong PIN took down), with a backup
 * its client made and that backup's password. From there Meta talks to the deployment: a wrong PIN shuts it
 * down anyway (number on neither API, 133005); the right one shuts On-Prem down for the move, and the caller
 * connects the number to Cloud API. Both are slow (backupRegisterDelayMs, applied by the caller).
 */
export function migrateFromOnPrem(
  record: PhoneNumberRecord,
  pin: string,
  backup: BackupParam,
  now: number,
): MigrationResult {
  const onprem = record.onprem;
  const onPremises =
    record.platform_type === 'ON_PREMISE' ||
    (record.platform_type === 'NOT_APPLICABLE' && onprem?.stopped_reason === 'pin_mismatch');
  if (!onPremises || onprem === null) throw graphErrors.backupNotOnPremises(record.platform_type);
  const check = checkBackup(record, backup.data, backup.password);
  if (!check.ok) {
    throw check.reason === 'wrong_password'
      ? graphErrors.backupPasswordMismatch()
      : graphErrors.invalidBackupData(check.details);
  }

  // A lockout or a too-fast attempt (133008 / 133009) is refused before Meta talks to the deployment.
  const pinError = record.pin_hash === null ? null : checkPinAttempt(record, pin, now);
  if (pinError !== null) {
    const stopped = stopOnPrem(onprem, 'pin_mismatch');
    const changed = stopped || record.platform_type !== 'NOT_APPLICABLE' || record.status !== 'DISCONNECTED';
    record.platform_type = 'NOT_APPLICABLE';
    record.status = 'DISCONNECTED';
    return { applied: changed, error: pinError };
  }
  // Two-step verification was off on On-Prem: the given PIN becomes the number's PIN.
  if (record.pin_hash === null) record.pin_hash = hashPin(record.id, pin);
  stopOnPrem(onprem, 'migrated');
  return { applied: true };
}
