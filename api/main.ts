// `npm run api`: the HTTP API in front of the client library, against whatever the WA_* environment
// variables, the Temporal profile and temporal.yaml point to (platform/temporal-target.ts). Also serves
// the Temporal UI codec endpoint under /codec when a payload key is configured. API keys: WA_API_KEYS or
// WA_API_KEYS_FILE; without any, loopback only.
import { ConfigError, loadConfig } from '../platform/config';
import { describeTarget, targetFromEnvironment } from '../platform/temporal-target';
import { temporalReadiness } from '../platform/readiness';
import { createDataConverter } from '../platform/security/data-converter';
import { EncryptionKeyError } from '../platform/security/encryption-keys';
import { NumberLifecycleClient, TemporalUnreachableError, WebhookSubscriptionsClient } from '../client/index';
import { ApiConfigError, loadApiSettings } from './config';
import { createApiServer } from './server';
import { logRequestTo } from './request-log';
import { createProcessLog, jsonLoggerFor } from '../platform/logging/setup';
import { flushTracing } from '../platform/tracing';
import type { CodecEndpointOptions } from './codec-endpoint';
import { readMetaWebhookSecrets } from '../platform/meta-webhook-secrets';
import { temporalMetaWebhookIntake } from './meta-webhook-intake';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadApiSettings();
  const jsonLogger = jsonLoggerFor(config.logging); // undefined in text mode
  const log = createProcessLog('api', jsonLogger);
  const { dataConverter, keyring } = createDataConverter(config);
  const payloadCodec = keyring ? dataConverter.payloadCodecs?.[0] : undefined;
  const codec: CodecEndpointOptions | undefined = payloadCodec
    ? {
        codec: payloadCodec,
        allowedOrigins: config.security.codecAllowedOrigins,
        authToken: process.env[config.security.codecAuthTokenEnv]?.trim() || undefined,
        basePath: '/codec',
      }
    : undefined;

  const metaSecrets = readMetaWebhookSecrets(config); // before connecting: a missing secret stops start-up
  const target = targetFromEnvironment(config);
  const lifecycle = await NumberLifecycleClient.connect({ config, target });
  const api = await createApiServer({
    lifecycle,
    webhooks: new WebhookSubscriptionsClient(lifecycle.client, lifecycle.taskQueue, config.webhooks),
    apiKeys: settings.apiKeys,
    host: settings.host,
    port: settings.port,
    codec,
    rateLimit: { max: settings.rateLimitPerMinute, windowMs: 60_000 },
    ...(settings.publicUrl ? { publicUrls: [{ url: settings.publicUrl }] } : {}),
    log: (line) => console.log(`api: ${line}`),
    readiness: temporalReadiness(lifecycle.client.connection, target.namespace, target.connection.address),
    ...(jsonLogger ? { logRequest: logRequestTo(jsonLogger) } : {}),
    ...(metaSecrets
      ? {
          metaWebhooks: {
            ...metaSecrets,
            intake: temporalMetaWebhookIntake(lifecycle.client, lifecycle.taskQueue),
            log: (line: string) => log(line),
          },
        }
      : {}),
  }).catch(async (err: unknown) => {
    await lifecycle.close();
    throw err;
  });
  log(
    `listening on ${api.url} (Temporal ${describeTarget(target)}); ` +
      (settings.apiKeys.length
        ? `API key required (${settings.apiKeys.length} key(s) from ${settings.keySources.join(' and ')})`
        : 'NO authentication: listening on loopback only (set WA_API_KEYS or WA_API_KEYS_FILE to require a key)') +
      `; OpenAPI at ${api.url}/openapi.json` +
      (codec ? `; codec endpoint at ${api.url}/codec` : ''),
    { url: api.url },
  );

  const stop = (signal: string) => {
    log(`${signal}, closing`);
    void api
      .close()
      .then(() => lifecycle.close())
      .then(() => flushTracing())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof EncryptionKeyError ||
    err instanceof ApiConfigError ||
    (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE'
  ) {
    console.error(`api: configuration error: ${(err as Error).message}`);
    process.exit(2);
  }
  if (err instanceof TemporalUnreachableError) {
    console.error(`api: ${err.message}`);
    process.exit(3);
  }
  console.error(`api: ${err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err)}`);
  process.exit(1);
});
