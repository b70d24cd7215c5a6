// Builds a worker from config: the Graph client gets the access token here, from the worker's own
// environment, and nowhere else.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { GraphClient } from '../activities/graph-client';
import { sharedWorkflowModules } from './shared-workflow-modules';
import { createActivities, HEARTBEAT_EVERY_MS } from '../activities';
import { createFleetActivities } from '../activities/fleet-activities';
import { createLedgerRecoveryActivities } from '../activities/ledger-recovery';
import { countGraphAnswer } from '../activities/graph-metrics';
import {
  createWebhookActivities,
  eventsWantedSource,
  subscriptionSource,
} from '../activities/webhook-activities';
import { operationPolicy, type AppConfig } from '../platform/config';
import type { AccessTokenSource } from '../platform/access-token';
import { configOnlyTarget, type TemporalTarget } from '../platform/temporal-target';
import { tracingWorkerOptions, tracingWorkflowModules } from '../platform/tracing';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Written by `npm run build` beside the compiled code (dist/workflow-bundle.js); absent in a checkout. */
export const PREBUILT_WORKFLOW_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');
/** The same with the tracing workflow interceptors in it (dist/workflow-bundle-tracing.js), run when tracing is on. */
export const PREBUILT_TRACING_WORKFLOW_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle-tracing.js');

export interface CreateWorkerOptions {
  config: AppConfig;
  /** Where `connection` points (resolveTemporalTarget); default: temporal.yaml's values alone (tests, local stack). */
  target?: TemporalTarget;
  connection: NativeConnection;
  /** The token, or its source (platform/access-token.ts), asked at every Graph call: a rotated file applies at once. */
  accessToken: string | AccessTokenSource;
  /**
   * Prebuilt bundle (tests bundle once); otherwise the worker bundles workflows/ at start. With tracing on,
   * a bundle given here must hold the tracing workflow interceptors (tracingWorkflowModules).
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** From createDataConverter: payload encryption. */
  dataConverter: WorkerOptions['dataConverter'];
  /** Overrides for tests (e.g. a different task queue or namespace). */
  overrides?: Partial<WorkerOptions>;
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { config } = options;
  const policy = operationPolicy(config);
  const graph = createGraphClient(config, options.accessToken);
  const target = options.target ?? configOnlyTarget(config);
  const client = lazyClient(target, options.dataConverter);
  const code = workflowCode(options.workflowBundle, config.tracing.enabled);
  // One cached subscription source: for emissions, and for the event types handed out with the policy.
  const subscriptions = subscriptionSource({ client, webhooks: config.webhooks });
  const activities = createActivities({
    graph,
    policy: () => policy,
    eventsWanted: eventsWantedSource(subscriptions, config.webhooks),
    onPremTimeoutMs: config.graph.requestTimeoutMs,
    abortSignal: currentActivitySignal,
  });
  return Worker.create({
    connection: options.connection,
    namespace: target.namespace,
    taskQueue: config.temporal.taskQueue,
    ...code,
    ...tracingOptions(config, code),
    activities: {
      ...activities,
      ...createFleetActivities({ client, taskQueue: config.temporal.taskQueue }),
      ...createLedgerRecoveryActivities({ client, policy: activities.loadPolicy }),
      ...createWebhookActivities({
        client,
        taskQueue: config.temporal.taskQueue,
        webhooks: config.webhooks,
        abortSignal: currentActivitySignal,
        subscriptions,
      }),
    },
    dataConverter: options.dataConverter,
    // Meta's app-level rate limits apply across all our workers: cap Graph calls on the task queue.
    maxTaskQueueActivitiesPerSecond: config.graph.maxRequestsPerSecond,
    ...workerDeploymentOptions(config),
    ...workerTuningOptions(config),
    ...(config.temporal.maxCachedWorkflows > 0
      ? { maxCachedWorkflows: config.temporal.maxCachedWorkflows }
      : {}),
    ...options.overrides,
  });
}

