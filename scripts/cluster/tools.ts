// Where the cluster's programs are, in the order scripts/provision-cluster.sh provisions them: an
// explicit env var, else the project's .tools/ cache; PostgreSQL from the Debian package's folder.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { temporalCliExecutable } from '../temporal-binaries';

export const SERVER_VERSION = '1.29.1';
const root = path.resolve(__dirname, '..', '..');

export interface ClusterTools {
  server: string;
  sqlTool: string;
  /** Holds postgresql/v12/temporal/versioned and postgresql/v12/visibility/versioned. */
  schemaDir: string;
  /** initdb, postgres, pg_ctl, pg_isready, psql. */
  pgBinDir: string;
  /** The Temporal CLI (operator commands in tests and docs), when provisioned. */
  cli: string | undefined;
}

export function clusterTools(env: NodeJS.ProcessEnv = process.env): ClusterTools {
  const built = env.WA_CLUSTER_TOOLS_DIR ?? path.join(root, '.tools', `temporal-server-${SERVER_VERSION}`);
  const tools: ClusterTools = {
    server: env.WA_TEMPORAL_SERVER_BIN ?? path.join(built, 'temporal-server'),
    sqlTool: env.WA_TEMPORAL_SQL_TOOL_BIN ?? path.join(built, 'temporal-sql-tool'),
    schemaDir: env.WA_TEMPORAL_SCHEMA_DIR ?? path.join(built, 'schema'),
    pgBinDir: env.WA_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin',
    cli: ((cli) => (cli.type === 'existing-path' ? cli.path : undefined))(temporalCliExecutable()),
  };
  const missing = [
    tools.server,
    tools.sqlTool,
    path.join(tools.schemaDir, 'postgresql/v12/temporal/versioned'),
    path.join(tools.schemaDir, 'postgresql/v12/visibility/versioned'),
    path.join(tools.pgBinDir, 'initdb'),
    path.join(tools.pgBinDir, 'postgres'),
  ].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `The Temporal cluster cannot start: missing ${missing.join(', ')}. ` +
        'Run `bash scripts/provision-cluster.sh` (it builds temporal-server and installs PostgreSQL 15).',
    );
  }
  return tools;
}

/** The unprivileged account PostgreSQL runs as when we are root (it refuses to run as root). */
export interface PgAccount {
  name: string;
  uid: number;
  gid: number;
}

/**
 * When root: WA_CLUSTER_PG_USER, else `postgres` (the Debian package creates it), else `nobody`.
 * Otherwise undefined: PostgreSQL runs as the current user.
 */
export function postgresAccount(env: NodeJS.ProcessEnv = process.env): PgAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const names = env.WA_CLUSTER_PG_USER ? [env.WA_CLUSTER_PG_USER] : ['postgres', 'nobody'];
  for (const name of names) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      if (uid !== 0) return { name, uid, gid };
    } catch {
      // no such user: try the next one
    }
  }
  throw new Error(
    `No unprivileged account to run PostgreSQL as (tried ${names.join(', ')}); ` +
      'create one (useradd --system wa-postgres) and set WA_CLUSTER_PG_USER.',
  );
}
