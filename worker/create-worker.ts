// Builds a worker from config: the Graph client gets the access token here, from the worker's own
// environment, and nowhere else.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { GraphClient } from '../activities/graph-client';
import { createActivities } from '../activities';
import { createFleetActivities } from '../activities/fleet-activities';
import { createLedgerRecoveryActivities } from '../activities/ledger-recovery';
import { operationPolicy, type AppConfig } from '../platform/config';
import { temporalConnectionOptions } from '../platform/connection';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Written by `npm run build` beside the compiled code (dist/workflow-bundle.js); absent in a checkout. */
export const PREBUILT_WORKFLOW_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');

export interface CreateWorkerOptions {
  config: AppConfig;
  connection: NativeConnection;
  accessToken: string;
  /** Prebuilt bundle (tests bundle once); otherwise the worker bundles workflows/ at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** From createDataConverter: payload encryption. */
  dataConverter: WorkerOptions['dataConverter'];
  /** Overrides for tests (e.g. a different task queue or namespace). */
  overrides?: Partial<WorkerOptions>;
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { config } = options;
  const policy = operationPolicy(config);
  const graph = new GraphClient({
    baseUrl: config.graph.baseUrl,
    apiVersion: config.graph.apiVersion,
    accessToken: options.accessToken,
    timeoutMs: config.graph.requestTimeoutMs,
    blockMs: policy.blockMs,
    storageStatusCase: config.graph.storageStatusCase,
    abortSignal: currentActivitySignal,
  });
  const client = lazyClient(config, options.dataConverter);
  return Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflowCode(options.workflowBundle),
    activities: {
      ...createActivities({
        graph,
        policy: () => policy,
        onPremTimeoutMs: config.graph.requestTimeoutMs,
      }),
      ...createFleetActivities({ client, taskQueue: config.temporal.taskQueue }),
      ...createLedgerRecoveryActivities({ client }),
    },
    dataConverter: options.dataConverter,
    // Meta's app-level rate limits apply across all our workers: cap Graph calls on the task queue.
    maxTaskQueueActivitiesPerSecond: config.graph.maxRequestsPerSecond,
    ...workerDeploymentOptions(config),
    ...(config.temporal.maxCachedWorkflows > 0
      ? { maxCachedWorkflows: config.temporal.maxCachedWorkflows }
      : {}),
    ...options.overrides,
  });
}

/** Where this worker's workflow code comes from, for its start-up line. */
export function workflowCodeSource(): string {
  return existsSync(PREBUILT_WORKFLOW_BUNDLE)
    ? `prebuilt workflow bundle ${PREBUILT_WORKFLOW_BUNDLE}`
    : `workflows bundled from ${path.dirname(WORKFLOWS_PATH)} at start`;
}

/** The bundle given, else the build's prebuilt one, else the sources (bundled now, a few seconds). */
function workflowCode(given: WorkerOptions['workflowBundle']): Partial<WorkerOptions> {
  if (given) return { workflowBundle: given };
  if (existsSync(PREBUILT_WORKFLOW_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE } };
  return { workflowsPath: WORKFLOWS_PATH };
}

/**
 * Worker Versioning (temporal.workerVersioning): lifecycles follow the current build (AUTO_UPGRADE, the
 * default here); operation runs and fleets declare PINNED in their own modules and stay on their build.
 */
function workerDeploymentOptions(config: AppConfig): Partial<WorkerOptions> {
  const v = config.temporal.workerVersioning;
  if (!v.enabled) return {};
  return {
    workerDeploymentOptions: {
      version: { deploymentName: v.deploymentName, buildId: v.buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  };
}

/** The running activity's cancellation signal; none outside an activity. */
function currentActivitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** The client of the fleet and ledger-recovery activities, connected on first use with the worker's data converter (payloads stay encrypted). */
function lazyClient(config: AppConfig, dataConverter: WorkerOptions['dataConverter']): () => Promise<Client> {
  let client: Promise<Client> | undefined;
  return () =>
    (client ??= Connection.connect(temporalConnectionOptions(config)).then(
      (connection) => new Client({ connection, namespace: config.temporal.namespace, dataConverter }),
    ));
}
