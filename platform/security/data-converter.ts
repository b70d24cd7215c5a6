// The data converter every worker and client uses: payloads encrypted with the configured keys.
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { ConfigError, ROOT_DIR, type AppConfig } from '../config';
import { keyFileExists, parseKeyList, readKeyFile, type EncryptionKeyring } from './encryption-keys';
import { AesGcmPayloadCodec } from './payload-codec';

/**
 * Failure messages encrypted with the payloads (encodeCommonAttributes). A prebuilt workflow bundle must be
 * made with the same path (bundleWorkflowCode's failureConverterPath) for workflow failures to use it.
 */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The key `npm start` generates on first run (the local stack only). */
export function localKeyFile(config: AppConfig): string {
  return path.resolve(ROOT_DIR, config.local.dataDir, 'encryption-key.json');
}

/** Keys from the env var, else the configured key file, else the local stack's key; undefined if none. */
export function loadKeyring(
  config: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
): EncryptionKeyring | undefined {
  const s = config.security;
  const fromEnv = env[s.encryptionKeysEnv];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseKeyList(fromEnv, s.encryptionKeysEnv);
  if (s.encryptionKeyFile) return readKeyFile(path.resolve(ROOT_DIR, s.encryptionKeyFile));
  const local = localKeyFile(config);
  return keyFileExists(local) ? readKeyFile(local) : undefined;
}

export interface DataConverterChoice {
  dataConverter: DataConverter;
  keyring?: EncryptionKeyring;
}

/**
 * Refuses to run without a key unless `security.allowUnencrypted` says so: without one, PINs and codes
 * would sit in Temporal's history in plaintext.
 */
export function createDataConverter(
  config: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
): DataConverterChoice {
  const keyring = loadKeyring(config, env);
  if (keyring) {
    return {
      dataConverter: {
        payloadCodecs: [new AesGcmPayloadCodec(keyring)],
        failureConverterPath: FAILURE_CONVERTER_PATH,
      },
      keyring,
    };
  }
  if (config.security.allowUnencrypted) return { dataConverter: {} };
  throw new ConfigError(
    `no payload encryption key: set ${config.security.encryptionKeysEnv} (id=base64 of 32 bytes) or ` +
      `security.encryptionKeyFile, or set security.allowUnencrypted: true (env WA_SECURITY_ALLOW_UNENCRYPTED) ` +
      `to store PINs and codes in Temporal's history in plaintext`,
  );
}
