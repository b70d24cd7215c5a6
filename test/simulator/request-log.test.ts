// The admin API's request log keeps the last N requests: 10,000 by default, more when a scale benchmark
// needs every request of a 10,000-number run (startSimulator's requestLogEntries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REQUEST_LOG_ENTRIES, RequestLog } from '../../simulator/request-log';
import { startSimulator } from '../../simulator/server';

function entry(i: number) {
  return {
    at: new Date(0).toISOString(),
    method: 'POST',
    path: `/v21.0/${i}/register`,
    endpoint: 'register' as const,
    phoneNumberId: String(i),
    status: 200,
    counted: true,
    applied: true,
  };
}

test('the log drops the oldest requests beyond its size, and numbers every request', () => {
  const log = new RequestLog(3);
  for (let i = 1; i <= 5; i++) log.append(entry(i));
  assert.deepEqual(
    log.list().map((e) => [e.seq, e.phoneNumberId]),
    [
      [3, '3'],
      [4, '4'],
      [5, '5'],
    ],
  );
  assert.equal(DEFAULT_REQUEST_LOG_ENTRIES, 10_000);
});

test('startSimulator refuses a log size that is not a positive whole number, naming the option', async () => {
  for (const bad of [0, -1, 2.5]) {
    await assert.rejects(
      startSimulator({ port: 0, accessToken: 't', seed: 'none', requestLogEntries: bad }),
      /simulator option requestLogEntries must be a positive integer/,
    );
  }
});
