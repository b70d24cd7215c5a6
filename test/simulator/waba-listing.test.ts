// GET /{waba-id}/phone_numbers (cursor paging, known WABAs, faults, request log), bulk seeding through
// POST /_sim/phone-numbers with an array, and GraphClient.listWabaPhoneNumbers / the listWabaPhoneNumbersPage
// activity walking the pages of a real in-process simulator.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GraphCallError, GraphClient } from '../../activities/graph-client';
import { createActivities } from '../../activities/index';
import type { RunningSimulator } from '../../simulator/server';
import { SimulatorAdmin } from '../helpers/simulator-admin';
import {
  PENDING_ID,
  TOKEN,
  VERSION,
  admin,
  graph,
  launchSimulator,
  requestLog,
  startTestSimulator,
  tempDir,
} from './helpers';

const DEFAULT_WABA = '102290129340398';
const WABA = '880000000000001';
const OTHER_WABA = '880000000000002';

/**
 * 230 ids of two lengths, seeded shuffled: numeric order (all short ones first) differs from string order
 * ("1000000001" < "10002"), so the test sees which one the simulator uses.
 */
function fleetIds(count = 230): string[] {
  return Array.from({ length: count }, (_, i) => String(i % 2 === 0 ? 10_000 + i : 1_000_000_000 + i));
}
const numericOrder = (ids: string[]) => [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));

async function seedFleet(sim: RunningSimulator, ids = fleetIds()): Promise<string[]> {
  const shuffled = [...ids].sort(
    (a, b) => Number(BigInt(a) % 7n) - Number(BigInt(b) % 7n) || a.localeCompare(b),
  );
  await new SimulatorAdmin(sim.url).seedMany(
    shuffled.map((id, i) => ({
      id,
      waba_id: WABA,
      ...(i % 3 === 0 ? { status: 'CONNECTED', platform_type: 'CLOUD_API' } : {}),
    })),
  );
  // Another WABA's numbers must never show up in WABA's list.
  await new SimulatorAdmin(sim.url).seedMany([
    { id: '7770001', waba_id: OTHER_WABA },
    { id: '7770002', waba_id: OTHER_WABA },
  ]);
  return numericOrder(ids);
}

function listPath(wabaId = WABA): string {
  return `/${VERSION}/${wabaId}/phone_numbers`;
}

