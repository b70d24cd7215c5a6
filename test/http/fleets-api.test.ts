// The fleet routes of the HTTP API end to end on the dev server: fetch → API server → client library →
// fleet workflow → each number's lifecycle → real activities → the Graph simulator. Start (a list, a
// WABA), follow, cancel and retry; every bad number of a body reported before anything starts; status
// codes and error codes; auth; the OpenAPI document; no PIN or password in any answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CancelFleetResult, FleetStatus } from '../../client';
import type { ApiServer } from '../../api/server';
import { seedManyVerified } from '../helpers/seed';
import type { TestStack } from '../helpers/stack';
import { assertApiError as assertError, createApiHarness, readOpenApi, type Json } from './api-harness';

const KEY = 'fleet-api-test-key';
/** The PIN the simulator's numbers have; distinct, so finding it in an answer is a leak. */
const PIN = '246813';
const BAD_PIN = '97531';
const ONPREM_PASSWORD = 'onprem-pw-not-echoed';
const BACKUP_PASSWORD = 'backup-pw-not-echoed';
const secrets = [PIN, BAD_PIN, ONPREM_PASSWORD, BACKUP_PASSWORD];

const harness = createApiHarness({
  key: KEY,
  stackOptions: { configEnv: { WA_GRAPH_MAX_REQUESTS_PER_SECOND: '200' } },
});
const { call, responseTexts } = harness;
let stack: TestStack;
let api: ApiServer;

before(async () => {
  ({ stack, api } = await harness.start());
});
after(() => harness.stop());

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

