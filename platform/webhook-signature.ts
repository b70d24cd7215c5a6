// Signing and verifying outbound webhooks, the Standard Webhooks way (standardwebhooks.com): the headers
// webhook-id, webhook-timestamp (unix seconds) and webhook-signature ("v1,<base64 HMAC-SHA256>" of
// "{id}.{timestamp}.{body}", keyed by the secret's bytes; secrets are "whsec_<base64>"). The worker signs;
// receivers verify with verifyWebhook (exported by the client library).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** A fresh secret: 32 random bytes, as whsec_<base64>. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The key bytes of a whsec_ secret; refuses anything else (a typo would make every signature fail). */
export function secretKey(secret: string): Buffer {
  const text = secret.trim();
  if (!text.startsWith(SECRET_PREFIX))
    throw new WebhookVerificationError(`the secret must start with ${SECRET_PREFIX}`);
  const base64 = text.slice(SECRET_PREFIX.length);
  const key = Buffer.from(base64, 'base64');
  if (key.length < 16 || key.toString('base64').replace(/=+$/, '') !== base64.replace(/=+$/, '')) {
    throw new WebhookVerificationError(`the secret must be ${SECRET_PREFIX} and at least 16 bytes in base64`);
  }
  return key;
}

/** `v1,<base64>`: the signature of one message. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The three headers of a delivery (the caller adds content-type). */
export function webhookHeaders(
  secret: string,
  id: string,
  body: string,
  nowMs: number = Date.now(),
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way (default 300 s): older ones may be replays. */
  toleranceSeconds?: number;
  /** Now, in ms (tests). */
  nowMs?: number;
}

type HeaderBag = Record<string, string | string[] | undefined> | Headers;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : bag[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a received webhook: the headers are there, the timestamp is within the tolerance, and one of the
 * signatures (space-separated, for secret rotation) matches the raw body. Returns the parsed body; throws a
 * WebhookVerificationError saying what is wrong. Give the body exactly as received (not re-serialized JSON).
 */
export function verifyWebhook<T = unknown>(
  secret: string,
  headers: HeaderBag,
  rawBody: string | Buffer,
  options: VerifyOptions = {},
): T {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'missing header: webhook-id, webhook-timestamp and webhook-signature are required',
    );
  }
  if (!/^\d{1,12}$/.test(timestamp))
    throw new WebhookVerificationError('webhook-timestamp must be unix seconds');
  const tolerance = options.toleranceSeconds ?? 300;
  const skew = Math.floor((options.nowMs ?? Date.now()) / 1000) - Number(timestamp);
  if (skew > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is too old (${skew} s; tolerance ${tolerance} s)`);
  }
  if (skew < -tolerance) {
    throw new WebhookVerificationError(
      `webhook-timestamp is in the future (${-skew} s; tolerance ${tolerance} s)`,
    );
  }
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const expected = Buffer.from(signWebhook(secret, id, Number(timestamp), body).slice(3), 'base64');
  const matches = signatures.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('webhook-signature does not match the body and secret');
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
