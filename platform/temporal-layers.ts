// The product's own sources of Temporal connection settings, each as a TargetLayer: what a caller gives
// (CLI flags, or the client library's settings), the WA_* environment, temporal.yaml, and the defaults.
// The Temporal profile is platform/temporal-profile.ts. WA_* values follow temporal.yaml's rules (one schema).
import { z } from 'zod';
import { configSchema, envVarFor, type AppConfig } from './config';
import type { TlsFiles, TlsMaterial } from './connection';
import {
  clientCertPair,
  TemporalTargetError,
  type Source,
  type Sourced,
  type TargetLayer,
} from './temporal-sources';

/** What a caller gives directly: the CLI's flags, or the settings passed to the client library. */
export interface GivenTarget {
  address?: string;
  namespace?: string;
  apiKey?: string;
  /** TLS on (true), off (false), or on with these files. */
  tls?: boolean | TlsFiles;
  grpcMeta?: Record<string, string>;
}

const ADDRESS_RULE = 'must be host:port, e.g. 127.0.0.1:7233';
const ADDRESS = /^[^\s:]+:\d{1,5}$/;

/** host:port, whatever the source; the error quotes the value (addresses are not secrets). */
export function checkAddress(address: Sourced<string>, describe: string): Sourced<string> {
  if (!ADDRESS.test(address.value)) {
    throw new TemporalTargetError('address', describe, `${ADDRESS_RULE} (got "${address.value}")`);
  }
  return address;
}

/** The flags' (`--address`) or the settings' (`connect({ address })`) own names for each key. */
export function givenLayer(given: GivenTarget, kind: 'flag' | 'setting'): TargetLayer {
  const name = (key: string) => (kind === 'flag' ? `--${key}` : `connect({ ${key} })`);
  const at = <T>(key: string, value: T | undefined): Sourced<T> | undefined =>
    value === undefined ? undefined : { value, from: name(key) };
  const files = typeof given.tls === 'object' ? given.tls : {};
  const file = (key: keyof TlsFiles) => at<TlsMaterial>(`tls.${key}`, path(files[key]));
  return {
    address: at('address', given.address),
    namespace: at('namespace', given.namespace),
    apiKey: at('apiKey', given.apiKey),
    tlsEnabled: at('tls', given.tls === undefined ? undefined : given.tls !== false),
    serverName: at('tls.serverName', files.serverName || undefined),
    serverCaCert: file('serverRootCaCertPath'),
    clientCertPair: clientCertPair(file('clientCertPath'), file('clientKeyPath'), {
      cert: name('tls.clientCertPath'),
      key: name('tls.clientKeyPath'),
    }),
    grpcMeta: headers(given.grpcMeta, (header) => ({ from: name('grpcMeta'), key: header })),
  };
}

const temporalKeys = configSchema.shape.temporal.shape;
const tlsKeys = temporalKeys.tls.shape;

/** The WA_* variables, read and checked by temporal.yaml's own rules (WA_TEMPORAL_ADDRESS, …). */
export function waEnvLayer(env: NodeJS.ProcessEnv): TargetLayer {
  const read = <S extends z.ZodType>(keyPath: string[], schema: S): Sourced<z.output<S>> | undefined => {
    const name = envVarFor(['temporal', ...keyPath]);
    const raw = env[name];
    if (raw === undefined) return undefined;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new TemporalTargetError(keyPath.join('.'), `env ${name}`, parsed.error.issues[0]!.message);
    }
    return { value: parsed.data, from: `env ${name}` };
  };
  const text = (keyPath: string[]) => nonEmpty(read(keyPath, z.string()));
  const material = (keyPath: string[]) => asMaterial(text(keyPath));
  const enabled = read(['tls', 'enabled'], tlsKeys.enabled);
  const apiKeyEnv = read(['apiKeyEnv'], temporalKeys.apiKeyEnv);
  const meta = read(['grpcMeta'], temporalKeys.grpcMeta);
  return {
    address: read(['address'], temporalKeys.address),
    namespace: read(['namespace'], temporalKeys.namespace),
    apiKey: apiKeyEnv && apiKeyFrom(env, apiKeyEnv.value, `named by ${apiKeyEnv.from}`),
    tlsEnabled: enabled && enabled.value !== 'auto' ? { ...enabled, value: enabled.value } : undefined,
    serverName: text(['tls', 'serverName']),
    serverCaCert: material(['tls', 'serverRootCaCertPath']),
    clientCertPair: clientCertPair(material(['tls', 'clientCertPath']), material(['tls', 'clientKeyPath']), {
      cert: envVarFor(['temporal', 'tls', 'clientCertPath']),
      key: envVarFor(['temporal', 'tls', 'clientKeyPath']),
    }),
    grpcMeta: meta && headers(meta.value, (header) => ({ from: meta.from, key: header })),
  };
}