/** Polls GET {location} until the fleet is no longer running. */
async function finished(location: string, query = ''): Promise<FleetStatus> {
  for (let i = 0; i < 600; i++) {
    const answer = await call<FleetStatus>('GET', `${location}${query}`);
    assert.equal(answer.status, 200, answer.text);
    if (answer.json.status !== 'RUNNING') return answer.json;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fleet at ${location} still running`);
}

async function registerCount(): Promise<number> {
  return (await stack.sim.requests({ endpoint: 'register' })).length;
}

test('fleet routes need a key; a bad fleet ID in the path → 400 naming fleetId', async () => {
  for (const [method, path] of [
    ['POST', '/v1/fleets'],
    ['GET', '/v1/fleets/some-fleet'],
    ['POST', '/v1/fleets/some-fleet/cancel'],
    ['POST', '/v1/fleets/some-fleet/retry'],
  ] as const) {
    const answer = await call(method, path, {
      key: null,
      body: method === 'POST' ? { operation: 'deregister', concurrency: 1 } : undefined,
    });
    assertError(answer, 401, 'UNAUTHORIZED');
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/);
  }
  assertError(await call('GET', '/v1/fleets/some-fleet', { key: 'wrong-key' }), 401, 'UNAUTHORIZED');
  assertError(await call('GET', '/v1/fleets/-bad'), 400, 'BAD_REQUEST', 'fleetId');
  assertError(await call('POST', '/v1/fleets/a%20b/cancel'), 400, 'BAD_REQUEST', 'fleetId');
  const get = await call('GET', '/v1/fleets');
  assertError(get, 405, 'METHOD_NOT_ALLOWED');
  assert.equal(get.headers.get('allow'), 'POST');
});

test('POST /v1/fleets: a 20-number register fleet → 202 + Location; GET until COMPLETED, 20 completed', async () => {
  const numbers = ids('7810000', 20);
  await seedManyVerified(stack.sim, numbers, { pin: PIN });
  const before = await registerCount();
  const posted = await call<{ fleetId: string; workflowId: string; status: string }>('POST', '/v1/fleets', {
    body: {
      operation: 'register',
      concurrency: 8,
      fleetId: 'http-register-20',
      requestedBy: 'fleet-api-test',
      defaults: { pin: PIN },
      // The PIN from the defaults, the number's own, or the pins map.
      numbers: numbers.map((phoneNumberId, i) => (i === 3 ? { phoneNumberId, pin: PIN } : { phoneNumberId })),
      pins: { [numbers[7]!]: PIN },
    },
  });
  assert.equal(posted.status, 202, posted.text);
  assert.deepEqual(posted.json, {
    fleetId: 'http-register-20',
    workflowId: 'fleet:http-register-20',
    status: 'RUNNING',
  });
  const location = posted.headers.get('location');
  assert.equal(location, '/v1/fleets/http-register-20');

  const done = await finished(location!);
  assert.equal(done.status, 'COMPLETED');
  assert.equal(done.fleetId, 'http-register-20');
  const progress = done.progress!;
  assert.equal(progress.phase, 'finished');
  assert.equal(progress.total, 20);
  assert.equal(progress.counts.completed, 20, JSON.stringify(progress.counts));
  assert.equal(progress.requestedBy, 'fleet-api-test');
  assert.deepEqual(progress.numbers, [], 'by default only the problems are listed');
  assert.equal((await registerCount()) - before, 20);

  const all = await call<FleetStatus>('GET', `${location}?numbers=all`);
  assert.equal(all.json.progress?.numbers.length, 20);
  assert.ok(all.json.progress?.numbers.every((n) => n.status === 'completed'));
  const none = await call<FleetStatus>('GET', `${location}?numbers=none`);
  assert.equal(none.json.progress?.numbers.length, 0);
  assertError(await call('GET', `${location}?numbers=some`), 400, 'BAD_REQUEST', 'numbers');
  assert.equal((await stack.sim.phoneNumber(numbers[0]!)).status, 'CONNECTED');

  // The ID is taken now.
  const again = assertError(
    await call('POST', '/v1/fleets', {
      body: {
        operation: 'register',
        concurrency: 1,
        fleetId: 'http-register-20',
        numbers: [{ phoneNumberId: numbers[0], pin: PIN }],
      },
    }),
    409,
    'CONFLICT',
    'fleetId',
  );
  assert.match(again.message, /already exists/);
});

test('bad bodies → 400 naming the field, every bad number listed, nothing started, no secret echoed', async () => {
  const numbers = ids('7820000', 8);
  await seedManyVerified(stack.sim, numbers, { pin: PIN });
  const items = numbers.map((phoneNumberId) => ({ phoneNumberId, pin: PIN }));
  const valid = { operation: 'register', concurrency: 2, numbers: items };
  const before = await registerCount();
  let n = 0;
  /** Posts the body under a fresh fleet ID; the fleet must not exist afterwards. */
  const post = async (body: Record<string, unknown>, field: string) => {
    const fleetId = `http-bad-${n++}`;
    const error = assertError(
      await call('POST', '/v1/fleets', { body: { fleetId, ...body } }),
      400,
      'BAD_REQUEST',
      field,
    );
    assertError(await call('GET', `/v1/fleets/${fleetId}`), 404, 'NOT_FOUND', 'fleetId');
    return error;
  };

  const extra = await post({ ...valid, colour: 'blue' }, 'colour');
  assert.match(extra.message, /unknown field colour/);
  const { operation: _o, ...noOperation } = valid;
  assert.match((await post(noOperation, 'operation')).message, /is required/);
  assert.match((await post({ ...valid, operation: 'reboot' }, 'operation')).message, /must be one of/);
  const { concurrency: _c, ...noConcurrency } = valid;
  await post(noConcurrency, 'concurrency');
  for (const concurrency of [0, 501, 2.5, '2']) {
    assert.match((await post({ ...valid, concurrency }, 'concurrency')).message, /1 to 500/);
  }
  assert.match((await post({ ...valid, wabaId: '880000000009' }, 'wabaId')).message, /not both/);
  const { numbers: _n, ...neither } = valid;
  await post(neither, 'numbers');
  await post({ ...valid, numbers: [] }, 'numbers');
  await post({ ...valid, fleetId: 'no spaces' }, 'fleetId');
  await post({ ...valid, defaults: { colour: 'blue' } }, 'defaults.colour');
  await post({ ...valid, pins: { [numbers[0]!]: BAD_PIN } }, `pins.${numbers[0]}`);
  await post(
    {
      operation: 'deregister',
      concurrency: 2,
      numbers: [{ phoneNumberId: numbers[0] }],
      pins: { [numbers[0]!]: PIN },
    },
    'pins',
  );

  // A bad PIN in item 2 and a bad region in item 5: both listed, the first one is `field`.
  const twoBad = items.map((item, i) =>
    i === 2 ? { ...item, pin: BAD_PIN } : i === 5 ? { ...item, region: 'XX' } : item,
  );
  const both = await post({ ...valid, numbers: twoBad }, 'numbers[2].pin');
  assert.deepEqual(
    both.errors?.map((e) => e.field),
    ['numbers[2].pin', 'numbers[5].region'],
  );
  assert.match(both.errors![0]!.message, /6 digits/);
  assert.match(both.message, /numbers\[5\]\.region/);

  // A duplicate number: the error is on the later item, naming the first.
  const dup = await post(
    { ...valid, numbers: [...items.slice(0, 4), { phoneNumberId: numbers[1], pin: PIN }] },
    'numbers[4].phoneNumberId',
  );
  assert.match(dup.errors![0]!.message, /appears twice: first at numbers\[1\]/);

  // Per-item problems: unknown field, an operation of its own, a field the operation does not take,
  // a missing PIN, not an object; a default the operation does not take is reported once, at defaults.
  const mixed = await post(
    {
      operation: 'register',
      concurrency: 2,
      numbers: [
        { phoneNumberId: numbers[0], pin: PIN, colour: 'blue' },
        { phoneNumberId: numbers[1], pin: PIN, operation: 'deregister' },
        { phoneNumberId: numbers[2], pin: PIN, backupPassword: BACKUP_PASSWORD },
        { phoneNumberId: numbers[3] },
        'not-an-object',
        { phoneNumberId: 'abc', pin: PIN },
      ],
    },
    'numbers[0].colour',
  );
  assert.deepEqual(
    mixed.errors?.map((e) => e.field),
    [
      'numbers[0].colour',
      'numbers[1].operation',
      'numbers[2].backupPassword',
      'numbers[3].pin',
      'numbers[4]',
      'numbers[5].phoneNumberId',
    ],
  );
  const deregister = await post(
    {
      operation: 'deregister',
      concurrency: 2,
      defaults: { region: 'DE' },
      numbers: items.slice(0, 3).map(({ phoneNumberId }) => ({ phoneNumberId })),
    },
    'defaults.region',
  );
  assert.equal(deregister.errors?.length, 1);

  // migrate: onPrem merged from the defaults and the number; passwords never echoed.
  const migrate = await post(
    {
      operation: 'migrate',
      concurrency: 2,
      defaults: {
        backupPassword: BACKUP_PASSWORD,
        onPrem: { username: 'admin', password: ONPREM_PASSWORD },
      },
      numbers: [
        { phoneNumberId: numbers[0], pin: PIN, onPrem: { url: 'https://onprem.example' } },
        { phoneNumberId: numbers[1], pin: PIN },
        { phoneNumberId: numbers[2], pin: PIN, onPrem: { url: 'not a url', password: ONPREM_PASSWORD } },
      ],
    },
    'numbers[1].onPrem.url',
  );
  assert.deepEqual(
    migrate.errors?.map((e) => e.field),
    ['numbers[1].onPrem.url', 'numbers[2].onPrem.url'],
  );

  // Not JSON / not an object.
  assertError(await call('POST', '/v1/fleets', { body: ['register'] }), 400, 'BAD_REQUEST');
  const noBody = await fetch(`${api.url}/v1/fleets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}` },
  });
  assert.equal(noBody.status, 415);

  assert.equal(await registerCount(), before, 'no register request was sent');
  for (const id of numbers) assertError(await call('GET', `/v1/phone-numbers/${id}`), 404, 'NOT_FOUND');
});

test('a WABA fleet runs every number of the WABA with its PIN; an empty WABA → 400 naming wabaId', async () => {
  const waba = '880000000101';
  const numbers = ids('7830000', 4);
  await seedManyVerified(stack.sim, numbers, { pin: PIN, waba_id: waba });
  const posted = await call<{ fleetId: string }>('POST', '/v1/fleets', {
    body: {
      operation: 'register',
      concurrency: 4,
      wabaId: waba,
      pins: Object.fromEntries(numbers.map((id) => [id, PIN])),
    },
  });
  assert.equal(posted.status, 202, posted.text);
  assert.match(posted.json.fleetId, /^register-/, 'a generated ID');
  const location = posted.headers.get('location')!;
  assert.equal(location, `/v1/fleets/${posted.json.fleetId}`);
  const done = await finished(location);
  assert.equal(done.status, 'COMPLETED');
  assert.equal(done.progress?.wabaId, waba);
  assert.equal(done.progress?.total, 4);
  assert.equal(done.progress?.counts.completed, 4);

  await stack.sim.createWaba('880000000102');
  const empty = assertError(
    await call('POST', '/v1/fleets', {
      body: { operation: 'register', concurrency: 2, wabaId: '880000000102', defaults: { pin: PIN } },
    }),
    400,
    'BAD_REQUEST',
    'wabaId',
  );
  assert.match(empty.message, /no phone numbers/);

  // A number of the WABA without a PIN: 400, and nothing registered.
  const waba3 = '880000000103';
  const unpinned = ids('7831000', 2);
  await seedManyVerified(stack.sim, unpinned, { pin: PIN, waba_id: waba3 });
  const before = await registerCount();
  const missing = assertError(
    await call('POST', '/v1/fleets', {
      body: { operation: 'register', concurrency: 2, wabaId: waba3, pins: { [unpinned[0]!]: PIN } },
    }),
    400,
    'BAD_REQUEST',
    'wabaId',
  );
  assert.match(missing.message, new RegExp(unpinned[1]!));
  assert.equal(await registerCount(), before);
});

test('unknown fleet: GET, cancel and retry → 404 NOT_FOUND', async () => {
  const get = assertError(await call('GET', '/v1/fleets/no-such-fleet'), 404, 'NOT_FOUND', 'fleetId');
  assert.match(get.message, /no fleet with ID no-such-fleet/);
  assertError(await call('POST', '/v1/fleets/no-such-fleet/cancel'), 404, 'NOT_FOUND', 'fleetId');
  assertError(
    await call('POST', '/v1/fleets/no-such-fleet/retry', { body: {} }),
    404,
    'NOT_FOUND',
    'fleetId',
  );
});

test('cancel a running fleet → 200 with notStarted; again → 409; retry → 202 and the rest completes', async () => {
  const numbers = ids('7840000', 12);
  await seedManyVerified(stack.sim, numbers, { pin: PIN });
  await stack.sim.faults([{ endpoint: 'register', kind: 'latency', latencyMs: 1500 }]);
  let cancelled: CancelFleetResult;
  const location = '/v1/fleets/http-cancel-12';
  try {
    const posted = await call('POST', '/v1/fleets', {
      body: {
        operation: 'register',
        concurrency: 2,
        fleetId: 'http-cancel-12',
        numbers: numbers.map((phoneNumberId) => ({ phoneNumberId, pin: PIN })),
      },
    });
    assert.equal(posted.status, 202, posted.text);
    assert.equal(posted.headers.get('location'), location);
    // Started numbers are under way before the cancel.
    for (let i = 0; ; i++) {
      const now = await call<FleetStatus>('GET', location);
      const c = now.json.progress?.counts;
      if (c && c.running + c.starting + c.completed > 0) break;
      assert.ok(i < 300, 'the fleet started numbers');
      await new Promise((r) => setTimeout(r, 50));
    }
    const early = assertError(await call('POST', `${location}/retry`), 409, 'CONFLICT', 'fleetId');
    assert.match(early.message, /still running/);
    assertError(
      await call('POST', `${location}/cancel`, { body: { requestedBy: 'ops', extra: 1 } }),
      400,
      'BAD_REQUEST',
      'extra',
    );

    const answer = await call<CancelFleetResult>('POST', `${location}/cancel`, {
      body: { requestedBy: 'ops' },
    });
    assert.equal(answer.status, 200, answer.text);
    cancelled = answer.json;
    assert.ok(cancelled.notStarted > 0, answer.text);
    assert.equal(typeof cancelled.stillRunning, 'number');

    const done = await finished(location);
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.progress?.phase, 'cancelled');
    assert.equal(done.progress?.counts['not-started'], cancelled.notStarted);
    assert.equal(done.progress?.counts.completed, 12 - cancelled.notStarted);
    assert.equal(
      done.progress?.numbers.length,
      cancelled.notStarted,
      'the problems: the numbers not started',
    );
    assert.match(done.progress?.numbers[0]?.reason ?? '', /cancelled by ops/);
  } finally {
    await stack.sim.faults([]);
  }

  // A finished fleet cannot be cancelled (no body at all is fine).
  const again = assertError(await call('POST', `${location}/cancel`), 409, 'CONFLICT', 'fleetId');
  assert.match(again.message, /not running/);

  assertError(
    await call('POST', `${location}/retry`, { body: { concurrency: 0 } }),
    400,
    'BAD_REQUEST',
    'concurrency',
  );
  const retried = await call<{ fleetId: string; status: string }>('POST', `${location}/retry`, {
    body: { fleetId: 'http-cancel-12-retry', concurrency: 6, requestedBy: 'ops' },
  });
  assert.equal(retried.status, 202, retried.text);
  assert.equal(retried.json.fleetId, 'http-cancel-12-retry');
  assert.equal(retried.headers.get('location'), '/v1/fleets/http-cancel-12-retry');
  const done = await finished('/v1/fleets/http-cancel-12-retry');
  assert.equal(done.status, 'COMPLETED');
  assert.equal(done.progress?.retryOf, 'http-cancel-12');
  assert.equal(done.progress?.total, cancelled.notStarted);
  assert.equal(done.progress?.counts.completed, cancelled.notStarted);

  // The retry fleet has nothing left to retry; the ID is taken.
  const nothing = assertError(
    await call('POST', '/v1/fleets/http-cancel-12-retry/retry'),
    409,
    'CONFLICT',
    'fleetId',
  );
  assert.match(nothing.message, /no failed numbers/);
  assertError(
    await call('POST', `${location}/retry`, { body: { fleetId: 'http-cancel-12-retry' } }),
    409,
    'CONFLICT',
    'fleetId',
  );
});

test('the OpenAPI document has the fleet routes and schemas; a body built from it is accepted', async () => {
  const { paths, components, resolve } = await readOpenApi(call);
  const expected: [string, string, string[]][] = [
    ['/v1/fleets', 'post', ['202', '400', '401', '409', '503']],
    ['/v1/fleets/{fleetId}', 'get', ['200', '400', '401', '404', '503']],
    ['/v1/fleets/{fleetId}/cancel', 'post', ['200', '400', '401', '404', '409', '503']],
    ['/v1/fleets/{fleetId}/retry', 'post', ['202', '400', '401', '404', '409', '503']],
  ];
  for (const [p, method, statuses] of expected) {
    const op = paths[p]?.[method];
    assert.ok(op, `${method} ${p}`);
    for (const status of statuses)
      assert.ok((op.responses as Json)[status], `${method} ${p} documents ${status}`);
  }
  assert.ok(
    ((paths['/v1/fleets']!.post!.responses as Record<string, Json>)['202']!.headers as Json).Location,
  );
  for (const name of [
    'FleetStartRequest',
    'FleetNumber',
    'FleetDefaults',
    'FleetRetryRequest',
    'FleetCancelRequest',
    'FleetStarted',
    'FleetStatus',
    'FleetProgress',
    'FleetNumberOutcome',
    'CancelFleetResult',
  ]) {
    assert.ok(components.schemas[name], `schema ${name}`);
  }
  assert.ok(components.responses.Conflict);
  const errorCodes = (components.schemas.Problem!.properties as Record<string, Json>).code!.enum as string[];
  assert.ok(errorCodes.includes('CONFLICT'));

  const post = paths['/v1/fleets']!.post!;
  const content = (post.requestBody as Json).content as Record<string, { schema: Json }>;
  const start = resolve(content['application/json']!.schema);
  const props = start.properties as Record<string, Json>;
  assert.equal(start.additionalProperties, false);
  assert.deepEqual(start.required, ['operation', 'concurrency']);
  assert.deepEqual(start.oneOf, [{ required: ['numbers'] }, { required: ['wabaId'] }]);
  assert.ok((props.operation!.enum as string[]).includes('deregister'));
  assert.equal(props.concurrency!.type, 'integer');
  assert.equal(props.concurrency!.maximum, 500);
  const numbersSchema = props.numbers!;
  assert.equal(numbersSchema.maxItems, 10_000);
  const item = resolve(numbersSchema.items as Json);
  assert.deepEqual(item.required, ['phoneNumberId']);
  assert.ok((item.properties as Json).pin && (item.properties as Json).onPrem);

  // Built from the document: operation from its enum, concurrency its minimum, the first oneOf branch.
  const id = '7850000001';
  await seedManyVerified(stack.sim, [id], { pin: PIN });
  const idPattern = String((item.properties as Record<string, Json>).phoneNumberId!.pattern);
  assert.ok(new RegExp(idPattern).test(id), idPattern);
  const body: Json = {
    operation: (props.operation!.enum as string[]).find((k) => k === 'deregister'),
    concurrency: props.concurrency!.minimum,
    [((start.oneOf as Json[])[0]!.required as string[])[0]!]: [{ phoneNumberId: id }],
  };
  assert.deepEqual(body, { operation: 'deregister', concurrency: 1, numbers: [{ phoneNumberId: id }] });
  const posted = await call<{ fleetId: string }>('POST', '/v1/fleets', { body });
  assert.equal(posted.status, 202, posted.text);
  const done = await finished(posted.headers.get('location')!);
  assert.equal(done.status, 'COMPLETED');
  assert.equal((done.progress?.counts.completed ?? 0) + (done.progress?.counts['already-done'] ?? 0), 1);
});

test('no PIN or password in any answer', () => {
  assert.ok(responseTexts.length > 40);
  for (const secret of secrets) {
    const pattern = new RegExp(`(?<![0-9A-Za-z-])${secret}(?![0-9A-Za-z-])`);
    for (const text of responseTexts) {
      assert.doesNotMatch(text, pattern, `secret found in: ${text.slice(0, 200)}`);
    }
  }
});
