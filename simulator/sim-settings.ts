// Runtime switches of the simulator itself (not of a number), changeable through /_sim/settings.
// Not persisted: like faults, they describe the test run, not Meta's state.
import { z } from 'zod';

export interface SimSettingsValues {
  /**
   * Enforce the version rules seen live rather than what Meta's pages still document: on v21.0+,
   * /register rejects `data_localization_region` (and `meta_store_retention_minutes`) with (#12).
   */
  strictVersionRules: boolean;
  /** How long a code sent by request_code stays valid. Applies to codes sent after a change. */
  codeTtlMinutes: number;
  /** request_code calls that may send a code per number in a moving hour; more → 136024. */
  codeRequestsPerHour: number;
  /**
   * How long a register with backup (On-Prem → Cloud migration) takes to answer, in ms; Meta says up to
   * 15 s (reference doc §1). The change is applied before the wait.
   */
  backupRegisterDelayMs: number;
  /**
   * Send error_subcode (2388001 "Cannot Create Certificate") on every Graph version. Off: only below v16.0, as Meta
   * documents that v16.0+ no longer returns error_subcode [ERR] (reference doc §8.1, §9).
   */
  legacySubcodes: boolean;
}

export const UpdateSimSettingsInput = z.strictObject({
  strictVersionRules: z.boolean().optional(),
  codeTtlMinutes: z.number().positive().optional(),
  codeRequestsPerHour: z.number().int().positive().optional(),
  backupRegisterDelayMs: z.number().int().nonnegative().optional(),
  legacySubcodes: z.boolean({ error: 'must be a boolean' }).optional(),
});

export class SimSettings {
  private values: SimSettingsValues;

  constructor(private readonly startup: SimSettingsValues) {
    this.values = { ...startup };
  }

  get strictVersionRules(): boolean {
    return this.values.strictVersionRules;
  }

  get codeTtlMinutes(): number {
    return this.values.codeTtlMinutes;
  }

  get codeRequestsPerHour(): number {
    return this.values.codeRequestsPerHour;
  }

  get backupRegisterDelayMs(): number {
    return this.values.backupRegisterDelayMs;
  }

  get legacySubcodes(): boolean {
    return this.values.legacySubcodes;
  }

  list(): SimSettingsValues {
    return { ...this.values };
  }

  update(input: z.output<typeof UpdateSimSettingsInput>): SimSettingsValues {
    if (input.strictVersionRules !== undefined) this.values.strictVersionRules = input.strictVersionRules;
    if (input.codeTtlMinutes !== undefined) this.values.codeTtlMinutes = input.codeTtlMinutes;
    if (input.codeRequestsPerHour !== undefined) this.values.codeRequestsPerHour = input.codeRequestsPerHour;
    if (input.backupRegisterDelayMs !== undefined)
      this.values.backupRegisterDelayMs = input.backupRegisterDelayMs;
    if (input.legacySubcodes !== undefined) this.values.legacySubcodes = input.legacySubcodes;
    return this.list();
  }

  /** Back to the options the simulator was started with. */
  reset(): void {
    this.values = { ...this.startup };
  }
}
