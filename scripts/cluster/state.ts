// What a cluster folder remembers between starts (cluster.json): the server version and shard count
// its databases were made for, PostgreSQL's port and password, the server's ports.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { freeServerPort, isPortFree } from './processes';
import type { ServerPorts } from './server-config';
import { SERVER_VERSION } from './tools';

export interface ClusterState {
  serverVersion: string;
  /** Fixed once the databases exist. */
  numHistoryShards: number;
  pg: { port: number; password: string };
  ports?: ServerPorts;
  schemaReady: boolean;
}

/** The settings saved in the folder by an earlier start, or a new cluster's. */
export function loadState(file: string, numHistoryShards: number): ClusterState {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
    if (saved.serverVersion !== SERVER_VERSION) {
      throw new Error(`${file} belongs to temporal-server ${saved.serverVersion}, not ${SERVER_VERSION}`);
    }
    return saved;
  }
  return {
    serverVersion: SERVER_VERSION,
    numHistoryShards,
    pg: { port: 0, password: randomBytes(18).toString('base64url') },
    schemaReady: false,
  };
}

export function saveState(file: string, state: ClusterState): void {
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 }); // holds the database password
}

const PORT_KEYS: (keyof ServerPorts)[] = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
];

/**
 * The server's nine ports: `frontend` if given (it must be free), else the previous ones where still
 * free (clients keep their address across restarts), else free ones below 32768 (freeServerPort).
 */
export async function choosePorts(
  frontend: number | undefined,
  previous: ServerPorts | undefined,
): Promise<ServerPorts> {
  if (frontend && frontend > 32767) {
    throw new Error(
      `frontend port ${frontend}: must be at most 32767 (the membership table stores ports as SMALLINT)`,
    );
  }
  const chosen = new Set<number>();
  const ports = {} as ServerPorts;
  for (const key of PORT_KEYS) {
    const wanted = key === 'frontend' ? (frontend ?? previous?.frontend) : previous?.[key];
    let port = wanted && !chosen.has(wanted) && (await isPortFree(wanted)) ? wanted : undefined;
    if (key === 'frontend' && frontend && !port) throw new Error(`frontend port ${frontend} is in use`);
    port ??= await freeServerPort(chosen);
    chosen.add(port);
    ports[key] = port;
  }
  return ports;
}
