import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CONNECTED_ID,
  ONPREM_ID,
  PENDING_ID,
  TOKEN,
  VERSION,
  admin,
  deregister,
  graph,
  launchSimulator,
  readFields,
  register,
  requestLog,
  simNow,
  simNumber,
  startTestSimulator,
  tempDir,
} from './helpers';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;

const PIN = '123456';
const DEFAULT_USER = 'admin';
const DEFAULT_PASSWORD = 'onprem-secret';
const BACKUP_PASSWORD = 'backup-pass-7731';
const DAY_MS = 24 * 3_600_000;

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A raw call to a number's On-Prem client; rejects when the client closes the connection. */
async function onprem(
  sim: Sim,
  method: string,
  id: string,
  path: string,
  init: { authorization?: string; json?: unknown } = {},
) {
  const headers: Record<string, string> = {};
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(`/onprem/${id}${path}`, sim.url), {
    method,
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, text, json: JSON.parse(text) as any };
}

async function login(sim: Sim, id = ONPREM_ID, user = DEFAULT_USER, password = DEFAULT_PASSWORD) {
  const res = await onprem(sim, 'POST', id, '/v1/users/login', { authorization: basic(user, password) });
  assert.equal(res.status, 200, res.text);
  return res.json.users[0].token as string;
}

async function createBackup(
  sim: Sim,
  id = ONPREM_ID,
  password = BACKUP_PASSWORD,
  user = DEFAULT_USER,
  pw = DEFAULT_PASSWORD,
) {
  const token = await login(sim, id, user, pw);
  const res = await onprem(sim, 'POST', id, '/v1/settings/backup', {
    authorization: `Bearer ${token}`,
    json: { password },
  });
  assert.equal(res.status, 200, res.text);
  return { token, data: res.json.settings.data as string };
}

function registerWithBackup(sim: Sim, id: string, pin: string, backup: { data: string; password: string }) {
  return graph(sim, 'POST', `/${VERSION}/${id}/register`, {
    json: { messaging_product: 'whatsapp', pin, backup },
  });
}

async function assertRefused(sim: Sim, id: string, method = 'GET', path = '/v1/health') {
  await assert.rejects(
    fetch(new URL(`/onprem/${id}${path}`, sim.url), { method }),
    'a stopped On-Prem client must close the connection without an answer',
  );
}

const LIFECYCLE = ['status', 'platform_type'];

void test('seed: 1234567894 is ON_PREMISE/CONNECTED with a running On-Prem client; the admin view hides credentials', async (t) => {
  const sim = await startTestSimulator(t);
  const view = await simNumber(sim, ONPREM_ID);
  assert.equal(view.platform_type, 'ON_PREMISE');
  assert.equal(view.status, 'CONNECTED');
  assert.equal(view.code_verification_status, 'VERIFIED');
  assert.equal(view.name_status, 'APPROVED');
  assert.equal(view.is_pin_enabled, true);
  assert.deepEqual(view.onprem, { running: true, backups: 0 });
  assert.equal((await simNumber(sim, PENDING_ID)).onprem, null, 'a number that never ran On-Prem');
  const all = JSON.stringify((await admin(sim, 'GET', '/_sim/phone-numbers')).json);
  assert.ok(!all.includes(DEFAULT_PASSWORD));

  // Seeding: ON_PREMISE defaults to CONNECTED and admin / onprem-secret; custom credentials replace them.
  const seeded = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '5550100',
    platform_type: 'ON_PREMISE',
    pin: '222222',
    onprem: { username: 'ops', password: 'S3cret!' },
  });
  assert.equal(seeded.status, 201, seeded.text);
  assert.equal(seeded.json.status, 'CONNECTED');
  assert.deepEqual(seeded.json.onprem, { running: true, backups: 0 });
  assert.ok(!seeded.text.includes('S3cret!'));
  assert.equal(typeof (await login(sim, '5550100', 'ops', 'S3cret!')), 'string');
  const defaults = await onprem(sim, 'POST', '5550100', '/v1/users/login', {
    authorization: basic(DEFAULT_USER, DEFAULT_PASSWORD),
  });
  assert.equal(defaults.status, 401);

  const plain = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '5550101',
    platform_type: 'ON_PREMISE',
  });
  assert.equal(plain.json.status, 'CONNECTED');
  assert.equal(typeof (await login(sim, '5550101')), 'string');

  for (const body of [
    { id: '5550102', platform_type: 'CLOUD_API', onprem: { username: 'a', password: 'b' } },
    { id: '5550102', onprem: { username: 'a', password: 'b' } },
    { id: '5550102', platform_type: 'ON_PREMISE', onprem: { username: 'a' } },
    { id: '5550102', platform_type: 'ON_PREMISE', onprem: { username: 'a', password: 'b', role: 'x' } },
  ]) {
    const res = await admin(sim, 'POST', '/_sim/phone-numbers', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(String(res.json.error.field), /^onprem/, JSON.stringify(res.json));
  }
});

