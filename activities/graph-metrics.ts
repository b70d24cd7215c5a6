// Counts Graph answers on the running activity's metric meter: the SDK sends them to the worker's
// Prometheus endpoint with the activity's type, namespace and task queue as labels. A call made outside an
// activity (the worker's start-up token check) is not counted.
import { Context } from '@temporalio/activity';
import { WorkerMetric, type GraphEndpointName } from '../domain/metric-names';

export function countGraphAnswer(endpoint: GraphEndpointName, errorCode: string): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return;
  }
  context.metricMeter
    .createCounter(WorkerMetric.GraphRequests, '', 'Graph API requests, by endpoint and Graph error code')
    .add(1, { endpoint, error_code: errorCode });
}
