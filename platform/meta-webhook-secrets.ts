// The secrets of Meta's webhooks (the verify token of the subscription handshake, the app secret that signs
// each delivery), read from the files or env vars metaWebhooks: names. Never logged, never in a workflow.
import { readFileSync } from 'node:fs';
import { ConfigError, type AppConfig } from './config';

export interface MetaWebhookSecrets {
  verifyToken: string;
  appSecret: string;
  maxBodyBytes: number;
}

function secret(file: string, envName: string, env: NodeJS.ProcessEnv, key: string): string {
  if (file) {
    let value = '';
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch {
      // reported below with the file name
    }
    if (!value) throw new ConfigError(`metaWebhooks.${key}File: ${file} must exist and hold the value`);
    return value;
  }
  const value = env[envName]?.trim();
  if (!value) {
    throw new ConfigError(
      `metaWebhooks.${key}Env: the environment variable ${envName} must be set (metaWebhooks.enabled is true)`,
    );
  }
  return value;
}

/** The secrets when metaWebhooks.enabled; undefined when off. A missing secret stops start-up. */
export function readMetaWebhookSecrets(
  config: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
): MetaWebhookSecrets | undefined {
  const m = config.metaWebhooks;
  if (!m.enabled) return undefined;
  return {
    verifyToken: secret(m.verifyTokenFile, m.verifyTokenEnv, env, 'verifyToken'),
    appSecret: secret(m.appSecretFile, m.appSecretEnv, env, 'appSecret'),
    maxBodyBytes: m.maxBodyBytes,
  };
}
