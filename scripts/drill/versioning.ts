// Worker Versioning as the upgrade drill sees it: the deployment's current version (set through the
// workflow service, as `temporal worker deployment set-current-version` does), a version's drainage, the
// pinned workflows still open on it, and every workflow history the drill touched (task failures, which
// build completed each workflow task, patch markers).
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { sleep, withTimeout } from './processes';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

export function timestampMs(ts: Timestamp): number | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const s = ts.seconds as number | string | { toNumber(): number };
  const seconds = typeof s === 'object' ? s.toNumber() : Number(s);
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

const enums = temporal.api.enums.v1;

/**
 * An enum value as its name without the prefix (VERSIONING_BEHAVIOR_PINNED -> PINNED). The workflow
 * service answers with numbers, decoded histories sometimes with names: both are handled.
 */
export function enumName(value: unknown, values: Record<number, string>, prefix: string): string {
  if (value === undefined || value === null) return '-';
  const name = typeof value === 'number' ? (values[value] ?? String(value)) : String(value);
  return name.replace(prefix, '');
}

export const behaviorName = (v: unknown) => enumName(v, enums.VersioningBehavior, 'VERSIONING_BEHAVIOR_');

export interface SetCurrentResult {
  attempts: number;
  tookMs: number;
  /** The first refusal, if any (e.g. the version not registered yet). */
  firstRefusal?: string;
  previousVersion?: string;
}

/**
 * Makes `buildId` the deployment's current version, retrying while the server refuses it (a version exists
 * only once one of its workers has polled, and the server may take a moment to register that poll).
 */
export async function setCurrentVersion(
  client: Client,
  namespace: string,
  deploymentName: string,
  buildId: string,
  timeoutMs = 60_000,
): Promise<SetCurrentResult> {
  const t0 = Date.now();
  let firstRefusal: string | undefined;
  for (let attempts = 1; ; attempts++) {
    try {
      const response = await withTimeout(
        'setWorkerDeploymentCurrentVersion',
        client.workflowService.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName,
          buildId,
          identity: `wa-drill-${process.pid}`,
        }),
        10_000,
      );
      const previous = response.previousDeploymentVersion;
      return {
        attempts,
        tookMs: Date.now() - t0,
        firstRefusal,
        previousVersion: previous?.buildId
          ? `${previous.deploymentName}:${previous.buildId}`
          : response.previousVersion || undefined,
      };
    } catch (err) {
      const message = (err as Error).message.split('\n')[0] ?? '';
      firstRefusal ??= message;
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(
          `could not make ${deploymentName}:${buildId} current within ${Math.round(timeoutMs / 1000)} s ` +
            `(${attempts} attempts; first refusal: ${firstRefusal}; last: ${message})`,
          { cause: err },
        );
      }
      await sleep(500);
    }
  }
}

export interface VersionState {
  status: string;
  drainage: string;
  drainageCheckedAt?: number;
  /** NOT_FOUND answers before this one (the server answered so now and then for an existing version). */
  notFound: number;
}

const GRPC_NOT_FOUND = 5;

/** The version's status and drainage; a NOT_FOUND is asked again for up to `retryMs` (and counted). */
export async function describeVersion(
  client: Client,
  namespace: string,
  deploymentName: string,
  buildId: string,
  retryMs = 20_000,
): Promise<VersionState> {
  const t0 = Date.now();
  let notFound = 0;
  let r;
  for (;;) {
    try {
      r = await withTimeout(
        'describeWorkerDeploymentVersion',
        client.workflowService.describeWorkerDeploymentVersion({
          namespace,
          deploymentVersion: { deploymentName, buildId },
        }),
        10_000,
      );
      break;
    } catch (err) {
      if ((err as { code?: number }).code !== GRPC_NOT_FOUND || Date.now() - t0 > retryMs) throw err;
      notFound++;
      await sleep(500);
    }
  }
  const info = r.workerDeploymentVersionInfo;
  return {
    status: enumName(info?.status, enums.WorkerDeploymentVersionStatus, 'WORKER_DEPLOYMENT_VERSION_STATUS_'),
    drainage: info?.drainageInfo?.status
      ? enumName(info.drainageInfo.status, enums.VersionDrainageStatus, 'VERSION_DRAINAGE_STATUS_')
      : 'none',
    drainageCheckedAt: timestampMs(info?.drainageInfo?.lastCheckedTime),
    notFound,
  };
}

