// Inputs of ownership verification (reference §3): how the code is sent and the code a person types.
import { z } from 'zod';

export const CODE_METHODS = ['SMS', 'VOICE'] as const;
export type CodeMethod = (typeof CODE_METHODS)[number];

export const codeMethodSchema = z.enum(CODE_METHODS, { error: 'must be SMS or VOICE' });

/** Meta's examples send a locale (en_US); its prose asks for a two-letter code (en). Both pass. */
export const languageSchema = z
  .string({ error: 'must be a language like en or en_US' })
  .regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'must be a language like en or en_US');

/**
 * The code as a person types it: the SMS shows "123-830"; Meta wants "123830". One hyphen is removed,
 * then 4 to 8 digits must remain.
 */
export const verificationCodeSchema = z
  .string({ error: 'must be the code as text, e.g. 123830 or 123-830' })
  .transform((s) => s.trim().replace('-', ''))
  .pipe(z.string().regex(/^\d{4,8}$/, 'must be 4 to 8 digits (one hyphen allowed, e.g. 123-830)'));
