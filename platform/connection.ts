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
  if (t.tls.enabled || apiKey) {
    options.tls = {
      ...(t.tls.serverName ? { serverNameOverride: t.tls.serverName } : {}),
      ...(t.tls.serverRootCaCertPath
        ? { serverRootCACertificate: readFileSync(t.tls.serverRootCaCertPath) }
        : {}),
      ...(t.tls.clientCertPath && t.tls.clientKeyPath
        ? {
            clientCertPair: {
              crt: readFileSync(t.tls.clientCertPath),
              key: readFileSync(t.tls.clientKeyPath),
            },
          }
        : {}),
    };
  }
  if (apiKey) options.apiKey = apiKey;
  return options;
}
