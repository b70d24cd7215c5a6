// A Temporal profile as a TargetLayer: the TOML file the `temporal` CLI and the SDKs share (by default
// temporal.toml in the user's config dir) with its TEMPORAL_* environment overrides, read through
// @temporalio/envconfig. Each value keeps its source: the profile's key, or the TEMPORAL_* variable.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  loadClientConfig,
  loadClientConfigProfile,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import type { TlsMaterial } from './connection';
import {
  clientCertPair,
  TemporalTargetError,
  type Source,
  type Sourced,
  type TargetLayer,
} from './temporal-sources';

export interface ProfileChoice {
  /** The profile asked for (--profile); else TEMPORAL_PROFILE; else "default", if the file has it. */
  name?: string;
  /** The profile file (--config-file); else TEMPORAL_CONFIG_FILE; else the user's config dir. */
  file?: string;
  /** What the caller calls these two options in messages, e.g. "--profile" and "--config-file". */
  nameFrom?: string;
  fileFrom?: string;
}

export interface LoadedProfile {
  layer: TargetLayer;
  /** The profile in use; undefined when no profile file holds it (TEMPORAL_* variables may still apply). */
  name?: string;
  file?: string;
}

interface ProfileFile {
  path: string;
  from: string;
  /** Named explicitly (--config-file): a missing file is an error, not "no profiles". */
  required: boolean;
}

export function loadProfile(choice: ProfileChoice, env: NodeJS.ProcessEnv): LoadedProfile {
  const asked = askedProfile(choice, env);
  const file = profileFile(choice, env);
  const data = file && readProfileFile(file);
  const profiles = file && data !== undefined ? profilesIn(data, file) : {};
  const name = asked?.value ?? 'default';
  const inFile = profiles[name];
  if (asked && !inFile) {
    const there = Object.keys(profiles);
    const reason = !file
      ? 'no profile file (set TEMPORAL_CONFIG_FILE or --config-file)'
      : data === undefined
        ? `${file.path} (${file.from}) does not exist`
        : `${file.path} (${file.from}) has ${there.length ? `only ${there.join(', ')}` : 'no profiles'}`;
    throw new TemporalTargetError('Temporal profile', asked.from, `no profile "${name}": ${reason}`);
  }
  const overrideEnvVars = definedOnly(env);
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile(
      inFile && data !== undefined
        ? { configSource: { data }, profile: name, overrideEnvVars }
        : { disableFile: true, overrideEnvVars },
    );
  } catch (err) {
    throw new TemporalTargetError('Temporal profile', profileWhere(name, file), tomlProblem(err));
  }
  const at = sourceOf(env, inFile ? { name, file: file!.path } : undefined);
  return {
    layer: toLayer(profile, inFile, at, env),
    ...(inFile ? { name, file: file!.path } : {}),
  };
}

type SourceOf = (envName: string, key: string) => Source;

/** The env variable when it is set (envconfig lets it win), else the profile's key. */
function sourceOf(env: NodeJS.ProcessEnv, profile: { name: string; file: string } | undefined): SourceOf {
  return (envName, key) =>
    env[envName] !== undefined || !profile
      ? { from: `env ${envName}` }
      : { from: `profile ${profile.name}`, key, file: profile.file };
}

function toLayer(
  profile: ClientConfigProfile,
  inFile: ClientConfigProfile | undefined,
  at: SourceOf,
  env: NodeJS.ProcessEnv,
): TargetLayer {
  const value = <T>(v: T | undefined, envName: string, key: string): Sourced<T> | undefined =>
    v === undefined ? undefined : { value: v, ...at(envName, key) };
  const tls = profile.tls;
  const material = (s: ConfigDataSource | undefined, envPart: string, key: string) =>
    s === undefined ? undefined : tlsMaterial(s, envPart, key, at);
  return {
    address: value(profile.address, 'TEMPORAL_ADDRESS', 'address'),
    namespace: value(profile.namespace, 'TEMPORAL_NAMESPACE', 'namespace'),
    apiKey: value(profile.apiKey?.trim() || undefined, 'TEMPORAL_API_KEY', 'api_key'),
    // envconfig's rule: a tls table (in the file or from TEMPORAL_TLS_*) means TLS, unless disabled.
    tlsEnabled: tls && { value: tls.disabled !== true, ...tlsSwitchSource(inFile, at, env) },
    serverName: value(tls?.serverName || undefined, 'TEMPORAL_TLS_SERVER_NAME', 'tls.server_name'),
    serverCaCert: material(tls?.serverCACert, 'SERVER_CA_CERT', 'server_ca_cert'),
    clientCertPair: clientCertPair(
      material(tls?.clientCert, 'CLIENT_CERT', 'client_cert'),
      material(tls?.clientKey, 'CLIENT_KEY', 'client_key'),
      {
        cert: 'tls.client_cert_path (or env TEMPORAL_TLS_CLIENT_CERT_PATH)',
        key: 'tls.client_key_path (or env TEMPORAL_TLS_CLIENT_KEY_PATH)',
      },
    ),
    grpcMeta: profile.grpcMeta && grpcMeta(profile.grpcMeta, at, env),
  };
}

