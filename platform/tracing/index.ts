// Tracing (tracing: in temporal.yaml), off by default. This module loads no OpenTelemetry package: with
// tracing off the worker and clients get no interceptor and no sink; on, ./otel starts the process's
// tracer provider on first use and hands out the SDK's interceptors.
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { AppConfig } from '../config';

export type TracingConfig = AppConfig['tracing'];

/** The client interceptor that starts a trace at each workflow start, update or signal; none when off. */
export function tracingClientInterceptors(tracing: TracingConfig): WorkflowClientInterceptor[] {
  return tracing.enabled ? [otel().clientInterceptor(tracing)] : [];
}

/** Activity interceptors and the sink that exports workflow spans; {} when off. */
export function tracingWorkerOptions(tracing: TracingConfig): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return tracing.enabled ? otel().workerOptions(tracing) : {};
}

/** The workflow interceptor module, bundled with the workflows when tracing is on (none when off). */
export function tracingWorkflowModules(tracing: TracingConfig): string[] {
  return tracing.enabled ? [WORKFLOW_INTERCEPTORS_MODULE] : [];
}

/** The SDK's workflow interceptors (inbound, outbound, internals): a path, nothing loaded. */
export const WORKFLOW_INTERCEPTORS_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Sends the spans still buffered (before exit); nothing when tracing never started. */
export async function flushTracing(): Promise<void> {
  await loaded?.flush();
}

let loaded: typeof import('./otel') | undefined;
function otel(): typeof import('./otel') {
  // Required on first use, not imported: a process with tracing off never loads OpenTelemetry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./otel') as typeof import('./otel');
  return loaded;
}
