// The simulated On-Premises API client of a number (reference doc §5): its admin credentials (password
// hashed), the login tokens it issued (hashed), the backups it created, and whether it still runs. A backup
// blob is base64 of a JSON envelope whose payload is AES-256-GCM encrypted with a key derived from the backup
// password, so register-with-backup can tell "not our data" from "wrong password".
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  randomUUID,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { z } from 'zod';
import type { PhoneNumberRecord } from './phone-numbers';

/** What an On-Prem login token is good for (Meta: tokens expire after 7 days). */
export const ONPREM_TOKEN_TTL_MS = 7 * 24 * 3_600_000;

export const DEFAULT_ONPREM_USERNAME = 'admin';
export const DEFAULT_ONPREM_PASSWORD = 'onprem-secret';

/** Tokens and backups kept per number; older ones are forgotten (bounded state file). */
const MAX_TOKENS = 50;
const MAX_BACKUPS = 100;

const BACKUP_FORMAT = 'wa-onprem-sim-backup';
/** scrypt cost: low, the simulator is not defending anything, but derived like a real backup key. */
const SCRYPT_OPTIONS = { N: 2 ** 12, r: 8, p: 1 } as const;

export const OnPremToken = z.object({ token_sha256: z.string(), expires_at: z.number() });
export const OnPremBackup = z.object({
  id: z.string(),
  /** Simulator-time epoch ms. */
  created_at: z.number(),
  /** sha256 of the exact `data` string handed out, so only blobs this client produced are accepted. */
  data_sha256: z.string(),
});

export const OnPremState = z.object({
  username: z.string(),
  /** Only a hash is kept, like the PIN. */
  password_hash: z.string(),
  running: z.boolean(),
  /**
   * Why the client stopped: `migrated` (a register with backup succeeded) or `pin_mismatch` (a register with
   * backup and a wrong PIN took the deployment down, leaving the number on neither API). null while running.
   */
  stopped_reason: z.enum(['migrated', 'pin_mismatch']).nullable(),
  tokens: z.array(OnPremToken),
  backups: z.array(OnPremBackup),
});
export type OnPremState = z.infer<typeof OnPremState>;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hexEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hashOnPremPassword(phoneNumberId: string, password: string): string {
  return sha256(`${phoneNumberId}:onprem:${password}`);
}

/** A fresh, running On-Prem client with these admin credentials. */
export function createOnPremState(phoneNumberId: string, username: string, password: string): OnPremState {
  return {
    username,
    password_hash: hashOnPremPassword(phoneNumberId, password),
    running: true,
    stopped_reason: null,
    tokens: [],
    backups: [],
  };
}

export function credentialsMatch(
  record: PhoneNumberRecord,
  onprem: OnPremState,
  username: string,
  password: string,
): boolean {
  const passwordOk = hexEqual(hashOnPremPassword(record.id, password), onprem.password_hash);
  return username === onprem.username && passwordOk;
}

/** Issues a login token (returned once, stored hashed) valid for 7 days of simulator time. */
export function issueToken(onprem: OnPremState, now: number): { token: string; expiresAt: number } {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + ONPREM_TOKEN_TTL_MS;
  onprem.tokens = onprem.tokens.filter((t) => t.expires_at > now);
  onprem.tokens.push({ token_sha256: sha256(token), expires_at: expiresAt });
  if (onprem.tokens.length > MAX_TOKENS) onprem.tokens.splice(0, onprem.tokens.length - MAX_TOKENS);
  return { token, expiresAt };
}

export function tokenValid(onprem: OnPremState, token: string, now: number): boolean {
  const hash = sha256(token);
  return onprem.tokens.some((t) => t.expires_at > now && hexEqual(t.token_sha256, hash));
}

const BackupEnvelope = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(1),
  phone_number_id: z.string(),
  backup_id: z.string(),
  salt: z.string(),
  iv: z.string(),
  tag: z.string(),
  ciphertext: z.string(),
});
type BackupEnvelope = z.infer<typeof BackupEnvelope>;

