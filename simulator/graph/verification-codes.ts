// POST /{phone-number-id}/request_code and /verify_code (reference doc §3): their parameters here, the codes
// themselves (sending, expiry, the hourly budget, checking) in ../verification.ts.
import { graphErrors } from '../graph-errors';
import type { Outcome } from '../outcome';
import { CODE_METHODS, type CodeMethod } from '../phone-numbers';
import { sendCode, verifyCode } from '../verification';
import { guardedPost } from './answers';
import type { PhoneNumberCall } from './call';
import { isBlank } from './params';

/**
 * POST /{id}/request_code (reference doc §3.1): validates code_method and language, then sends a code
 * unless the number is verified or over its hourly budget (both 136024). `counted` = used a slot of
 * that budget, which only a sent code does.
 */
export function handleRequestCode(call: PhoneNumberCall): Outcome {
  const { deps, record, params } = call;
  return guardedPost(call, () => {
    const method = parseCodeMethod(params.code_method);
    const language = parseLanguage(params.language);
    sendCode(record, method, language, deps.state.clock.now(), {
      ttlMs: deps.settings.codeTtlMinutes * 60_000,
      maxRequestsPerHour: deps.settings.codeRequestsPerHour,
    });
    deps.state.save();
    return { status: 200, json: { success: true }, counted: true, applied: true };
  });
}

/** POST /{id}/verify_code (reference doc §3.2): a digits-only code, checked against the newest one sent. */
export function handleVerifyCode(call: PhoneNumberCall): Outcome {
  const { deps, record, params } = call;
  return guardedPost(call, () => {
    const raw = params.code;
    if (isBlank(raw)) {
      throw graphErrors.invalidParameter(
        'The parameter code is required',
        'Send the verification code received by SMS or voice call.',
      );
    }
    // Never echo the value. A JSON number is taken as its digits (a leading zero is then lost, as it would be).
    const code = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : raw;
    if (typeof code !== 'string' || !/^\d+$/.test(code)) {
      throw graphErrors.invalidParameter(
        'Param code must be a string of digits',
        'Send the code digits only: 123456 for a message showing 123-456.',
      );
    }
    verifyCode(record, code, deps.state.clock.now());
    deps.state.save();
    return { status: 200, json: { success: true }, counted: false, applied: true };
  });
}

/** A locale such as `en_US` (what Meta's examples send), or a bare language such as `en` (BPN's prose). */
const LANGUAGE_PARAM = /^[a-z]{2}(?:_[A-Z]{2})?$/;

function parseCodeMethod(raw: unknown): CodeMethod {
  if (isBlank(raw)) {
    throw graphErrors.invalidParameter(
      'The parameter code_method is required',
      'Send code_method=SMS or code_method=VOICE.',
    );
  }
  // Like messaging_product, the enum is matched case-insensitively and reported in uppercase.
  const normalized = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  const known = CODE_METHODS.find((m) => m === normalized);
  if (known === undefined) {
    throw graphErrors.invalidParameter(
      `Param code_method must be one of {${CODE_METHODS.join(', ')}}`,
      'Send code_method=SMS or code_method=VOICE.',
    );
  }
  return known;
}

function parseLanguage(raw: unknown): string {
  if (isBlank(raw)) {
    throw graphErrors.invalidParameter(
      'The parameter language is required',
      'Send the language of the code message as a locale such as en_US.',
    );
  }
  if (typeof raw !== 'string' || !LANGUAGE_PARAM.test(raw)) {
    throw graphErrors.invalidParameter(
      'Param language must be a locale such as en_US or a two-letter language code such as en',
      'Send the language of the code message as a locale such as en_US (or a two-letter code such as en).',
    );
  }
  return raw;
}
