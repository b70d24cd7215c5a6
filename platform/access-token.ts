// Where the worker finds the Graph access token at each Graph call. A token file (graph.accessTokenFile)
// is read again whenever it changes, so a rotated token (Meta: refresh → deploy the new token → revoke the
// old one) applies from the next call without a restart. Checking costs one stat() per call.
import { readFileSync, statSync } from 'node:fs';
import { readAccessToken, type AppConfig } from './config';

export interface AccessTokenSource {
  /** The token to send now. Never logged. */
  current(): string;
  /** Where the token comes from, for messages: a variable or file name, never the token. */
  readonly origin: string;
}

/**
 * Reads the token once now (a missing or empty one is a ConfigError naming where it was looked for), then
 * serves it. `onChange` is told (without the token) when a changed file has been read.
 */
export function accessTokenSource(
  config: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
  onChange?: () => void,
): AccessTokenSource {
  const file = config.graph.accessTokenFile;
  if (file) {
    const stat = fileStat(file); // before the read: a change in between is read again next time
    return new TokenFile(file, readAccessToken(config, env), stat, onChange);
  }
  const token = readAccessToken(config, env);
  return {
    origin: `the environment variable ${config.graph.accessTokenEnv} (graph.accessTokenEnv; restart to change it)`,
    current: () => token,
  };
}

/**
 * A file whose mtime is this close to when it was read may be rewritten again within the same timestamp
 * tick (coarse on some filesystems) with a token of the same length: until it is older, read it every time.
 */
const RACY_WINDOW_MS = 2_000;

class TokenFile implements AccessTokenSource {
  readonly origin: string;
  private version: string | undefined;
  private racy: boolean;

  constructor(
    private readonly file: string,
    private token: string,
    stat: FileStat | undefined,
    private readonly onChange?: () => void,
  ) {
    this.origin = `the file ${file} (graph.accessTokenFile; read again when it changes)`;
    this.version = stat?.version;
    this.racy = stat === undefined || isRacy(stat);
  }

  current(): string {
    const stat = fileStat(this.file);
    if (stat === undefined || (stat.version === this.version && !this.racy)) return this.token;
    const token = readToken(this.file);
    // Empty or unreadable: a writer half-way through replacing it. Keep the last token, look again next call.
    if (!token) return this.token;
    if (token !== this.token) {
      this.token = token;
      this.onChange?.();
    }
    this.version = stat.version;
    this.racy = isRacy(stat);
    return this.token;
  }
}

interface FileStat {
  /** Changes whenever the file is replaced (inode), rewritten (size, mtime) or touched (ctime). */
  version: string;
  mtimeMs: number;
}

function fileStat(file: string): FileStat | undefined {
  try {
    const s = statSync(file);
    return { version: `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

function isRacy(stat: FileStat): boolean {
  return Date.now() - stat.mtimeMs < RACY_WINDOW_MS;
}

function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
