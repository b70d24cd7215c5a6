// The simulated WhatsApp Business phone-number node: stored shape, admin seeding input,
// the Graph field projection and the default seed set (reference doc §7).
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formatGraphTime } from './clock';
import { createOnPremState, DEFAULT_ONPREM_PASSWORD, DEFAULT_ONPREM_USERNAME, OnPremState } from './onprem';
import { healthStatus } from './health-status';
import {
  applyConditionPatch,
  conditionInputFields,
  conditionRecordFields,
  seedConditions,
} from './number-conditions';
import { DataLocalizationRegion } from './regions';

export { DATA_LOCALIZATION_REGIONS, DataLocalizationRegion } from './regions';

export const RATE_LIMITED_ENDPOINTS = ['register', 'deregister'] as const;
export type RateLimitedEndpoint = (typeof RATE_LIMITED_ENDPOINTS)[number];

// prettier-ignore
export const NumberStatus = z.enum([
  'PENDING', 'CONNECTED', 'DISCONNECTED', 'FLAGGED', 'RESTRICTED', 'BANNED',
  'RATE_LIMITED', 'MIGRATED', 'DELETED', 'UNKNOWN', 'UNVERIFIED',
]);
export const CodeVerificationStatus = z.enum(['VERIFIED', 'NOT_VERIFIED', 'EXPIRED']);
// prettier-ignore
export const NameStatus = z.enum([
  'APPROVED', 'AVAILABLE_WITHOUT_REVIEW', 'DECLINED', 'EXPIRED', 'PENDING_REVIEW', 'NONE',
]);
export const PlatformType = z.enum(['CLOUD_API', 'ON_PREMISE', 'NOT_APPLICABLE']);
export const QualityRating = z.enum(['GREEN', 'YELLOW', 'RED', 'NA', 'UNKNOWN']);
export const AccountMode = z.enum(['LIVE', 'SANDBOX']);
// prettier-ignore
export const MessagingLimitTier = z.enum([
  'TIER_50', 'TIER_250', 'TIER_1K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED',
]);

/** The only retention No Storage allows, in minutes (reference doc §6 "No Storage variant"). */
export const NO_STORAGE_RETENTION_MINUTES = 60;

/**
 * A number's local-storage setting (reference doc §6), in the uppercase forms of Meta's guide.
 * `DEFAULT` = nothing set; turning in-country storage off (`IN_COUNTRY_STORAGE_DISABLED`) stores `DEFAULT`.
 */
export const StorageConfiguration = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('DEFAULT') }),
  z.strictObject({
    status: z.literal('IN_COUNTRY_STORAGE_ENABLED'),
    data_localization_region: DataLocalizationRegion,
  }),
  z.strictObject({
    status: z.literal('NO_STORAGE_ENABLED'),
    retention_minutes: z.literal(NO_STORAGE_RETENTION_MINUTES),
  }),
]);
export type StorageConfiguration = z.infer<typeof StorageConfiguration>;

export const DEFAULT_STORAGE: StorageConfiguration = { status: 'DEFAULT' };

/** The in-country storage region in effect for the configuration, or null. */
export function storageRegion(config: StorageConfiguration): DataLocalizationRegion | null {
  return config.status === 'IN_COUNTRY_STORAGE_ENABLED' ? config.data_localization_region : null;
}

const digits = z.string().regex(/^\d+$/, 'must be a string of digits');
const sixDigitPin = z.string().regex(/^\d{6}$/, 'must be exactly 6 digits');

const EndpointRateState = z.object({
  /** Simulator-time epoch ms of every call that counted toward the moving window. */
  calls: z.array(z.number()),
  blockedUntil: z.number().nullable(),
});
export type EndpointRateState = z.infer<typeof EndpointRateState>;

export const CODE_METHODS = ['SMS', 'VOICE'] as const;
export const CodeMethod = z.enum(CODE_METHODS);
export type CodeMethod = z.infer<typeof CodeMethod>;

