import { z } from 'zod';
import { lazySchema } from './validation';

/** Graph's phone-number node ID (not the phone number itself): digits only. */
/** "is required" when missing; a number or other type gets the format rule instead. */
const textOf = (rule: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : rule),
});

export const phoneNumberIdSchema = lazySchema(() =>
  z
    .string(textOf('must be a string of digits (the Graph phone-number ID)'))
    .regex(/^\d{1,32}$/, 'must be all digits (the Graph phone-number ID, e.g. 1234567890)'),
);

/** The two-step verification PIN Meta expects on register. */
export const pinSchema = lazySchema(() =>
  z.string(textOf('must be a string of exactly 6 digits')).regex(/^\d{6}$/, 'must be exactly 6 digits'),
);

/** Meta's data-localization regions (reference §6); the only values register and settings accept. */
export const DATA_LOCALIZATION_REGIONS = [
  'AU', 'ID', 'IN', 'JP', 'SG', 'KR', // APAC
  'DE', 'CH', 'GB', // Europe
  'BR', // LATAM
  'BH', 'ZA', 'AE', // MEA
  'CA', // NORAM
] as const; // prettier-ignore
export type DataLocalizationRegion = (typeof DATA_LOCALIZATION_REGIONS)[number];

export const regionSchema = lazySchema(() =>
  z.enum(DATA_LOCALIZATION_REGIONS, {
    error: `must be one of Meta's data-localization regions: ${DATA_LOCALIZATION_REGIONS.join(', ')}`,
  }),
);

export function lifecycleWorkflowId(phoneNumberId: string): string {
  return `phone-number:${phoneNumberId}`;
}

export function operationWorkflowId(phoneNumberId: string, operation: string, sequence: number): string {
  return `phone-number:${phoneNumberId}:${operation}:${sequence}`;
}
