// Where Temporal is and how to reach it, for the worker, the HTTP API, the CLI and the client library alike,
// by one rule. Each setting comes from the highest source that sets it:
//
//   1. CLI flags (--address, --namespace), or the settings passed to the client library's connect()
//   2. WA_* environment variables (WA_TEMPORAL_ADDRESS, …)
//   3. the Temporal profile (--profile / TEMPORAL_PROFILE, else "default"; from --config-file /
//      TEMPORAL_CONFIG_FILE / the user's config dir), with its TEMPORAL_* environment overrides
//   4. temporal.yaml (never read by the client library)
//   5. defaults: 127.0.0.1:7233, namespace default, no TLS
//
// A client certificate and its key come together from one source. gRPC metadata merges across sources, the
// higher one winning per header. An API key implies TLS; with TLS explicitly off it is an error.
import path from 'node:path';
import { configFileFor, type AppConfig } from './config';
import { readTlsMaterial, type TemporalConnectionOptions } from './connection';
import {
  checkAddress,
  configFileLayer,
  DEFAULT_LAYER,
  givenLayer,
  waEnvLayer,
  type GivenTarget,
} from './temporal-layers';
import { loadProfile, type ProfileChoice } from './temporal-profile';
import {
  HEADER_NAME,
  normalizeHeaderName,
  TemporalTargetError,
  where,
  type Sourced,
  type TargetLayer,
} from './temporal-sources';

export { TemporalTargetError } from './temporal-sources';
export type { GivenTarget } from './temporal-layers';
export type { ProfileChoice } from './temporal-profile';

export interface TargetSources {
  /** Where the WA_* and TEMPORAL_* variables are read (and HOME, to find the default profile file). */
  env: NodeJS.ProcessEnv;
  /** CLI flags, or the client library's settings: above every other source. */
  given?: { kind: 'flag' | 'setting'; values: GivenTarget };
  /** Which Temporal profile, from which file (--profile, --config-file). */
  profile?: ProfileChoice;
  /** temporal.yaml as loaded (WA_* overrides applied) and its file name; absent in the client library. */
  config?: { temporal: AppConfig['temporal']; file: string };
}

export interface TemporalTarget {
  connection: TemporalConnectionOptions;
  namespace: string;
  /** Where each part came from, for start-up lines; never a secret. */
  origin: TargetOrigin;
}

export interface TargetOrigin {
  address: string;
  namespace: string;
  /** The source that turned TLS on explicitly (none: on because of an API key or TLS files). */
  tls?: string;
  apiKey?: string;
  clientCert?: string;
  serverCaCert?: string;
  /** The source of each gRPC metadata header (values are not shown: they may be credentials). */
  grpcMeta: Record<string, string>;
  /** The profile read from a file, if any. */
  profile?: { name: string; file: string };
}

export function resolveTemporalTarget(sources: TargetSources): TemporalTarget {
  const { env, given, config } = sources;
  const profile = loadProfile(sources.profile ?? {}, env);
  const layers: TargetLayer[] = [
    given ? givenLayer(given.values, given.kind) : {},
    waEnvLayer(env),
    profile.layer,
    config ? configFileLayer(config.temporal, env, config.file) : {},
    DEFAULT_LAYER,
  ];
  const first = <K extends keyof TargetLayer>(key: K): TargetLayer[K] =>
    layers.map((layer) => layer[key]).find((value) => value !== undefined);

  const address = first('address')!;
  checkAddress(address, where(address));
  const namespace = first('namespace')!;
  if (namespace.value.trim() === '') {
    throw new TemporalTargetError('namespace', where(namespace), 'must not be empty');
  }
  const apiKey = first('apiKey');
  const metadata = mergedMetadata(layers);
  if (apiKey && metadata.authorization) {
    throw new TemporalTargetError(
      'gRPC metadata authorization',
      where(metadata.authorization),
      `conflicts with the API key (${where(apiKey)}): both set the authorization header; keep one`,
    );
  }
  const tls = tlsOptions(first, apiKey);
  const connection: TemporalConnectionOptions = { address: address.value };
  if (tls) connection.tls = tls.options;
  if (apiKey) connection.apiKey = apiKey.value;
  if (Object.keys(metadata).length) {
    connection.metadata = Object.fromEntries(Object.entries(metadata).map(([name, v]) => [name, v.value]));
  }
  return {
    connection,
    namespace: namespace.value,
    origin: {
      address: address.from,
      namespace: namespace.from,
      ...tls?.origin,
      ...(apiKey ? { apiKey: apiKey.from } : {}),
      grpcMeta: Object.fromEntries(Object.entries(metadata).map(([name, v]) => [name, v.from])),
      ...(profile.name && profile.file ? { profile: { name: profile.name, file: profile.file } } : {}),
    },
  };
}