const BackupPayload = z.object({ phone_number_id: z.string(), backup_id: z.string() });

function backupKey(password: string, salt: Buffer): Buffer {
  return scryptSync(password, salt, 32, SCRYPT_OPTIONS);
}

/**
 * `POST /v1/settings/backup`: an encrypted blob of the number's "registration info and app settings"
 * (reference doc §5 step 3), recorded so register can recognise it later.
 */
export function createBackup(
  record: PhoneNumberRecord,
  onprem: OnPremState,
  password: string,
  now: number,
): string {
  const backupId = randomUUID();
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const payload = JSON.stringify({
    phone_number_id: record.id,
    backup_id: backupId,
    created_at: new Date(now).toISOString(),
    registration: { display_phone_number: record.display_phone_number, verified_name: record.verified_name },
    settings: { application: { webhooks: {} } },
  });
  const cipher = createCipheriv('aes-256-gcm', backupKey(password, salt), iv);
  const ciphertext = Buffer.concat([cipher.update(payload, 'utf8'), cipher.final()]);
  const envelope: BackupEnvelope = {
    format: BACKUP_FORMAT,
    version: 1,
    phone_number_id: record.id,
    backup_id: backupId,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
  const data = Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64');
  onprem.backups.push({ id: backupId, created_at: now, data_sha256: sha256(data) });
  if (onprem.backups.length > MAX_BACKUPS) onprem.backups.splice(0, onprem.backups.length - MAX_BACKUPS);
  return data;
}

export type BackupCheck =
  | { ok: true }
  | { ok: false; reason: 'invalid_data'; details: string }
  | { ok: false; reason: 'wrong_password' };

function decodeEnvelope(data: string): BackupEnvelope | null {
  try {
    const json: unknown = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    const parsed = BackupEnvelope.safeParse(json);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function decrypt(envelope: BackupEnvelope, password: string): unknown {
  try {
    const key = backupKey(password, Buffer.from(envelope.salt, 'base64'));
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(envelope.ciphertext, 'base64')),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(plain) as unknown;
  } catch {
    return null; // the authentication tag did not match: wrong password
  }
}

/**
 * Is `data` a backup this number's On-Prem client produced, and is `password` the one it was created with?
 * Never echoes either value in the details.
 */
export function checkBackup(record: PhoneNumberRecord, data: string, password: string): BackupCheck {
  const envelope = decodeEnvelope(data);
  if (envelope === null) {
    return {
      ok: false,
      reason: 'invalid_data',
      details: 'backup[data] is not data produced by an On-Premises client (POST /v1/settings/backup)',
    };
  }
  if (envelope.phone_number_id !== record.id) {
    return {
      ok: false,
      reason: 'invalid_data',
      details: "backup[data] was created by another phone number's On-Premises client",
    };
  }
  const known = record.onprem?.backups.some((b) => hexEqual(b.data_sha256, sha256(data))) ?? false;
  if (!known) {
    return {
      ok: false,
      reason: 'invalid_data',
      details: "backup[data] was not created by this phone number's On-Premises client",
    };
  }
  const payload = BackupPayload.safeParse(decrypt(envelope, password));
  if (!payload.success) return { ok: false, reason: 'wrong_password' };
  if (payload.data.phone_number_id !== record.id || payload.data.backup_id !== envelope.backup_id) {
    return { ok: false, reason: 'invalid_data', details: 'backup[data] is corrupt' };
  }
  return { ok: true };
}

/** Shuts the On-Prem client down; true when it was running. Tokens die with it. */
export function stopOnPrem(onprem: OnPremState, reason: 'migrated' | 'pin_mismatch'): boolean {
  const wasRunning = onprem.running;
  onprem.running = false;
  onprem.stopped_reason = reason;
  onprem.tokens = [];
  return wasRunning;
}