void test('login: Basic auth → token valid 7 days; wrong or missing credentials → 401 code 1005', async (t) => {
  const sim = await startTestSimulator(t);
  const now = await simNow(sim);
  const res = await onprem(sim, 'POST', ONPREM_ID, '/v1/users/login', {
    authorization: basic(DEFAULT_USER, DEFAULT_PASSWORD),
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), ['users']);
  assert.equal(res.json.users.length, 1);
  const [user] = res.json.users;
  assert.deepEqual(Object.keys(user).sort(), ['expires_after', 'token']);
  assert.ok(user.token.length >= 32);
  assert.match(user.expires_after, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(user.expires_after) - now - 7 * DAY_MS) < 5_000);
  assert.notEqual(await login(sim), user.token, 'each login issues a new token');

  const denied = { errors: [{ code: 1005, title: 'Access denied', details: 'Invalid credentials' }] };
  for (const authorization of [
    basic(DEFAULT_USER, 'wrong'),
    basic('root', DEFAULT_PASSWORD),
    `Bearer ${TOKEN}`,
    undefined,
  ]) {
    const bad = await onprem(sim, 'POST', ONPREM_ID, '/v1/users/login', { authorization });
    assert.equal(bad.status, 401, String(authorization));
    assert.deepEqual(bad.json, denied);
  }
});

void test('backup: needs a valid token and a password; returns an opaque base64 blob; counted in the admin view', async (t) => {
  const sim = await startTestSimulator(t);
  const token = await login(sim);
  const res = await onprem(sim, 'POST', ONPREM_ID, '/v1/settings/backup', {
    authorization: `Bearer ${token}`,
    json: { password: BACKUP_PASSWORD },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json), ['settings']);
  assert.deepEqual(Object.keys(res.json.settings), ['data']);
  const data = res.json.settings.data as string;
  assert.match(data, /^[A-Za-z0-9+/]+=*$/);
  assert.ok(
    !Buffer.from(data, 'base64').toString('utf8').includes(BACKUP_PASSWORD),
    'password not in the blob',
  );
  assert.deepEqual((await simNumber(sim, ONPREM_ID)).onprem, { running: true, backups: 1 });

  const denied = { errors: [{ code: 1005, title: 'Access denied', details: 'Invalid or expired token' }] };
  for (const authorization of [undefined, 'Bearer not-a-token', basic(DEFAULT_USER, DEFAULT_PASSWORD)]) {
    const bad = await onprem(sim, 'POST', ONPREM_ID, '/v1/settings/backup', {
      authorization,
      json: { password: BACKUP_PASSWORD },
    });
    assert.equal(bad.status, 401, String(authorization));
    assert.deepEqual(bad.json, denied);
  }
  // Another number's token is no good here.
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550100', platform_type: 'ON_PREMISE' });
  const foreign = await onprem(sim, 'POST', ONPREM_ID, '/v1/settings/backup', {
    authorization: `Bearer ${await login(sim, '5550100')}`,
    json: { password: BACKUP_PASSWORD },
  });
  assert.equal(foreign.status, 401);

  const missing = {
    errors: [{ code: 1004, title: 'Missing required parameter', details: 'password' }],
  };
  for (const json of [{}, { password: '' }, { password: null }]) {
    const bad = await onprem(sim, 'POST', ONPREM_ID, '/v1/settings/backup', {
      authorization: `Bearer ${token}`,
      json,
    });
    assert.equal(bad.status, 400, JSON.stringify(json));
    assert.deepEqual(bad.json, missing);
  }
  const notString = await onprem(sim, 'POST', ONPREM_ID, '/v1/settings/backup', {
    authorization: `Bearer ${token}`,
    json: { password: 1234 },
  });
  assert.equal(notString.status, 400);
  assert.equal(notString.json.errors[0].code, 1009);
  assert.deepEqual((await simNumber(sim, ONPREM_ID)).onprem, { running: true, backups: 1 });
});