/**
 * temporal.yaml's temporal section (`file` names it in messages). Keys whose WA_* variable is set in `env`
 * are left out: they belong to the WA_* layer, above the Temporal profile.
 */
export function configFileLayer(
  temporal: AppConfig['temporal'],
  env: NodeJS.ProcessEnv,
  file: string,
): TargetLayer {
  const at = <T>(keyPath: string[], value: T | undefined): Sourced<T> | undefined => {
    if (value === undefined || env[envVarFor(['temporal', ...keyPath])] !== undefined) return undefined;
    return { value, from: file, key: `temporal.${keyPath.join('.')}` };
  };
  const tls = temporal.tls;
  const material = (key: keyof TlsFiles) => asMaterial(at(['tls', key], tls[key] || undefined));
  const enabled = tls.enabled === 'auto' ? undefined : tls.enabled;
  const meta = at(['grpcMeta'], temporal.grpcMeta);
  const apiKeyEnv = at(['apiKeyEnv'], temporal.apiKeyEnv);
  return {
    address: at(['address'], temporal.address),
    namespace: at(['namespace'], temporal.namespace),
    apiKey: apiKeyEnv && apiKeyFrom(env, apiKeyEnv.value, `named by temporal.apiKeyEnv in ${file}`),
    tlsEnabled: at(['tls', 'enabled'], enabled),
    serverName: at(['tls', 'serverName'], tls.serverName || undefined),
    serverCaCert: material('serverRootCaCertPath'),
    clientCertPair: clientCertPair(material('clientCertPath'), material('clientKeyPath'), {
      cert: 'temporal.tls.clientCertPath',
      key: 'temporal.tls.clientKeyPath',
    }),
    grpcMeta: meta && headers(meta.value, (header) => ({ from: file, key: `temporal.grpcMeta.${header}` })),
  };
}

/** Below every other source. */
export const DEFAULT_LAYER: TargetLayer = {
  address: { value: '127.0.0.1:7233', from: 'default' },
  namespace: { value: 'default', from: 'default' },
};

/** The API key in the env variable a setting names; empty counts as unset. Only its source is ever shown. */
function apiKeyFrom(env: NodeJS.ProcessEnv, name: string, namedBy: string): Sourced<string> | undefined {
  const value = env[name]?.trim();
  return value ? { value, from: `env ${name} (${namedBy})` } : undefined;
}

function headers(
  values: Record<string, string> | undefined,
  source: (header: string) => Source,
): Record<string, Sourced<string>> | undefined {
  if (!values) return undefined;
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, { value, ...source(name) }]),
  );
}

function path(value: string | undefined): TlsMaterial | undefined {
  return value ? { path: value } : undefined;
}

function nonEmpty(value: Sourced<string> | undefined): Sourced<string> | undefined {
  return value && value.value.trim() !== '' ? value : undefined;
}

function asMaterial(value: Sourced<string> | undefined): Sourced<TlsMaterial> | undefined {
  return value && { ...value, value: { path: value.value } };
}
