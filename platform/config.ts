// Loads temporal.yaml, applies WA_* environment overrides and validates the result with zod, so a bad
// value fails at start with the key, the env var that could set it, and the rule.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { OperationPolicy, RegionMechanism } from '../domain/operations';
import { webhooksConfigSchema } from './webhooks-config';
import { PACKAGE_ROOT } from './package-info';

const boolish = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
  error: 'must be true or false',
});
// Env values are text: accept plain decimal numbers only (no '', '0x10' or '1e3' surprises).
const numeric = z.union(
  [
    z.number(),
    z
      .string()
      .regex(/^\s*-?\d+(\.\d+)?\s*$/)
      .transform(Number),
  ],
  { error: 'must be a number' },
);
const positiveNumber = numeric.pipe(z.number().positive('must be > 0'));
const positiveInt = numeric.pipe(z.number().int('must be an integer').positive('must be > 0'));
const nonNegativeInt = numeric.pipe(z.number().int('must be an integer').min(0, 'must be >= 0'));
const nonNegativeNumber = numeric.pipe(z.number().min(0, 'must be >= 0'));
const optionalText = z.string().default('');
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
// gRPC metadata sent to Temporal: a mapping in the file; "name=value,name=value" in its env variable.
const headerList = z.string().transform((text, ctx) => {
  const headers: Record<string, string> = {};
  for (const entry of text.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be name=value pairs separated by commas' });
      return z.NEVER;
    }
    headers[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return headers;
});
const grpcMetadata = z
  .union([z.record(z.string(), z.string()), headerList], {
    error: 'must map header names to text values (in env: name=value,name=value)',
  })
  .default({});

/** logging.level values, least to most severe (the SDK's LogLevel, lower-cased). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/**
 * The worker's task slots, pollers and shutdown grace (worker/create-worker.ts). The SDK would silently
 * lower a poller count above its slots; here it is refused, naming the key.
 */
const workerTuningSchema = z
  .object({
    maxConcurrentActivityTaskExecutions: positiveInt,
    // Two or more: the SDK raises a lower value to 2 while workflows are cached.
    maxConcurrentWorkflowTaskExecutions: numeric.pipe(
      z.number().int('must be an integer').min(2, 'must be >= 2'),
    ),
    // Two or more: one long poll on the worker's sticky queue and one on the shared queue.
    workflowTaskPollers: numeric.pipe(z.number().int('must be an integer').min(2, 'must be >= 2')),
    activityTaskPollers: positiveInt,
    shutdownGraceSeconds: nonNegativeNumber,
  })
  .strict()
  .superRefine((w, ctx) => {
    const atMost = (key: keyof typeof w, limit: keyof typeof w) => {
      if (w[key] > w[limit]) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `must be at most worker.${limit} (${w[limit]}): a poller needs a free slot`,
        });
      }
    };
    atMost('workflowTaskPollers', 'maxConcurrentWorkflowTaskExecutions');
    atMost('activityTaskPollers', 'maxConcurrentActivityTaskExecutions');
  });

