// The multi-service cluster (scripts/cluster/): temporal-server on its own PostgreSQL comes up with
// no namespace of ours, takes a namespace and a search attribute from the Temporal CLI, keeps them
// across a SIGKILL of the server and a full restart from its folder, and leaves nothing behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { startCluster, type RunningCluster } from '../../scripts/cluster/cluster';

const NAMESPACE = 'smoke';
const SMOKE_KEY = defineSearchAttributeKey('WaSmokeKey', SearchAttributeType.KEYWORD);
let cluster: RunningCluster;

before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop({ keepData: false });
});

/** The Temporal CLI against the cluster; JSON output parsed. */
async function temporal(...args: string[]): Promise<unknown> {
  assert.ok(cluster.tools.cli, 'the Temporal CLI is not provisioned (bash scripts/provision-temporal.sh)');
  const { stdout } = await promisify(execFile)(cluster.tools.cli, [
    ...args,
    '--address',
    cluster.address,
    '--output',
    'json',
  ]);
  try {
    return JSON.parse(stdout);
  } catch {
    return stdout; // some commands print a plain sentence even with --output json
  }
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A query on the cluster's `temporal` database, through psql as the cluster's superuser. */
async function sql(query: string): Promise<string> {
  const { port, user, password } = cluster.postgres;
  const psql = path.join(cluster.tools.pgBinDir, 'psql');
  const args = ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'temporal', '-qAtc', query];
  const { stdout } = await promisify(execFile)(psql, args, { env: { ...process.env, PGPASSWORD: password } });
  return stdout.trim();
}

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: cluster.address });
  try {
    return await fn(new Client({ connection, namespace: NAMESPACE }));
  } finally {
    await connection.close();
  }
}

async function smokeNamespaceIntact() {
  const described = (await temporal('operator', 'namespace', 'describe', '--namespace', NAMESPACE)) as {
    namespaceInfo: { name: string; state: string };
  };
  assert.equal(described.namespaceInfo.name, NAMESPACE);
  assert.equal(described.namespaceInfo.state, 'NAMESPACE_STATE_REGISTERED');
  const listed = (await temporal('operator', 'search-attribute', 'list', '--namespace', NAMESPACE)) as {
    customAttributes: Record<string, string>;
  };
  assert.equal(listed.customAttributes[SMOKE_KEY.name], 'INDEXED_VALUE_TYPE_KEYWORD');
}

test('four services joined through ringpop, on PostgreSQL, and no namespace but the system one', async () => {
  // The worker service serves no gRPC (it runs system workflows); it has only its membership port.
  const { worker: _noGrpc, ...ports } = cluster.server.ports;
  for (const [service, port] of Object.entries(ports)) {
    assert.ok(await listening(port), `${service} port ${port} is not listening`);
  }
  // Each service heartbeats its own row in the membership table (role 1-4: frontend, history, matching, worker).
  const roles = await sql('SELECT DISTINCT role FROM cluster_membership ORDER BY role');
  assert.deepEqual(roles.split('\n'), ['1', '2', '3', '4']);
  const config = readFileSync(cluster.server.configFile, 'utf8');
  assert.match(config, /pluginName: postgres12/);
  const namespaces = await withClient((c) => c.workflowService.listNamespaces({}));
  assert.deepEqual(
    namespaces.namespaces.map((n) => n.namespaceInfo?.name),
    ['temporal-system'],
  );
});

test('the Temporal CLI creates a namespace and a Keyword search attribute that queries can use', async () => {
  await temporal('operator', 'namespace', 'create', '--namespace', NAMESPACE, '--retention', '1d');
  await temporal(
    'operator',
    'search-attribute',
    'create',
    '--namespace',
    NAMESPACE,
    '--name',
    SMOKE_KEY.name,
    '--type',
    'Keyword',
  );
  await smokeNamespaceIntact();
  // Advanced visibility on PostgreSQL: a workflow (no worker needed) found by the new attribute.
  await withClient(async (client) => {
    await client.workflow.start('smokeWorkflow', {
      taskQueue: 'smoke-nobody-polls',
      workflowId: 'smoke-1',
      typedSearchAttributes: [{ key: SMOKE_KEY, value: 'found-me' }],
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ids: string[] = [];
      for await (const wf of client.workflow.list({ query: `${SMOKE_KEY.name} = "found-me"` }))
        ids.push(wf.workflowId);
      if (ids.length === 1) return assert.deepEqual(ids, ['smoke-1']);
      assert.ok(Date.now() < deadline, `visibility did not list smoke-1 in 20 s (got ${ids.join(',')})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});

test('temporal-server killed with SIGKILL and started again keeps the namespace and the workflow', async () => {
  const { pid } = cluster.server;
  await cluster.killServer();
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  await cluster.restartServer();
  assert.notEqual(cluster.server.pid, pid);
  await smokeNamespaceIntact();
  const description = await withClient((c) => c.workflow.getHandle('smoke-1').describe());
  assert.equal(description.status.name, 'RUNNING');
});

test('a stopped cluster started again from its folder has its data; stop() leaves no process or folder', async () => {
  const { dir, address } = cluster;
  await cluster.stop({ keepData: true });
  assert.ok(existsSync(path.join(dir, 'pgdata', 'PG_VERSION')));
  assert.ok(!existsSync(path.join(dir, 'pgdata', 'postmaster.pid')), 'PostgreSQL stopped cleanly');

  cluster = await startCluster({ dir });
  assert.equal(cluster.address, address, 'the frontend keeps its port');
  await smokeNamespaceIntact();

  const pids = [cluster.server.pid, cluster.postgres.pid];
  await cluster.stop({ keepData: false });
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} still runs`);
  assert.ok(!existsSync(dir), `${dir} is still there`);
});
