// Per-number conditions Meta documents but a number only gets on Meta's side (a locked account, a failed
// deregistration, the PIN guessing rules, regions not offered to it): their stored shape with defaults (so older
// state files still load), the seed and PATCH inputs of the admin API, and how /_sim/phone-numbers/{id} shows them.
// The rules themselves: account-conditions.ts, pin-guard.ts, health-status.ts.
import { z } from 'zod';
import { DataLocalizationRegion } from './regions';

/** A wrong two-step PIN on register: 133005, or 131031 "data mismatch, e.g. the PIN is incorrect" [ERR]. */
export const PIN_MISMATCH_CODES = [133005, 131031] as const;
const PinMismatchCode = z.literal(PIN_MISMATCH_CODES, { error: 'must be 133005 or 131031' });

/** What deregister answers for a number that is not registered: ours (success), 133010 [ERR], or (#100). */
export const DEREGISTER_WHEN_NOT_REGISTERED = ['success', '133010', 'invalid-parameter'] as const;
const DeregisterWhenNotRegistered = z.enum(DEREGISTER_WHEN_NOT_REGISTERED, {
  error: `must be one of ${DEREGISTER_WHEN_NOT_REGISTERED.join(', ')}`,
});

const positiveIntOrNull = (what: string) =>
  z
    .number({ error: `must be ${what} (an integer ≥ 1) or null (off)` })
    .int(`must be ${what} (an integer ≥ 1) or null (off)`)
    .min(1, `must be ${what} (an integer ≥ 1) or null (off)`)
    .nullable();

const conditionFields = {
  /** [ERR 131031 "Business account locked"]: register and deregister answer 131031; health_status BLOCKED. */
  account_locked: z.boolean({ error: 'must be a boolean' }),
  pin_mismatch_code: PinMismatchCode,
  /** Wrong PINs in a row that lock register out (133008 [ERR]); null = no limit. */
  pin_guess_limit: positiveIntOrNull('a number of wrong PINs'),
  /** How long the 133008 lockout lasts. Meta gives the wait only in error_data.details [ERR]: our default. */
  pin_lockout_minutes: z
    .number({ error: 'must be a number of minutes (an integer ≥ 1)' })
    .int('must be a number of minutes (an integer ≥ 1)')
    .min(1, 'must be a number of minutes (an integer ≥ 1)'),
  /** Least time between two PIN attempts on the number, else 133009 [ERR]; null = no minimum. */
  pin_min_interval_seconds: positiveIntOrNull('a number of seconds'),
  /** [ERR 133000]: a previous deregistration failed; register answers 133000 until a deregister succeeds. */
  deregistration_incomplete: z.boolean({ error: 'must be a boolean' }),
  deregister_when_not_registered: DeregisterWhenNotRegistered,
  /** Regions whose local storage POST /{id}/settings refuses for this number (undocumented error: our choice). */
  unavailable_regions: z.array(DataLocalizationRegion, {
    error: 'must be an array of local-storage region codes',
  }),
};

export const CONDITION_DEFAULTS = {
  account_locked: false,
  pin_mismatch_code: 133005,
  pin_guess_limit: null,
  pin_lockout_minutes: 60,
  pin_min_interval_seconds: null,
  deregistration_incomplete: false,
  deregister_when_not_registered: 'success',
  unavailable_regions: [],
} as const satisfies z.input<z.ZodObject<typeof conditionFields>>;

/** Wrong-PIN bookkeeping of pin-guard.ts (simulator-time epoch ms). */
export const PinGuessState = z.object({
  /** Wrong PINs since the last right one (or the end of the last lockout). */
  wrong: z.number().int().nonnegative(),
  /** End of the current 133008 lockout, or null. */
  lockedUntil: z.number().nullable(),
  /** The last register whose PIN was checked, for pin_min_interval_seconds. */
  lastAttemptAt: z.number().nullable(),
});
export type PinGuessState = z.infer<typeof PinGuessState>;

export function emptyPinGuessState(): PinGuessState {
  return { wrong: 0, lockedUntil: null, lastAttemptAt: null };
}