export const configSchema = z
  .object({
    temporal: z
      .object({
        address: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port'),
        namespace: z.string().min(1, 'must not be empty'),
        taskQueue: z.string().min(1, 'must not be empty'),
        tls: z
          .object({
            // auto: on when an API key or TLS material is set (an API key never goes out without TLS).
            enabled: z
              .union([boolish, z.literal('auto')], {
                error: 'must be true or false, or auto (on when an API key or TLS material is set)',
              })
              .default('auto'),
            serverName: optionalText,
            serverRootCaCertPath: optionalText,
            clientCertPath: optionalText,
            clientKeyPath: optionalText,
          })
          .strict(),
        apiKeyEnv: envVarName,
        grpcMeta: grpcMetadata,
        connectTimeoutMs: positiveInt,
        maxCachedWorkflows: nonNegativeInt,
        workerVersioning: z
          .object({
            enabled: boolish,
            deploymentName: z.string().min(1, 'must not be empty'),
            // Temporal's rule for build IDs: at most 255 characters; '.' would be read as the version separator.
            buildId: z
              .string()
              .max(255, 'must be at most 255 characters')
              .regex(/^[^.]*$/, "must not contain '.'")
              .default(''),
          })
          .strict()
          .refine((v) => !v.enabled || v.buildId !== '', {
            path: ['buildId'],
            message: 'must be set when workerVersioning.enabled is true (for example the git commit)',
          }),
      })
      .strict(),
    graph: z
      .object({
        baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
        apiVersion: z.string().regex(/^v\d{1,2}\.0$/, 'must look like v25.0'),
        accessTokenEnv: envVarName,
        accessTokenFile: optionalText,
        requestTimeoutMs: positiveInt,
        maxRequestsPerSecond: positiveNumber,
        regionMechanism: z.enum(['auto', 'register-field', 'settings'], {
          error: 'must be auto, register-field or settings',
        }),
        storageStatusCase: z.enum(['upper', 'lower'], { error: 'must be upper or lower' }).default('upper'),
      })
      .strict(),
    worker: workerTuningSchema,
    policy: z
      .object({
        windowHours: positiveInt,
        requestsPerWindow: positiveInt,
        // Fractions allowed: drills and tests wait out a block of seconds.
        blockHours: positiveNumber,
        safetyMarginSeconds: nonNegativeInt,
        maxLockoutWaits: nonNegativeInt,
        maxTransientRetries: nonNegativeInt,
        maxPinWaitHours: positiveNumber,
        transientBackoffSeconds: positiveNumber,
      })
      .strict(),
    verification: z
      .object({
        codeWaitMinutes: positiveNumber,
        maxCodeRequests: positiveInt,
        maxCodeAttempts: positiveInt,
      })
      .strict(),
    onboarding: z
      .object({
        displayNameRecheckMinutes: positiveNumber,
        maxDisplayNameWaitHours: positiveNumber,
      })
      .strict(),
    security: z
      .object({
        encryptionKeysEnv: envVarName,
        encryptionKeyFile: optionalText,
        allowUnencrypted: boolish,
        codecAuthTokenEnv: envVarName,
        codecAllowedOrigins: z
          .string()
          .transform((s) =>
            s
              .split(',')
              .map((o) => o.trim())
              .filter(Boolean),
          )
          .pipe(
            z.array(
              z.url({ protocol: /^https?$/, error: 'must be a comma-separated list of http(s) origins' }),
            ),
          ),
      })
      .strict(),
    health: z
      .object({
        host: z.string().min(1, 'must not be empty'),
        workerPort: nonNegativeInt.pipe(z.number().max(65_535, 'must be a port number (0 turns it off)')),
      })
      .strict(),
    // Log lines of the worker, the SDK and the API (platform/logging/): text for people, JSON for collectors.
    // Optional in the file, so a config written before this section still loads.
    logging: z
      .object({
        format: z.enum(['text', 'json'], { error: 'must be text or json' }).default('text'),
        level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        host: z.string().min(1, 'must not be empty'),
        workerPort: nonNegativeInt.pipe(z.number().max(65_535, 'must be a port number (0 turns it off)')),
        offlineRefreshSeconds: positiveNumber,
      })
      .strict(),
    // OpenTelemetry traces (platform/tracing/): off by default; on, the worker and the API export spans over
    // OTLP/HTTP. Optional in the file, like logging:.
    tracing: z
      .object({
        enabled: boolish.default(false),
        otlpEndpoint: z
          .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
          .default('http://127.0.0.1:4318/v1/traces'),
        serviceName: z.string().min(1, 'must not be empty').default('whatsapp-number-lifecycle'),
      })
      .strict()
      .prefault({}),
    // Meta's webhooks into the HTTP API (POST /webhooks/meta): display name, quality and account updates.
    // Optional in the file, like logging:. The secrets come from env vars or files, never from here.
    metaWebhooks: z
      .object({
        enabled: boolish.default(false),
        verifyTokenEnv: envVarName.default('WA_META_VERIFY_TOKEN'),
        verifyTokenFile: optionalText,
        appSecretEnv: envVarName.default('WA_META_APP_SECRET'),
        appSecretFile: optionalText,
        maxBodyBytes: positiveInt.default(262_144),
      })
      .strict()
      .prefault({}),
    // Outbound webhooks (platform/webhooks-config.ts): subscriptions from this file, plus those created
    // through the API. Optional in the file, like logging:.
    webhooks: webhooksConfigSchema,
    local: z
      .object({
        dataDir: z.string().min(1),
        temporalPort: positiveInt,
        uiPort: positiveInt,
        simulatorPort: positiveInt,
        apiPort: positiveInt,
        simulatorAccessToken: z.string().min(1),
      })
      .strict(),
  })
  .strict();

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The package's folder: relative paths in the configuration are read from here. */
export const ROOT_DIR = PACKAGE_ROOT;
export const DEFAULT_CONFIG_FILE = path.join(ROOT_DIR, 'temporal.yaml');

