// Settings of the HTTP API process (`npm run api`), from the environment: API keys, host, port. Kept out
// of temporal.yaml: keys are secrets, and they belong to this process only.
import { readFileSync } from 'node:fs';
import { isLoopbackHost } from './server';

export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 8781;
/** Shorter keys are refused: they could be guessed. */
export const MIN_API_KEY_LENGTH = 16;

export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

export interface ApiSettings {
  apiKeys: string[];
  /** Where the keys came from, for the start-up line (never the keys). */
  keySources: string[];
  host: string;
  port: number;
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
  const keys: string[] = [];
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
    const list = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    if (list.length === 0) throw new ApiConfigError(`WA_API_KEYS_FILE: ${file} holds no key (one per line)`);
    keys.push(...checkKeys(list, `WA_API_KEYS_FILE (${file})`));
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
  return { apiKeys: [...new Set(keys)], keySources, host, port: Number(portText) };
}
