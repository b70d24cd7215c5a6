// `npm run worker`: runs only the worker, against whatever temporal.yaml (and WA_* env vars) point to.
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig, readAccessToken } from './config';
import { temporalConnectionOptions } from './connection';
import { createWorker } from './create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const accessToken = readAccessToken(config);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  try {
    const worker = await createWorker({ config, connection, accessToken });
    console.log(
      `worker: polling task queue ${config.temporal.taskQueue} on ${config.temporal.address} ` +
        `(namespace ${config.temporal.namespace}); Graph ${config.graph.baseUrl} ${config.graph.apiVersion}`,
    );
    await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(`worker: configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error('worker:', err instanceof Error ? err.message : err);
  process.exit(1);
});
