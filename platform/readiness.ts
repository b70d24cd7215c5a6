// Readiness for probes: Temporal answers, the namespace exists, our search attributes are registered. The
// worker adds "polling" on top; the API serves it as is. Results are kept for a few seconds so that probes
// from many replicas do not turn into a stream of Temporal calls.
import { inspectNamespace, namespaceProblem, type TemporalServices } from './namespace-setup';

export interface ReadinessCheck {
  name: 'temporal' | 'namespace' | 'searchAttributes' | 'worker';
  ok: boolean;
  /** Why not, with the fix when there is one. */
  detail?: string;
}

export interface ReadinessOptions {
  /** How long a result is reused (default 5 s). */
  cacheMs?: number;
  /** A Temporal that does not answer within this is not ready (default 3 s). */
  timeoutMs?: number;
}

/** The checks against Temporal, cached; never throws. */
export function temporalReadiness(
  services: TemporalServices,
  namespace: string,
  address: string,
  options: ReadinessOptions = {},
): () => Promise<ReadinessCheck[]> {
  const cacheMs = options.cacheMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  let cached: { at: number; checks: Promise<ReadinessCheck[]> } | undefined;
  const run = async (): Promise<ReadinessCheck[]> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const report = await Promise.race([inspectNamespace(services, namespace), timeout]);
      const problem = namespaceProblem(report, address);
      return [
        { name: 'temporal', ok: true },
        report.exists
          ? { name: 'namespace', ok: true }
          : { name: 'namespace', ok: false, detail: problem ?? `namespace ${namespace} does not exist` },
        report.exists && problem !== undefined
          ? { name: 'searchAttributes', ok: false, detail: problem }
          : { name: 'searchAttributes', ok: report.exists },
      ];
    } catch (err) {
      const why = ((err as Error).message ?? String(err)).split('\n')[0];
      return [{ name: 'temporal', ok: false, detail: `Temporal at ${address}: ${why}` }];
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), checks: run() };
    return cached.checks;
  };
}
