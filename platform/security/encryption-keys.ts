// AES-256 keys for the payload codec. Several keys may be configured so they can rotate: every key
// decrypts, one (the first, or the one a key file names) encrypts. A malformed key stops start-up with
// a message naming it, never showing it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export interface EncryptionKeyring {
  /** Key id new payloads are encrypted with. */
  encryptWith: string;
  keys: Map<string, Buffer>;
  /** Where the keys came from, for start-up messages (never the keys). */
  source: string;
}

export class EncryptionKeyError extends Error {
  override readonly name = 'EncryptionKeyError';
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

function decodeKey(id: string, text: string, where: string): Buffer {
  if (!KEY_ID.test(id))
    throw new EncryptionKeyError(`${where}: key id "${id}" must be 1-64 of A-Z a-z 0-9 _ . -`);
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new EncryptionKeyError(`${where}: key "${id}" must be base64 (standard alphabet, padded)`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new EncryptionKeyError(
      `${where}: key "${id}" must be 32 bytes (AES-256) of base64, got ${key.length} bytes`,
    );
  }
  return key;
}

/** `WA_ENCRYPTION_KEYS=k2=BASE64,k1=BASE64`: the first encrypts, all decrypt. */
export function parseKeyList(text: string, where: string): EncryptionKeyring {
  const keys = new Map<string, Buffer>();
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0)
    throw new EncryptionKeyError(`${where}: no keys (expected id=base64[,id=base64...])`);
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new EncryptionKeyError(`${where}: each entry must be id=base64`);
    const id = entry.slice(0, eq).trim();
    if (keys.has(id)) throw new EncryptionKeyError(`${where}: key id "${id}" appears twice`);
    keys.set(id, decodeKey(id, entry.slice(eq + 1), where));
  }
  return { encryptWith: entries[0]!.slice(0, entries[0]!.indexOf('=')), keys, source: where };
}

const keyFileSchema = z
  .object({
    encryptWith: z.string(),
    keys: z.record(z.string(), z.string()),
  })
  .strict();

/** A key file: `{"encryptWith": "k2", "keys": {"k1": "BASE64", "k2": "BASE64"}}`. */
export function readKeyFile(file: string): EncryptionKeyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    // Not JSON.parse's message: it quotes the text around the error, which may be key material.
    const why = (err as NodeJS.ErrnoException).code ? 'cannot be read' : 'is not valid JSON';
    throw new EncryptionKeyError(`${file}: key file ${why}`);
  }
  const result = keyFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new EncryptionKeyError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const keys = new Map<string, Buffer>();
  for (const [id, text] of Object.entries(result.data.keys)) keys.set(id, decodeKey(id, text, file));
  if (!keys.has(result.data.encryptWith)) {
    throw new EncryptionKeyError(`${file}: encryptWith "${result.data.encryptWith}" is not one of its keys`);
  }
  return { encryptWith: result.data.encryptWith, keys, source: file };
}

export function keyFileExists(file: string): boolean {
  return file !== '' && existsSync(file);
}

/** Writes a fresh key file (owner-only) unless one exists; the local stack's key. */
export function ensureKeyFile(file: string, keyId = 'local-1'): boolean {
  if (existsSync(file)) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const keys = { [keyId]: randomBytes(32).toString('base64') };
  writeFileSync(file, JSON.stringify({ encryptWith: keyId, keys }, null, 2) + '\n', {
    mode: 0o600,
    flag: 'wx',
  });
  return true;
}