/**
 * One code "sent" by request_code (reference doc §3). Kept as given, in clear, also in the state file:
 * it is a short-lived test fixture that /_sim/codes must still show after a restart.
 */
export const VerificationCode = z.object({
  code: z.string().regex(/^\d{6}$/),
  method: CodeMethod,
  language: z.string(),
  /** Simulator-time epoch ms. */
  sentAt: z.number(),
  expiresAt: z.number(),
  usedAt: z.number().nullable(),
});
export type VerificationCode = z.infer<typeof VerificationCode>;

export const VerificationState = z.object({
  /** Codes sent, newest first (bounded); only the newest one can verify. */
  codes: z.array(VerificationCode),
  /** Simulator-time epoch ms of the request_code calls that sent a code, within the hourly window. */
  requests: z.array(z.number()),
});
export type VerificationState = z.infer<typeof VerificationState>;

export function emptyVerificationState(): VerificationState {
  return { codes: [], requests: [] };
}

/** What the simulator stores per number (also the state-file format). */
export const PhoneNumberRecord = z.object({
  id: digits,
  waba_id: digits.nullable(),
  display_phone_number: z.string(),
  verified_name: z.string(),
  status: NumberStatus,
  code_verification_status: CodeVerificationStatus,
  name_status: NameStatus,
  platform_type: PlatformType,
  quality_rating: QualityRating,
  account_mode: AccountMode,
  messaging_limit_tier: MessagingLimitTier,
  last_onboarded_time: z.number().nullable(),
  /**
   * Local storage as `GET /{id}/settings` reports it. Set by /settings while deregistered (v21+) or by
   * /register's storage parameters; deregister resets it to DEFAULT.
   */
  storage_configuration: StorageConfiguration,
  /** Only a hash is kept, so the PIN never sits in memory dumps or the state file in clear. */
  pin_hash: z.string().nullable(),
  rate: z.object({ register: EndpointRateState, deregister: EndpointRateState }),
  /** request_code / verify_code state; absent in state files written before it existed. */
  verification: VerificationState.default(emptyVerificationState),
  /**
   * The number's On-Premises API client (reference doc §5), served under /onprem/{id}: null for a number
   * that never ran on On-Prem. Stays after the client stopped (migration or wrong PIN), with running false.
   * Absent in state files written before it existed.
   */
  onprem: OnPremState.nullable().default(null),
  /** Meta-side conditions (locked account, PIN guessing rules, ...): number-conditions.ts. Defaults when absent. */
  ...conditionRecordFields,
});
export type PhoneNumberRecord = z.infer<typeof PhoneNumberRecord>;

/** Body of `POST /_sim/phone-numbers`. Strict, so a typo fails loudly instead of seeding a default. */
export const SeedPhoneNumberInput = z
  .strictObject({
    id: digits,
    waba_id: digits.optional(),
    display_phone_number: z.string().min(1).optional(),
    verified_name: z.string().min(1).optional(),
    /** Default: CONNECTED for an ON_PREMISE number (its On-Prem client runs), otherwise PENDING. */
    status: NumberStatus.optional(),
    code_verification_status: CodeVerificationStatus.default('VERIFIED'),
    name_status: NameStatus.default('APPROVED'),
    platform_type: PlatformType.default('NOT_APPLICABLE'),
    pin: sixDigitPin.optional(),
    /**
     * Admin credentials of the number's On-Prem client; only with platform_type ON_PREMISE, where they
     * default to admin / onprem-secret.
     */
    onprem: z.strictObject({ username: z.string().min(1), password: z.string().min(1) }).optional(),
    quality_rating: QualityRating.default('GREEN'),
    account_mode: AccountMode.default('LIVE'),
    messaging_limit_tier: MessagingLimitTier.default('TIER_250'),
    /** Shorthand for storage_configuration IN_COUNTRY_STORAGE_ENABLED with this region. */
    data_localization_region: DataLocalizationRegion.optional(),
    storage_configuration: StorageConfiguration.optional(),
    ...conditionInputFields,
  })
  .refine((v) => v.data_localization_region === undefined || v.storage_configuration === undefined, {
    message: 'give data_localization_region or storage_configuration, not both',
    path: ['storage_configuration'],
  })
  .refine((v) => v.onprem === undefined || v.platform_type === 'ON_PREMISE', {
    message: 'onprem applies only to platform_type ON_PREMISE',
    path: ['onprem'],
  });
