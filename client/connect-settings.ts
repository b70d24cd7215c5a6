// How a service that installed this package reaches Temporal: settings it passes, else its own environment
// (the WA_* variables the worker uses, TEMPORAL_API_KEY), else the defaults. Nothing is read from this
// package's folder: no temporal.yaml, no local key file.
import { z } from 'zod';
import { InputError, parseInput } from '../domain/validation';
import { parseKeyList, type EncryptionKeyring } from '../platform/security/encryption-keys';
import { tlsOptions, type TemporalConnectionOptions, type TlsFiles } from '../platform/connection';

export type TlsSettings = TlsFiles;

export interface ConnectSettings {
  /** host:port of the Temporal frontend (env WA_TEMPORAL_ADDRESS; default 127.0.0.1:7233). */
  address?: string;
  /** env WA_TEMPORAL_NAMESPACE; default `default`. */
  namespace?: string;
  /** The workers' task queue (env WA_TEMPORAL_TASK_QUEUE; default whatsapp-number-lifecycle). */
  taskQueue?: string;
  /** Payload keys, `id=base64` list, the first encrypts (env WA_ENCRYPTION_KEYS). Required unless allowUnencrypted. */
  encryptionKeys?: string;
  /** Send PINs and codes in plaintext (only for a server whose history is otherwise protected). */
  allowUnencrypted?: boolean;
  /** Temporal Cloud API key (env TEMPORAL_API_KEY); turns TLS on. */
  apiKey?: string;
  /** TLS on (true), or with these files; off by default unless an API key is set. */
  tls?: boolean | TlsSettings;
  /** How long to wait for the server (default 4000 ms). */
  connectTimeoutMs?: number;
}

export interface ResolvedSettings {
  connection: TemporalConnectionOptions;
  namespace: string;
  taskQueue: string;
  keyring?: EncryptionKeyring;
  connectTimeoutMs: number;
}

const settingsSchema = z
  .object({
    address: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233'),
    namespace: z.string().min(1, 'must not be empty'),
    taskQueue: z.string().min(1, 'must not be empty'),
    encryptionKeys: z.string().optional(),
    allowUnencrypted: z.boolean(),
    apiKey: z.string().optional(),
    tls: z.union([
      z.boolean(),
      z
        .object({
          serverName: z.string().optional(),
          serverRootCaCertPath: z.string().optional(),
          clientCertPath: z.string().optional(),
          clientKeyPath: z.string().optional(),
        })
        .strict(),
    ]),
    connectTimeoutMs: z.number().int('must be an integer').positive('must be > 0'),
  })
  .strict();

/** The workers' task queue: as given, else WA_TEMPORAL_TASK_QUEUE, else the product's default. */
export function defaultTaskQueue(settings: ConnectSettings, env: NodeJS.ProcessEnv = process.env): string {
  return settings.taskQueue ?? (env.WA_TEMPORAL_TASK_QUEUE?.trim() || 'whatsapp-number-lifecycle');
}

/** Settings over the environment over the defaults; a bad value is an InputError naming it. */
export function resolveConnectSettings(
  settings: ConnectSettings,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSettings {
  const fromEnv = (name: string) => env[name]?.trim() || undefined;
  const s = parseInput(settingsSchema, {
    address: settings.address ?? fromEnv('WA_TEMPORAL_ADDRESS') ?? '127.0.0.1:7233',
    namespace: settings.namespace ?? fromEnv('WA_TEMPORAL_NAMESPACE') ?? 'default',
    taskQueue: defaultTaskQueue(settings, env),
    encryptionKeys: settings.encryptionKeys ?? fromEnv('WA_ENCRYPTION_KEYS'),
    allowUnencrypted: settings.allowUnencrypted ?? false,
    apiKey: settings.apiKey ?? fromEnv('TEMPORAL_API_KEY'),
    tls: settings.tls ?? false,
    connectTimeoutMs: settings.connectTimeoutMs ?? 4000,
  });
  if (!s.encryptionKeys && !s.allowUnencrypted) {
    throw new InputError(
      'encryptionKeys',
      'no payload key: pass encryptionKeys (or set WA_ENCRYPTION_KEYS), the same keys the workers hold; ' +
        'or allowUnencrypted: true to send PINs and codes in plaintext',
    );
  }
  const keyring = s.encryptionKeys ? parseKeyList(s.encryptionKeys, 'encryptionKeys') : undefined;
  const connection: TemporalConnectionOptions = { address: s.address };
  if (s.tls || s.apiKey) {
    const files = typeof s.tls === 'object' ? s.tls : {};
    if (!!files.clientCertPath !== !!files.clientKeyPath) {
      throw new InputError('tls', 'clientCertPath and clientKeyPath go together: give both or neither');
    }
    connection.tls = tlsOptions(files);
  }
  if (s.apiKey) connection.apiKey = s.apiKey;
  return {
    connection,
    namespace: s.namespace,
    taskQueue: s.taskQueue,
    ...(keyring ? { keyring } : {}),
    connectTimeoutMs: s.connectTimeoutMs,
  };
}
