// `npm start` (scripts/start-local-stack.ts) as its own process, on free ports and a fresh data folder: the
// dev server, the simulator, the worker and the API come up; the API serves Meta's webhooks with locally
// generated secrets (printed only by their first characters) and the simulator is subscribed to them, so a
// display name approved in the simulator reaches the number's lifecycle; a /_sim/reset keeps that start-up
// subscription; Ctrl-C stops everything.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT_DIR } from '../../platform/config';
import { localMetaWebhookFile } from '../../scripts/local-meta-webhooks';
import { until } from '../helpers/poll';
import { freePort, startProcess, type RunningProcess } from '../helpers/processes';

const ID = '4915100000077';
const WABA = '880011223344';
const PIN = '246810';

let stack: RunningProcess;
let dataDir: string;
let apiUrl: string;
let simUrl: string;

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'wa-local-stack-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('WA_') && !k.startsWith('TEMPORAL_') && !k.startsWith('SIM_')) env[k] = v;
  }
  Object.assign(env, {
    TEMPORAL_CONFIG_FILE: path.join(ROOT_DIR, '.no-temporal-profile', 'temporal.toml'),
    WA_LOCAL_DATA_DIR: dataDir,
    WA_LOCAL_TEMPORAL_PORT: String(await freePort()),
    WA_LOCAL_UI_PORT: String(await freePort()),
    WA_LOCAL_SIMULATOR_PORT: String(await freePort()),
    WA_LOCAL_API_PORT: String(await freePort()),
    WA_WORKER_SHUTDOWN_GRACE_SECONDS: '0',
  });
  stack = startProcess(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT_DIR, 'scripts', 'start-local-stack.ts')],
    { cwd: ROOT_DIR, env },
  );
  await stack.waitFor(/Ctrl-C stops everything/, 180_000);
  apiUrl = (stack.output().match(/HTTP API\s+(\S+)\/v1/) ?? [])[1]!;
  simUrl = (stack.output().match(/Graph simulator\s+(\S+)/) ?? [])[1]!;
  assert.ok(apiUrl && simUrl, stack.output());
});

after(async () => {
  // Ctrl-C as a person would; the stack stops its dev server itself.
  if (stack && stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.child.kill('SIGINT');
    await Promise.race([stack.exited, new Promise((r) => setTimeout(r, 30_000))]);
    await stack.stop(5_000);
  }
  // Its dev server runs detached: if the stack was killed, end it (found by this run's own data folder), or
  // it would hold this process's output pipes open.
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  for (const line of ps.split('\n')) {
    const [, pid, args] = /^\s*(\d+)\s+(.*)$/.exec(line) ?? [];
    if (pid && args?.includes(dataDir) && Number(pid) !== process.pid) process.kill(Number(pid), 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

interface SimWebhooks {
  subscribed: boolean;
  verified: boolean;
  callbackUrl?: string;
  deliveries: { field: string; status: string }[];
}
const simWebhooks = async () => (await (await fetch(`${simUrl}/_sim/webhooks`)).json()) as SimWebhooks;

test("the simulator is subscribed to the API's /webhooks/meta, verified, and says so in one line without the secrets", async () => {
  const view = await simWebhooks();
  assert.equal(view.subscribed, true);
  assert.equal(view.verified, true, 'the handshake with the API passed');
  assert.equal(view.callbackUrl, `${apiUrl}/webhooks/meta`);

  const lines = stack.output().split('\n');
  const metaLines = lines.filter((l) => l.includes('/webhooks/meta'));
  assert.equal(metaLines.length, 1, stack.output());
  assert.match(metaLines[0]!, /Meta webhooks .* the simulator is subscribed \(verified\)/);

  // The secrets were generated into the data folder, private, and never printed in full.
  const file = localMetaWebhookFile(dataDir);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as { verifyToken: string; appSecret: string };
  assert.ok(secrets.verifyToken.length >= 20 && secrets.appSecret.length >= 32);
  for (const secret of [secrets.verifyToken, secrets.appSecret]) {
    assert.ok(!stack.output().includes(secret), 'a Meta webhook secret in the output');
    assert.ok(!stack.output().includes(secret.slice(0, 12)), 'more than a prefix of a secret printed');
  }
  const handshake = await fetch(
    `${apiUrl}/webhooks/meta?hub.mode=subscribe&hub.verify_token=${secrets.verifyToken}&hub.challenge=42`,
  );
  assert.equal(await handshake.text(), '42', 'the API serves the token in the file');
});

test("a display name approved in the simulator reaches the number's lifecycle through the API's /webhooks/meta", async () => {
  const seeded = await fetch(`${simUrl}/_sim/phone-numbers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: ID,
      waba_id: WABA,
      code_verification_status: 'VERIFIED',
      name_status: 'APPROVED',
    }),
  });
  assert.equal(seeded.status, 201, await seeded.text());
  const requested = await fetch(`${apiUrl}/v1/phone-numbers/${ID}/operations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ operation: 'register', pin: PIN }),
  });
  const { operationId } = (await requested.json()) as { operationId: string };
  const finished = await until('the register to finish', async () => {
    const op = (await (
      await fetch(`${apiUrl}/v1/phone-numbers/${ID}/operations/${operationId}?wait=true`)
    ).json()) as { status?: string };
    return op.status === 'completed' || op.status === 'failed' ? op : undefined;
  });
  assert.equal(finished.status, 'completed', JSON.stringify(finished));

  const patch = (body: object) =>
    fetch(`${simUrl}/_sim/phone-numbers/${ID}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  assert.equal(
    (await patch({ name_status: 'PENDING_REVIEW', verified_name: 'Local Stack Shop' })).status,
    200,
  );
  assert.equal((await patch({ name_status: 'APPROVED' })).status, 200); // Meta decides → signed webhook
  const state = await until(
    'the approval in the lifecycle',
    async () => {
      const s = (await (await fetch(`${apiUrl}/v1/phone-numbers/${ID}`)).json()) as {
        meta?: { displayName?: { decision: string; requestedName?: string } };
      };
      return s.meta?.displayName ? s : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  assert.equal(state.meta?.displayName?.decision, 'APPROVED');
  assert.equal(state.meta?.displayName?.requestedName, 'Local Stack Shop');
  const deliveries = (await simWebhooks()).deliveries;
  assert.deepEqual(
    deliveries.map((d) => [d.field, d.status]),
    [['phone_number_name_update', 'delivered']],
  );
});

test('a /_sim/reset keeps the start-up subscription; Ctrl-C stops everything', async () => {
  const reset = await fetch(`${simUrl}/_sim/reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(reset.status, 200);
  const view = await simWebhooks();
  assert.deepEqual(
    [view.subscribed, view.verified, view.callbackUrl],
    [true, true, `${apiUrl}/webhooks/meta`],
  );

  stack.child.kill('SIGINT');
  assert.equal(await stack.exited, 0, stack.output());
  assert.match(stack.output(), /stopped/);
});
