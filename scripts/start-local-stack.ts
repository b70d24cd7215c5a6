// `npm start`: the whole product on its embedded defaults. Temporal dev server (SQLite in .data/, Web UI),
// the Graph API simulator, the worker and the HTTP API, in one terminal; Ctrl-C stops them all. A second
// start reuses .data/, so persisted workflows (and durable timers) resume. The API serves Meta's webhooks
// (/webhooks/meta) and the simulator is subscribed to it, as Meta's app would be in production.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { NumberLifecycleClient, WebhookSubscriptionsClient } from '../client';
import { temporalMetaWebhookIntake } from '../api/meta-webhook-intake';
import { createApiServer } from '../api/server';
import { startSimulator } from '../simulator/server';
import { createDataConverter, localKeyFile } from '../platform/security/data-converter';
import { ensureKeyFile } from '../platform/security/encryption-keys';
import { createRedactingLogger } from '../platform/logging/text-logger';
import { loadConfig, ROOT_DIR, ConfigError } from '../platform/config';
import { createWorker } from '../worker/create-worker';
import { startDevServer } from './dev-server';
import { localMetaWebhookSecrets, shownSecret, simulatorSubscription } from './local-meta-webhooks';
import { temporalCliExecutable } from './temporal-binaries';

async function main(): Promise<void> {
  Runtime.install({ logger: createRedactingLogger('INFO') });
  const base = loadConfig();
  const local = base.local;
  const dataDir = path.resolve(ROOT_DIR, local.dataDir);

  const provision = spawnSync('bash', [path.join(ROOT_DIR, 'scripts/provision-temporal.sh')], {
    stdio: 'inherit',
  });
  if (provision.status !== 0) throw new Error('provisioning the Temporal binaries failed (see above)');
  const cli = temporalCliExecutable();
  if (cli.type !== 'existing-path') {
    throw new Error('no Temporal CLI: install Go (then rerun) or set TEMPORAL_CLI_PATH to a temporal binary');
  }

  // Payloads are encrypted; the first run makes the local key, the UI decodes through our codec endpoint.
  if (ensureKeyFile(localKeyFile(base)))
    console.log(`generated a payload encryption key in ${localKeyFile(base)}`);
  const { dataConverter, keyring } = createDataConverter(base);
  const codecPayloads = dataConverter.payloadCodecs?.[0];
  const apiUrl = `http://127.0.0.1:${local.apiPort}`;
  const codecUrl = codecPayloads ? `${apiUrl}/codec` : undefined;

  const devServer = await startDevServer({
    cliPath: cli.path,
    port: local.temporalPort,
    uiPort: local.uiPort,
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    namespace: base.temporal.namespace,
    extraArgs: codecUrl ? ['--ui-codec-endpoint', codecUrl] : [],
  });
  // The local worker and API talk to the local server and the simulator, whatever temporal.yaml says for
  // production.
  const simulatorUrl = `http://127.0.0.1:${local.simulatorPort}`;
  const config = {
    ...base,
    temporal: { ...base.temporal, address: devServer.address },
    graph: { ...base.graph, baseUrl: simulatorUrl },
  };

  // The HTTP API for other services, with the UI's codec endpoint: loopback only, no API key (local use). It
  // serves Meta's webhooks with the local verify token and app secret (never printed in full).
  const meta = localMetaWebhookSecrets(base, dataDir);
  const lifecycle = await NumberLifecycleClient.connect({ config });
  const api = await createApiServer({
    lifecycle,
    webhooks: new WebhookSubscriptionsClient(lifecycle.client, lifecycle.taskQueue, config.webhooks),
    metaWebhooks: {
      verifyToken: meta.verifyToken,
      appSecret: meta.appSecret,
      maxBodyBytes: meta.maxBodyBytes,
      intake: temporalMetaWebhookIntake(lifecycle.client, lifecycle.taskQueue),
      log: (line) => console.log(`api: ${line}`),
    },
    apiKeys: [],
    host: '127.0.0.1',
    port: local.apiPort,
    log: () => undefined,
    codec: codecPayloads
      ? {
          codec: codecPayloads,
          allowedOrigins: base.security.codecAllowedOrigins,
          authToken: process.env[base.security.codecAuthTokenEnv],
        }
      : undefined,
  });
  const metaCallbackUrl = `${api.url}/webhooks/meta`;

  // The simulator, subscribed to the API's /webhooks/meta at start (a reset keeps a start-up subscription):
  // a display name approved there (PATCH /_sim/phone-numbers/{id}) reaches the lifecycle as Meta's would.
  const simulator = await startSimulator({
    port: local.simulatorPort,
    accessToken: local.simulatorAccessToken,
    stateFile: path.join(dataDir, 'simulator-state.json'),
    webhooks: { callbackUrl: metaCallbackUrl, verifyToken: meta.verifyToken, appSecret: meta.appSecret },
  });
  if (simulator.url !== simulatorUrl)
    throw new Error(`the simulator listens on ${simulator.url}, not ${simulatorUrl}`);
  const connection = await NativeConnection.connect({ address: devServer.address });
  const worker = await createWorker({
    config,
    connection,
    accessToken: local.simulatorAccessToken,
    dataConverter,
  });
  const subscription = await simulatorSubscription(simulator.url);
  const metaLine = subscription.verified
    ? `${metaCallbackUrl} ← the simulator is subscribed (verified): its name, quality and account changes reach the lifecycles (verify token ${shownSecret(meta.verifyToken)}, app secret ${shownSecret(meta.appSecret)} from ${meta.source})`
    : `${metaCallbackUrl} served, but the simulator's subscription did not verify: see GET ${simulator.url}/_sim/webhooks`;

  console.log(`
  Temporal server   ${devServer.address} (namespace ${config.temporal.namespace}, data in ${path.relative(ROOT_DIR, dataDir)}/)
  Temporal Web UI   http://localhost:${local.uiPort}
  Graph simulator   ${simulator.url} (admin API under /_sim)
  HTTP API          ${api.url}/v1 (OpenAPI at ${api.url}/openapi.json; loopback only, no API key)
  Meta webhooks     ${metaLine}
  Codec endpoint    ${codecUrl ? `${codecUrl} (payloads encrypted with key "${keyring?.encryptWith}")` : 'none: payloads NOT encrypted'}
  Worker            task queue ${config.temporal.taskQueue}

  Try: npx wa-number register 1234567890 --pin-env WA_PIN --wait   (with WA_PIN=123456)
  Ctrl-C stops everything.
`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: worker, simulator, Temporal server');
    try {
      worker.shutdown();
    } catch {
      // the SDK's own signal handling got there first
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await worker.run();
  } finally {
    await connection.close();
    await simulator.close();
    await api.close();
    await lifecycle.close();
    await devServer.stop();
    console.log('stopped');
  }
}

main().catch((err) => {
  console.error(
    `npm start: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}`,
  );
  process.exit(1);
});
