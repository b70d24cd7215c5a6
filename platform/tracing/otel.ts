// The OpenTelemetry side of tracing, loaded only when tracing.enabled (./index): one tracer provider per
// process, batching spans to the OTLP/HTTP endpoint (JSON), and the SDK's Temporal interceptors using it.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { TracingConfig } from './index';

interface Started {
  provider: BasicTracerProvider;
  processor: SpanProcessor;
  resource: Resource;
}
let started: Started | undefined;

/** The provider, registered globally (context across awaits, W3C trace context) on first use. */
function start(tracing: TracingConfig): Started {
  if (started) return started;
  const resource = new Resource({ 'service.name': tracing.serviceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.otlpEndpoint }));
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  // The client interceptor reads the active span to put it in the workflow's headers: it needs a context manager.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  started = { provider, processor, resource };
  return started;
}

export function clientInterceptor(tracing: TracingConfig): WorkflowClientInterceptor {
  const { provider } = start(tracing);
  return new OpenTelemetryWorkflowClientInterceptor({ tracer: provider.getTracer('temporal-client') });
}

export function workerOptions(tracing: TracingConfig): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const { provider, processor, resource } = start(tracing);
  const tracer = provider.getTracer('temporal-activity');
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: workflowSpanSink(processor, resource) },
  };
}

/** What of a workflow's info its spans carry: names and IDs. */
const SPAN_INFO_KEYS = ['workflowId', 'runId', 'workflowType', 'taskQueue', 'namespace', 'attempt'] as const;

/**
 * Spans made inside the workflow sandbox leave it through this sink, into the same processor. The SDK's
 * sink copies the whole workflow info into every span, memo included, and a lifecycle's memo holds the
 * open operation's request (its PIN): only the keys above go through.
 */
export function workflowSpanSink(
  processor: SpanProcessor,
  resource: Resource,
): ReturnType<typeof makeWorkflowExporter> {
  const sdk = makeWorkflowExporter(processor, resource);
  const fn: typeof sdk.export.fn = (info, spans) => {
    const kept = Object.fromEntries(SPAN_INFO_KEYS.map((k) => [k, info[k]])) as unknown as WorkflowInfo;
    return sdk.export.fn(kept, spans);
  };
  return { export: { ...sdk.export, fn } };
}

export async function flush(): Promise<void> {
  await started?.provider.forceFlush();
}
