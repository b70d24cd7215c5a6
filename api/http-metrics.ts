// The HTTP API's Prometheus metrics: requests by route and status, and a latency histogram, in the text
// exposition format (version 0.0.4). A few dozen lines instead of a dependency: one counter and one
// histogram, labelled by the route's pattern (never the raw URL, which holds phone-number IDs).
import { ApiMetric } from '../domain/metric-names';

/** Upper bounds in seconds: most answers take milliseconds; `?wait=true` holds a request up to 60 s. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Histogram {
  counts: number[]; // per bucket, not cumulative; the last is +Inf
  sum: number;
  count: number;
}

export class HttpMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();

  /** One answered request: its method, route pattern, status and time to answer. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = labels({ method, route, status: String(status) });
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const histKey = labels({ method, route });
    let hist = this.latency.get(histKey);
    if (!hist) {
      hist = { counts: new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0), sum: 0, count: 0 };
      this.latency.set(histKey, hist);
    }
    const bucket = LATENCY_BUCKETS_SECONDS.findIndex((le) => seconds <= le);
    hist.counts[bucket === -1 ? LATENCY_BUCKETS_SECONDS.length : bucket]! += 1;
    hist.sum += seconds;
    hist.count += 1;
  }

  /** The text a Prometheus scrape reads. */
  render(): string {
    const lines = [
      `# HELP ${ApiMetric.Requests} HTTP API requests answered, by method, route pattern and status`,
      `# TYPE ${ApiMetric.Requests} counter`,
      ...[...this.requests].map(([key, n]) => `${ApiMetric.Requests}{${key}} ${n}`),
      `# HELP ${ApiMetric.RequestDuration} Time the HTTP API took to answer, by method and route pattern`,
      `# TYPE ${ApiMetric.RequestDuration} histogram`,
    ];
    for (const [key, hist] of this.latency) {
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += hist.counts[i]!;
        lines.push(`${ApiMetric.RequestDuration}_bucket{${key},le="${le}"} ${cumulative}`);
      });
      lines.push(`${ApiMetric.RequestDuration}_bucket{${key},le="+Inf"} ${hist.count}`);
      lines.push(`${ApiMetric.RequestDuration}_sum{${key}} ${hist.sum}`);
      lines.push(`${ApiMetric.RequestDuration}_count{${key}} ${hist.count}`);
    }
    return lines.join('\n') + '\n';
  }
}

/** `name="value",...` with the format's escapes (backslash, quote, newline). */
function labels(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}
