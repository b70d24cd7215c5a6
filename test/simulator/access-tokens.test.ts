// The simulator's access tokens (simulator/access-tokens.ts) and GET /me (graph/token-owner.ts): a token
// rotation as Meta documents it for system users (issue the new token while the old one still works,
// then revoke the old one: refused with 190 at once), all over real HTTP through the admin API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONNECTED_ID, TOKEN, VERSION, admin, graph, requestLog, startTestSimulator } from './helpers';

const NEW_TOKEN = 'rotated-test-token-2';

void test('GET /me answers the system user of an accepted token; fields pick id and name; others are (#100)', async (t) => {
  const sim = await startTestSimulator(t);
  const me = await graph(sim, 'GET', `/${VERSION}/me`);
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(Object.keys(me.json), ['name', 'id']);
  assert.match(me.json.id, /^\d+$/);
  const idOnly = await graph(sim, 'GET', `/${VERSION}/me`, { query: { fields: 'id' } });
  assert.deepEqual(Object.keys(idOnly.json), ['id']);
  const unknown = await graph(sim, 'GET', `/${VERSION}/me`, { query: { fields: 'email' } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.code, 100);
  assert.match(unknown.json.error.message, /nonexisting field \(email\) on node type \(User\)/);
  const post = await graph(sim, 'POST', `/${VERSION}/me`);
  assert.equal(post.json.error.code, 100, 'only GET /me is an endpoint');

  const [entry] = (await requestLog(sim)).filter((e) => e.endpoint === 'me');
  assert.equal(entry?.phoneNumberId, null, '/me is not a phone number');
  assert.equal(entry?.counted, false);
});

void test('a wrong or missing token is 190 (HTTP 401, WWW-Authenticate), on /me as on every endpoint', async (t) => {
  const sim = await startTestSimulator(t);
  for (const token of ['not-the-token', null]) {
    const res = await graph(sim, 'GET', `/${VERSION}/me`, { token });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 190);
    assert.equal(res.json.error.type, 'OAuthException');
    assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
  }
});

void test('rotation: an issued token works alongside the old one; the revoked one is 190 at once and for good', async (t) => {
  const sim = await startTestSimulator(t);
  assert.deepEqual((await admin(sim, 'GET', '/_sim/access-tokens')).json, { accepted: 1, revoked: 0 });

  const issued = await admin(sim, 'POST', '/_sim/access-tokens', { issue: NEW_TOKEN });
  assert.deepEqual(issued.json, { accepted: 2, revoked: 0 });
  assert.doesNotMatch(issued.text, new RegExp(`${TOKEN}|${NEW_TOKEN}`), 'the admin API never shows a token');
  for (const token of [TOKEN, NEW_TOKEN]) {
    assert.equal((await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`, { token })).status, 200, token);
  }

  const revoked = await admin(sim, 'POST', '/_sim/access-tokens', { revoke: TOKEN });
  assert.deepEqual(revoked.json, { accepted: 1, revoked: 1 });
  const refused = await graph(sim, 'POST', `/${VERSION}/${CONNECTED_ID}/deregister`, { token: TOKEN });
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error.code, 190);
  assert.match(refused.json.error.error_data.details, /revoked/);
  assert.equal((await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`, { token: NEW_TOKEN })).status, 200);
  const [deregister] = (await requestLog(sim)).filter((e) => e.endpoint === 'deregister');
  assert.deepEqual(
    { counted: deregister?.counted, applied: deregister?.applied, errorCode: deregister?.errorCode },
    { counted: false, applied: false, errorCode: 190 },
    'refused before the endpoint: no budget spent, nothing applied',
  );

  const again = await admin(sim, 'POST', '/_sim/access-tokens', { issue: TOKEN });
  assert.equal(again.status, 400);
  assert.match(again.json.error.message, /revoked token cannot be used again/);
  const unknown = await admin(sim, 'POST', '/_sim/access-tokens', { revoke: 'never-issued' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.json.error.message, /not an accepted token/);
  const empty = await admin(sim, 'POST', '/_sim/access-tokens', {});
  assert.equal(empty.status, 400);
  assert.match(empty.json.error.message, /give issue, revoke or both/);

  await admin(sim, 'POST', '/_sim/reset', {});
  assert.deepEqual((await admin(sim, 'GET', '/_sim/access-tokens')).json, { accepted: 1, revoked: 0 });
  assert.equal(
    (await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`)).status,
    200,
    'the startup token is back',
  );
  assert.equal((await graph(sim, 'GET', `/${VERSION}/me`, { token: NEW_TOKEN })).status, 401);
});

void test('a client that aborts during a latency fault: the log says when the connection closed', async (t) => {
  const sim = await startTestSimulator(t);
  await admin(sim, 'POST', '/_sim/faults', {
    faults: [{ endpoint: 'me', kind: 'latency', latencyMs: 1500 }],
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(graph(sim, 'GET', `/${VERSION}/me`, { signal: controller.signal }), /abort/i);
  let entry: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && !entry; i++) {
    entry = (await requestLog(sim)).find((e) => e.endpoint === 'me');
    if (!entry) await new Promise((r) => setTimeout(r, 50));
  }
  const closedAfter = entry?.clientClosedAfterMs as number;
  assert.ok(closedAfter >= 150 && closedAfter < 1000, `closed after ${closedAfter} ms`);
  assert.equal(entry?.fault, 'latency');

  await admin(sim, 'POST', '/_sim/faults', { faults: [], mode: 'replace' });
  await graph(sim, 'GET', `/${VERSION}/me`);
  const answered = (await requestLog(sim)).filter((e) => e.endpoint === 'me')[1];
  assert.equal(answered?.clientClosedAfterMs, undefined, 'an answered call has none');
});
