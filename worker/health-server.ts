// The worker's liveness and readiness for Kubernetes probes (health.workerPort). Live: the process answers
// and its worker has not failed. Ready: the worker is polling its task queue; while it drains at shutdown
// it is not, so no new traffic is routed its way by anything that watches readiness.
import { createServer, type Server } from 'node:http';
import type { State } from '@temporalio/worker';

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

export async function startWorkerHealthServer(options: {
  host: string;
  port: number;
  workerState: () => State;
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const state = options.workerState();
    const path = (req.url ?? '').split('?')[0];
    const ok =
      path === '/livez' ? LIVE_STATES.has(state) : path === '/readyz' ? state === 'RUNNING' : undefined;
    if (ok === undefined || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res
      .writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', worker: state }));
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
