// The temporal-server configuration: PostgreSQL (postgres12 plugin) for both stores, the four services
// of one process on loopback ports, and the dynamic config a test cluster wants.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { PG_USER } from './postgres';

export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export interface ServerConfigInput {
  ports: ServerPorts;
  pgPort: number;
  pgPassword: string;
  numHistoryShards: number;
  logLevel: string;
  dynamicConfig: Record<string, unknown>;
}

/**
 * Dynamic config on top of the server's defaults: what the CLI's dev server sets (so the product sees
 * the same server behaviour), no phoning home, and new search attributes visible at once.
 */
export const DEFAULT_DYNAMIC_CONFIG: Record<string, unknown> = {
  'frontend.enableServerVersionCheck': false,
  // Search attributes registered through the operator API are usable at once, not after a cache refresh.
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  // Like the dev server: with the search-attribute cache off, persistence QPS limits go up.
  'frontend.persistenceMaxQPS': 10000,
  'history.persistenceMaxQPS': 45000,
  'history.hostLevelCacheMaxSize': 8096,
  'frontend.namespaceRPS.visibility': 100,
  'limit.maxIDLength': 255,
};

const SERVICE_NAMES = ['frontend', 'history', 'matching', 'worker'] as const;

function sqlStore(input: ServerConfigInput, databaseName: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${input.pgPort}`,
      connectProtocol: 'tcp',
      user: PG_USER,
      password: input.pgPassword,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

export function serverConfig(input: ServerConfigInput, dynamicConfigFile: string): object {
  const { ports } = input;
  const frontendAddress = `127.0.0.1:${ports.frontend}`;
  const services = Object.fromEntries(
    SERVICE_NAMES.map((name) => [
      name,
      {
        rpc: {
          grpcPort: ports[name],
          membershipPort: ports[`${name}Membership`],
          bindOnIP: '127.0.0.1',
          ...(name === 'frontend' ? { httpPort: ports.frontendHttp } : {}),
        },
      },
    ]),
  );
  return {
    log: { stdout: true, level: input.logLevel, format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.numHistoryShards,
      datastores: {
        'postgres-default': sqlStore(input, 'temporal', 20),
        'postgres-visibility': sqlStore(input, 'temporal_visibility', 10),
      },
    },
    // Ringpop membership between the four services, over loopback.
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: frontendAddress,
          httpAddress: `127.0.0.1:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    publicClient: { hostPort: frontendAddress },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Dynamic config file format: each key holds a list of (value, constraints) entries. */
export function dynamicConfigYaml(input: ServerConfigInput): string {
  const http = `127.0.0.1:${input.ports.frontendHttp}`;
  const values: Record<string, unknown> = {
    ...DEFAULT_DYNAMIC_CONFIG,
    // Nexus callbacks go to this cluster's own HTTP port, as in the dev server.
    'component.nexusoperations.callback.endpoint.template': `http://${http}/namespaces/{{.NamespaceName}}/nexus/callback`,
    'component.callbacks.allowedAddresses': [{ Pattern: http, AllowInsecure: true }],
    ...input.dynamicConfig,
  };
  return stringify(Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [{ value }]])));
}

/**
 * Writes `<configDir>/cluster.yaml` and `<configDir>/dynamic-config.yaml`; the server is started with
 * `--root <dir> --config config --env cluster`.
 */
export function writeServerConfig(configDir: string, input: ServerConfigInput): void {
  const dynamicConfigFile = path.join(configDir, 'dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, dynamicConfigYaml(input));
  const header = '# Written by scripts/cluster/server-config.ts at every start; edits are overwritten.\n';
  writeFileSync(
    path.join(configDir, 'cluster.yaml'),
    header + stringify(serverConfig(input, dynamicConfigFile)),
    {
      mode: 0o600, // holds the database password
    },
  );
}
