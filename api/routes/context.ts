// What the route handlers share: the client library (or a stand-in in tests) and the long-poll wait.
import type { LifecycleOperations, NumberLifecycleClient, OperationSummary } from '../../client/index';

/** What the API needs of the client library (a NumberLifecycleClient; tests may pass a stand-in). */
export type LifecycleApi = Pick<
  LifecycleOperations,
  | 'requestOperation'
  | 'getState'
  | 'waitForOperation'
  | 'submitVerificationCode'
  | 'cancelOperation'
  | 'retryOperation'
  | 'listNumbersPage'
  | 'startFleet'
  | 'describeFleet'
  | 'cancelFleet'
  | 'retryFleet'
> & {
  /** When present, a ?wait=true request's Temporal calls get a deadline, so nothing outlives the wait cap. */
  readonly client?: {
    readonly connection: Pick<NumberLifecycleClient['client']['connection'], 'withDeadline'>;
  };
};

export interface ApiContext {
  lifecycle: LifecycleApi;
  /** The finished summary, or undefined when the wait cap (or the server's shutdown) came first. */
  waitForFinish(phoneNumberId: string, operationId: string): Promise<OperationSummary | undefined>;
}

const WAIT_POLL_MS = 250;

/** The long-poll of GET ...?wait=true: capped, given a Temporal deadline, and ended early by shutdown. */
export function createWaitForFinish(
  lifecycle: LifecycleApi,
  maxWaitMs: number,
  closed: Promise<void>,
): ApiContext['waitForFinish'] {
  return async (id, operationId) => {
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), maxWaitMs);
    });
    const deadline = new Date(Date.now() + maxWaitMs);
    const run = () => lifecycle.waitForOperation(id, operationId, { pollIntervalMs: WAIT_POLL_MS });
    const waiting = (
      lifecycle.client ? lifecycle.client.connection.withDeadline(deadline, run) : run()
    ).catch((err: unknown) => {
      if (Date.now() >= deadline.getTime() - 50) return undefined; // our own deadline ended it
      throw err;
    });
    waiting.catch(() => undefined); // a late failure, after the cap answered, is not unhandled
    try {
      return await Promise.race([waiting, cap, closed.then(() => undefined)]);
    } finally {
      clearTimeout(timer);
    }
  };
}
