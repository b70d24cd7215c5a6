// GET and POST /{phone-number-id}/settings, the storage_configuration part (reference doc §6): local storage
// (or No Storage) is configured here from v21.0, while the number is not registered.
import { checkRegionAvailable } from '../account-conditions';
import { graphErrors } from '../graph-errors';
import type { Params } from '../http-io';
import type { Outcome } from '../outcome';
import {
  DEFAULT_STORAGE,
  NO_STORAGE_RETENTION_MINUTES,
  isRegistered,
  storageRegion,
  type StorageConfiguration,
} from '../phone-numbers';
import { guarded } from './answers';
import type { PhoneNumberCall } from './call';
import { invalidRegion, isBlank, isNoStorageRetention, isRegion, rejectUnparseableBody } from './params';

/**
 * v21.0 moved local storage from /register to POST /{id}/settings (reference doc §1, §6, §9): the
 * settings edge exists from here on, and /register's storage parameters are deprecated.
 */
export const SETTINGS_MIN_VERSION = 21;

/**
 * Before v21.0 the edge did not exist for this: answer as Graph does for any unknown edge. Neither call is
 * rate limited, so never counted toward the register/deregister budget.
 */
function checkSettingsCall({ method, record, version, injectInternalError }: PhoneNumberCall): void {
  if (version < SETTINGS_MIN_VERSION) throw graphErrors.unsupportedRequest(method, record.id);
  if (injectInternalError) throw graphErrors.somethingWentWrong();
}

/** GET /{id}/settings: the number's storage_configuration. */
export function handleReadSettings(call: PhoneNumberCall): Outcome {
  return guarded(() => {
    checkSettingsCall(call);
    // A copy: a held response must show the state at the time of the call.
    const json = { storage_configuration: { ...call.record.storage_configuration } };
    return { status: 200, json, counted: false, applied: false };
  });
}

/** POST /{id}/settings: a new storage_configuration; refused while the number is registered. */
export function handleWriteSettings(call: PhoneNumberCall): Outcome {
  const { deps, record, params, bodyUnparseable } = call;
  return guarded(() => {
    checkSettingsCall(call);
    const config = parseStorageConfiguration(params, bodyUnparseable);
    checkRegionAvailable(record, storageRegion(config));
    if (isRegistered(record)) throw graphErrors.storageChangeWhileRegistered();
    const applied = JSON.stringify(config) !== JSON.stringify(record.storage_configuration);
    if (applied) {
      record.storage_configuration = config;
      deps.state.save();
    }
    return { status: 200, json: { success: true }, counted: false, applied };
  });
}

const STORAGE_INPUT_STATUSES = [
  'IN_COUNTRY_STORAGE_ENABLED',
  'IN_COUNTRY_STORAGE_DISABLED',
  'NO_STORAGE_ENABLED',
] as const;

const STORAGE_USAGE =
  'Send storage_configuration as {"status":"IN_COUNTRY_STORAGE_ENABLED","data_localization_region":"<code>"}, ' +
  '{"status":"IN_COUNTRY_STORAGE_DISABLED"} or {"status":"NO_STORAGE_ENABLED","retention_minutes":60}.';

/**
 * The storage_configuration parameter: an object in JSON; in a form or query string either a
 * JSON-encoded string (Graph's usual way for object parameters) or `storage_configuration[status]=...` keys.
 */
function storageConfigurationParam(params: Params): unknown {
  const bracketed = Object.entries(params).flatMap(([key, value]) => {
    const match = /^storage_configuration\[(\w+)\]$/.exec(key);
    return match?.[1] === undefined ? [] : [[match[1], value] as const];
  });
  const raw = params.storage_configuration;
  if (isBlank(raw) && bracketed.length > 0) return Object.fromEntries(bracketed);
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function parseStorageConfiguration(params: Params, bodyUnparseable: boolean): StorageConfiguration {
  rejectUnparseableBody(bodyUnparseable);
  const raw = storageConfigurationParam(params);
  if (isBlank(raw)) {
    throw graphErrors.invalidParameter('The parameter storage_configuration is required', STORAGE_USAGE);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw graphErrors.invalidParameter('Param storage_configuration must be a JSON object', STORAGE_USAGE);
  }
  const { status, data_localization_region: region, retention_minutes: retention } = raw as Params;
  if (isBlank(status)) {
    throw graphErrors.invalidParameter(
      'The parameter storage_configuration[status] is required',
      STORAGE_USAGE,
    );
  }
  // Meta's pages disagree on the casing (guide: uppercase, REF/OAS: lowercase), so accept both.
  const normalized = typeof status === 'string' ? status.trim().toUpperCase() : '';
  const known = STORAGE_INPUT_STATUSES.find((s) => s === normalized);
  if (known === undefined) {
    throw graphErrors.invalidParameter(
      `Param storage_configuration[status] must be one of {${STORAGE_INPUT_STATUSES.join(', ')}}`,
      STORAGE_USAGE,
    );
  }
  if (known !== 'IN_COUNTRY_STORAGE_ENABLED' && !isBlank(region)) {
    throw graphErrors.invalidParameter(
      `Param storage_configuration[data_localization_region] cannot be used with status ${known}`,
      'A region applies only to IN_COUNTRY_STORAGE_ENABLED.',
    );
  }
  if (known !== 'NO_STORAGE_ENABLED' && !isBlank(retention)) {
    throw graphErrors.invalidParameter(
      `Param storage_configuration[retention_minutes] cannot be used with status ${known}`,
      'retention_minutes applies only to NO_STORAGE_ENABLED.',
    );
  }
  switch (known) {
    case 'IN_COUNTRY_STORAGE_ENABLED':
      if (isBlank(region)) {
        throw graphErrors.invalidParameter(
          'The parameter storage_configuration[data_localization_region] is required',
          'IN_COUNTRY_STORAGE_ENABLED needs the country code where data is stored at rest.',
        );
      }
      if (!isRegion(region)) throw invalidRegion('storage_configuration[data_localization_region]');
      return { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: region };
    case 'NO_STORAGE_ENABLED':
      if (!isNoStorageRetention(retention)) {
        throw graphErrors.invalidParameter(
          `Param storage_configuration[retention_minutes] must be ${NO_STORAGE_RETENTION_MINUTES}`,
          `No Storage keeps data in transit for at most ${NO_STORAGE_RETENTION_MINUTES} minutes.`,
        );
      }
      return { status: 'NO_STORAGE_ENABLED', retention_minutes: NO_STORAGE_RETENTION_MINUTES };
    case 'IN_COUNTRY_STORAGE_DISABLED':
      // Turning in-country storage off leaves nothing set: GET reports DEFAULT.
      return { ...DEFAULT_STORAGE };
  }
}