/** `graph.apiVersion` → `WA_GRAPH_API_VERSION`. */
export function envVarFor(keyPath: string[]): string {
  return 'WA_' + keyPath.map((k) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every leaf key path in the schema, so each has an env override even when the file omits it. */
function leafPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  // An optional section (logging:) is its object behind a prefault: its keys are the leaves.
  if (schema instanceof z.ZodPrefault) return leafPaths(schema.unwrap() as z.ZodType, prefix);
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape).flatMap(([k, v]) => leafPaths(v as z.ZodType, [...prefix, k]));
  }
  return [prefix];
}

/** Every WA_* variable the configuration reads. */
export function configEnvVars(): string[] {
  return leafPaths(configSchema).map(envVarFor);
}

function setPath(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const key of keyPath.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keyPath[keyPath.length - 1]!] = value;
}

/** The file loadConfig reads: the one given, else WA_CONFIG_FILE, else the shipped temporal.yaml. */
export function configFileFor(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return options.file ?? (options.env ?? process.env).WA_CONFIG_FILE ?? DEFAULT_CONFIG_FILE;
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): AppConfig {
  const env = options.env ?? process.env;
  const file = configFileFor({ ...options, env });
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError(
        `${path.basename(file)}: (root): must be a mapping of keys (temporal:, graph:, ...)`,
      );
    }
    raw = (parsed as Record<string, unknown> | null) ?? {};
  } else if (options.file || env.WA_CONFIG_FILE) {
    throw new ConfigError(`config file not found: ${file}`);
  }
  for (const keyPath of leafPaths(configSchema)) {
    const value = env[envVarFor(keyPath)];
    if (value !== undefined) setPath(raw, keyPath, value);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const keyPath = issue.path.map(String);
    const key = keyPath.join('.');
    const rule =
      issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    const via = leafPaths(configSchema).some((p) => p.join('.') === key)
      ? ` (env ${envVarFor(keyPath)})`
      : '';
    throw new ConfigError(`${path.basename(file)}: ${key || '(root)'}${via}: ${rule}`);
  }
  return result.data;
}

export function operationPolicy(config: AppConfig): OperationPolicy {
  const hour = 3_600_000;
  return {
    windowMs: config.policy.windowHours * hour,
    requestsPerWindow: config.policy.requestsPerWindow,
    blockMs: config.policy.blockHours * hour,
    safetyMarginMs: config.policy.safetyMarginSeconds * 1000,
    maxLockoutWaits: config.policy.maxLockoutWaits,
    maxTransientRetries: config.policy.maxTransientRetries,
    transientBackoffMs: config.policy.transientBackoffSeconds * 1000,
    regionMechanism: regionMechanism(config),
    codeWaitMs: config.verification.codeWaitMinutes * 60_000,
    maxCodeRequests: config.verification.maxCodeRequests,
    maxCodeAttempts: config.verification.maxCodeAttempts,
    displayNameRecheckMs: config.onboarding.displayNameRecheckMinutes * 60_000,
    maxDisplayNameWaitMs: config.onboarding.maxDisplayNameWaitHours * hour,
    maxPinWaitMs: config.policy.maxPinWaitHours * hour,
  };
}

/**
 * How a data-localization region is set (reference §6): up to v20 as `data_localization_region` on
 * register; from v21 Meta moved it to POST /{id}/settings, set while the number is deregistered.
 */
export function regionMechanism(config: AppConfig): RegionMechanism {
  if (config.graph.regionMechanism !== 'auto') return config.graph.regionMechanism;
  const major = Number(config.graph.apiVersion.slice(1).split('.')[0]);
  return major <= 20 ? 'register-field' : 'settings';
}

/** The Graph access token, from the env var (or file) the config names. Never logged. */
export function readAccessToken(config: AppConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (config.graph.accessTokenFile) {
    try {
      const token = readFileSync(config.graph.accessTokenFile, 'utf8').trim();
      if (token) return token;
    } catch {
      // reported below with the file name
    }
    throw new ConfigError(
      `graph.accessTokenFile: ${config.graph.accessTokenFile} must exist and hold the Graph access token`,
    );
  }
  const token = env[config.graph.accessTokenEnv]?.trim();
  if (!token) {
    throw new ConfigError(
      `graph.accessTokenEnv: the environment variable ${config.graph.accessTokenEnv} must hold the Graph access token`,
    );
  }
  return token;
}
