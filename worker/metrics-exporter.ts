// The worker's Prometheus endpoint (metrics.workerPort): the SDK's Core runtime serves it, so the SDK's own
// metrics and ours (emitted through its metric meters in workflows and activities) share one /metrics.
import { Client, Connection } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import type { AppConfig } from '../platform/config';
import type { TemporalTarget } from '../platform/temporal-target';
import { WorkerMetric } from '../domain/metric-names';
import { WaLifecycleState } from '../domain/search-attributes';

/** host:port for the exporter to bind (an IPv6 host in brackets), or undefined when metrics are off. */
export function metricsBindAddress(config: AppConfig): string | undefined {
  const { host, workerPort } = config.metrics;
  if (workerPort === 0) return undefined;
  return `${host.includes(':') ? `[${host}]` : host}:${workerPort}`;
}

/**
 * The Runtime's telemetry options for metrics, to spread into Runtime.install (empty when off). Prometheus
 * conventions: `_total` on counters, the unit on histograms, durations in seconds.
 */
export function metricsRuntimeOptions(config: AppConfig): Pick<RuntimeOptions, 'telemetryOptions'> {
  const bindAddress = metricsBindAddress(config);
  if (!bindAddress) return {};
  return {
    telemetryOptions: {
      metrics: {
        prometheus: {
          bindAddress,
          countersTotalSuffix: true,
          unitSuffix: true,
          useSecondsForDurations: true,
        },
      },
    },
  };
}

/** Numbers whose lifecycle says they are offline now: deregistered (or On-Prem down) mid-operation. */
export const OFFLINE_QUERY =
  `WorkflowType = "phoneNumberLifecycle" AND ExecutionStatus = "Running" AND ` +
  `${WaLifecycleState.name} IN ("offline", "waiting-for-pin")`;

/**
 * Keeps wa_numbers_offline at the count Temporal's visibility gives, every `everyMs`. Counted, not added up
 * from transitions: a worker restart or a lifecycle moving to another worker cannot make it drift. Every
 * worker reports the same namespace-wide number: aggregate with max(), not sum().
 */
export function startOfflineGauge(options: {
  client: () => Promise<Client>;
  namespace: string;
  meter: MetricMeter;
  everyMs: number;
  log: (line: string) => void;
}): { stop(): void } {
  const gauge = options.meter.createGauge(
    WorkerMetric.NumbersOffline,
    'int',
    '',
    'Numbers whose lifecycle shows them offline now (namespace-wide, from visibility)',
  );
  let failing = false;
  const refresh = async () => {
    try {
      const { count } = await (await options.client()).workflow.count(OFFLINE_QUERY);
      gauge.set(count, { namespace: options.namespace });
      failing = false;
    } catch (err) {
      // Said once per outage, not every interval; the gauge keeps its last value meanwhile.
      if (!failing) options.log(`could not count offline numbers: ${(err as Error).message}`);
      failing = true;
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), options.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * What main.ts starts beside the worker when metrics are on: the offline gauge, on a client of its own
 * (connected on first use, closed by stop). Undefined when metrics.workerPort is 0.
 */
export function startWorkerMetrics(
  config: AppConfig,
  target: TemporalTarget,
  log: (line: string) => void,
): { url: string; stop(): Promise<void> } | undefined {
  const bindAddress = metricsBindAddress(config);
  if (!bindAddress) return undefined;
  let connection: Promise<Connection> | undefined;
  const client = async () =>
    new Client({
      connection: await (connection ??= Connection.connect(target.connection)),
      namespace: target.namespace,
    });
  const gauge = startOfflineGauge({
    client,
    namespace: target.namespace,
    meter: Runtime.instance().metricMeter,
    everyMs: config.metrics.offlineRefreshSeconds * 1000,
    log,
  });
  return {
    url: `http://${bindAddress}/metrics`,
    async stop() {
      gauge.stop();
      await (await connection)?.close();
    },
  };
}