/**
 * The target of a process that loaded `config` from `env` (the worker, the HTTP API, the CLI): env and the
 * Temporal profile on top of temporal.yaml. `configFile` is the file the config came from (for messages).
 */
export function targetFromEnvironment(
  config: AppConfig,
  options: Pick<TargetSources, 'given' | 'profile'> & { env?: NodeJS.ProcessEnv; configFile?: string } = {},
): TemporalTarget {
  const env = options.env ?? process.env;
  const file = path.basename(options.configFile ?? configFileFor({ env }));
  return resolveTemporalTarget({ ...options, env, config: { temporal: config.temporal, file } });
}

/**
 * What temporal.yaml's values alone say, no environment and no profile: for callers that built the config
 * for a server they started themselves (the local stack, tests), which nothing else may redirect.
 */
export function configOnlyTarget(config: AppConfig): TemporalTarget {
  return resolveTemporalTarget({ env: {}, config: { temporal: config.temporal, file: 'temporal.yaml' } });
}

/** For start-up lines: "127.0.0.1:7233 (from profile prod), namespace default (from temporal.yaml), no TLS". */
export function describeTarget(target: TemporalTarget): string {
  const o = target.origin;
  const parts = [
    `${target.connection.address} (from ${o.address})`,
    `namespace ${target.namespace} (from ${o.namespace})`,
  ];
  if (target.connection.tls) {
    const notes = [
      o.tls && `on by ${o.tls}`,
      o.apiKey && `API key from ${o.apiKey}`,
      o.clientCert && `client certificate from ${o.clientCert}`,
      o.serverCaCert && `server CA from ${o.serverCaCert}`,
    ].filter(Boolean);
    parts.push(notes.length ? `TLS (${notes.join('; ')})` : 'TLS');
  } else {
    parts.push('no TLS');
  }
  const headers = Object.keys(o.grpcMeta);
  if (headers.length) parts.push(`gRPC metadata ${headers.join(', ')}`);
  if (o.profile) parts.push(`Temporal profile ${o.profile.name} (${o.profile.file})`);
  return parts.join(', ');
}

type First = <K extends keyof TargetLayer>(key: K) => TargetLayer[K];

function tlsOptions(
  first: First,
  apiKey: Sourced<string> | undefined,
): { options: NonNullable<TemporalConnectionOptions['tls']>; origin: Partial<TargetOrigin> } | undefined {
  const enabled = first('tlsEnabled');
  const serverName = first('serverName');
  const serverCa = first('serverCaCert');
  const pair = first('clientCertPair');
  if (apiKey && enabled?.value === false) {
    throw new TemporalTargetError(
      'TLS',
      where(enabled),
      'is off',
      `an API key is never sent without TLS: TLS is off (${where(enabled)}) while an API key is set ` +
        `(${where(apiKey)}); turn TLS on (or leave it unset), or remove the API key`,
    );
  }
  if (!(enabled?.value ?? Boolean(apiKey || serverName || serverCa || pair))) return undefined;
  const options: NonNullable<TemporalConnectionOptions['tls']> = {};
  if (serverName) options.serverNameOverride = serverName.value;
  if (serverCa)
    options.serverRootCACertificate = readTlsMaterial(serverCa.value, 'TLS server CA', where(serverCa));
  if (pair) {
    options.clientCertPair = {
      crt: readTlsMaterial(pair.cert.value, 'TLS client certificate', where(pair.cert)),
      key: readTlsMaterial(pair.key.value, 'TLS client key', where(pair.key)),
    };
  }
  return {
    options,
    origin: {
      ...(enabled ? { tls: enabled.from } : {}),
      ...(pair ? { clientCert: pair.cert.from } : {}),
      ...(serverCa ? { serverCaCert: serverCa.from } : {}),
    },
  };
}

/** Every source's headers, names normalized and checked; a higher source's value wins per header. */
function mergedMetadata(layers: TargetLayer[]): Record<string, Sourced<string>> {
  const merged: Record<string, Sourced<string>> = {};
  for (const layer of [...layers].reverse()) {
    for (const [raw, value] of Object.entries(layer.grpcMeta ?? {})) {
      const name = normalizeHeaderName(raw);
      if (!HEADER_NAME.test(name) || name.endsWith('-bin')) {
        throw new TemporalTargetError(
          `gRPC metadata header "${raw}"`,
          where(value),
          "must be a text header name (letters, digits, '-', '.'; binary -bin headers are not supported)",
        );
      }
      merged[name] = value;
    }
  }
  return merged;
}
