// A complete stack for one test file: a real Temporal server (the dev server, or the Java time-skipping
// server), the Graph simulator over real HTTP, and a worker with the real activities.
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  DefaultLogger,
  type Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from '../../activities';
import { GraphClient } from '../../activities/graph-client';
import { NumberLifecycleClient } from '../../client';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { accessTokenSource } from '../../platform/access-token';
import { loadConfig, operationPolicy, ROOT_DIR, type AppConfig } from '../../platform/config';
import { createWorker, WORKFLOWS_PATH } from '../../worker/create-worker';
import { sharedWorkflowModules } from '../../worker/shared-workflow-modules';
import { ensureSearchAttributes } from '../../platform/search-attributes';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../../platform/security/data-converter';
import { createRedactingLogger } from '../../platform/logging/text-logger';
import { JsonLogger } from '../../platform/logging/json-logger';
import type { DataConverter, Logger } from '@temporalio/common';
import { temporalCliExecutable, timeSkippingServerExecutable } from '../../scripts/temporal-binaries';
import { SimulatorAdmin } from './simulator-admin';
import { operationReport, type FinishedOperation } from './operation-report';
import { createLedgerRecoveryActivities } from '../../activities/ledger-recovery';
import { createFleetActivities } from '../../activities/fleet-activities';
import {
  createWebhookActivities,
  eventsWantedSource,
  subscriptionSource,
} from '../../activities/webhook-activities';

export const TEST_TOKEN = 'test-access-token';
/** Payload encryption key of the test stacks (WA_ENCRYPTION_KEYS format): 32 bytes, base64. */
export const TEST_ENCRYPTION_KEYS = `test-key-1=${Buffer.alloc(32, 7).toString('base64')}`;

/** Every line the worker and SDK logged in this process (the secrets audit reads it). */
export const capturedLogs: string[] = [];
/** The same entries as logging.format json writes them (kept only, not printed). */
export const capturedJsonLogs: string[] = [];
// The production loggers (redacting), at WARN so test output stays readable: the text one prints and
// keeps its lines, the JSON one keeps its lines.
const textLogger = createRedactingLogger('WARN', (line) => {
  capturedLogs.push(line);
  console.error(line);
});
const jsonLogger = new JsonLogger({
  level: 'WARN',
  destination: { write: (line: string) => void capturedJsonLogs.push(line) },
});
const bothLoggers: Logger = {
  log: (level, message, meta) => {
    textLogger.log(level, message, meta);
    jsonLogger.log(level, message, meta);
  },
  trace: (message, meta) => bothLoggers.log('TRACE', message, meta),
  debug: (message, meta) => bothLoggers.log('DEBUG', message, meta),
  info: (message, meta) => bothLoggers.log('INFO', message, meta),
  warn: (message, meta) => bothLoggers.log('WARN', message, meta),
  error: (message, meta) => bothLoggers.log('ERROR', message, meta),
};
Runtime.install({ logger: bothLoggers });

export interface TestStack {
  env: TestWorkflowEnvironment;
  simulator: RunningSimulator;
  sim: SimulatorAdmin;
  config: AppConfig;
  /** The encrypting data converter shared by the stack's clients and worker. */
  dataConverter: DataConverter;
  client: NumberLifecycleClient;
  worker: Worker;
  /** Waits for an operation's child run to exist, then for its result (time skips meanwhile). */
  /** How the operation ended (the lifecycle runs it): its summary, failure and the requests it sent. */
  operationResult(ticket: { operationId: string }): Promise<FinishedOperation>;
  stop(): Promise<void>;
}

export interface StackOptions {
  timeSkipping?: boolean;
  /** WA_* style overrides, e.g. { WA_GRAPH_REQUEST_TIMEOUT_MS: '1000' }. */
  configEnv?: Record<string, string>;
  /** Extra dev-server flags, e.g. dynamic config. */
  devServerArgs?: string[];
  /** Payload keys (WA_ENCRYPTION_KEYS format); default TEST_ENCRYPTION_KEYS. The replay corpus has its own. */
  encryptionKeys?: string;
  /** Worker options over the product's, e.g. debugMode to run workflows on the main thread (heap benches). */
  workerOverrides?: Partial<WorkerOptions>;
}

let bundle: Awaited<ReturnType<typeof bundleWorkflowCode>> | undefined;
/** The workflows bundled once per test process (extra workers in a test reuse it). */
export async function workflowBundle() {
  bundle ??= await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH, // as the worker's data converter names it
    preloadModules: sharedWorkflowModules(WORKFLOWS_PATH),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

export async function startTestStack(options: StackOptions = {}): Promise<TestStack> {
  // Payloads are encrypted in tests as in production: clients and workers share the test key.
  const { dataConverter } = createDataConverter(loadConfig({ env: {} }), {
    WA_ENCRYPTION_KEYS: options.encryptionKeys ?? TEST_ENCRYPTION_KEYS,
  });
  const env = options.timeSkipping
    ? await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: timeSkippingServerExecutable() },
        client: { dataConverter },
      })
    : await TestWorkflowEnvironment.createLocal({
        client: { dataConverter },
        server: {
          executable: temporalCliExecutable(),
          searchAttributes: ALL_SEARCH_ATTRIBUTES,
          extraArgs: options.devServerArgs,
        },
      });
  // Strict: reject what Meta rejects on our API version (e.g. the region on register from v21).
  const simulator = await startSimulator({
    port: 0,
    accessToken: TEST_TOKEN,
    seed: 'none',
    strictVersionRules: true,
  }).catch(async (err: unknown) => {
    await env.teardown();
    throw err;
  });
  try {
    return await assembleStack(env, simulator, dataConverter, options);
  } catch (err) {
    // Do not leave servers running behind a failed start.
    await simulator.close();
    await env.teardown();
    throw err;
  }
}

