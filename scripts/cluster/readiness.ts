// When is a freshly started temporal-server usable? When the frontend answers, the system namespace
// is there and a history-service round trip comes back: then namespace creation and workflow starts work.
import { type ChildProcess } from 'node:child_process';
import { Connection, isGrpcServiceError } from '@temporalio/client';

const GRPC_NOT_FOUND = 5;

async function probe(address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.withDeadline(Date.now() + 5_000, async () => {
      await connection.workflowService.describeNamespace({ namespace: 'temporal-system' });
      // Goes through the frontend to the history service: NOT_FOUND means history answered.
      await connection.workflowService
        .describeWorkflowExecution({
          namespace: 'temporal-system',
          execution: { workflowId: 'wa-cluster-readiness-probe' },
        })
        .catch((err: unknown) => {
          if (!(isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) throw err;
        });
    });
  } finally {
    await connection.close();
  }
}

export class ServerExitedError extends Error {}

/** Polls until the cluster answers; fails early if the server process exits meanwhile. */
export async function waitUntilReady(
  address: string,
  server: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new ServerExitedError(
        `temporal-server exited (${server.exitCode ?? server.signalCode}) while starting`,
      );
    }
    try {
      await probe(address);
      return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `temporal-server did not become ready at ${address} within ${timeoutMs} ms ` +
          `(last answer: ${(last as Error)?.message ?? last})`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