void test('tokens expire after 7 days of simulator time', async (t) => {
  const sim = await startTestSimulator(t);
  const token = await login(sim);
  await admin(sim, 'POST', '/_sim/clock', { advanceMs: 7 * DAY_MS + 1_000 });
  const res = await onprem(sim, 'POST', ONPREM_ID, '/v1/settings/backup', {
    authorization: `Bearer ${token}`,
    json: { password: BACKUP_PASSWORD },
  });
  assert.equal(res.status, 401);
});

void test('health while running; unknown numbers, numbers without On-Prem and unknown paths → 404', async (t) => {
  const sim = await startTestSimulator(t);
  const health = await onprem(sim, 'GET', ONPREM_ID, '/v1/health');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { health: { gateway_status: 'connected' } });

  for (const [id, path] of [
    ['999999', '/v1/health'],
    [PENDING_ID, '/v1/health'],
    [CONNECTED_ID, '/v1/users/login'],
    [ONPREM_ID, '/v1/messages'],
    [ONPREM_ID, '/v2/health'],
  ] as const) {
    const res = await onprem(sim, path.endsWith('login') ? 'POST' : 'GET', id, path);
    assert.equal(res.status, 404, `${id} ${path}`);
    assert.equal(res.json.errors[0].code, 1006);
  }
  const bare = await fetch(new URL('/onprem', sim.url));
  assert.equal(bare.status, 404);
  const log = await requestLog(sim, '?endpoint=onprem');
  assert.equal(log.length, 7);
  assert.deepEqual(
    [log[0]?.endpoint, log[0]?.phoneNumberId, log[0]?.status, log[0]?.counted, log[0]?.applied],
    ['onprem', ONPREM_ID, 200, false, false],
  );
});

void test('migration: login → backup → register with backup and PIN → CLOUD_API/CONNECTED; On-Prem refuses connections', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  const before = await readFields(sim, ONPREM_ID, [...LIFECYCLE, 'last_onboarded_time']);
  assert.deepEqual([before.status, before.platform_type], ['CONNECTED', 'ON_PREMISE']);
  const { token, data } = await createBackup(sim);

  const res = await registerWithBackup(sim, ONPREM_ID, PIN, { data, password: BACKUP_PASSWORD });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { success: true });
  const after = await readFields(sim, ONPREM_ID, [...LIFECYCLE, 'throughput', 'is_pin_enabled']);
  assert.deepEqual(after, {
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    throughput: { level: 'STANDARD' },
    is_pin_enabled: true,
    id: ONPREM_ID,
  });
  const view = await simNumber(sim, ONPREM_ID);
  assert.deepEqual(view.onprem, { running: false, backups: 1 });
  assert.equal(view.rateLimits.register.callsInWindow, 1);

  await assertRefused(sim, ONPREM_ID);
  await assertRefused(sim, ONPREM_ID, 'POST', '/v1/users/login');
  await assert.rejects(
    fetch(new URL(`/onprem/${ONPREM_ID}/v1/settings/backup`, sim.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: BACKUP_PASSWORD }),
    }),
  );
  const refused = (await requestLog(sim, '?endpoint=onprem')).slice(-3);
  assert.deepEqual(
    refused.map((e) => e.status),
    [0, 0, 0],
  );
  const [entry] = await requestLog(sim, '?endpoint=register');
  assert.deepEqual([entry?.status, entry?.counted, entry?.applied], [200, true, true]);

  // Retrying after success: the number is on Cloud API now, so backup no longer applies (read state first).
  const retry = await registerWithBackup(sim, ONPREM_ID, PIN, { data, password: BACKUP_PASSWORD });
  assert.equal(retry.json.error.code, 100);
  assert.match(
    retry.json.error.error_data.details,
    /not on the On-Premises API \(platform_type is CLOUD_API\)/,
  );
  // It behaves as any Cloud number from here: deregister, then a plain register.
  assert.equal((await deregister(sim, ONPREM_ID)).status, 200);
  const off = await registerWithBackup(sim, ONPREM_ID, PIN, { data, password: BACKUP_PASSWORD });
  assert.match(
    off.json.error.error_data.details,
    /not on the On-Premises API \(platform_type is NOT_APPLICABLE\)/,
  );
  assert.equal((await register(sim, ONPREM_ID, PIN)).status, 200);
  assert.equal((await simNumber(sim, ONPREM_ID)).rateLimits.register.callsInWindow, 4);
});

