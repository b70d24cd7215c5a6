// `npm run worker`: runs only the worker, against whatever the WA_* env vars, the Temporal profile and
// temporal.yaml point to (platform/temporal-target.ts).
import { NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig, readAccessToken } from '../platform/config';
import { describeTarget, targetFromEnvironment } from '../platform/temporal-target';
import { createWorker } from './create-worker';
import { createDataConverter } from '../platform/security/data-converter';
import { EncryptionKeyError } from '../platform/security/encryption-keys';
import { createRedactingLogger, redactText } from '../platform/security/redact';

async function main(): Promise<void> {
  Runtime.install({ logger: createRedactingLogger('INFO') });
  const config = loadConfig();
  const accessToken = readAccessToken(config);
  const { dataConverter, keyring } = createDataConverter(config);
  const target = targetFromEnvironment(config);
  const connection = await NativeConnection.connect(target.connection);
  try {
    const worker = await createWorker({ config, target, connection, accessToken, dataConverter });
    console.log(
      `worker: polling task queue ${config.temporal.taskQueue} on ${describeTarget(target)}; Graph ${config.graph.baseUrl} ${config.graph.apiVersion}; ` +
        (keyring
          ? `payloads encrypted with key "${keyring.encryptWith}" (${keyring.keys.size} key(s) from ${keyring.source})`
          : 'payloads NOT encrypted (security.allowUnencrypted)') +
        versioningNote(config),
    );
    await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done
  } finally {
    await connection.close();
  }
}

function versioningNote(config: ReturnType<typeof loadConfig>): string {
  const v = config.temporal.workerVersioning;
  return v.enabled
    ? `; Worker Versioning: deployment ${v.deploymentName}, build ${v.buildId} (gets new work once it is the ` +
        `current version: temporal worker deployment set-current-version --deployment-name ${v.deploymentName} ` +
        `--build-id ${v.buildId})`
    : '; unversioned (temporal.workerVersioning off)';
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof EncryptionKeyError) {
    console.error(`worker: configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error('worker:', redactText(err instanceof Error ? err.message : String(err)));
  process.exit(1);
});