/** Follows `next` as a client would: the absolute URL as given, token in the header. */
async function followNext(next: string) {
  const res = await fetch(next, { headers: { authorization: `Bearer ${TOKEN}` } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

void test('paging: 230 numbers come back exactly once, in numeric id order, 100 per page, next only while more', async (t) => {
  const sim = await startTestSimulator(t);
  const expected = await seedFleet(sim);

  const first = await graph(sim, 'GET', listPath(), {
    query: { fields: 'id,status,platform_type', limit: '100' },
  });
  assert.equal(first.status, 200, first.text);
  const pages = [first.json];
  let next: string | undefined = first.json.paging?.next;
  while (next !== undefined) {
    assert.ok(next.startsWith(`${sim.url}${listPath()}?`), `next is the full URL: ${next}`);
    const url = new URL(next);
    assert.equal(url.searchParams.get('limit'), '100');
    assert.equal(url.searchParams.get('fields'), 'id,status,platform_type');
    assert.equal(url.searchParams.get('access_token'), null, 'the token is never put in a link');
    const page = await followNext(next);
    assert.equal(page.status, 200);
    pages.push(page.json);
    next = page.json.paging?.next;
  }
  assert.deepEqual(
    pages.map((p) => p.data.length),
    [100, 100, 30],
  );
  const seen = pages.flatMap((p) => p.data.map((n: { id: string }) => n.id));
  assert.deepEqual(seen, expected, 'every number once, in numeric id order');

  for (const [i, page] of pages.entries()) {
    const { cursors } = page.paging;
    assert.equal(typeof cursors.before, 'string');
    assert.equal(typeof cursors.after, 'string');
    assert.notEqual(cursors.before, cursors.after);
    assert.equal('next' in page.paging, i < 2, `page ${i}: next only while more pages exist`);
    assert.equal('previous' in page.paging, i > 0, `page ${i}: previous only after the first page`);
  }
  // Fields are projected as the single-number GET does: the requested ones, then id.
  const node = pages[0].data[0];
  assert.deepEqual(Object.keys(node), ['status', 'platform_type', 'id']);
  assert.deepEqual(
    node,
    (await graph(sim, 'GET', `/${VERSION}/${node.id}`, { query: { fields: 'status,platform_type' } })).json,
  );

  // The after cursor of the last page leads to an empty page: no paging at all.
  const past = await graph(sim, 'GET', listPath(), { query: { after: pages[2].paging.cursors.after } });
  assert.equal(past.status, 200);
  assert.deepEqual(past.json, { data: [] });

  // previous (before cursor) goes back to the page before.
  const back = await followNext(pages[2].paging.previous);
  assert.deepEqual(
    back.json.data.map((n: { id: string }) => n.id),
    expected.slice(100, 200),
  );
});

void test('default page size is 25 with the default fields; a limit above 100 is clamped; a bad limit is (#100)', async (t) => {
  const sim = await startTestSimulator(t);
  const expected = await seedFleet(sim);

  const page = await graph(sim, 'GET', listPath());
  assert.equal(page.status, 200);
  assert.equal(page.json.data.length, 25);
  assert.deepEqual(Object.keys(page.json.data[0]).sort(), [
    'display_phone_number',
    'id',
    'quality_rating',
    'verified_name',
  ]);
  assert.equal(new URL(page.json.paging.next).searchParams.get('limit'), '25');

  const clamped = await graph(sim, 'GET', listPath(), { query: { limit: '500' } });
  assert.equal(clamped.status, 200);
  assert.equal(clamped.json.data.length, 100);
  assert.equal(new URL(clamped.json.paging.next).searchParams.get('limit'), '100');

  const all = await graph(sim, 'GET', listPath(), {
    query: { limit: '100', after: clamped.json.paging.cursors.after },
  });
  assert.deepEqual(
    all.json.data.map((n: { id: string }) => n.id),
    expected.slice(100, 200),
  );

  for (const limit of ['0', '-3', 'abc', '2.5']) {
    const bad = await graph(sim, 'GET', listPath(), { query: { limit } });
    assert.equal(bad.status, 400, `limit=${limit}`);
    assert.equal(bad.json.error.code, 100, `limit=${limit}`);
    assert.match(bad.json.error.message, /limit/);
  }
  const badField = await graph(sim, 'GET', listPath(), { query: { fields: 'id,nope' } });
  assert.equal(badField.status, 400);
  assert.equal(badField.json.error.code, 100);
  assert.match(badField.json.error.message, /nonexisting field \(nope\)/);
});

void test('a bad cursor is (#100): garbage, altered, another WABA’s, or after and before together', async (t) => {
  const sim = await startTestSimulator(t);
  await seedFleet(sim);
  const page = await graph(sim, 'GET', listPath(), { query: { limit: '10' } });
  const { after, before } = page.json.paging.cursors as { after: string; before: string };
  const otherCursor = (await graph(sim, 'GET', listPath(OTHER_WABA), { query: { limit: '1' } })).json.paging
    .cursors.after as string;

  const cases: Array<[string, Record<string, string>]> = [
    ['garbage', { after: 'not a cursor!' }],
    ['valid base64 of something else', { after: Buffer.from('hello').toString('base64url') }],
    ['altered', { after: `${after}x` }],
    ['another WABA’s cursor', { after: otherCursor }],
    ['bad before', { before: '%%%' }],
    ['after and before', { after, before }],
  ];
  for (const [what, query] of cases) {
    const res = await graph(sim, 'GET', listPath(), { query });
    assert.equal(res.status, 400, what);
    assert.equal(res.json.error.code, 100, what);
    assert.equal(res.json.error.error_subcode, undefined, what);
    assert.equal(res.json.error.error_data.messaging_product, 'whatsapp', what);
  }
});

void test('unknown WABA → HTTP 400 (#100) subcode 33; a known WABA without numbers → {"data": []}', async (t) => {
  const sim = await startTestSimulator(t);
  for (const id of ['990000000000009', PENDING_ID]) {
    // A phone number is not a WABA either.
    const res = await graph(sim, 'GET', listPath(id));
    assert.equal(res.status, 400, id);
    assert.equal(res.json.error.code, 100, id);
    assert.equal(res.json.error.error_subcode, 33, id);
    assert.equal(res.json.error.type, 'GraphMethodException');
    assert.match(
      res.json.error.message,
      new RegExp(`^Unsupported get request\\. Object with ID '${id}' does not exist`),
    );
  }

  const simAdmin = new SimulatorAdmin(sim.url);
  assert.deepEqual(await simAdmin.createWaba('990000000000009'), { id: '990000000000009', phone_numbers: 0 });
  const empty = await graph(sim, 'GET', listPath('990000000000009'));
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.json, { data: [] });

  // Creating it again is fine (200, not 201); a phone number's id cannot become a WABA.
  assert.equal((await admin(sim, 'POST', '/_sim/wabas', { id: '990000000000009' })).status, 200);
  const clash = await admin(sim, 'POST', '/_sim/wabas', { id: PENDING_ID });
  assert.equal(clash.status, 409);
  assert.equal((await admin(sim, 'POST', '/_sim/wabas', { id: 'abc' })).status, 400);
  assert.deepEqual(await simAdmin.wabas(), [
    { id: DEFAULT_WABA, phone_numbers: 5 },
    { id: '990000000000009', phone_numbers: 0 },
  ]);

  // The default seed's WABA lists its five numbers; a reset forgets created WABAs.
  const seeded = await graph(sim, 'GET', listPath(DEFAULT_WABA), { query: { fields: 'id' } });
  assert.deepEqual(
    seeded.json.data.map((n: { id: string }) => n.id),
    ['1234567890', '1234567891', '1234567892', '1234567893', '1234567894'],
  );
  assert.equal(seeded.json.paging.next, undefined);
  await admin(sim, 'POST', '/_sim/reset', {});
  assert.equal((await graph(sim, 'GET', listPath('990000000000009'))).json.error?.error_subcode, 33);
  assert.equal((await graph(sim, 'GET', listPath(DEFAULT_WABA))).status, 200);
});

void test('a WABA stays known when its last number moves to another WABA', async (t) => {
  const sim = await startTestSimulator(t, { seed: 'none' });
  const simAdmin = new SimulatorAdmin(sim.url);
  await simAdmin.seed({ id: '5551000', waba_id: WABA });
  await simAdmin.seed({ id: '5551000', waba_id: OTHER_WABA });
  assert.deepEqual((await graph(sim, 'GET', listPath())).json, { data: [] });
  assert.deepEqual(
    (await graph(sim, 'GET', listPath(OTHER_WABA))).json.data.map((n: { id: string }) => n.id),
    ['5551000'],
  );
});

void test('auth: no token or a wrong one → 401 (#190); access_token as a parameter works; not a POST', async (t) => {
  const sim = await startTestSimulator(t);
  for (const token of [null, 'wrong-token']) {
    const res = await graph(sim, 'GET', listPath(DEFAULT_WABA), { token });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 190);
    assert.equal(res.json.data, undefined);
  }
  const viaQuery = await graph(sim, 'GET', listPath(DEFAULT_WABA), {
    token: null,
    query: { access_token: TOKEN },
  });
  assert.equal(viaQuery.status, 200);
  assert.equal(viaQuery.json.data.length, 5);
  // The edge takes GET only here; the version segment is required.
  const post = await graph(sim, 'POST', listPath(DEFAULT_WABA));
  assert.equal(post.json.error.error_subcode, 33);
  assert.equal((await graph(sim, 'GET', `/${DEFAULT_WABA}/phone_numbers`)).json.error.error_subcode, 33);
});

void test('request log: one phone_numbers entry per page with the WABA id, never counted; filterable by waba_id', async (t) => {
  const sim = await startTestSimulator(t);
  await seedFleet(sim);
  const first = await graph(sim, 'GET', listPath(), { query: { limit: '100' } });
  await followNext(first.json.paging.next);
  await graph(sim, 'GET', listPath('990000000000009'));
  await graph(sim, 'GET', listPath(DEFAULT_WABA), { token: null });

  const entries = await requestLog(sim, '?endpoint=phone_numbers');
  assert.deepEqual(
    entries.map((e) => [e.wabaId, e.phoneNumberId, e.status, e.counted, e.applied]),
    [
      [WABA, null, 200, false, false],
      [WABA, null, 200, false, false],
      ['990000000000009', null, 400, false, false],
      [DEFAULT_WABA, null, 401, false, false],
    ],
  );
  assert.equal(entries[2]?.errorSubcode, 33);
  assert.equal((entries[3]?.params as Record<string, unknown> | undefined)?.access_token, undefined);
  const byWaba = await new SimulatorAdmin(sim.url).requests({ wabaId: WABA });
  assert.equal(byWaba.length, 2);
  assert.ok(byWaba.every((e) => e.endpoint === 'phone_numbers' && e.path === listPath()));
});

void test('faults: phone_numbers rules (and * rules) apply as to a read; get and per-number rules do not', async (t) => {
  const sim = await startTestSimulator(t);
  const simAdmin = new SimulatorAdmin(sim.url);
  const list = () => graph(sim, 'GET', listPath(DEFAULT_WABA));

  await simAdmin.faults([
    { endpoint: 'get', kind: 'http-5xx' },
    { endpoint: '*', phoneNumberId: PENDING_ID, kind: 'http-5xx' },
  ]);
  assert.equal((await list()).status, 200, 'a get rule or a per-number rule does not touch the listing');

  await simAdmin.faults([
    { endpoint: 'phone_numbers', kind: 'error-131000', count: 1 },
    { endpoint: 'phone_numbers', kind: 'http-5xx', count: 1 },
    { endpoint: 'phone_numbers', kind: 'throttle', code: 80007, count: 1 },
    { endpoint: '*', kind: 'throttle', code: 4, count: 1 },
  ]);
  const internal = await list();
  assert.deepEqual([internal.status, internal.json.error.code], [500, 131000]);
  const proxy = await list();
  assert.equal(proxy.status, 502);
  assert.match(proxy.text, /Bad Gateway/);
  assert.equal((await list()).json.error.code, 80007);
  assert.equal((await list()).json.error.code, 4);
  assert.equal((await list()).status, 200, 'all rules used up');

  await simAdmin.faults([{ endpoint: 'phone_numbers', kind: 'latency', latencyMs: 150, count: 1 }]);
  const started = Date.now();
  assert.equal((await list()).status, 200);
  assert.ok(Date.now() - started >= 140, 'latency applied');

  const faulted = (await simAdmin.requests({ endpoint: 'phone_numbers' })).map((e) => e.fault);
  assert.deepEqual(faulted, [
    undefined,
    'error-131000',
    'http-5xx',
    'throttle',
    'throttle',
    undefined,
    'latency',
  ]);
});

void test('bulk seed: 1,000 numbers in one request, well under 2 s; all or nothing on a bad record', async (t) => {
  const dir = tempDir(t, 'graph-sim-bulk-');
  const stateFile = join(dir, 'state.json');
  const sim = await startTestSimulator(t, { seed: 'none', stateFile });
  const simAdmin = new SimulatorAdmin(sim.url);
  const records = Array.from({ length: 1000 }, (_, i) => ({
    id: String(3_000_000 + i),
    waba_id: WABA,
    verified_name: `Fleet ${i}`,
    ...(i % 2 === 0 ? { status: 'CONNECTED', platform_type: 'CLOUD_API', pin: '123456' } : {}),
  }));
  const started = performance.now();
  const ids = await simAdmin.seedMany(records);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 2000, `seeding 1,000 numbers took ${Math.round(elapsed)} ms`);
  assert.equal(ids.length, 1000);
  assert.deepEqual(await simAdmin.wabas(), [{ id: WABA, phone_numbers: 1000 }]);
  const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { phoneNumbers: unknown[]; wabas: string[] };
  assert.equal(saved.phoneNumbers.length, 1000);
  assert.deepEqual(saved.wabas, [WABA]);
  const one = await simAdmin.phoneNumber('3000000');
  assert.deepEqual([one.status, one.platform_type, one.is_pin_enabled], ['CONNECTED', 'CLOUD_API', true]);

  // One bad record (index 2) rejects the whole batch: nothing of it is stored.
  const bad = await admin(sim, 'POST', '/_sim/phone-numbers', [
    { id: '4000000', waba_id: OTHER_WABA },
    { id: '4000001', waba_id: OTHER_WABA },
    { id: '40000x2', waba_id: OTHER_WABA },
  ]);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, '2.id');
  const dup = await admin(sim, 'POST', '/_sim/phone-numbers', [
    { id: '4000000', waba_id: OTHER_WABA },
    { id: '4000000', waba_id: OTHER_WABA, status: 'CONNECTED' },
  ]);
  assert.equal(dup.status, 400);
  assert.equal(dup.json.error.field, '1.id');
  assert.match(dup.json.error.message, /duplicate id 4000000/);
  assert.equal((await admin(sim, 'POST', '/_sim/phone-numbers', [])).status, 400);
  assert.equal((await admin(sim, 'GET', '/_sim/phone-numbers/4000000')).status, 404);
  assert.deepEqual(
    await simAdmin.wabas(),
    [{ id: WABA, phone_numbers: 1000 }],
    'no WABA from a rejected batch',
  );
  await assert.rejects(simAdmin.seedMany([{ id: '4000000', status: 'NOPE' }]), /HTTP 400/);

  // The WABAs survive a restart on the state file, an empty one included.
  await simAdmin.createWaba(OTHER_WABA);
  await sim.close();
  const second = await launchSimulator({ stateFile });
  t.after(() => second.close());
  assert.deepEqual(await new SimulatorAdmin(second.url).wabas(), [
    { id: WABA, phone_numbers: 1000 },
    { id: OTHER_WABA, phone_numbers: 0 },
  ]);
  assert.deepEqual((await graph(second, 'GET', listPath(OTHER_WABA))).json, { data: [] });
});

