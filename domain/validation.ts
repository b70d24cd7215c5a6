import { z } from 'zod';

/** Bad input: names the field and the rule it broke. Thrown before anything is sent or written. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

/**
 * A schema built on its first use and reused after. The workflow modules are preloaded and frozen once per
 * worker (workflows/shared-modules.ts): a zod schema built at module scope would be frozen before zod sets
 * it up at its first use, and one the bundle does not preload would be built for every cached workflow. Built
 * lazily, it is built once, when something first validates with it, and shared from then on.
 */
export function lazySchema<T extends z.ZodType>(build: () => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build());
}

/** Parses `value` with `schema`; on failure throws an InputError for the first issue, with its path. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  fieldPrefix?: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const pathText = issue ? issue.path.map(String).join('.') : '';
  const field = [fieldPrefix, pathText].filter(Boolean).join('.') || 'input';
  throw new InputError(field, issue ? ruleText(issue) : 'is invalid');
}

function ruleText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  return issue.message;
}

/** `text` cut to at most `max` characters (an ellipsis marks the cut): long texts from Meta kept bounded. */
export function boundText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
