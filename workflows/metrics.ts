// The lifecycle's own metrics, emitted through the SDK's workflow metric meter: it lands on the worker's
// Prometheus endpoint beside the SDK's metrics, and the SDK drops what a replay would emit twice. Labels are
// fixed sets only (domain/metric-names.ts): never the number's ID.
import { metricMeter } from '@temporalio/workflow';
import type { BudgetedEndpoint } from '../domain/ledger';
import {
  NO_FAILURE,
  WorkerMetric,
  type OperationMetricOutcome,
  type WaitReasonName,
} from '../domain/metric-names';
import type { OperationKind, OperationReport } from '../domain/operations';

export function countOperationStarted(operation: OperationKind): void {
  metricMeter
    .createCounter(WorkerMetric.OperationsStarted, '', 'Operations that began to run')
    .add(1, { operation });
}

export function countOperationFinished(operation: OperationKind, report: OperationReport): void {
  const outcome: OperationMetricOutcome = report.failure
    ? 'failed'
    : report.outcome === 'already-done'
      ? 'already_done'
      : 'completed';
  metricMeter
    .createCounter(WorkerMetric.OperationsFinished, '', 'Operations that ended, by outcome and failure type')
    .add(1, { operation, outcome, failure_type: report.failure?.type ?? NO_FAILURE });
}

/** A register or deregister the ledger counts: Meta's budget actually spent. */
export function countBudgetRequestSent(endpoint: BudgetedEndpoint): void {
  metricMeter
    .createCounter(
      WorkerMetric.BudgetRequestsSent,
      '',
      "Register and deregister requests sent, as the ledger counts them against Meta's 10 per 72 h",
    )
    .add(1, { endpoint });
}

export function countWaitEntered(reason: WaitReasonName): void {
  metricMeter
    .createCounter(WorkerMetric.WaitsEntered, '', 'Durable waits begun, by reason')
    .add(1, { reason });
}