function graphClient(sim: RunningSimulator): GraphClient {
  return new GraphClient({
    baseUrl: sim.url,
    apiVersion: VERSION,
    accessToken: TOKEN,
    timeoutMs: 5000,
    blockMs: 72 * 3_600_000,
  });
}

void test('GraphClient.listWabaPhoneNumbers walks the pages: 100 each, the lifecycle fields, after only while more', async (t) => {
  const sim = await startTestSimulator(t);
  const expected = await seedFleet(sim);
  const client = graphClient(sim);

  const pages: Awaited<ReturnType<GraphClient['listWabaPhoneNumbers']>>[] = [];
  let after: string | undefined;
  do {
    const page = await client.listWabaPhoneNumbers(WABA, after);
    pages.push(page);
    after = page.after;
  } while (after !== undefined);
  assert.deepEqual(
    pages.map((p) => [p.numbers.length, p.after !== undefined]),
    [
      [100, true],
      [100, true],
      [30, false],
    ],
  );
  assert.equal('after' in (pages[2] ?? {}), false);
  const numbers = pages.flatMap((p) => p.numbers);
  assert.deepEqual(
    numbers.map((n) => n.id),
    expected,
  );
  const first = numbers[0];
  assert.ok(first);
  for (const field of [
    'status',
    'platform_type',
    'code_verification_status',
    'name_status',
    'display_phone_number',
  ]) {
    assert.notEqual(first[field], undefined, field);
  }
  const log = await new SimulatorAdmin(sim.url).requests({ wabaId: WABA });
  assert.equal(log.length, 3);
  assert.ok(log.every((e) => e.params?.limit === '100' && String(e.params.fields).includes('platform_type')));

  // A known empty WABA: one empty page, no cursor.
  await new SimulatorAdmin(sim.url).createWaba('990000000000009');
  assert.deepEqual(await client.listWabaPhoneNumbers('990000000000009'), { numbers: [] });
});

