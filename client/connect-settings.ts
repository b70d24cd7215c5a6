// How a service that installed this package reaches Temporal: by the product's one rule
// (platform/temporal-target.ts): settings it passes > its WA_* environment > its Temporal profile (the
// consumer's TEMPORAL_* variables and profile file) > defaults. Nothing is read from this package's folder:
// no temporal.yaml, no local key file.
import { z } from 'zod';
import { InputError, parseInput } from '../domain/validation';
import { parseKeyList, type EncryptionKeyring } from '../platform/security/encryption-keys';
import type { TlsFiles } from '../platform/connection';
import { resolveTemporalTarget, type TemporalTarget } from '../platform/temporal-target';

export type TlsSettings = TlsFiles;

export interface ConnectSettings {
  /** host:port of the Temporal frontend (else WA_TEMPORAL_ADDRESS, the profile, 127.0.0.1:7233). */
  address?: string;
  /** Else WA_TEMPORAL_NAMESPACE, the profile, `default`. */
  namespace?: string;
  /** The workers' task queue (env WA_TEMPORAL_TASK_QUEUE; default whatsapp-number-lifecycle). */
  taskQueue?: string;
  /** Payload keys, `id=base64` list, the first encrypts (env WA_ENCRYPTION_KEYS). Required unless allowUnencrypted. */
  encryptionKeys?: string;
  /** Send PINs and codes in plaintext (only for a server whose history is otherwise protected). */
  allowUnencrypted?: boolean;
  /** Temporal Cloud API key (else the profile's, e.g. env TEMPORAL_API_KEY); turns TLS on. */
  apiKey?: string;
  /** TLS on (true), off (false; refused with an API key), or on with these files; else from env or profile. */
  tls?: boolean | TlsSettings;
  /** gRPC metadata sent with every request (header name → value); merged over WA_TEMPORAL_GRPC_META and the profile's. */
  grpcMeta?: Record<string, string>;
  /** The Temporal profile to use (else TEMPORAL_PROFILE, else `default` when the profile file has it). */
  profile?: string;
  /** The Temporal profile file, TOML (else TEMPORAL_CONFIG_FILE, else temporal.toml in the user's config dir). */
  configFile?: string;
  /** How long to wait for the server (default 4000 ms). */
  connectTimeoutMs?: number;
}

export interface ResolvedSettings {
  target: TemporalTarget;
  taskQueue: string;
  keyring?: EncryptionKeyring;
  connectTimeoutMs: number;
}

const settingsSchema = z
  .object({
    address: z.string().optional(),
    namespace: z.string().optional(),
    taskQueue: z.string().min(1, 'must not be empty'),
    encryptionKeys: z.string().optional(),
    allowUnencrypted: z.boolean(),
    apiKey: z.string().optional(),
    tls: z
      .union([
        z.boolean(),
        z
          .object({
            serverName: z.string().optional(),
            serverRootCaCertPath: z.string().optional(),
            clientCertPath: z.string().optional(),
            clientKeyPath: z.string().optional(),
          })
          .strict(),
      ])
      .optional(),
    grpcMeta: z.record(z.string(), z.string()).optional(),
    profile: z.string().optional(),
    configFile: z.string().optional(),
    connectTimeoutMs: z.number().int('must be an integer').positive('must be > 0'),
  })
  .strict();

/** The workers' task queue: as given, else WA_TEMPORAL_TASK_QUEUE, else the product's default. */
export function defaultTaskQueue(settings: ConnectSettings, env: NodeJS.ProcessEnv = process.env): string {
  return settings.taskQueue ?? (env.WA_TEMPORAL_TASK_QUEUE?.trim() || 'whatsapp-number-lifecycle');
}

/**
 * Settings over the environment over the profile over the defaults. A setting of the wrong type is an
 * InputError naming it; a connection setting that cannot be used (from any source: an API key with TLS
 * off, a certificate without its key, an unreadable file) a TemporalTargetError naming it and its source.
 */
export function resolveConnectSettings(
  settings: ConnectSettings,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSettings {
  const s = parseInput(settingsSchema, {
    ...definedOnly({
      address: settings.address,
      namespace: settings.namespace,
      apiKey: settings.apiKey,
      tls: settings.tls,
      grpcMeta: settings.grpcMeta,
      profile: settings.profile,
      configFile: settings.configFile,
    }),
    taskQueue: defaultTaskQueue(settings, env),
    encryptionKeys: settings.encryptionKeys ?? (env.WA_ENCRYPTION_KEYS?.trim() || undefined),
    allowUnencrypted: settings.allowUnencrypted ?? false,
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
  const target = resolveTemporalTarget({
    env,
    given: {
      kind: 'setting',
      values: definedOnly({
        address: s.address,
        namespace: s.namespace,
        apiKey: s.apiKey,
        tls: s.tls,
        grpcMeta: s.grpcMeta,
      }),
    },
    profile: {
      ...(s.profile !== undefined ? { name: s.profile } : {}),
      ...(s.configFile !== undefined ? { file: s.configFile } : {}),
      nameFrom: 'connect({ profile })',
      fileFrom: 'connect({ configFile })',
    },
  });
  return {
    target,
    taskQueue: s.taskQueue,
    ...(keyring ? { keyring } : {}),
    connectTimeoutMs: s.connectTimeoutMs,
  };
}

/** The object without its undefined members (so `{ address: undefined }` counts as not given). */
function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
