// The local-storage regions, in a module of their own so schemas on both sides of phone-numbers.ts can use them.
import { z } from 'zod';

/** The 14 local-storage regions accepted by /register and /settings (reference doc §6). */
// prettier-ignore
export const DATA_LOCALIZATION_REGIONS = [
  'AU', 'ID', 'IN', 'JP', 'SG', 'KR', 'DE', 'CH', 'GB', 'BR', 'BH', 'ZA', 'AE', 'CA',
] as const;

export const DataLocalizationRegion = z.enum(DATA_LOCALIZATION_REGIONS);
export type DataLocalizationRegion = z.infer<typeof DataLocalizationRegion>;