function tlsMaterial(s: ConfigDataSource, envPart: string, key: string, at: SourceOf): Sourced<TlsMaterial> {
  const kind = 'path' in s ? 'path' : 'data';
  const source = at(`TEMPORAL_TLS_${envPart}_${kind.toUpperCase()}`, `tls.${key}_${kind}`);
  if ('path' in s) return { value: { path: s.path }, ...source };
  return { value: { data: typeof s.data === 'string' ? Buffer.from(s.data) : s.data }, ...source };
}

function tlsSwitchSource(
  inFile: ClientConfigProfile | undefined,
  at: SourceOf,
  env: NodeJS.ProcessEnv,
): Source {
  if (env.TEMPORAL_TLS !== undefined || !inFile?.tls) {
    return { from: `env ${env.TEMPORAL_TLS !== undefined ? 'TEMPORAL_TLS' : firstTlsVariable(env)}` };
  }
  return at('TEMPORAL_TLS', inFile.tls.disabled !== undefined ? 'tls.disabled' : 'tls');
}

function firstTlsVariable(env: NodeJS.ProcessEnv): string {
  return Object.keys(env).find((k) => k.startsWith('TEMPORAL_TLS_')) ?? 'TEMPORAL_TLS_*';
}

/**
 * Header names fully normalized (envconfig 1.24 turns only the first `_` into `-`), each with its source:
 * TEMPORAL_GRPC_META_<NAME> when one names it, else the profile's grpc_meta table.
 */
function grpcMeta(
  meta: Record<string, string>,
  at: SourceOf,
  env: NodeJS.ProcessEnv,
): Record<string, Sourced<string>> {
  const PREFIX = 'TEMPORAL_GRPC_META_';
  const envNames = Object.keys(env).filter((k) => k.startsWith(PREFIX));
  const headers: Record<string, Sourced<string>> = {};
  for (const [raw, value] of Object.entries(meta)) {
    const name = raw.toLowerCase().replaceAll('_', '-');
    const envName = envNames.find((k) => k.slice(PREFIX.length).toLowerCase().replaceAll('_', '-') === name);
    headers[name] = { value, ...at(envName ?? `${PREFIX}${name}`, `grpc_meta.${name}`) };
  }
  return headers;
}

function askedProfile(choice: ProfileChoice, env: NodeJS.ProcessEnv): Sourced<string> | undefined {
  if (choice.name !== undefined) {
    const from = choice.nameFrom ?? '--profile';
    if (choice.name.trim() === '')
      throw new TemporalTargetError('Temporal profile', from, 'must not be empty');
    return { value: choice.name, from };
  }
  return env.TEMPORAL_PROFILE ? { value: env.TEMPORAL_PROFILE, from: 'env TEMPORAL_PROFILE' } : undefined;
}

/** As envconfig finds it; TEMPORAL_CONFIG_FILE='' means no file. */
function profileFile(choice: ProfileChoice, env: NodeJS.ProcessEnv): ProfileFile | undefined {
  if (choice.file !== undefined)
    return { path: choice.file, from: choice.fileFrom ?? '--config-file', required: true };
  const fromEnv = env.TEMPORAL_CONFIG_FILE;
  if (fromEnv !== undefined) {
    return fromEnv === '' ? undefined : { path: fromEnv, from: 'env TEMPORAL_CONFIG_FILE', required: false };
  }
  const dir = userConfigDir(env);
  if (!dir) return undefined;
  return { path: path.join(dir, 'temporalio', 'temporal.toml'), from: 'default location', required: false };
}

/** The user's config dir as envconfig (and the Go SDK) compute it, from the environment given. */
function userConfigDir(env: NodeJS.ProcessEnv): string | undefined {
  switch (os.platform()) {
    case 'win32':
      return env.APPDATA || undefined;
    case 'darwin':
      return env.HOME ? path.join(env.HOME, 'Library', 'Application Support') : undefined;
    default: {
      const xdg = env.XDG_CONFIG_HOME;
      if (xdg) return path.isAbsolute(xdg) ? xdg : undefined;
      return env.HOME ? path.join(env.HOME, '.config') : undefined;
    }
  }
}

function readProfileFile(file: ProfileFile): string | undefined {
  try {
    return readFileSync(file.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !file.required) return undefined;
    throw new TemporalTargetError('Temporal profile file', file.from, `cannot read ${file.path} (${code})`);
  }
}

function profilesIn(data: string, file: ProfileFile): Record<string, ClientConfigProfile> {
  try {
    return loadClientConfig({ configSource: { data } }).profiles;
  } catch (err) {
    // envconfig 1.24 throws a TypeError on a file without any [profile.*] table (empty, or comments only).
    if (err instanceof TypeError) return {};
    throw new TemporalTargetError('Temporal profile file', file.from, `${file.path}: ${tomlProblem(err)}`);
  }
}

/** The parser's first line and position only: the rest quotes the file, which may hold an api_key. */
function tomlProblem(err: unknown): string {
  const { message, line, column } = err as { message: string; line?: number; column?: number };
  const first = message.split('\n')[0]!;
  return line === undefined ? first : `${first} (line ${line}, column ${column})`;
}

function profileWhere(name: string, file: ProfileFile | undefined): string {
  return file ? `profile ${name} (${file.path})` : 'the TEMPORAL_* environment variables';
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