void test('wrong PIN → 133005 and On-Prem goes down anyway (NOT_APPLICABLE/DISCONNECTED); then the same backup + right PIN migrates', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  const { data } = await createBackup(sim);
  const wrong = await registerWithBackup(sim, ONPREM_ID, '654321', { data, password: BACKUP_PASSWORD });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.json.error.code, 133005);
  assert.equal(wrong.json.error.message, '(#133005) Two step verification PIN Mismatch');

  const down = await simNumber(sim, ONPREM_ID);
  assert.deepEqual([down.platform_type, down.status], ['NOT_APPLICABLE', 'DISCONNECTED']);
  assert.deepEqual(down.onprem, { running: false, backups: 1 });
  await assertRefused(sim, ONPREM_ID);
  await assertRefused(sim, ONPREM_ID, 'POST', '/v1/users/login');
  const [failed] = await requestLog(sim, '?endpoint=register');
  assert.deepEqual(
    [failed?.status, failed?.errorCode, failed?.counted, failed?.applied],
    [400, 133005, true, true],
    'the failed call changed the number',
  );

  // Still down: another wrong PIN changes nothing; a wrong backup password is still told apart.
  const again = await registerWithBackup(sim, ONPREM_ID, '000000', { data, password: BACKUP_PASSWORD });
  assert.equal(again.json.error.code, 133005);
  assert.equal((await requestLog(sim, '?endpoint=register'))[1]?.applied, false);
  const badPassword = await registerWithBackup(sim, ONPREM_ID, PIN, { data, password: 'nope' });
  assert.match(badPassword.json.error.error_data.details, /backup password mismatch/i);

  const ok = await registerWithBackup(sim, ONPREM_ID, PIN, { data, password: BACKUP_PASSWORD });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(await readFields(sim, ONPREM_ID, LIFECYCLE), {
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    id: ONPREM_ID,
  });
  assert.deepEqual((await simNumber(sim, ONPREM_ID)).onprem, { running: false, backups: 1 });
});

void test('a plain register (no backup) also works for a number a wrong PIN left on neither API', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  const { data } = await createBackup(sim);
  await registerWithBackup(sim, ONPREM_ID, '654321', { data, password: BACKUP_PASSWORD });
  assert.equal((await register(sim, ONPREM_ID, PIN)).status, 200);
  assert.equal((await readFields(sim, ONPREM_ID, ['platform_type'])).platform_type, 'CLOUD_API');
});

void test('backup checks: another number’s backup or garbage → 100 invalid backup data; wrong password → 100 mismatch', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '5550100',
    platform_type: 'ON_PREMISE',
    pin: PIN,
    onprem: { username: 'ops', password: 'other-secret' },
  });
  const mine = await createBackup(sim);
  const theirs = await createBackup(sim, '5550100', BACKUP_PASSWORD, 'ops', 'other-secret');

  const cases: Array<[{ data: string; password: string }, RegExp]> = [
    [{ data: theirs.data, password: BACKUP_PASSWORD }, /invalid backup data.*another phone number/i],
    [{ data: 'bm90LWEtYmFja3Vw', password: BACKUP_PASSWORD }, /invalid backup data/i],
    [{ data: 'not base64 at all!', password: BACKUP_PASSWORD }, /invalid backup data/i],
    [{ data: mine.data, password: 'wrong-backup-password' }, /backup password mismatch/i],
  ];
  for (const [backup, details] of cases) {
    const res = await registerWithBackup(sim, ONPREM_ID, PIN, backup);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, 100);
    assert.match(res.json.error.error_data.details, details);
    assert.ok(!res.text.includes(backup.password) && !res.text.includes(backup.data), 'no echo');
  }
  // A blob re-encoded by hand (same envelope, but not the exact data handed out) is not accepted either.
  const tampered = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(mine.data, 'base64').toString('utf8')), extra: 1 }),
  ).toString('base64');
  const forged = await registerWithBackup(sim, ONPREM_ID, PIN, { data: tampered, password: BACKUP_PASSWORD });
  assert.match(forged.json.error.error_data.details, /invalid backup data/i);

  // Nothing changed, the client still runs, every call counted.
  const view = await simNumber(sim, ONPREM_ID);
  assert.deepEqual([view.platform_type, view.status, view.onprem.running], ['ON_PREMISE', 'CONNECTED', true]);
  assert.equal(view.rateLimits.register.callsInWindow, 5);
  const log = await requestLog(sim, '?endpoint=register');
  assert.ok(log.every((e) => e.counted === true && e.applied === false));

  // Both numbers still migrate with their own backups.
  const migrateMine = await registerWithBackup(sim, ONPREM_ID, PIN, {
    data: mine.data,
    password: BACKUP_PASSWORD,
  });
  assert.equal(migrateMine.status, 200);
  const migrateTheirs = await registerWithBackup(sim, '5550100', PIN, {
    data: theirs.data,
    password: BACKUP_PASSWORD,
  });
  assert.equal(migrateTheirs.status, 200);
});