async function assembleStack(
  env: TestWorkflowEnvironment,
  simulator: RunningSimulator,
  dataConverter: DataConverter,
  options: StackOptions,
): Promise<TestStack> {
  if (options.timeSkipping) await ensureSearchAttributes(env.connection, 'default');
  const sim = new SimulatorAdmin(simulator.url);
  const address = env.connection.options.address ?? '127.0.0.1:7233';
  const config = loadConfig({
    file: path.join(ROOT_DIR, 'temporal.yaml'),
    env: {
      WA_TEMPORAL_ADDRESS: address,
      WA_TEMPORAL_TASK_QUEUE: `test-${process.pid}`,
      WA_GRAPH_BASE_URL: simulator.url,
      WA_GRAPH_REQUEST_TIMEOUT_MS: '2000',
      WA_POLICY_TRANSIENT_BACKOFF_SECONDS: '0.2',
      // Teardown cancels at once whatever Graph call a test left hanging (production waits 20 s).
      WA_WORKER_SHUTDOWN_GRACE_SECONDS: '0',
      ...options.configEnv,
    },
  });

  let worker: Worker;
  if (options.timeSkipping) {
    // The time-skipping server moves workflow time forward; keep the simulator's clock in step with it
    // so Meta's 72-hour rules see the same time the workflows do.
    const graph = new GraphClient({
      baseUrl: simulator.url,
      apiVersion: config.graph.apiVersion,
      accessToken: TEST_TOKEN,
      timeoutMs: config.graph.requestTimeoutMs,
      blockMs: operationPolicy(config).blockMs,
    });
    // Wired as worker/create-worker.ts wires them: one subscription source for emissions and the policy.
    const webhookDeps = { client: async () => env.client, webhooks: config.webhooks };
    const subscriptions = subscriptionSource(webhookDeps);
    const real = createActivities({
      graph,
      policy: () => operationPolicy(config),
      eventsWanted: eventsWantedSource(subscriptions, config.webhooks),
    });
    const synced = Object.fromEntries(
      Object.entries(real).map(([name, fn]) => [
        name,
        async (...args: unknown[]) => {
          await sim.setClock(Context.current().info.currentAttemptScheduledTimestampMs);
          return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        },
      ]),
    );
    const { Worker: W } = await import('@temporalio/worker');
    worker = await W.create({
      connection: env.nativeConnection,
      taskQueue: config.temporal.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: {
        ...synced,
        ...createLedgerRecoveryActivities({ client: async () => env.client, policy: real.loadPolicy }),
        ...createFleetActivities({ client: async () => env.client, taskQueue: config.temporal.taskQueue }),
        ...createWebhookActivities({ ...webhookDeps, taskQueue: config.temporal.taskQueue, subscriptions }),
      },
      dataConverter,
    });
  } else {
    worker = await createWorker({
      config,
      connection: env.nativeConnection as NativeConnection,
      // A token file in the config (WA_GRAPH_ACCESS_TOKEN_FILE) is read as the worker reads it: again on change.
      accessToken: config.graph.accessTokenFile ? accessTokenSource(config, {}) : TEST_TOKEN,
      workflowBundle: await workflowBundle(),
      dataConverter,
      overrides: options.workerOverrides,
    });
  }
  const client = await NumberLifecycleClient.connect({ config, client: env.client });
  const running = worker.run();
  return {
    env,
    simulator,
    sim,
    config,
    dataConverter,
    client,
    worker,
    operationResult(ticket: { operationId: string }): Promise<FinishedOperation> {
      const phoneNumberId = ticket.operationId.split(':')[1]!;
      return operationReport(env.client, phoneNumberId, ticket.operationId, {
        ...(options.timeSkipping ? { timeSkipping: env } : {}),
      });
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown(); // a test may have shut it down already
      await running;
      await simulator.close();
      await env.teardown();
    },
  };
}

/**
 * The environment of a worker process (`worker/main.ts`) on this stack's server and simulator, with the test
 * token and keys: this process's variables without its WA_* and TEMPORAL_* ones (nor a Temporal profile),
 * plus `extra`.
 */
export function workerProcessEnv(stack: TestStack, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('WA_') && !k.startsWith('TEMPORAL_')) env[k] = v;
  }
  return Object.assign(env, {
    TEMPORAL_CONFIG_FILE: path.join(ROOT_DIR, '.no-temporal-profile', 'temporal.toml'),
    WA_TEMPORAL_ADDRESS: stack.config.temporal.address,
    WA_TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
    WA_GRAPH_BASE_URL: stack.sim.url,
    WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    WA_WORKER_SHUTDOWN_GRACE_SECONDS: '0',
    ...extra,
  });
}