void test('GraphClient.listWabaPhoneNumbers: unknown WABA and a bad cursor are non-retryable InvalidRequest; 5xx is retryable', async (t) => {
  const sim = await startTestSimulator(t);
  const client = graphClient(sim);
  for (const call of [
    client.listWabaPhoneNumbers('990000000000009'),
    client.listWabaPhoneNumbers(DEFAULT_WABA, 'bogus'),
  ]) {
    const err = await call.then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GraphCallError);
    assert.equal(err.type, 'GraphInvalidRequest');
    assert.equal(err.retryable, false);
    assert.equal(err.details.code, 100);
  }
  const unknown = await client.listWabaPhoneNumbers('990000000000009').catch((e: GraphCallError) => e);
  assert.ok(unknown instanceof GraphCallError);
  assert.equal(unknown.details.subcode, 33);

  await new SimulatorAdmin(sim.url).faults([{ endpoint: 'phone_numbers', kind: 'http-5xx', count: 1 }]);
  const proxy = await client.listWabaPhoneNumbers(DEFAULT_WABA).catch((e: GraphCallError) => e);
  assert.ok(proxy instanceof GraphCallError);
  assert.equal(proxy.retryable, true);
});

void test('activity listWabaPhoneNumbersPage: ids with platformType and status, after until the last page', async (t) => {
  const sim = await startTestSimulator(t);
  const expected = await seedFleet(sim);
  const activities = createActivities({
    graph: graphClient(sim),
    policy: () => {
      throw new Error('not used');
    },
  });
  const seen: { phoneNumberId: string; platformType?: string; status?: string }[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await activities.listWabaPhoneNumbersPage(WABA, after);
    seen.push(...page.phoneNumbers);
    after = page.after;
    pages += 1;
  } while (after !== undefined);
  assert.equal(pages, 3);
  assert.deepEqual(
    seen.map((n) => n.phoneNumberId),
    expected,
  );
  const connected = seen.filter((n) => n.platformType === 'CLOUD_API' && n.status === 'CONNECTED').length;
  assert.equal(connected, 77, 'every third seeded number is on Cloud API'); // ceil(230 / 3)
  assert.deepEqual(Object.keys(seen[0] ?? {}).sort(), ['phoneNumberId', 'platformType', 'status']);

  // Graph failures reach the workflow as ApplicationFailures of the classified type.
  await assert.rejects(activities.listWabaPhoneNumbersPage('990000000000009'), (err: Error) => {
    assert.equal(err.name, 'ApplicationFailure');
    assert.equal((err as Error & { type?: string; nonRetryable?: boolean }).type, 'GraphInvalidRequest');
    assert.equal((err as Error & { nonRetryable?: boolean }).nonRetryable, true);
    return true;
  });
});