/** When the deployment's current version last changed (server time), and what it is. */
export async function currentVersion(
  client: Client,
  namespace: string,
  deploymentName: string,
): Promise<{ buildId?: string; changedAt?: number }> {
  const r = await client.workflowService.describeWorkerDeployment({ namespace, deploymentName });
  const routing = r.workerDeploymentInfo?.routingConfig;
  return {
    buildId: routing?.currentDeploymentVersion?.buildId ?? undefined,
    changedAt: timestampMs(routing?.currentVersionChangedTime),
  };
}

/** Visibility query: running workflows pinned to the version. */
export function pinnedRunningQuery(deploymentName: string, buildId: string): string {
  return (
    `TemporalWorkerDeploymentVersion = '${deploymentName}:${buildId}' AND ` +
    `TemporalWorkflowVersioningBehavior = 'Pinned' AND ExecutionStatus = 'Running'`
  );
}

export async function listIds(client: Client, query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

export interface WorkflowTaskDone {
  /** When the task was started by a worker (server time). */
  startedAt: number;
  completedAt: number;
  buildId: string;
  behavior: string;
}

export interface RunHistory {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startedAt: number;
  /** The run it continued (continue-as-new). */
  continuedFrom?: string;
  /** Started as a child of this workflow. */
  parent?: string;
  taskFailures: string[];
  tasks: WorkflowTaskDone[];
  /** Activity tasks: when a worker started each (server time), its identity and build stamp if any. */
  activities: { startedAt: number; identity: string; buildId?: string }[];
  /** Patch IDs recorded in the run, with the build that completed the task recording it. */
  patches: { id: string; at: number; buildId?: string }[];
  events: number;
}

/** Every run in the namespace (the drill's own dev server): each history read and summarized. */
export async function readAllHistories(client: Client, concurrency = 6): Promise<RunHistory[]> {
  const runs: { workflowId: string; runId: string; type: string; status: string }[] = [];
  for await (const wf of client.workflow.list()) {
    runs.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type, status: wf.status.name });
  }
  const out: RunHistory[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const run = runs[next++]!;
      const history = await withTimeout(
        `history of ${run.workflowId}`,
        client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(),
        60_000,
      );
      out.push(summarizeHistory(run, history.events ?? []));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out.sort((a, b) => a.startedAt - b.startedAt);
}

function summarizeHistory(
  run: { workflowId: string; runId: string; type: string; status: string },
  events: HistoryEvent[],
): RunHistory {
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const result: RunHistory = {
    ...run,
    startedAt: timestampMs(events[0]?.eventTime) ?? 0,
    continuedFrom: started?.continuedExecutionRunId || undefined,
    parent: started?.parentWorkflowExecution?.workflowId || undefined,
    taskFailures: [],
    tasks: [],
    activities: [],
    patches: [],
    events: events.length,
  };
  let lastBuild: string | undefined;
  for (const e of events) {
    const failed = e.workflowTaskFailedEventAttributes;
    if (failed) {
      result.taskFailures.push(
        `event ${Number(e.eventId)}: ${enumName(failed.cause, enums.WorkflowTaskFailedCause, 'WORKFLOW_TASK_FAILED_CAUSE_')}: ` +
          `${(failed.failure?.message ?? '').split('\n')[0]}`,
      );
    }
    const done = e.workflowTaskCompletedEventAttributes;
    if (done) {
      const startedEvent = byId.get(Number(done.startedEventId));
      lastBuild = done.deploymentVersion?.buildId || done.workerVersion?.buildId || 'unversioned';
      result.tasks.push({
        startedAt: timestampMs(startedEvent?.eventTime) ?? 0,
        completedAt: timestampMs(e.eventTime) ?? 0,
        buildId: lastBuild,
        behavior: behaviorName(done.versioningBehavior),
      });
    }
    const activity = e.activityTaskStartedEventAttributes;
    if (activity) {
      result.activities.push({
        startedAt: timestampMs(e.eventTime) ?? 0,
        identity: activity.identity ?? '',
        buildId: activity.workerVersion?.buildId || undefined,
      });
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      const payload = marker.details?.['patch-data']?.payloads?.[0];
      result.patches.push({
        id: decodePatchId(payload),
        at: timestampMs(e.eventTime) ?? 0,
        // Markers follow the WorkflowTaskCompleted of the task that recorded them.
        buildId: lastBuild,
      });
    }
  }
  return result;
}

function decodePatchId(payload: temporal.api.common.v1.IPayload | undefined): string {
  if (!payload?.data) return '(no payload)';
  const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : '';
  const text = Buffer.from(payload.data).toString('utf8');
  try {
    const value = JSON.parse(text) as { id?: string } | string;
    return typeof value === 'string' ? value : (value.id ?? text);
  } catch {
    return `(undecodable ${encoding || 'payload'})`;
  }
}
