// Tracing off (the default) configures nothing and loads no OpenTelemetry package; on, the worker gets the
// SDK's activity interceptors, the workflow span sink, and the workflow module only where it bundles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../platform/config';
import { tracingClientInterceptors, WORKFLOW_INTERCEPTORS_MODULE } from '../../platform/tracing';
import { tracingOptions, WORKFLOWS_PATH } from '../../worker/create-worker';

const otelLoaded = () => Object.keys(require.cache).some((m) => m.includes('@opentelemetry'));

test('tracing off: no interceptor, no sink, no OpenTelemetry module loaded', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.tracing.enabled, false);
  assert.deepEqual(tracingOptions(config, { workflowsPath: WORKFLOWS_PATH }), {});
  assert.deepEqual(tracingClientInterceptors(config.tracing), []);
  assert.equal(otelLoaded(), false);
});

test('tracing on: activity interceptors and the exporter sink; the workflow module only when bundling at start', () => {
  const config = loadConfig({ env: { WA_TRACING_ENABLED: 'true' } });
  const bundling = tracingOptions(config, { workflowsPath: WORKFLOWS_PATH });
  assert.equal(bundling.interceptors?.activity?.length, 1);
  assert.deepEqual(bundling.interceptors?.workflowModules, [WORKFLOW_INTERCEPTORS_MODULE]);
  assert.deepEqual(Object.keys(bundling.sinks ?? {}), ['exporter']);
  // A prebuilt bundle carries the module itself (dist/workflow-bundle-tracing.js): the SDK would ignore it.
  const prebuilt = tracingOptions(config, { workflowBundle: { codePath: '/x.js' } });
  assert.deepEqual(prebuilt.interceptors?.workflowModules, []);
  assert.equal(tracingClientInterceptors(config.tracing).length, 1);
  assert.equal(otelLoaded(), true);
});

test("workflow spans carry the workflow's IDs and types, not its memo (a lifecycle's open operation holds the PIN)", async () => {
  // Required here, not imported: the first test checks that nothing loaded OpenTelemetry.
  const { workflowSpanSink } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../platform/tracing/otel') as typeof import('../../platform/tracing/otel');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const ended: { attributes: Record<string, unknown> }[] = [];
  const processor = {
    onEnd: (span: never) => void ended.push(span),
    onStart() {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const sink = workflowSpanSink(processor, new Resource({}));
  const info = {
    workflowId: 'phone-number:1',
    runId: 'r1',
    workflowType: 'phoneNumberLifecycle',
    taskQueue: 'q',
    namespace: 'default',
    attempt: 1,
    memo: { lifecycle: { open: { request: { operation: 'migrate', pin: '482915' } } } },
    searchAttributes: {},
  };
  const span = {
    name: 'HandleUpdate:x',
    attributes: { temporalUpdateId: 'u1' },
    spanContext: { traceId: 't', spanId: 's', traceFlags: 1 },
  };
  await sink.export.fn(info as never, [span] as never);
  assert.deepEqual(Object.keys(ended[0]!.attributes).sort(), [
    'attempt',
    'namespace',
    'runId',
    'taskQueue',
    'temporalUpdateId',
    'workflowId',
    'workflowType',
  ]);
  assert.ok(!JSON.stringify(ended).includes('482915'));
});
