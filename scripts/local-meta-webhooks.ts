// Meta's webhooks in the local stack (`npm start`): the API serves /webhooks/meta with a verify token and an
// app secret, and the simulator, subscribed to it at start, sends what Meta would. The secrets are the
// configured ones when metaWebhooks.enabled (temporal.yaml / WA_META_*), else generated once into the data
// folder (mode 0600), like the payload key; shown only by their first characters.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '../platform/config';
import { readMetaWebhookSecrets, type MetaWebhookSecrets } from '../platform/meta-webhook-secrets';

export interface LocalMetaWebhookSecrets extends MetaWebhookSecrets {
  /** Where they come from, for the start-up banner. */
  source: string;
}

/** The local stack's file of generated Meta webhook secrets. */
export function localMetaWebhookFile(dataDir: string): string {
  return path.join(dataDir, 'meta-webhooks.json');
}

export function localMetaWebhookSecrets(config: AppConfig, dataDir: string): LocalMetaWebhookSecrets {
  const configured = readMetaWebhookSecrets(config);
  if (configured) return { ...configured, source: 'metaWebhooks in the configuration' };
  const file = localMetaWebhookFile(dataDir);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const generated = {
      verifyToken: randomBytes(24).toString('base64url'),
      appSecret: randomBytes(32).toString('hex'),
    };
    writeFileSync(file, JSON.stringify(generated, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { verifyToken?: unknown; appSecret?: unknown };
  if (
    typeof stored.verifyToken !== 'string' ||
    !stored.verifyToken ||
    typeof stored.appSecret !== 'string' ||
    !stored.appSecret
  ) {
    throw new Error(
      `${file}: verifyToken and appSecret must be non-empty strings (delete the file to regenerate it)`,
    );
  }
  return {
    verifyToken: stored.verifyToken,
    appSecret: stored.appSecret,
    maxBodyBytes: config.metaWebhooks.maxBodyBytes,
    source: path.relative(process.cwd(), file) || file,
  };
}

/** A secret as the banner shows it: its first four characters. */
export function shownSecret(value: string): string {
  return `${value.slice(0, 4)}…`;
}

/** Waits (a few seconds at most) for the simulator's start-up subscription to pass Meta's handshake. */
export async function simulatorSubscription(
  simulatorUrl: string,
  timeoutMs = 10_000,
): Promise<{ verified: boolean; callbackUrl?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await (await fetch(`${simulatorUrl}/_sim/webhooks`)).json()) as {
      subscribed: boolean;
      verified: boolean;
      callbackUrl?: string;
    };
    if (view.verified || !view.subscribed || Date.now() > deadline) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
}
