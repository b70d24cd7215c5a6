// Whether a number is registered on Cloud API, decided from what Meta reports on the phone-number node
// (reference §7): `status` and `platform_type`. One function decides, so register, deregister, region
// changes and migration all read the node the same way.
import type { Registration } from './lifecycle-state';

/**
 * `status` values documented or observed (reference §7; Meta publishes no full enum). FLAGGED, RESTRICTED
 * and RATE_LIMITED are quality and messaging-limit states of a number that stays registered.
 */
export const NUMBER_STATUSES = [
  'PENDING',
  'CONNECTED',
  'DISCONNECTED',
  'FLAGGED',
  'RESTRICTED',
  'RATE_LIMITED',
  'BANNED',
  'MIGRATED',
  'DELETED',
  'UNKNOWN',
  'UNVERIFIED',
] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number];

/** `platform_type`: NOT_APPLICABLE means registered on neither API (reference §7). */
export const PLATFORM_TYPES = ['CLOUD_API', 'ON_PREMISE', 'NOT_APPLICABLE'] as const;
export type PlatformType = (typeof PLATFORM_TYPES)[number];

/** On Cloud API and holding its registration: deregister applies, register would change nothing. */
const REGISTERED_ON_CLOUD: ReadonlySet<string> = new Set([
  'CONNECTED',
  'FLAGGED',
  'RESTRICTED',
  'RATE_LIMITED',
]);
/** On Cloud API's platform but not connected: registering is what brings it (back) online. */
const NOT_CONNECTED_ON_CLOUD: ReadonlySet<string> = new Set([
  'PENDING',
  'DISCONNECTED',
  'UNVERIFIED',
  'MIGRATED',
  'DELETED',
]);

const isDocumented = <T extends string>(values: readonly T[], value: string): value is T =>
  (values as readonly string[]).includes(value);

/**
 * Registered, not registered, or unknown. Unknown (an undocumented value, a missing field, Meta's own
 * UNKNOWN, a BANNED Cloud API number whose registration Meta does not describe) is never guessed: the
 * caller reads the number again and, if it stays unknown, stops and says what Meta reported.
 */
export function registrationOf(status: string | undefined, platformType: string | undefined): Registration {
  if (platformType === undefined || !isDocumented(PLATFORM_TYPES, platformType)) return 'unknown';
  if (status === undefined || !isDocumented(NUMBER_STATUSES, status)) return 'unknown';
  // Off Cloud API (never there, deregistered, or still on the On-Premises API): not registered on Cloud.
  if (platformType !== 'CLOUD_API') return 'not-registered';
  if (REGISTERED_ON_CLOUD.has(status)) return 'registered';
  if (NOT_CONNECTED_ON_CLOUD.has(status)) return 'not-registered';
  return 'unknown'; // BANNED, UNKNOWN
}
