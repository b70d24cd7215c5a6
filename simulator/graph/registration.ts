// POST /{phone-number-id}/register and /deregister (reference doc §1, §2, §5): both share the budget of
// maxCallsPerWindow calls per moving window (then 133016 and a block); register then checks its parameters
// and the number's preconditions, and connects the number to Cloud API (with backup: register-with-backup.ts).
import { applyDeregister, checkRegionAvailable, checkRegisterConditions } from '../account-conditions';
import { graphErrors, GraphError } from '../graph-errors';
import type { Params } from '../http-io';
import { errorOutcome, type Outcome } from '../outcome';
import {
  DEFAULT_STORAGE,
  NO_STORAGE_RETENTION_MINUTES,
  hashPin,
  isRegistered,
  storageRegion,
  type PhoneNumberRecord,
  type RateLimitedEndpoint,
  type StorageConfiguration,
} from '../phone-numbers';
import { checkPinAttempt } from '../pin-guard';
import { admitCall, recordCall } from '../rate-limit';
import type { PhoneNumberCall } from './call';
import {
  invalidRegion,
  isBlank,
  isNoStorageRetention,
  isRegion,
  parsePin,
  rejectUnparseableBody,
} from './params';
import { migrateFromOnPrem, parseBackupParam } from './register-with-backup';
import { SETTINGS_MIN_VERSION } from './settings';

/**
 * Versions before v16.0 still return error_subcode on WhatsApp errors; from v16.0 Meta no longer does [ERR]
 * (reference doc §8.1, §9), unless the legacySubcodes setting asks for them.
 */
const SUBCODE_MAX_VERSION = 15;

export function handleRegister(call: PhoneNumberCall): Outcome {
  const { deps, record, params, bodyUnparseable, version } = call;
  return budgetedCall(call, 'register', (now) =>
    applyRegister(record, params, {
      bodyUnparseable,
      now,
      version,
      strictVersionRules: deps.settings.strictVersionRules,
      legacySubcodes: deps.settings.legacySubcodes,
    }),
  );
}

export function handleDeregister(call: PhoneNumberCall): Outcome {
  return budgetedCall(call, 'deregister', () => ({ applied: applyDeregister(call.record), slow: false }));
}

interface RegisterResult {
  /** The number's state changed. */
  applied: boolean;
  /** A failure that still changed state (a wrong PIN on a backup register takes On-Prem down). */
  error?: GraphError;
  /** The call reached the On-Prem deployment (register with backup): answer after backupRegisterDelayMs. */
  slow: boolean;
}

/** Token and existence already checked (router.ts); next the budget, then the endpoint's own rules. */
function budgetedCall(
  { deps, record, injectInternalError }: PhoneNumberCall,
  endpoint: RateLimitedEndpoint,
  apply: (now: number) => RegisterResult,
): Outcome {
  const now = deps.state.clock.now();
  const rate = record.rate[endpoint];
  try {
    if (injectInternalError) {
      // Meta saw the call (it counts), but it failed inside: nothing changed.
      recordCall(rate, now, deps.policy.windowMs);
      return errorOutcome(graphErrors.somethingWentWrong(), true);
    }
    const decision = admitCall(rate, now, deps.policy);
    if (!decision.allowed) {
      const windowHours = deps.policy.windowMs / 3_600_000;
      throw graphErrors.registrationRateLimit(
        endpoint,
        deps.policy.maxCallsPerWindow,
        windowHours,
        decision.blockedUntil,
      );
    }
    const result = apply(now);
    const delayMs = result.slow ? deps.settings.backupRegisterDelayMs : 0;
    if (result.error !== undefined) {
      return { ...errorOutcome(result.error, true), applied: result.applied, delayMs };
    }
    return { status: 200, json: { success: true }, counted: true, applied: result.applied, delayMs };
  } catch (err) {
    if (err instanceof GraphError) return errorOutcome(err, true);
    throw err;
  } finally {
    deps.state.save(); // the call history changed even when the call was rejected
  }
}

interface RegisterContext {
  bodyUnparseable: boolean;
  now: number;
  version: number;
  strictVersionRules: boolean;
  legacySubcodes: boolean;
}

/** /register's own local-storage parameters (v20 and older; deprecated from v21.0, reference doc §1). */
const REGISTER_STORAGE_PARAMS = ['data_localization_region', 'meta_store_retention_minutes'] as const;

/**
 * Validates /register parameters, then the number's preconditions; mutates only on success, except that a
 * register with backup and a wrong PIN takes the On-Prem client down (returned as an error result).
 */