/** Where this worker's workflow code comes from, for its start-up line. */
export function workflowCodeSource(tracing = false): string {
  const prebuilt = tracing ? PREBUILT_TRACING_WORKFLOW_BUNDLE : PREBUILT_WORKFLOW_BUNDLE;
  return existsSync(PREBUILT_WORKFLOW_BUNDLE)
    ? `prebuilt workflow bundle ${prebuilt}`
    : `workflows bundled from ${path.dirname(WORKFLOWS_PATH)} at start`;
}

/**
 * The bundle given, else the build's prebuilt one, else the sources (bundled now, a few seconds). The SDK
 * ignores interceptor modules beside a bundle: the build makes a second bundle with them, for tracing.
 */
function workflowCode(given: WorkerOptions['workflowBundle'], tracing: boolean): Partial<WorkerOptions> {
  if (given) return { workflowBundle: given };
  if (existsSync(PREBUILT_WORKFLOW_BUNDLE)) {
    return {
      workflowBundle: { codePath: tracing ? PREBUILT_TRACING_WORKFLOW_BUNDLE : PREBUILT_WORKFLOW_BUNDLE },
    };
  }
  return {
    workflowsPath: WORKFLOWS_PATH,
    bundlerOptions: { preloadModules: sharedWorkflowModules(WORKFLOWS_PATH) },
  };
}

/**
 * Tracing (platform/tracing): activity interceptors, the workflow span sink, and the workflow interceptor
 * module when the workflows are bundled here. Nothing at all when tracing is off.
 */
export function tracingOptions(config: AppConfig, code: Partial<WorkerOptions>): Partial<WorkerOptions> {
  const { interceptors, sinks } = tracingWorkerOptions(config.tracing);
  if (!interceptors) return {};
  const workflowModules = code.workflowsPath ? tracingWorkflowModules(config.tracing) : [];
  return { interceptors: { ...interceptors, workflowModules }, sinks };
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

/**
 * The running activity's cancellation signal, given to every HTTP call it makes; none outside an activity.
 * It fires when the workflow cancels the activity, when a heartbeat finds it timed out or gone, and when
 * the worker shuts down (after worker.shutdownGraceSeconds): the call is then aborted, not left running.
 */
function currentActivitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** The Graph client of the activities (and of the start-up token check), its calls aborted with their activity. */
export function createGraphClient(config: AppConfig, accessToken: string | AccessTokenSource): GraphClient {
  return new GraphClient({
    baseUrl: config.graph.baseUrl,
    apiVersion: config.graph.apiVersion,
    ...(typeof accessToken === 'string'
      ? { accessToken }
      : { accessToken: () => accessToken.current(), accessTokenOrigin: accessToken.origin }),
    timeoutMs: config.graph.requestTimeoutMs,
    blockMs: operationPolicy(config).blockMs,
    storageStatusCase: config.graph.storageStatusCase,
    abortSignal: currentActivitySignal,
    onAnswer: countGraphAnswer,
  });
}

/** Task slots, pollers and the shutdown grace from the `worker` section of temporal.yaml. */
export function workerTuningOptions(config: AppConfig): Partial<WorkerOptions> {
  const w = config.worker;
  // A worker cannot run more workflow tasks than it caches: a smaller cache (temporal.maxCachedWorkflows,
  // set to bound memory) lowers the workflow slots, and the pollers with them.
  const cached = config.temporal.maxCachedWorkflows;
  const workflowSlots =
    cached > 0
      ? Math.min(w.maxConcurrentWorkflowTaskExecutions, cached)
      : w.maxConcurrentWorkflowTaskExecutions;
  return {
    maxConcurrentActivityTaskExecutions: w.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: workflowSlots,
    workflowTaskPollerBehavior: {
      type: 'simple-maximum',
      maximum: Math.min(w.workflowTaskPollers, workflowSlots),
    },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: w.activityTaskPollers },
    // After the grace the SDK cancels running activities; their signal aborts the Graph call in flight.
    shutdownGraceTime: w.shutdownGraceSeconds * 1000,
    // A cancel reaches an activity only in the answer to a heartbeat, and by default the SDK holds
    // heartbeats back for 0.8 × the 30 s heartbeat timeout: let each one through, so a cancelled call is
    // aborted within one heartbeat interval (10 s) rather than up to ~34 s later.
    maxHeartbeatThrottleInterval: HEARTBEAT_EVERY_MS,
  };
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
