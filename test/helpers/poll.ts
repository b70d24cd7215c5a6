// Waiting for something that happens elsewhere (a workflow moving on, a CLI process seeing it): the tests
// ask again until the answer is there, and fail with a message saying what never came.
import assert from 'node:assert/strict';

export interface PollOptions {
  /** Fail once this much time has passed (default 30 s). */
  timeoutMs?: number;
  /** The pause between two attempts (default 100 ms). */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than undefined, and returns that. `what` names what the
 * test waits for in the failure message; a function is called only on failure, so the message can say
 * what the last attempt saw.
 */
export async function until<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 100 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
