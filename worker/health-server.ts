// The worker's liveness and readiness for Kubernetes probes (health.workerPort). Live: the process answers
// and its worker has not failed. Ready: the worker is polling its task queue and Temporal is usable (it
// answers, the namespace exists, our search attributes are registered); while it drains at shutdown it is
// not ready, so nothing that watches readiness routes new traffic its way.
import { createServer, type Server } from 'node:http';
import type { State } from '@temporalio/worker';
import type { ReadinessCheck } from '../platform/readiness';

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

const LIVE_STATES: ReadonlySet<State> = new Set([
  'INITIALIZED',
  'RUNNING',
  'STOPPING',
  'DRAINING',
  'DRAINED',
]);

export interface WorkerHealthOptions {
  host: string;
  port: number;
  workerState: () => State;
  /** The checks against Temporal (platform/readiness.ts); none: the worker's state alone. */
  temporalChecks?: () => Promise<ReadinessCheck[]>;
}

/** The worker's own check first, then Temporal's. */
export async function workerReadiness(options: WorkerHealthOptions): Promise<ReadinessCheck[]> {
  const state = options.workerState();
  const polling: ReadinessCheck =
    state === 'RUNNING'
      ? { name: 'worker', ok: true }
      : { name: 'worker', ok: false, detail: `worker ${state}` };
  return [polling, ...((await options.temporalChecks?.()) ?? [])];
}

export async function startWorkerHealthServer(options: WorkerHealthOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(body));
    if (req.method !== 'GET' || (path !== '/livez' && path !== '/readyz')) {
      answer(404, { error: 'not found' });
      return;
    }
    const state = options.workerState();
    if (path === '/livez') {
      const live = LIVE_STATES.has(state);
      answer(live ? 200 : 503, { status: live ? 'ok' : 'unavailable', worker: state });
      return;
    }
    void workerReadiness(options).then((checks) => {
      const ready = checks.every((c) => c.ok);
      answer(ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', worker: state, checks });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as { port: number };
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
