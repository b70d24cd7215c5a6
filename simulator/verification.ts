// Ownership verification (reference doc §3): the codes request_code "sends" to a number, the hourly
// budget for sending them, and the rules verify_code checks a submitted code against. Meta documents
// neither the lifetime nor the limit (§3.3): both are simulator settings. Every rule reads simulator time.
import { randomInt } from 'node:crypto';
import { graphErrors } from './graph-errors';
import type { CodeMethod, PhoneNumberRecord, VerificationCode } from './phone-numbers';

export const CODE_REQUEST_WINDOW_MS = 3_600_000;

/** Codes kept per number for `/_sim/codes/{id}?all=true`; only the newest can verify anyway. */
const MAX_CODE_HISTORY = 20;

export interface CodePolicy {
  ttlMs: number;
  maxRequestsPerHour: number;
}

/** A request at t counts while now - t < 1 h; requests "in the future" (clock set back) still count. */
function requestsInWindow(record: PhoneNumberRecord, now: number): number[] {
  return record.verification.requests.filter((t) => now - t < CODE_REQUEST_WINDOW_MS);
}

export function codeRequestsInLastHour(record: PhoneNumberRecord, now: number): number {
  return requestsInWindow(record, now).length;
}

function freshCode(record: PhoneNumberRecord): string {
  // Leading zeros are possible, as with real codes: the code is a string of digits, not a number.
  // Never reuse a code from the history, so an old code can never verify by accident.
  const taken = new Set(record.verification.codes.map((c) => c.code));
  let code: string;
  do code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  while (taken.has(code));
  return code;
}

/**
 * request_code after its parameters were validated: 136024 for a verified number or an exhausted
 * budget (neither counts), otherwise records the request and "sends" a new code that replaces the
 * previous one. Mutates the record only on success.
 */
export function sendCode(
  record: PhoneNumberRecord,
  method: CodeMethod,
  language: string,
  now: number,
  policy: CodePolicy,
): VerificationCode {
  if (record.code_verification_status === 'VERIFIED') throw graphErrors.requestCodeAlreadyVerified();
  const recent = requestsInWindow(record, now).sort((a, b) => a - b);
  if (recent.length >= policy.maxRequestsPerHour) {
    // The window admits a new request once enough of the oldest ones have left it.
    const freeing = recent[recent.length - policy.maxRequestsPerHour] ?? now;
    throw graphErrors.requestCodeTooMany(policy.maxRequestsPerHour, freeing + CODE_REQUEST_WINDOW_MS);
  }
  const sent: VerificationCode = {
    code: freshCode(record),
    method,
    language,
    sentAt: now,
    expiresAt: now + policy.ttlMs,
    usedAt: null,
  };
  record.verification.requests = [...recent, now];
  record.verification.codes = [sent, ...record.verification.codes].slice(0, MAX_CODE_HISTORY);
  return sent;
}

const VERIFY_DETAILS = {
  wrong:
    'The verification code is wrong. Submit the code from the latest SMS or voice call, digits only ' +
    '(without the hyphen).',
  replaced:
    'The verification code is wrong: it was replaced by a newer code. Submit the code from the latest ' +
    'SMS or voice call.',
  expired: 'The verification code has expired. Request a new code with request_code.',
  used: 'The verification code has already been used. Request a new code with request_code if needed.',
  none: 'No verification code was requested for this phone number. Request one with request_code first.',
  alreadyVerified: 'The phone number is already verified and has no pending verification code.',
} as const;

/**
 * verify_code after the code's format was checked. Only the newest code can verify, once, before it
 * expires; then the number is VERIFIED. Anything else is 136025 with details naming the reason.
 */
export function verifyCode(record: PhoneNumberRecord, given: string, now: number): void {
  const verified = record.code_verification_status === 'VERIFIED';
  const [latest, ...older] = record.verification.codes;
  if (latest === undefined)
    throw graphErrors.verifyCodeError(verified ? VERIFY_DETAILS.alreadyVerified : VERIFY_DETAILS.none);
  if (given === latest.code) {
    if (latest.usedAt !== null) throw graphErrors.verifyCodeError(VERIFY_DETAILS.used);
    if (now >= latest.expiresAt) throw graphErrors.verifyCodeError(VERIFY_DETAILS.expired);
    latest.usedAt = now;
    record.code_verification_status = 'VERIFIED';
    return;
  }
  const pending = latest.usedAt === null && now < latest.expiresAt;
  if (verified && !pending) throw graphErrors.verifyCodeError(VERIFY_DETAILS.alreadyVerified);
  if (older.some((c) => c.code === given)) throw graphErrors.verifyCodeError(VERIFY_DETAILS.replaced);
  throw graphErrors.verifyCodeError(VERIFY_DETAILS.wrong);
}

/** `123456` → `123-456`, as the SMS shows it (reference doc §3.1). */
export function displayCode(code: string): string {
  return `${code.slice(0, 3)}-${code.slice(3)}`;
}

/** A sent code as `GET /_sim/codes/{id}` shows it. */
export function codeView(code: VerificationCode) {
  return {
    code: code.code,
    display: displayCode(code.code),
    method: code.method,
    language: code.language,
    sentAt: new Date(code.sentAt).toISOString(),
    expiresAt: new Date(code.expiresAt).toISOString(),
    used: code.usedAt !== null,
  };
}
