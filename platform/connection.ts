// Connection options shared by the worker and the client library: address, TLS and API key from config.
import { readFileSync } from 'node:fs';
import type { AppConfig } from './config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

export function temporalConnectionOptions(
  config: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionOptions {
  const t = config.temporal;
  const apiKey = env[t.apiKeyEnv]?.trim() || undefined;
  const options: TemporalConnectionOptions = { address: t.address };
  // An API key implies TLS (Temporal Cloud).
  if (t.tls.enabled || apiKey) options.tls = tlsOptions(t.tls);
  if (apiKey) options.apiKey = apiKey;
  return options;
}

/** Where TLS material comes from: the server name to expect and the files (PEM) to read. */
export interface TlsFiles {
  serverName?: string;
  serverRootCaCertPath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
}

/** TLS connection options from the files named (a client certificate only with its key). */
export function tlsOptions(files: TlsFiles): NonNullable<TemporalConnectionOptions['tls']> {
  return {
    ...(files.serverName ? { serverNameOverride: files.serverName } : {}),
    ...(files.serverRootCaCertPath
      ? { serverRootCACertificate: readFileSync(files.serverRootCaCertPath) }
      : {}),
    ...(files.clientCertPath && files.clientKeyPath
      ? {
          clientCertPair: { crt: readFileSync(files.clientCertPath), key: readFileSync(files.clientKeyPath) },
        }
      : {}),
  };
}
