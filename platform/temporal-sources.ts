// The vocabulary shared by the places a Temporal connection setting can come from (CLI flags, the client
// library's settings, WA_* env, a Temporal profile, temporal.yaml, defaults): every value keeps where it
// was set, so a start-up line can say where the target came from and an error can name what to fix.
import { ConfigError } from './config';
import type { TlsMaterial } from './connection';

export interface Source {
  /** The place, short: "--address", "env WA_TEMPORAL_ADDRESS", "profile prod", "temporal.yaml", "default". */
  from: string;
  /** The key inside a file (a profile, temporal.yaml), e.g. "tls.client_key_path"; none for env and flags. */
  key?: string;
  /** The file a profile was read from. */
  file?: string;
}

export interface Sourced<T> extends Source {
  value: T;
}

/** A source in words: "env TEMPORAL_ADDRESS", "tls.client_key_path in profile prod (/home/me/…/temporal.toml)". */
export function where(source: Source): string {
  if (!source.key) return source.from;
  return `${source.key} in ${source.from}${source.file ? ` (${source.file})` : ''}`;
}

/** A client certificate and its key; a source gives both or neither. */
export interface ClientCertPair {
  cert: Sourced<TlsMaterial>;
  key: Sourced<TlsMaterial>;
}

/** What one source says about the connection; unset keys are left to the sources below it. */
export interface TargetLayer {
  address?: Sourced<string>;
  namespace?: Sourced<string>;
  apiKey?: Sourced<string>;
  /** Explicitly on or off; unset: on when an API key or TLS material is given. */
  tlsEnabled?: Sourced<boolean>;
  serverName?: Sourced<string>;
  serverCaCert?: Sourced<TlsMaterial>;
  clientCertPair?: ClientCertPair;
  /** gRPC metadata by (lower-case) header name; merged across sources, the higher winning per header. */
  grpcMeta?: Record<string, Sourced<string>>;
}

/** A connection setting that cannot be used: names the setting, where it was set, and the rule. Never a secret. */
export class TemporalTargetError extends ConfigError {
  constructor(
    /** The setting, e.g. "address", "TLS client key". */
    readonly key: string,
    /** Where it was set (see where()). */
    readonly source: string,
    rule: string,
    message = `${key}: ${rule}; set by ${source}`,
  ) {
    super(message);
  }
}

/**
 * The pair a source gives, or an error naming the half it lacks (in that source's own words): a certificate
 * without its key used to be dropped in silence, and the server then refused the connection for no
 * visible reason.
 */
export function clientCertPair(
  cert: Sourced<TlsMaterial> | undefined,
  key: Sourced<TlsMaterial> | undefined,
  names: { cert: string; key: string },
): ClientCertPair | undefined {
  if (cert && key) return { cert, key };
  if (cert) {
    throw new TemporalTargetError(
      'TLS client certificate',
      where(cert),
      `given without its key (set ${names.key} too)`,
    );
  }
  if (key) {
    throw new TemporalTargetError(
      'TLS client key',
      where(key),
      `given without its certificate (set ${names.cert} too)`,
    );
  }
  return undefined;
}

/** gRPC header names as Temporal's profiles write them: lower case, `_` read as `-` (all of them). */
export function normalizeHeaderName(name: string): string {
  return name.trim().toLowerCase().replaceAll('_', '-');
}

/** A valid gRPC metadata header name (after normalizeHeaderName). */
export const HEADER_NAME = /^[0-9a-z][0-9a-z.-]*$/;