void test('backup register on a CLOUD_API (or never On-Prem) number → 100 "not on the On-Premises API"; nothing changes', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  const { data } = await createBackup(sim);
  for (const [id, platform] of [
    [CONNECTED_ID, 'CLOUD_API'],
    [PENDING_ID, 'NOT_APPLICABLE'],
  ] as const) {
    const before = await readFields(sim, id, LIFECYCLE);
    const res = await registerWithBackup(sim, id, PIN, { data, password: BACKUP_PASSWORD });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 100);
    assert.match(
      res.json.error.error_data.details,
      new RegExp(`not on the On-Premises API \\(platform_type is ${platform}\\)`),
    );
    assert.deepEqual(await readFields(sim, id, LIFECYCLE), before);
    assert.equal((await simNumber(sim, id)).rateLimits.register.callsInWindow, 1, 'counted');
  }
  assert.deepEqual((await simNumber(sim, ONPREM_ID)).onprem, { running: true, backups: 1 });
});

void test('ON_PREMISE number: plain register → 100 (needs backup); deregister is a no-op; backup parameter validation', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  const plain = await register(sim, ONPREM_ID, PIN);
  assert.equal(plain.status, 400);
  assert.equal(plain.json.error.code, 100);
  assert.match(plain.json.error.error_data.details, /registered on the On-Premises API.*backup/);
  const dereg = await deregister(sim, ONPREM_ID);
  assert.equal(dereg.status, 200);
  const [entry] = await requestLog(sim, '?endpoint=deregister');
  assert.equal(entry?.applied, false);
  assert.deepEqual(await readFields(sim, ONPREM_ID, LIFECYCLE), {
    status: 'CONNECTED',
    platform_type: 'ON_PREMISE',
    id: ONPREM_ID,
  });

  const path = `/${VERSION}/${ONPREM_ID}/register`;
  const cases: Array<[unknown, RegExp]> = [
    ['not json', /backup must be a JSON object/],
    [['a'], /backup must be a JSON object/],
    [{ password: BACKUP_PASSWORD }, /backup\[data\] is required/],
    [{ data: 'abc' }, /backup\[password\] is required/],
    [{ data: 5, password: BACKUP_PASSWORD }, /backup\[data\] must be a string/],
  ];
  for (const [backup, message] of cases) {
    const res = await graph(sim, 'POST', path, { json: { messaging_product: 'whatsapp', pin: PIN, backup } });
    assert.equal(res.status, 400, JSON.stringify(backup));
    assert.equal(res.json.error.code, 100);
    assert.match(res.json.error.message, message);
    assert.ok(!res.text.includes(BACKUP_PASSWORD));
  }
  assert.deepEqual((await simNumber(sim, ONPREM_ID)).onprem, { running: true, backups: 0 });
});

