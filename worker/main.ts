// `npm run worker`: runs only the worker, against whatever the WA_* env vars, the Temporal profile and
// temporal.yaml point to (platform/temporal-target.ts).
import { NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../platform/config';
import { accessTokenSource } from '../platform/access-token';
import { AccessTokenRefusedError, checkAccessToken } from './access-token-check';
import { describeTarget, targetFromEnvironment } from '../platform/temporal-target';
import { createWorker, workflowCodeSource } from './create-worker';
import { flushTracing } from '../platform/tracing';
import { startWorkerHealthServer, type HealthServer } from './health-server';
import { inspectNamespace, namespaceProblem } from '../platform/namespace-setup';
import { temporalReadiness } from '../platform/readiness';
import { createDataConverter } from '../platform/security/data-converter';
import { EncryptionKeyError } from '../platform/security/encryption-keys';
import { redactText } from '../platform/security/redact';
import { coreLogging, createProcessLog, jsonLoggerFor, sdkLevel } from '../platform/logging/setup';
import { createRedactingLogger } from '../platform/logging/text-logger';
import { metricsRuntimeOptions, startWorkerMetrics } from './metrics-exporter';

async function main(): Promise<void> {
  // First: logging.format and .level choose the Runtime's logger; metrics.workerPort its Prometheus endpoint.
  const config = loadConfig();
  const jsonLogger = jsonLoggerFor(config.logging);
  Runtime.install({
    logger: jsonLogger ?? createRedactingLogger(sdkLevel(config.logging)),
    telemetryOptions: {
      logging: coreLogging(config.logging),
      ...metricsRuntimeOptions(config).telemetryOptions,
    },
  });
  const log = createProcessLog('worker', jsonLogger);
  const accessToken = accessTokenSource(config, process.env, () =>
    log('the Graph access token file changed; the new token is used from now on'),
  );
  const { dataConverter, keyring } = createDataConverter(config);
  // Before connecting to Temporal: a worker whose token Meta refuses (190) must not take tasks.
  log(await checkAccessToken(config, accessToken));
  const target = targetFromEnvironment(config);
  const connection = await NativeConnection.connect(target.connection);
  try {
    // A namespace without our search attributes fails every lifecycle start: refuse now, with the fix.
    const notReady = namespaceProblem(
      await inspectNamespace(connection, target.namespace),
      target.connection.address,
    );
    if (notReady) throw new ConfigError(notReady);
    const worker = await createWorker({ config, target, connection, accessToken, dataConverter });
    log(
      `polling task queue ${config.temporal.taskQueue} on ${describeTarget(target)}; Graph ${config.graph.baseUrl} ${config.graph.apiVersion}; ` +
        (keyring
          ? `payloads encrypted with key "${keyring.encryptWith}" (${keyring.keys.size} key(s) from ${keyring.source})`
          : 'payloads NOT encrypted (security.allowUnencrypted)') +
        versioningNote(config) +
        `; ${workflowCodeSource(config.tracing.enabled)}`,
      { taskQueue: config.temporal.taskQueue, namespace: target.namespace },
    );
    let health: HealthServer | undefined;
    if (config.health.workerPort > 0) {
      health = await startWorkerHealthServer({
        host: config.health.host,
        port: config.health.workerPort,
        workerState: () => worker.getState(),
        temporalChecks: temporalReadiness(connection, target.namespace, target.connection.address),
      });
      log(`liveness ${health.url}/livez, readiness ${health.url}/readyz`);
    }
    const metrics = startWorkerMetrics(config, target, log);
    if (metrics) log(`Prometheus metrics at ${metrics.url}`);
    try {
      await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done
    } finally {
      await health?.close();
      await metrics?.stop();
      await flushTracing();
    }
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
  if (err instanceof AccessTokenRefusedError) {
    // Built from Meta's answer with the token cut out (graph-client.ts); redactText would mangle "OAuth 2.0".
    console.error(`worker: not started: ${err.message}`);
    process.exit(2);
  }
  console.error('worker:', redactText(err instanceof Error ? err.message : String(err)));
  process.exit(1);
});