function applyRegister(record: PhoneNumberRecord, params: Params, ctx: RegisterContext): RegisterResult {
  rejectUnparseableBody(ctx.bodyUnparseable);
  const movedToSettings = ctx.version >= SETTINGS_MIN_VERSION;
  if (movedToSettings && ctx.strictVersionRules) {
    // As observed live on v21+ (reference doc §1, [3P]). Lenient mode follows Meta's REG page instead.
    const deprecated = REGISTER_STORAGE_PARAMS.find((p) => !isBlank(params[p]));
    if (deprecated !== undefined) throw graphErrors.deprecatedOnV21(deprecated);
  }
  const product = params.messaging_product;
  if (isBlank(product)) {
    throw graphErrors.invalidParameter(
      'The parameter messaging_product is required',
      'Send messaging_product=whatsapp.',
    );
  }
  if (typeof product !== 'string' || product.toLowerCase() !== 'whatsapp') {
    throw graphErrors.invalidParameter(
      'Param messaging_product must be one of {WHATSAPP}',
      'Send messaging_product=whatsapp.',
    );
  }
  const pin = parsePin(params.pin);
  const region = params.data_localization_region;
  if (!isBlank(region) && !isRegion(region)) throw invalidRegion('data_localization_region');
  const retention = params.meta_store_retention_minutes;
  if (!isBlank(retention)) {
    if (!isBlank(region)) {
      throw graphErrors.invalidParameter(
        'Params data_localization_region and meta_store_retention_minutes cannot be combined',
        'Local storage and No Storage are exclusive: send at most one of them.',
      );
    }
    if (!isNoStorageRetention(retention)) {
      throw graphErrors.invalidParameter(
        `Param meta_store_retention_minutes must be ${NO_STORAGE_RETENTION_MINUTES}`,
        `No Storage keeps data in transit for at most ${NO_STORAGE_RETENTION_MINUTES} minutes.`,
      );
    }
  }
  const requested: StorageConfiguration | null = isRegion(region)
    ? { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: region }
    : !isBlank(retention)
      ? { status: 'NO_STORAGE_ENABLED', retention_minutes: NO_STORAGE_RETENTION_MINUTES }
      : null;
  const backup = parseBackupParam(params);
  checkRegionAvailable(record, requested === null ? null : storageRegion(requested));

  checkRegisterConditions(record); // 131031 locked account, 133000 incomplete deregistration [ERR]
  if (record.code_verification_status !== 'VERIFIED') throw graphErrors.verificationNeeded();
  if (record.name_status === 'NONE' || record.name_status === 'EXPIRED') {
    // [BPN]; the subcode [3P] only where Meta still sends subcodes (reference doc §8.1).
    throw graphErrors.cannotCreateCertificate(ctx.version <= SUBCODE_MAX_VERSION || ctx.legacySubcodes);
  }

  if (backup !== null) {
    const migration = migrateFromOnPrem(record, pin, backup, ctx.now);
    // On-Prem is down either way; only the right PIN moves the number to Cloud API.
    if (migration.error === undefined) connectToCloud(record, requested, ctx);
    return { ...migration, slow: true };
  }
  if (record.platform_type === 'ON_PREMISE') throw graphErrors.onPremisesNeedsBackup();

  let pinChanged = false;
  if (record.pin_hash !== null) {
    // 133008 / 133009 under the number's guessing rules, else 133005 or 131031 for a wrong PIN [ERR].
    const pinError = checkPinAttempt(record, pin, ctx.now);
    if (pinError !== null) throw pinError;
  } else {
    // Two-step verification was off: the given PIN becomes the number's PIN.
    record.pin_hash = hashPin(record.id, pin);
    pinChanged = true;
  }

  // Registering an already registered number succeeds without touching it (idempotent).
  if (isRegistered(record)) return { applied: pinChanged, slow: false };
  connectToCloud(record, requested, ctx);
  return { applied: true, slow: false };
}

/** The number is now registered with Cloud API; local storage as the register call asked (reference doc §6). */
function connectToCloud(
  record: PhoneNumberRecord,
  requested: StorageConfiguration | null,
  ctx: RegisterContext,
): void {
  const movedToSettings = ctx.version >= SETTINGS_MIN_VERSION;
  record.status = 'CONNECTED';
  record.platform_type = 'CLOUD_API';
  record.last_onboarded_time = ctx.now;
  if (requested !== null) {
    // v20 and older; on v21+ only in lenient mode, applied the same way (as Meta's REG page documents).
    record.storage_configuration = requested;
  } else if (!movedToSettings) {
    // v20 and older: registering without a storage parameter turns local storage off.
    record.storage_configuration = { ...DEFAULT_STORAGE };
  }
  // v21+ without storage parameters: keep what /settings configured while the number was deregistered.
}