void test('backup is accepted as a JSON string in a form body and in the query string, and as backup[...] form keys', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  for (const id of ['5550201', '5550202', '5550203']) {
    await admin(sim, 'POST', '/_sim/phone-numbers', { id, platform_type: 'ON_PREMISE', pin: PIN });
  }
  const a = await createBackup(sim, '5550201');
  const form = await graph(sim, 'POST', `/${VERSION}/5550201/register`, {
    form: {
      messaging_product: 'whatsapp',
      pin: PIN,
      backup: JSON.stringify({ data: a.data, password: BACKUP_PASSWORD }),
    },
  });
  assert.equal(form.status, 200, form.text);

  const b = await createBackup(sim, '5550202');
  const query = await graph(sim, 'POST', `/${VERSION}/5550202/register`, {
    query: {
      messaging_product: 'whatsapp',
      pin: PIN,
      backup: JSON.stringify({ data: b.data, password: BACKUP_PASSWORD }),
    },
  });
  assert.equal(query.status, 200, query.text);

  const c = await createBackup(sim, '5550203');
  const bracketed = await graph(sim, 'POST', `/${VERSION}/5550203/register`, {
    form: {
      messaging_product: 'whatsapp',
      pin: PIN,
      'backup[data]': c.data,
      'backup[password]': BACKUP_PASSWORD,
    },
  });
  assert.equal(bracketed.status, 200, bracketed.text);
  for (const id of ['5550201', '5550202', '5550203']) {
    assert.equal((await readFields(sim, id, ['platform_type'])).platform_type, 'CLOUD_API', id);
  }
});

void test('backupRegisterDelayMs: the answer waits; the change is applied first (client timeout = unknown outcome that succeeded)', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 300 });
  assert.equal((await admin(sim, 'GET', '/_sim/settings')).json.backupRegisterDelayMs, 300);
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550300', platform_type: 'ON_PREMISE', pin: PIN });
  const first = await createBackup(sim, '5550300');
  let started = performance.now();
  const slow = await registerWithBackup(sim, '5550300', PIN, { data: first.data, password: BACKUP_PASSWORD });
  const elapsed = performance.now() - started;
  assert.equal(slow.status, 200);
  assert.ok(elapsed >= 300, `answered after ${elapsed.toFixed(0)} ms`);

  // A plain register is not delayed.
  started = performance.now();
  await register(sim, CONNECTED_ID, PIN);
  assert.ok(performance.now() - started < 300);

  // Changed at run time; the client gives up during the wait, yet the migration happened.
  const changed = await admin(sim, 'POST', '/_sim/settings', { backupRegisterDelayMs: 1_500 });
  assert.equal(changed.json.backupRegisterDelayMs, 1_500);
  const { data } = await createBackup(sim);
  const path = `/${VERSION}/${ONPREM_ID}/register`;
  started = performance.now();
  await assert.rejects(
    graph(sim, 'POST', path, {
      json: { messaging_product: 'whatsapp', pin: PIN, backup: { data, password: BACKUP_PASSWORD } },
      signal: AbortSignal.timeout(200),
    }),
  );
  assert.ok(performance.now() - started < 1_000);
  assert.equal((await readFields(sim, ONPREM_ID, ['platform_type'])).platform_type, 'CLOUD_API');
  await assertRefused(sim, ONPREM_ID);
  const entry = (await requestLog(sim, `?phone_number_id=${ONPREM_ID}&endpoint=register`))[0];
  assert.deepEqual([entry?.status, entry?.applied], [200, true], 'logged before the wait');

  for (const body of [
    { backupRegisterDelayMs: -1 },
    { backupRegisterDelayMs: 1.5 },
    { backupRegisterDelayMs: '5' },
  ]) {
    assert.equal((await admin(sim, 'POST', '/_sim/settings', body)).status, 400, JSON.stringify(body));
  }
  await admin(sim, 'POST', '/_sim/reset');
  assert.equal((await admin(sim, 'GET', '/_sim/settings')).json.backupRegisterDelayMs, 300, 'reset restores');
  await assert.rejects(launchSimulator({ backupRegisterDelayMs: -5 }), /backupRegisterDelayMs/);
});

void test('the default backup-register delay is 2000 ms', async (t) => {
  const sim = await startTestSimulator(t);
  assert.equal((await admin(sim, 'GET', '/_sim/settings')).json.backupRegisterDelayMs, 2000);
});

