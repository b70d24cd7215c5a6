// The two Temporal databases on the cluster's PostgreSQL, created and brought to the schema version of
// the server build with its own SQL tool (the steps of the server's `install-schema-postgresql12`).
import path from 'node:path';
import { run } from './processes';
import { PG_USER } from './postgres';

const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal/versioned' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility/versioned' },
] as const;

export interface SchemaTarget {
  sqlTool: string;
  schemaDir: string;
  pgPort: number;
  pgPassword: string;
  cwd: string;
}

export async function installSchema(t: SchemaTarget): Promise<void> {
  const connect = ['--ep', '127.0.0.1', '-p', String(t.pgPort), '-u', PG_USER, '--pw', t.pgPassword];
  for (const db of DATABASES) {
    const common = [...connect, '--pl', 'postgres12', '--db', db.name];
    const steps = [
      ['create-database', '--defaultdb', 'postgres'],
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '-d', path.join(t.schemaDir, db.schema)],
    ];
    for (const step of steps) {
      await run(t.sqlTool, [...common, ...step], { cwd: t.cwd, timeoutMs: 120_000 }, [t.pgPassword]);
    }
  }
}
