// Builds a worker from config: the Graph client gets the access token here, from the worker's own
// environment, and nowhere else.
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { GraphClient } from '../activities/graph-client';
import { createActivities } from '../activities';
import { createFleetActivities } from '../activities/fleet-activities';
import { createLedgerRecoveryActivities } from '../activities/ledger-recovery';
import { operationPolicy, type AppConfig } from '../platform/config';
import { configOnlyTarget, type TemporalTarget } from '../platform/temporal-target';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface CreateWorkerOptions {
  config: AppConfig;
  /** Where `connection` points (resolveTemporalTarget); default: temporal.yaml's values alone (tests, local stack). */
  target?: TemporalTarget;
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
  const target = options.target ?? configOnlyTarget(config);
  const client = lazyClient(target, options.dataConverter);
  return Worker.create({
    connection: options.connection,
    namespace: target.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
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
function lazyClient(
  target: TemporalTarget,
  dataConverter: WorkerOptions['dataConverter'],
): () => Promise<Client> {
  let client: Promise<Client> | undefined;
  return () =>
    (client ??= Connection.connect(target.connection).then(
      (connection) => new Client({ connection, namespace: target.namespace, dataConverter }),
    ));
}
