// Inputs of ownership verification (reference §3): how the code is sent and the code a person types.
import { z } from 'zod';
import { lazySchema } from './validation';

export const CODE_METHODS = ['SMS', 'VOICE'] as const;
export type CodeMethod = (typeof CODE_METHODS)[number];

export const codeMethodSchema = lazySchema(() => z.enum(CODE_METHODS, { error: 'must be SMS or VOICE' }));

/**
 * A locale, language_COUNTRY, as in every Meta example and Meta's published OpenAPI description
 * (`^[a-z]{2}_[A-Z]{2}$`); BPN's prose mentions a bare two-letter code, which we refuse rather than guess a
 * country for (docs/graph-api-notes.md).
 */
export const languageSchema = lazySchema(() =>
  z
    .string({ error: 'must be a locale like en_US (language_COUNTRY)' })
    .regex(/^[a-z]{2}_[A-Z]{2}$/, 'must be a locale like en_US (language_COUNTRY)'),
);

/**
 * The code as a person types it: the SMS shows "123-830"; Meta wants "123830" (SPREG). One hyphen is
 * removed, then Meta's six digits must remain.
 */
export const verificationCodeSchema = lazySchema(() =>
  z
    .string({ error: 'must be the code as text, e.g. 123830 or 123-830' })
    .transform((s) => s.trim().replace('-', ''))
    .pipe(z.string().regex(/^\d{6}$/, 'must be 6 digits (one hyphen allowed, e.g. 123-830)')),
);