export type SeedPhoneNumberInput = z.input<typeof SeedPhoneNumberInput>;

/**
 * Body of `PATCH /_sim/phone-numbers/{id}`: changes fields in place, keeping PIN, codes and budgets
 * (e.g. approve a display name later). Strict, and at least one field.
 */
export const PatchPhoneNumberInput = z
  .strictObject({
    status: NumberStatus.optional(),
    code_verification_status: CodeVerificationStatus.optional(),
    name_status: NameStatus.optional(),
    platform_type: PlatformType.optional(),
    verified_name: z.string().min(1).optional(),
    quality_rating: QualityRating.optional(),
    messaging_limit_tier: MessagingLimitTier.optional(),
    ...conditionInputFields,
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'give at least one field to change');
export type PatchPhoneNumberInput = z.output<typeof PatchPhoneNumberInput>;

/** Applies a patch; a number that becomes registered for the first time gets an onboarding time. */
export function patchPhoneNumber(record: PhoneNumberRecord, patch: PatchPhoneNumberInput, now: number): void {
  if (patch.status !== undefined) record.status = patch.status;
  if (patch.code_verification_status !== undefined)
    record.code_verification_status = patch.code_verification_status;
  if (patch.name_status !== undefined) record.name_status = patch.name_status;
  if (patch.platform_type !== undefined) record.platform_type = patch.platform_type;
  if (patch.verified_name !== undefined) record.verified_name = patch.verified_name;
  if (patch.quality_rating !== undefined) record.quality_rating = patch.quality_rating;
  if (patch.messaging_limit_tier !== undefined) record.messaging_limit_tier = patch.messaging_limit_tier;
  applyConditionPatch(record, patch);
  if (isRegistered(record) && record.last_onboarded_time === null) record.last_onboarded_time = now;
}

export function hashPin(phoneNumberId: string, pin: string): string {
  return createHash('sha256').update(`${phoneNumberId}:${pin}`).digest('hex');
}

export function pinMatches(record: PhoneNumberRecord, pin: string): boolean {
  if (record.pin_hash === null) return false;
  const given = Buffer.from(hashPin(record.id, pin), 'hex');
  const stored = Buffer.from(record.pin_hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/**
 * Registered with Cloud API, i.e. what deregister undoes. A CONNECTED number on the On-Premises API is not:
 * it reaches Cloud API only by a register with backup (reference doc §5).
 */
export function isRegistered(record: PhoneNumberRecord): boolean {
  return (
    record.platform_type === 'CLOUD_API' ||
    (record.status === 'CONNECTED' && record.platform_type !== 'ON_PREMISE')
  );
}

export function emptyRateState(): PhoneNumberRecord['rate'] {
  return { register: { calls: [], blockedUntil: null }, deregister: { calls: [], blockedUntil: null } };
}

/** A plausible US display number from the id's last 7 digits, e.g. `+1 555-456-7890`. */
function displayNumberFor(id: string): string {
  const last7 = id.padStart(7, '0').slice(-7);
  return `+1 555-${last7.slice(0, 3)}-${last7.slice(3)}`;
}

export function createPhoneNumber(
  input: z.output<typeof SeedPhoneNumberInput>,
  now: number,
): PhoneNumberRecord {
  const onPremises = input.platform_type === 'ON_PREMISE';
  const status = input.status ?? (onPremises ? 'CONNECTED' : 'PENDING');
  return {
    id: input.id,
    waba_id: input.waba_id ?? null,
    display_phone_number: input.display_phone_number ?? displayNumberFor(input.id),
    verified_name: input.verified_name ?? 'Simulated Business',
    status,
    code_verification_status: input.code_verification_status,
    name_status: input.name_status,
    platform_type: input.platform_type,
    quality_rating: input.quality_rating,
    account_mode: input.account_mode,
    messaging_limit_tier: input.messaging_limit_tier,
    last_onboarded_time: status === 'CONNECTED' || input.platform_type === 'CLOUD_API' ? now : null,
    storage_configuration:
      input.storage_configuration ??
      (input.data_localization_region === undefined
        ? DEFAULT_STORAGE
        : { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: input.data_localization_region }),
    pin_hash: input.pin === undefined ? null : hashPin(input.id, input.pin),
    rate: emptyRateState(),
    verification: emptyVerificationState(),
    onprem: onPremises
      ? createOnPremState(
          input.id,
          input.onprem?.username ?? DEFAULT_ONPREM_USERNAME,
          input.onprem?.password ?? DEFAULT_ONPREM_PASSWORD,
        )
      : null,
    ...seedConditions(input),
  };
}

/** Fields `GET /{phone-number-id}` knows; anything else is a (#100) nonexisting field. */
// prettier-ignore
export const GRAPH_FIELDS = [
  'id', 'display_phone_number', 'verified_name', 'status', 'code_verification_status', 'name_status',
  'platform_type', 'quality_rating', 'throughput', 'account_mode', 'is_pin_enabled', 'messaging_limit_tier',
  'last_onboarded_time', 'health_status',
] as const;
export type GraphField = (typeof GRAPH_FIELDS)[number];
export const DEFAULT_GRAPH_FIELDS: readonly GraphField[] = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
];

export function isGraphField(name: string): name is GraphField {
  return (GRAPH_FIELDS as readonly string[]).includes(name);
}

/** A field's value as Graph would print it; undefined means Graph omits it (no value). */
export function graphFieldValue(record: PhoneNumberRecord, field: GraphField): unknown {
  switch (field) {
    case 'throughput':
      return { level: 'STANDARD' };
    case 'is_pin_enabled':
      return record.pin_hash !== null;
    case 'health_status':
      return healthStatus(record); // reference doc §7: requestable, not a default field
    case 'last_onboarded_time':
      return record.last_onboarded_time === null ? undefined : formatGraphTime(record.last_onboarded_time);
    default:
      return record[field];
  }
}

const DEFAULT_WABA_ID = '102290129340398';

/** Seed `default`: one number per interesting starting state. */
export function defaultSeedInputs(): SeedPhoneNumberInput[] {
  return [
    {
      id: '1234567890',
      waba_id: DEFAULT_WABA_ID,
      display_phone_number: '+1 555-010-7890',
      verified_name: 'Acme Support',
    },
    {
      id: '1234567891',
      waba_id: DEFAULT_WABA_ID,
      display_phone_number: '+1 555-010-7891',
      verified_name: 'Acme Sales',
      status: 'CONNECTED',
      platform_type: 'CLOUD_API',
      pin: '123456',
      messaging_limit_tier: 'TIER_1K',
    },
    {
      id: '1234567892',
      waba_id: DEFAULT_WABA_ID,
      display_phone_number: '+1 555-010-7892',
      verified_name: 'Acme Billing',
      code_verification_status: 'NOT_VERIFIED',
    },
    {
      id: '1234567893',
      waba_id: DEFAULT_WABA_ID,
      display_phone_number: '+1 555-010-7893',
      verified_name: 'Acme Returns',
      name_status: 'NONE',
    },
    {
      // Still on the On-Premises API: its client runs under /onprem/1234567894 (admin / onprem-secret).
      id: '1234567894',
      waba_id: DEFAULT_WABA_ID,
      display_phone_number: '+1 555-010-7894',
      verified_name: 'Acme Legacy',
      status: 'CONNECTED',
      platform_type: 'ON_PREMISE',
      pin: '123456',
      onprem: { username: DEFAULT_ONPREM_USERNAME, password: DEFAULT_ONPREM_PASSWORD },
    },
  ];
}
