// The two-step PIN check of /register under Meta's guessing rules (reference doc §4): 133008 "too many PIN
// guesses" and 133009 "PIN guessed too fast", each with the wait in error_data.details [ERR]; a wrong PIN is
// 133005 or 131031 ("data mismatch, e.g. the two-step PIN in the request is incorrect" [ERR]). Meta documents
// neither the guess limit nor the lockout or the minimum interval (§4, "undocumented"): they are per-number
// simulator settings (number-conditions.ts), off by default. Every rule reads simulator time.
import { catalogueError } from './error-titles';
import { graphErrors, type GraphError } from './graph-errors';
import { pinMatches, type PhoneNumberRecord } from './phone-numbers';

const MINUTE_MS = 60_000;

/** A wait as Meta's details word it: whole minutes from a minute up, else whole seconds (rounded up). */
export function formatWait(ms: number): string {
  if (ms >= MINUTE_MS) {
    const minutes = Math.ceil(ms / MINUTE_MS);
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** [ERR 133008]: the wait is given in error_data.details. */
export function tooManyPinGuesses(waitMs: number): GraphError {
  return catalogueError(
    133008,
    'Too many two-step verification PIN guesses for this phone number. ' +
      `Try again in ${formatWait(waitMs)}.`,
  );
}

/** [ERR 133009]: the wait is given in error_data.details. */
export function pinGuessedTooFast(waitMs: number): GraphError {
  return catalogueError(
    133009,
    `Two-step verification PIN guessed too fast. Try again in ${formatWait(waitMs)}.`,
  );
}

/** A wrong PIN: 133005 by default, or 131031 as the number's pin_mismatch_code [ERR]. Never echoes the PIN. */
export function pinMismatchError(record: PhoneNumberRecord): GraphError {
  if (record.pin_mismatch_code === 131031) {
    return catalogueError(
      131031,
      'Data mismatch: the two-step verification PIN in the request does not match the PIN of this phone number.',
    );
  }
  return graphErrors.pinMismatch();
}

/**
 * Checks a register's PIN against the number's two-step PIN (which must be set). Throws 133008 during a lockout
 * (even for the right PIN) and 133009 when the previous PIN attempt on the number is less than
 * pin_min_interval_seconds ago: the PIN is not checked then, and the attempt is not recorded. Otherwise records the
 * attempt and returns null for the right PIN (the wrong-guess count resets), or the error to answer for a wrong one:
 * 133008 when it reaches pin_guess_limit (starting a lockout of pin_lockout_minutes), else the mismatch error.
 */
export function checkPinAttempt(record: PhoneNumberRecord, pin: string, now: number): GraphError | null {
  const guesses = record.pin_guesses;
  if (guesses.lockedUntil !== null) {
    if (now < guesses.lockedUntil) throw tooManyPinGuesses(guesses.lockedUntil - now);
    // The lockout is over: a fresh count.
    guesses.lockedUntil = null;
    guesses.wrong = 0;
  }
  const intervalSeconds = record.pin_min_interval_seconds;
  if (intervalSeconds !== null && guesses.lastAttemptAt !== null) {
    const readyAt = guesses.lastAttemptAt + intervalSeconds * 1000;
    if (now < readyAt) throw pinGuessedTooFast(readyAt - now);
  }
  guesses.lastAttemptAt = now;
  if (pinMatches(record, pin)) {
    guesses.wrong = 0;
    return null;
  }
  guesses.wrong += 1;
  const limit = record.pin_guess_limit;
  if (limit !== null && guesses.wrong >= limit) {
    const lockoutMs = record.pin_lockout_minutes * MINUTE_MS;
    guesses.lockedUntil = now + lockoutMs;
    return tooManyPinGuesses(lockoutMs);
  }
  return pinMismatchError(record);
}
