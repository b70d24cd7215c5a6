// Redaction for everything we log: the worker's and the SDK's log lines (platform/logging/, text or JSON)
// and CLI error output. A second line of defence: our own messages never include secrets, but a
// library's might (axios errors carry headers and bodies). No SDK import here, so the API and the CLI
// use it without loading the worker package.

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear. */
const SECRET_KEY =
  /^(pin|code|password|backup|token|access_?token|authorization|secret|api_?key|x-api-key)$/i;

const SECRET_TEXT: [RegExp, string][] = [
  [/\b(Bearer|OAuth|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  [/\b(access_token|pin|code|password)=[^&\s"']+/gi, `$1=${REDACTED}`],
  [/("(?:pin|code|password|data|token|access_token)"\s*:\s*)"[^"]*"/gi, `$1"${REDACTED}"`],
  [/('(?:pin|code|password|data|token|access_token)'\s*:\s*)'[^']*'/gi, `$1'${REDACTED}'`],
];

export function redactText(text: string): string {
  return SECRET_TEXT.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    const copy = new Error(redactText(value.message));
    copy.name = value.name;
    copy.stack = value.stack ? redactText(value.stack) : undefined;
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : redactValue(v, depth + 1)]),
    );
  }
  return value;
}