void test('timeout-after-apply works with a backup register: applied, counted, answer held', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 50 });
  const { data } = await createBackup(sim);
  await admin(sim, 'POST', '/_sim/faults', {
    faults: [{ endpoint: 'register', kind: 'timeout-after-apply', hangMs: 5_000, count: 1 }],
  });
  await assert.rejects(
    graph(sim, 'POST', `/${VERSION}/${ONPREM_ID}/register`, {
      json: { messaging_product: 'whatsapp', pin: PIN, backup: { data, password: BACKUP_PASSWORD } },
      signal: AbortSignal.timeout(500),
    }),
  );
  assert.deepEqual(await readFields(sim, ONPREM_ID, LIFECYCLE), {
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    id: ONPREM_ID,
  });
  const [entry] = await requestLog(sim, '?endpoint=register');
  assert.deepEqual(
    [entry?.status, entry?.counted, entry?.applied, entry?.fault],
    [200, true, true, 'timeout-after-apply'],
  );
  await assertRefused(sim, ONPREM_ID);
});

void test('request log and server log never contain passwords, Basic credentials, tokens, PINs or backup data', async (t) => {
  const lines: string[] = [];
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0, log: (line) => lines.push(line) });
  const { token, data } = await createBackup(sim);
  await registerWithBackup(sim, ONPREM_ID, '654321', { data, password: BACKUP_PASSWORD });
  await graph(sim, 'POST', `/${VERSION}/${ONPREM_ID}/register`, {
    form: {
      messaging_product: 'whatsapp',
      pin: PIN,
      'backup[data]': data,
      'backup[password]': BACKUP_PASSWORD,
    },
  });
  await deregister(sim, ONPREM_ID);
  await graph(sim, 'POST', `/${VERSION}/${ONPREM_ID}/register`, {
    query: {
      messaging_product: 'whatsapp',
      pin: PIN,
      backup: JSON.stringify({ data, password: BACKUP_PASSWORD }),
    },
  });
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550400', platform_type: 'ON_PREMISE' });
  await onprem(sim, 'POST', '5550400', '/v1/users/login', { authorization: basic(DEFAULT_USER, 'guess-pw') });

  const log = await requestLog(sim);
  const text = JSON.stringify(log) + lines.join('\n');
  const basicValue = Buffer.from(`${DEFAULT_USER}:${DEFAULT_PASSWORD}`).toString('base64');
  // (The PIN 123456 is also part of the number ids, so it is checked field by field below.)
  for (const secret of [DEFAULT_PASSWORD, 'guess-pw', basicValue, token, data, BACKUP_PASSWORD, '654321']) {
    assert.ok(!text.includes(secret), `log contains a secret (${secret.slice(0, 6)}…)`);
  }
  const onpremEntries = log.filter((e) => e.endpoint === 'onprem');
  assert.ok(onpremEntries.length >= 3);
  const backupEntry = onpremEntries.find((e) => String(e.path).endsWith('/v1/settings/backup'));
  assert.deepEqual(backupEntry?.params, { password: '***' });
  const registers = log.filter((e) => e.endpoint === 'register');
  assert.equal(registers.length, 3);
  assert.deepEqual(registers[0]?.params, { messaging_product: 'whatsapp', pin: '***', backup: '***' });
  assert.deepEqual(registers[1]?.params, {
    messaging_product: 'whatsapp',
    pin: '***',
    'backup[data]': '***',
    'backup[password]': '***',
  });
  assert.deepEqual(registers[2]?.params, { messaging_product: 'whatsapp', pin: '***', backup: '***' });
  assert.ok(!lines.some((l) => /pin=(?!\*\*\*)/.test(l)), 'PIN in a server log line');
  assert.ok(lines.some((l) => l.includes(`/onprem/${ONPREM_ID}/v1/settings/backup 200`)));
});

