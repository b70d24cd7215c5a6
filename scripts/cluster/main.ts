// `npm run cluster [-- --dir D] [--port P] [--log-level L]`: a multi-service Temporal cluster on
// PostgreSQL in the foreground until Ctrl-C. docs/cluster.md tells how to use it and add the Web UI.
import { parseArgs } from 'node:util';
import { startCluster } from './cluster';

const HELP = `Usage: npm run cluster -- [--dir DIR] [--port PORT] [--log-level debug|info|warn|error]
  --dir DIR    keep the cluster in DIR (started again with its data next time); default: a temporary
               folder, removed at exit
  --port PORT  frontend gRPC port; default: DIR's previous port when free, else a free one`;

async function main() {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(HELP);
  const logLevel = values['log-level'] as 'debug' | 'info' | 'warn' | 'error' | undefined;
  const started = Date.now();
  const cluster = await startCluster({
    ...(values.dir ? { dir: values.dir } : {}),
    ...(values.port ? { frontendPort: Number(values.port) } : {}),
    ...(logLevel ? { logLevel } : {}),
  });
  const cli = cluster.tools.cli ?? 'temporal';
  console.log(
    [
      `Temporal cluster ready at ${cluster.address} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `  temporal-server (frontend, history, matching, worker), pid ${cluster.server.pid}, log ${cluster.server.logFile}`,
      `  PostgreSQL on 127.0.0.1:${cluster.postgres.port}, data ${cluster.postgres.dataDir}`,
      `  folder ${cluster.dir}`,
      'No namespace exists yet. Make one with its search attributes (wa-number setup):',
      `  WA_TEMPORAL_ADDRESS=${cluster.address} npx wa-number setup --create-namespace`,
      'or by hand:',
      `  ${cli} operator namespace create --address ${cluster.address} --namespace default`,
      'Ctrl-C stops the cluster.',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the cluster`);
    cluster.stop().then(
      () => process.exit(code),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Keeps the event loop alive (the cluster's processes are detached and unref'd) and says so if the
  // server dies under us.
  setInterval(() => {
    try {
      process.kill(cluster.server.pid, 0);
    } catch {
      console.error(
        `temporal-server (pid ${cluster.server.pid}) is gone; its log ends with:\n${cluster.logTail()}`,
      );
      shutdown('server exit', 1);
    }
  }, 5_000);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
