// Settings of the HTTP API process (`npm run api`), from the environment: API keys, host, port, rate
// limit, public URL. Kept out of temporal.yaml: keys are secrets, and they belong to this process only.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isLoopbackHost } from './app';
import { API_KEY_NAME_PATTERN, API_SCOPES, ApiKeyring, type ApiKeySpec } from './auth';

export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 8781;
/** Shorter keys are refused: they could be guessed. */
export const MIN_API_KEY_LENGTH = 16;

export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

export interface ApiSettings {
  /** Bare strings (every scope, no name) from WA_API_KEYS and line files; named keys from YAML/JSON files. */
  apiKeys: (string | ApiKeySpec)[];
  /** Where the keys came from, for the start-up line (never the keys). */
  keySources: string[];
  host: string;
  port: number;
  /** Requests per key per minute (0: no limit). */
  rateLimitPerMinute: number;
  /** The URL clients reach the API at, listed in the OpenAPI document's servers. */
  publicUrl?: string;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/** A key file in YAML or JSON: named keys with scopes, each with the key or only its SHA-256. */
const keyFileSchema = z
  .object({
    keys: z
      .array(
        z
          .object({
            name: z.string().regex(API_KEY_NAME_PATTERN, 'must be 1 to 40 letters, digits, . _ or -'),
            scopes: z.array(z.enum(API_SCOPES)).min(1, `must list some of ${API_SCOPES.join(', ')}`),
            key: z.string().optional(),
            sha256: z
              .string()
              .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
              .optional(),
          })
          .strict()
          .refine((k) => (k.key === undefined) !== (k.sha256 === undefined), 'give either key or sha256'),
      )
      .min(1, 'holds no key'),
  })
  .strict();

function readStructuredKeys(text: string, file: string): ApiKeySpec[] {
  let data: unknown;
  try {
    data = parseYaml(text); // JSON is YAML too
  } catch {
    throw new ApiConfigError(`WA_API_KEYS_FILE: ${file} is not valid YAML or JSON`);
  }
  const result = keyFileSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = issue.path.map(String).join('.') || 'keys';
    throw new ApiConfigError(`WA_API_KEYS_FILE (${file}): ${at}: ${issue.message}`);
  }
  for (const [i, k] of result.data.keys.entries()) {
    if (k.key !== undefined) checkKeys([k.key], `WA_API_KEYS_FILE (${file}): keys.${i} (${k.name})`);
  }
  const specs = result.data.keys.map((k) => ({
    name: k.name,
    scopes: k.scopes,
    ...(k.key !== undefined ? { key: k.key } : { sha256: k.sha256!.toLowerCase() }),
  }));
  try {
    new ApiKeyring(specs); // duplicate names and the like
  } catch (err) {
    throw new ApiConfigError(`WA_API_KEYS_FILE (${file}): ${(err as Error).message}`);
  }
  return specs;
}

function checkKeys(keys: string[], source: string): string[] {
  for (const [i, key] of keys.entries()) {
    if (key.length < MIN_API_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
      throw new ApiConfigError(
        `${source}: key #${i + 1} must be at least ${MIN_API_KEY_LENGTH} printable characters without spaces`,
      );
    }
  }
  return keys;
}

/**
 * WA_API_KEYS (comma-separated) and/or WA_API_KEYS_FILE (one key a line; blank lines and # comments
 * skipped); WA_API_HOST (default 127.0.0.1); WA_API_PORT (default 8781). A key source that is set but
 * holds no key is an error rather than silently turning auth off; without any key, only loopback hosts.
 */
export function loadApiSettings(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const keys: (string | ApiKeySpec)[] = [];
  const keySources: string[] = [];
  const inline = env.WA_API_KEYS;
  if (inline !== undefined && inline.trim() !== '') {
    const list = inline
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    if (list.length === 0) throw new ApiConfigError('WA_API_KEYS: holds no key (comma-separated keys)');
    keys.push(...checkKeys(list, 'WA_API_KEYS'));
    keySources.push('WA_API_KEYS');
  }
  const file = env.WA_API_KEYS_FILE?.trim();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ApiConfigError(
        `WA_API_KEYS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (/\.(ya?ml|json)$/i.test(file)) {
      keys.push(...readStructuredKeys(text, file));
    } else {
      const list = text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
      if (list.length === 0)
        throw new ApiConfigError(`WA_API_KEYS_FILE: ${file} holds no key (one per line)`);
      keys.push(...checkKeys(list, `WA_API_KEYS_FILE (${file})`));
    }
    keySources.push(`WA_API_KEYS_FILE (${file})`);
  }

  const host = env.WA_API_HOST?.trim() || DEFAULT_API_HOST;
  const portText = env.WA_API_PORT?.trim() || String(DEFAULT_API_PORT);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ApiConfigError(`WA_API_PORT: must be a port number (0-65535), not "${portText}"`);
  }
  if (keys.length === 0 && !isLoopbackHost(host)) {
    throw new ApiConfigError(
      `WA_API_HOST=${host}: refusing to listen beyond this machine without API keys; set WA_API_KEYS or ` +
        `WA_API_KEYS_FILE, or listen on 127.0.0.1, ::1 or localhost`,
    );
  }
  const limitText = env.WA_API_RATE_LIMIT_PER_MINUTE?.trim() || String(DEFAULT_RATE_LIMIT_PER_MINUTE);
  if (!/^\d{1,7}$/.test(limitText)) {
    throw new ApiConfigError(
      `WA_API_RATE_LIMIT_PER_MINUTE: must be a whole number of requests per key per minute (0: no limit), not "${limitText}"`,
    );
  }
  const publicUrl = env.WA_API_PUBLIC_URL?.trim() || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(publicUrl)) {
    throw new ApiConfigError(`WA_API_PUBLIC_URL: must be an http(s) URL, e.g. https://wa-api.example.com`);
  }
  return {
    apiKeys: [...new Set(keys)],
    keySources,
    host,
    port: Number(portText),
    rateLimitPerMinute: Number(limitText),
    ...(publicUrl ? { publicUrl } : {}),
  };
}