void test('state file: On-Prem credentials (hashed), tokens, backups and the running flag survive a restart', async (t) => {
  const dir = tempDir(t, 'sim-onprem-');
  const stateFile = join(dir, 'sim-state.json');
  const first = await launchSimulator({ stateFile, backupRegisterDelayMs: 0 });
  let data: string;
  let liveToken: string;
  try {
    await admin(first, 'POST', '/_sim/phone-numbers', {
      id: '5550500',
      platform_type: 'ON_PREMISE',
      pin: PIN,
      onprem: { username: 'ops', password: 'Persist-Me-1' },
    });
    liveToken = await login(first, '5550500', 'ops', 'Persist-Me-1');
    ({ data } = await createBackup(first));
    await createBackup(first);
    assert.equal(
      (await registerWithBackup(first, ONPREM_ID, '654321', { data, password: BACKUP_PASSWORD })).json.error
        .code,
      133005,
    );
  } finally {
    await first.close();
  }
  const content = readFileSync(stateFile, 'utf8');
  for (const secret of ['Persist-Me-1', DEFAULT_PASSWORD, BACKUP_PASSWORD, liveToken, data]) {
    assert.ok(!content.includes(secret), `state file holds a secret in clear (${secret.slice(0, 6)}…)`);
  }
  const saved = JSON.parse(content) as { version: number; phoneNumbers: Array<Record<string, unknown>> };
  assert.equal(saved.version, 5);

  const second = await launchSimulator({ stateFile, backupRegisterDelayMs: 0 });
  t.after(() => second.close());
  const down = await simNumber(second, ONPREM_ID);
  assert.deepEqual(
    [down.platform_type, down.status, down.onprem],
    ['NOT_APPLICABLE', 'DISCONNECTED', { running: false, backups: 2 }],
  );
  await assertRefused(second, ONPREM_ID);
  // The token issued before the restart still works, and so do the credentials.
  const backup = await onprem(second, 'POST', '5550500', '/v1/settings/backup', {
    authorization: `Bearer ${liveToken}`,
    json: { password: BACKUP_PASSWORD },
  });
  assert.equal(backup.status, 200, backup.text);
  assert.equal(typeof (await login(second, '5550500', 'ops', 'Persist-Me-1')), 'string');
  // The backup made before the restart still migrates the number.
  const ok = await registerWithBackup(second, ONPREM_ID, PIN, { data, password: BACKUP_PASSWORD });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await readFields(second, ONPREM_ID, ['platform_type'])).platform_type, 'CLOUD_API');

  // A version-3 file (before On-Prem existed) loads with no On-Prem client on its numbers.
  const legacy = JSON.parse(content) as { version: number; phoneNumbers: Array<Record<string, unknown>> };
  legacy.version = 3;
  legacy.phoneNumbers = legacy.phoneNumbers.filter((n) => n.onprem === null);
  for (const n of legacy.phoneNumbers) delete n.onprem;
  const legacyFile = join(dir, 'legacy.json');
  writeFileSync(legacyFile, JSON.stringify(legacy));
  const third = await startTestSimulator(t, { stateFile: legacyFile });
  assert.equal((await simNumber(third, PENDING_ID)).onprem, null);
});

void test('reset brings the On-Prem client back: running, no backups; old tokens and backups are void', async (t) => {
  const sim = await startTestSimulator(t, { backupRegisterDelayMs: 0 });
  const { token, data } = await createBackup(sim);
  assert.equal(
    (await registerWithBackup(sim, ONPREM_ID, PIN, { data, password: BACKUP_PASSWORD })).status,
    200,
  );
  await assertRefused(sim, ONPREM_ID);

  const reset = await admin(sim, 'POST', '/_sim/reset');
  assert.equal(reset.status, 200);
  const view = await simNumber(sim, ONPREM_ID);
  assert.deepEqual(
    [view.platform_type, view.status, view.onprem],
    ['ON_PREMISE', 'CONNECTED', { running: true, backups: 0 }],
  );
  assert.equal((await onprem(sim, 'GET', ONPREM_ID, '/v1/health')).status, 200);
  const stale = await onprem(sim, 'POST', ONPREM_ID, '/v1/settings/backup', {
    authorization: `Bearer ${token}`,
    json: { password: BACKUP_PASSWORD },
  });
  assert.equal(stale.status, 401);
  const old = await registerWithBackup(sim, ONPREM_ID, PIN, { data, password: BACKUP_PASSWORD });
  assert.equal(old.json.error.code, 100);
  assert.match(old.json.error.error_data.details, /invalid backup data/i);
  assert.equal((await readFields(sim, ONPREM_ID, ['platform_type'])).platform_type, 'ON_PREMISE');

  const none = await admin(sim, 'POST', '/_sim/reset', { seed: 'none' });
  assert.deepEqual(none.json.phone_numbers, []);
  assert.equal((await onprem(sim, 'GET', ONPREM_ID, '/v1/health')).status, 404);
});
