// activities/onprem-client.ts: an On-Prem call in flight is aborted by the activity's cancellation signal
// (cancelled, or the worker shutting down) instead of running on to its 30 s timeout. A local HTTP server
// that never answers stands in for a stuck On-Prem client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOnPremBackup } from '../../activities/onprem-client';

let server: http.Server;
let url: string;
const closedAfterMs: number[] = [];

before(async () => {
  server = http.createServer((_req, res) => {
    const arrived = Date.now();
    res.once('close', () => closedAfterMs.push(Date.now() - arrived)); // never answered: only a client close
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/onprem/1`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('a login in flight is aborted by the signal: the signal reason comes back, and the connection closes', async () => {
  const controller = new AbortController();
  const reason = new Error('WORKER_SHUTDOWN');
  const started = Date.now();
  setTimeout(() => controller.abort(reason), 150);
  await assert.rejects(
    createOnPremBackup({
      url,
      username: 'admin',
      password: 'onprem-secret',
      backupPassword: 'backup-secret',
      timeoutMs: 30_000,
      signal: controller.signal,
    }),
    (err: unknown) => err === reason,
  );
  assert.ok(Date.now() - started < 5_000, 'aborted, not timed out');
  for (let i = 0; i < 100 && closedAfterMs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(closedAfterMs.length, 1, 'the server saw the connection closed');
  assert.ok(closedAfterMs[0]! < 5_000);
});