/** The stored fields, each with its default: state files written before they existed load unchanged. */
export const conditionRecordFields = {
  account_locked: conditionFields.account_locked.default(CONDITION_DEFAULTS.account_locked),
  pin_mismatch_code: conditionFields.pin_mismatch_code.default(CONDITION_DEFAULTS.pin_mismatch_code),
  pin_guess_limit: conditionFields.pin_guess_limit.default(CONDITION_DEFAULTS.pin_guess_limit),
  pin_lockout_minutes: conditionFields.pin_lockout_minutes.default(CONDITION_DEFAULTS.pin_lockout_minutes),
  pin_min_interval_seconds: conditionFields.pin_min_interval_seconds.default(
    CONDITION_DEFAULTS.pin_min_interval_seconds,
  ),
  deregistration_incomplete: conditionFields.deregistration_incomplete.default(
    CONDITION_DEFAULTS.deregistration_incomplete,
  ),
  deregister_when_not_registered: conditionFields.deregister_when_not_registered.default(
    CONDITION_DEFAULTS.deregister_when_not_registered,
  ),
  unavailable_regions: conditionFields.unavailable_regions.default(() => []),
  pin_guesses: PinGuessState.default(emptyPinGuessState),
};

/** The same fields as optional seed (POST /_sim/phone-numbers) and PATCH inputs. */
export const conditionInputFields = {
  account_locked: conditionFields.account_locked.optional(),
  pin_mismatch_code: conditionFields.pin_mismatch_code.optional(),
  pin_guess_limit: conditionFields.pin_guess_limit.optional(),
  pin_lockout_minutes: conditionFields.pin_lockout_minutes.optional(),
  pin_min_interval_seconds: conditionFields.pin_min_interval_seconds.optional(),
  deregistration_incomplete: conditionFields.deregistration_incomplete.optional(),
  deregister_when_not_registered: conditionFields.deregister_when_not_registered.optional(),
  unavailable_regions: conditionFields.unavailable_regions.optional(),
};
export type ConditionInput = z.output<z.ZodObject<typeof conditionInputFields>>;

export type NumberConditions = {
  -readonly [K in keyof typeof CONDITION_DEFAULTS]: z.output<(typeof conditionFields)[K]>;
} & { pin_guesses: PinGuessState };

/** The conditions of a newly seeded number: the defaults, overridden by the seed input. */
export function seedConditions(input: ConditionInput): NumberConditions {
  const out: NumberConditions = {
    ...CONDITION_DEFAULTS,
    unavailable_regions: [],
    pin_guesses: emptyPinGuessState(),
  };
  applyConditionPatch(out, input);
  return out;
}

/**
 * Applies the given fields in place. Changing pin_guess_limit or pin_lockout_minutes starts a fresh count
 * (wrong PINs and any lockout are forgotten): undocumented, our choice, so a test can switch the rule cleanly.
 */
export function applyConditionPatch(record: NumberConditions, patch: ConditionInput): void {
  const set = <K extends keyof ConditionInput & keyof NumberConditions>(key: K) => {
    const value = patch[key];
    if (value !== undefined) (record as Record<K, unknown>)[key] = value;
  };
  set('account_locked');
  set('pin_mismatch_code');
  set('pin_guess_limit');
  set('pin_lockout_minutes');
  set('pin_min_interval_seconds');
  set('deregistration_incomplete');
  set('deregister_when_not_registered');
  if (patch.unavailable_regions !== undefined)
    record.unavailable_regions = [...new Set(patch.unavailable_regions)];
  if (patch.pin_guess_limit !== undefined || patch.pin_lockout_minutes !== undefined) {
    record.pin_guesses = { ...record.pin_guesses, wrong: 0, lockedUntil: null };
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** How GET /_sim/phone-numbers/{id} shows the conditions; `pinGuesses.lockedUntil` only while locked out. */
export function conditionsView(record: NumberConditions, now: number) {
  const { pin_guesses: guesses, ...conditions } = record;
  const locked = guesses.lockedUntil !== null && guesses.lockedUntil > now;
  // A lockout that ran out is cleared by the next register; show the count that register will see.
  const expired = guesses.lockedUntil !== null && !locked;
  return {
    account_locked: conditions.account_locked,
    pin_mismatch_code: conditions.pin_mismatch_code,
    pin_guess_limit: conditions.pin_guess_limit,
    pin_lockout_minutes: conditions.pin_lockout_minutes,
    pin_min_interval_seconds: conditions.pin_min_interval_seconds,
    deregistration_incomplete: conditions.deregistration_incomplete,
    deregister_when_not_registered: conditions.deregister_when_not_registered,
    unavailable_regions: [...conditions.unavailable_regions],
    pinGuesses: {
      wrongGuesses: expired ? 0 : guesses.wrong,
      lockedUntil: locked ? iso(guesses.lockedUntil) : null,
      lastAttemptAt: iso(guesses.lastAttemptAt),
    },
  };
}
