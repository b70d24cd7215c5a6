// The options a Temporal connection (client or worker) opens with, and the reading of the TLS material
// they name. Where the settings come from is platform/temporal-target.ts.
import { readFileSync } from 'node:fs';
import { TemporalTargetError } from './temporal-sources';

export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
  /** gRPC metadata (headers) sent with every request. */
  metadata?: Record<string, string>;
}

/** A PEM file's path, or (a Temporal profile's `*_data` keys) the PEM itself. */
export type TlsMaterial = { path: string } | { data: Uint8Array };

/** Where TLS material comes from: the server name to expect and the files (PEM) to read. */
export interface TlsFiles {
  serverName?: string;
  serverRootCaCertPath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
}

/**
 * The bytes of TLS material. A file that cannot be read (missing, a directory, no permission) or is empty is
 * an error naming the setting, where it was set and the path: a connection without it would fail later,
 * far from the cause, or (for a client certificate) silently go out without it.
 */
export function readTlsMaterial(material: TlsMaterial, setting: string, where: string): Buffer {
  if ('data' in material) return Buffer.from(material.data);
  let bytes: Buffer;
  try {
    bytes = readFileSync(material.path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new TemporalTargetError(setting, where, `cannot read ${material.path} (${reason})`);
  }
  if (bytes.length === 0) throw new TemporalTargetError(setting, where, `${material.path} is empty`);
  return bytes;
}
