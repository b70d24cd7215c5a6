// The fault kinds beyond the basic ones of faults.test.ts: graph-error (any Graph error, in each envelope shape,
// applied or not, counted or not), http-5xx with a status / applied / envelope, unreadable-2xx, and throttle
// codes with Graph's usage headers; and the admin API refusing bad combinations, naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONNECTED_ID,
  PENDING_ID,
  VERSION,
  admin,
  deregister,
  graph,
  readFields,
  register,
  requestLog,
  simNumber,
  startTestSimulator,
} from './helpers';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;

const DEFAULT_WABA = '102290129340398';

async function setFaults(sim: Sim, faults: unknown[]) {
  const res = await admin(sim, 'POST', '/_sim/faults', { faults, mode: 'replace' });
  assert.equal(res.status, 200, res.text);
  return res.json.faults as Array<Record<string, unknown>>;
}

async function lastEntry(sim: Sim, query = '') {
  const log = await requestLog(sim, query);
  return log[log.length - 1] ?? {};
}

void test('graph-error: the given code, subcode, details and is_transient in the standard envelope; counted, not applied', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    {
      endpoint: 'register',
      kind: 'graph-error',
      code: 131031,
      subcode: 2494055,
      details: 'Locked for review.',
      isTransient: false,
      count: 1,
    },
  ]);
  const res = await register(sim, PENDING_ID, '111111');
  assert.equal(res.status, 403, 'legacy table: 131031 → 403');
  assert.equal(res.json.error.message, '(#131031) Account has been locked');
  assert.equal(res.json.error.type, 'OAuthException');
  assert.equal(res.json.error.code, 131031);
  assert.equal(res.json.error.error_subcode, 2494055);
  assert.deepEqual(res.json.error.error_data, {
    messaging_product: 'whatsapp',
    details: 'Locked for review.',
  });
  assert.equal(res.json.error.is_transient, false);
  assert.equal(typeof res.json.error.fbtrace_id, 'string');
  const state = await simNumber(sim, PENDING_ID);
  assert.equal(state.status, 'PENDING');
  assert.equal(state.is_pin_enabled, false);
  assert.equal(state.rateLimits.register.callsInWindow, 1, 'reference §1: every register call counts');
  const entry = await lastEntry(sim);
  assert.deepEqual(
    [entry.status, entry.errorCode, entry.errorSubcode, entry.counted, entry.applied, entry.fault],
    [403, 131031, 2494055, true, false, 'graph-error'],
  );
  // count: 1 → the next call is handled normally.
  assert.equal((await register(sim, PENDING_ID, '111111')).status, 200);
});

void test('graph-error: default message from the catalogue or "(#code) Error"; message and httpStatus override; no is_transient unless given', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    { endpoint: 'get', kind: 'graph-error', code: 133004, count: 1 },
    { endpoint: 'get', kind: 'graph-error', code: 987654, count: 1 },
    { endpoint: 'get', kind: 'graph-error', code: 100, message: 'Custom words', httpStatus: 422, count: 1 },
  ]);
  const known = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(known.status, 503);
  assert.equal(known.json.error.message, '(#133004) Server temporarily unavailable');
  assert.equal('is_transient' in known.json.error, false);
  assert.equal('error_subcode' in known.json.error, false);
  const unknown = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.message, '(#987654) Error');
  const custom = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(custom.status, 422);
  assert.equal(custom.json.error.message, 'Custom words');
  assert.deepEqual(
    (await requestLog(sim)).map((e) => [e.errorCode, e.counted, e.applied]),
    [
      [133004, false, false],
      [987654, false, false],
      [100, false, false],
    ],
  );
});

void test('graph-error counted: false is a refusal in front of the endpoint: register budget untouched', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    { endpoint: 'deregister', kind: 'graph-error', code: 200, counted: false, count: 1 },
    { endpoint: 'deregister', kind: 'graph-error', code: 131000, count: 1 },
  ]);
  const refused = await deregister(sim, CONNECTED_ID);
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, 200);
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.deregister.callsInWindow, 0);
  const counted = await deregister(sim, CONNECTED_ID);
  assert.equal(counted.status, 500);
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.deregister.callsInWindow, 1);
  assert.equal((await readFields(sim, CONNECTED_ID, ['status'])).status, 'CONNECTED', 'nothing applied');
  assert.deepEqual(
    (await requestLog(sim, '?endpoint=deregister')).map((e) => [e.errorCode, e.counted, e.applied]),
    [
      [200, false, false],
      [131000, true, false],
    ],
  );
});

void test('graph-error applied: the register happens (state, budget), then the error is answered; an own error wins', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    { endpoint: 'register', kind: 'graph-error', code: 131000, applied: true, isTransient: true },
  ]);
  const res = await register(sim, PENDING_ID, '111111');
  assert.equal(res.status, 500);
  assert.equal(res.json.error.code, 131000);
  assert.equal(res.json.error.message, '(#131000) Something went wrong');
  assert.equal(res.json.error.is_transient, true);
  const fields = await readFields(sim, PENDING_ID, ['status', 'platform_type', 'is_pin_enabled']);
  assert.deepEqual(fields, {
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    is_pin_enabled: true,
    id: PENDING_ID,
  });
  assert.equal((await simNumber(sim, PENDING_ID)).rateLimits.register.callsInWindow, 1);
  let entry = await lastEntry(sim, '?endpoint=register');
  assert.deepEqual([entry.status, entry.errorCode, entry.counted, entry.applied], [500, 131000, true, true]);

  // The normal handling fails (wrong PIN): its own error is answered, not the fault's.
  const wrong = await register(sim, PENDING_ID, '222222');
  assert.equal(wrong.status, 400);
  assert.equal(wrong.json.error.code, 133005);
  entry = await lastEntry(sim, '?endpoint=register');
  assert.deepEqual(
    [entry.errorCode, entry.counted, entry.applied, entry.fault],
    [133005, true, false, 'graph-error'],
  );

  // Applied on a set-PIN call: the PIN changed although the answer is an error.
  await setFaults(sim, [{ endpoint: 'set_pin', kind: 'graph-error', code: 1, applied: true, count: 1 }]);
  const setPin = await graph(sim, 'POST', `/${VERSION}/${PENDING_ID}`, { json: { pin: '333333' } });
  assert.equal(setPin.json.error.code, 1);
  assert.equal(setPin.json.error.message, '(#1) API Unknown');
  assert.equal((await register(sim, PENDING_ID, '333333')).status, 200, 'the new PIN took effect');
});

void test('graph-error envelopes: string-error-data, minimal, extra-fields', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    { endpoint: 'get', kind: 'graph-error', code: 133010, envelope: 'string-error-data', count: 1 },
    { endpoint: 'get', kind: 'graph-error', code: 131000, subcode: 7, envelope: 'minimal', count: 1 },
    {
      endpoint: 'get',
      kind: 'graph-error',
      code: 133016,
      details: 'Blocked.',
      envelope: 'extra-fields',
      count: 1,
    },
    {
      endpoint: 'get',
      kind: 'graph-error',
      code: 2,
      envelope: 'extra-fields',
      isTransient: true,
      count: 1,
    },
    { endpoint: 'get', kind: 'graph-error', code: 4, envelope: 'standard', count: 1 },
  ]);
  const stringData = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(stringData.status, 400);
  assert.equal(stringData.json.error.code, 133010);
  assert.equal(stringData.json.error.message, '(#133010) Account not registered');
  assert.equal(typeof stringData.json.error.error_data, 'string');
  const decoded = JSON.parse(stringData.json.error.error_data as string) as Record<string, unknown>;
  assert.equal(decoded.messaging_product, 'whatsapp');
  assert.equal(typeof decoded.details, 'string');

  const minimal = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(minimal.status, 500);
  assert.deepEqual(minimal.json, { error: { code: 131000, message: '(#131000) Something went wrong' } });

  const extra = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  const error = extra.json.error as Record<string, unknown>;
  assert.equal(error.code, 133016);
  assert.equal(error.error_user_title, 'Account register deregister rate limit exceeded');
  assert.equal(error.error_user_msg, 'Blocked.');
  assert.equal(error.is_transient, false);
  assert.deepEqual(error.error_data, { messaging_product: 'whatsapp', details: 'Blocked.' });
  const documented = [
    'message',
    'type',
    'code',
    'error_data',
    'error_subcode',
    'fbtrace_id',
    'error_user_title',
    'error_user_msg',
    'is_transient',
  ];
  assert.ok(
    Object.keys(error).some((k) => !documented.includes(k)),
    'extra-fields carries a field no document names',
  );
  const transient = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(transient.status, 503);
  assert.equal(transient.json.error.is_transient, true);
  assert.equal(transient.json.error.message, '(#2) Service temporarily unavailable');

  const standard = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.deepEqual(Object.keys(standard.json.error as object).sort(), [
    'code',
    'error_data',
    'fbtrace_id',
    'message',
    'type',
  ]);
});

void test('http-5xx: httpStatus picks the gateway page; envelope: true answers Graph code 2, transient', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    { endpoint: 'get', kind: 'http-5xx', httpStatus: 503, count: 1 },
    { endpoint: 'get', kind: 'http-5xx', httpStatus: 504, count: 1 },
    { endpoint: 'get', kind: 'http-5xx', envelope: true, count: 1 },
    { endpoint: 'get', kind: 'http-5xx', httpStatus: 500, envelope: false, count: 1 },
  ]);
  const unavailable = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(unavailable.status, 503);
  assert.match(unavailable.headers.get('content-type') ?? '', /text\/html/);
  assert.match(unavailable.text, /503 Service Temporarily Unavailable/);
  const timeout = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(timeout.status, 504);
  assert.match(timeout.text, /504 Gateway Time-out/);
  const envelope = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(envelope.status, 502, 'default status');
  assert.match(envelope.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(envelope.json.error.code, 2);
  assert.equal(envelope.json.error.message, '(#2) Service temporarily unavailable');
  assert.equal(envelope.json.error.is_transient, true);
  assert.equal(envelope.json.error.error_data.messaging_product, 'whatsapp');
  const internal = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(internal.status, 500);
  assert.equal(internal.json, undefined);
  assert.deepEqual(
    (await requestLog(sim)).map((e) => [e.status, e.errorCode, e.fault]),
    [
      [503, undefined, 'http-5xx'],
      [504, undefined, 'http-5xx'],
      [502, 2, 'http-5xx'],
      [500, undefined, 'http-5xx'],
    ],
  );
});

void test('http-5xx applied: Meta deregistered (and counted) the number, then the answer was lost', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'deregister', kind: 'http-5xx', applied: true, count: 1 }]);
  const res = await deregister(sim, CONNECTED_ID);
  assert.equal(res.status, 502);
  assert.match(res.text, /502 Bad Gateway/);
  assert.equal((await readFields(sim, CONNECTED_ID, ['status'])).status, 'DISCONNECTED');
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.deregister.callsInWindow, 1);
  const entry = await lastEntry(sim, '?endpoint=deregister');
  assert.deepEqual([entry.status, entry.counted, entry.applied, entry.fault], [502, true, true, 'http-5xx']);
  // Not applied (the default): nothing changes, nothing counts.
  await setFaults(sim, [{ endpoint: 'register', kind: 'http-5xx', httpStatus: 503, count: 1 }]);
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 503);
  assert.equal((await readFields(sim, CONNECTED_ID, ['status'])).status, 'DISCONNECTED');
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.register.callsInWindow, 0);
});

void test('unreadable-2xx: applied and counted, then HTTP 200 with a truncated, HTML or empty body', async (t) => {
  const sim = await startTestSimulator(t);
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550300' });
  await setFaults(sim, [
    { endpoint: 'register', kind: 'unreadable-2xx', count: 1 },
    { endpoint: 'deregister', kind: 'unreadable-2xx', body: 'html', count: 1 },
    { endpoint: 'register', kind: 'unreadable-2xx', body: 'empty', count: 1 },
    { endpoint: 'get', kind: 'unreadable-2xx', count: 1 },
  ]);
  const truncated = await register(sim, PENDING_ID, '111111');
  assert.equal(truncated.status, 200);
  assert.equal(truncated.text, '{"success":tr');
  assert.equal(truncated.json, undefined, 'the body is not JSON');
  assert.match(truncated.headers.get('content-type') ?? '', /application\/json/);
  assert.equal((await simNumber(sim, PENDING_ID)).status, 'CONNECTED');

  const html = await deregister(sim, PENDING_ID);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type') ?? '', /text\/html/);
  assert.match(html.text, /<html/);
  assert.equal((await simNumber(sim, PENDING_ID)).status, 'DISCONNECTED');

  const empty = await register(sim, '5550300', '444444');
  assert.equal(empty.status, 200);
  assert.equal(empty.text, '');
  assert.equal((await simNumber(sim, '5550300')).status, 'CONNECTED');

  const read = await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`);
  assert.equal(read.status, 200);
  assert.ok(read.text.startsWith('{"display_phone_number"'), read.text);
  assert.equal(read.json, undefined);

  assert.deepEqual(
    (await requestLog(sim)).map((e) => [e.endpoint, e.status, e.counted, e.applied, e.fault]),
    [
      ['register', 200, true, true, 'unreadable-2xx'],
      ['deregister', 200, true, true, 'unreadable-2xx'],
      ['register', 200, true, true, 'unreadable-2xx'],
      ['get', 200, false, false, 'unreadable-2xx'],
    ],
  );
});

void test('unreadable-2xx leaves an error answer as it is', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [{ endpoint: 'register', kind: 'unreadable-2xx', body: 'empty' }]);
  const wrong = await register(sim, CONNECTED_ID, '000000');
  assert.equal(wrong.status, 400);
  assert.equal(wrong.json.error.code, 133005);
});

void test('throttle 80007 / 80008: X-Business-Use-Case-Usage keyed by the WABA id with the regain time; not counted', async (t) => {
  const sim = await startTestSimulator(t);
  await setFaults(sim, [
    { endpoint: 'register', kind: 'throttle', count: 1 },
    { endpoint: 'register', kind: 'throttle', code: 80008, regainAccessMinutes: 17, count: 1 },
  ]);
  const waba = await register(sim, PENDING_ID, '111111');
  assert.equal(waba.status, 400);
  assert.equal(waba.json.error.code, 80007);
  assert.equal(waba.json.error.message, '(#80007) Rate limit issues');
  assert.match(waba.json.error.error_data.details, /5 minutes/);
  const usage = JSON.parse(waba.headers.get('x-business-use-case-usage') ?? 'null') as Record<
    string,
    unknown
  >;
  assert.deepEqual(Object.keys(usage), [DEFAULT_WABA]);
  const [entry] = usage[DEFAULT_WABA] as Array<Record<string, unknown>>;
  assert.equal(entry?.type, 'whatsapp_business_management');
  assert.equal(entry?.call_count, 100);
  assert.equal(typeof entry?.total_cputime, 'number');
  assert.equal(typeof entry?.total_time, 'number');
  assert.equal(entry?.estimated_time_to_regain_access, 5, 'default regain time');
  assert.equal(waba.headers.get('x-app-usage'), null);

  const bm = await register(sim, PENDING_ID, '111111');
  assert.equal(bm.json.error.code, 80008);
  assert.equal(bm.status, 400);
  const bmUsage = JSON.parse(bm.headers.get('x-business-use-case-usage') ?? 'null') as Record<
    string,
    Array<Record<string, unknown>>
  >;
  assert.equal(bmUsage[DEFAULT_WABA]?.[0]?.estimated_time_to_regain_access, 17);

  const state = await simNumber(sim, PENDING_ID);
  assert.equal(state.status, 'PENDING');
  assert.equal(
    state.rateLimits.register.callsInWindow,
    0,
    'throttled calls are refused in front: not counted',
  );
});

void test('throttle usage headers: keyed by the number id without a WABA, by the WABA on its listing; X-App-Usage for code 4; none for 130429', async (t) => {
  const sim = await startTestSimulator(t);
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550400' });
  await setFaults(sim, [
    {
      endpoint: 'get',
      phoneNumberId: '5550400',
      kind: 'throttle',
      code: 80007,
      regainAccessMinutes: 0,
      count: 1,
    },
    { endpoint: 'phone_numbers', kind: 'throttle', code: 80008, count: 1 },
    { endpoint: 'get', kind: 'throttle', code: 4, count: 1 },
    { endpoint: 'get', kind: 'throttle', code: 130429, count: 1 },
  ]);
  const noWaba = await graph(sim, 'GET', `/${VERSION}/5550400`);
  const noWabaUsage = JSON.parse(noWaba.headers.get('x-business-use-case-usage') ?? 'null') as Record<
    string,
    Array<Record<string, unknown>>
  >;
  assert.deepEqual(Object.keys(noWabaUsage), ['5550400']);
  assert.equal(noWabaUsage['5550400']?.[0]?.estimated_time_to_regain_access, 0);

  const listing = await graph(sim, 'GET', `/${VERSION}/${DEFAULT_WABA}/phone_numbers`);
  assert.equal(listing.json.error.code, 80008);
  assert.deepEqual(Object.keys(JSON.parse(listing.headers.get('x-business-use-case-usage') ?? '{}')), [
    DEFAULT_WABA,
  ]);

  const app = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(app.json.error.code, 4);
  assert.equal(app.headers.get('x-business-use-case-usage'), null);
  const appUsage = JSON.parse(app.headers.get('x-app-usage') ?? 'null') as Record<string, number>;
  assert.deepEqual(Object.keys(appUsage).sort(), ['call_count', 'total_cputime', 'total_time']);
  assert.ok(
    Object.values(appUsage).every((v) => v >= 100),
    JSON.stringify(appUsage),
  );

  const throughput = await graph(sim, 'GET', `/${VERSION}/${PENDING_ID}`);
  assert.equal(throughput.status, 400);
  assert.equal(throughput.json.error.code, 130429);
  assert.equal(throughput.json.error.message, '(#130429) Rate limit hit');
  assert.equal(throughput.headers.get('x-app-usage'), null);
  assert.equal(throughput.headers.get('x-business-use-case-usage'), null);
});

void test('bad fault rules for the new kinds are refused with HTTP 400, the field and the rule', async (t) => {
  const sim = await startTestSimulator(t);
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ endpoint: 'register', kind: 'graph-error' }, 'faults.0.code', /required for kind graph-error/],
    [{ endpoint: 'register', kind: 'graph-error', code: 1.5 }, 'faults.0.code', /integer/],
    [
      { endpoint: 'register', kind: 'graph-error', code: 100, envelope: 'fancy' },
      'faults.0.envelope',
      /standard, string-error-data, minimal, extra-fields/,
    ],
    [
      { endpoint: 'register', kind: 'graph-error', code: 100, envelope: true },
      'faults.0.envelope',
      /must be one of/,
    ],
    [
      { endpoint: 'register', kind: 'graph-error', code: 100, httpStatus: 200 },
      'faults.0.httpStatus',
      /between 400 and 599/,
    ],
    [
      { endpoint: 'get', kind: 'graph-error', code: 100, applied: true },
      'faults.0.applied',
      /read endpoint get/,
    ],
    [
      { endpoint: 'phone_numbers', kind: 'http-5xx', applied: true },
      'faults.0.applied',
      /read endpoint phone_numbers/,
    ],
    [
      { endpoint: 'register', kind: 'graph-error', code: 100, applied: true, counted: true },
      'faults.0.counted',
      /cannot be combined with applied/,
    ],
    [
      { endpoint: 'settings', kind: 'graph-error', code: 100, counted: false },
      'faults.0.counted',
      /register and deregister/,
    ],
    [
      { endpoint: 'register', kind: 'graph-error', code: 100, body: 'html' },
      'faults.0.body',
      /only to kind unreadable-2xx/,
    ],
    [
      { endpoint: 'register', kind: 'http-5xx', httpStatus: 501 },
      'faults.0.httpStatus',
      /500, 502, 503, 504/,
    ],
    [{ endpoint: 'register', kind: 'http-5xx', envelope: 'minimal' }, 'faults.0.envelope', /boolean/],
    [
      { endpoint: 'register', kind: 'http-5xx', code: 2 },
      'faults.0.code',
      /only to kinds throttle and graph-error/,
    ],
    [{ endpoint: 'register', kind: 'unreadable-2xx', body: 'xml' }, 'faults.0.body', /truncated|html|empty/],
    [
      { endpoint: 'register', kind: 'unreadable-2xx', applied: true },
      'faults.0.applied',
      /kinds graph-error and http-5xx/,
    ],
    [{ endpoint: 'register', kind: 'throttle', code: 80009 }, 'faults.0.code', /4, 80007, 80008, 130429/],
    [
      { endpoint: 'register', kind: 'throttle', code: 4, regainAccessMinutes: 5 },
      'faults.0.regainAccessMinutes',
      /80007 and 80008/,
    ],
    [
      { endpoint: 'register', kind: 'throttle', regainAccessMinutes: -1 },
      'faults.0.regainAccessMinutes',
      /≥ 0/,
    ],
    [
      { endpoint: 'register', kind: 'http-5xx', regainAccessMinutes: 5 },
      'faults.0.regainAccessMinutes',
      /only to kind throttle/,
    ],
    [
      { endpoint: 'register', kind: 'error-131000', isTransient: true },
      'faults.0.isTransient',
      /only to kind graph-error/,
    ],
    [
      { endpoint: 'register', kind: 'latency', latencyMs: 5, details: 'x' },
      'faults.0.details',
      /only to kind graph-error/,
    ],
  ];
  for (const [rule, field, message] of cases) {
    const res = await admin(sim, 'POST', '/_sim/faults', { faults: [rule] });
    assert.equal(res.status, 400, JSON.stringify(rule));
    assert.equal(res.json.error.field, field, JSON.stringify(res.json));
    assert.match(res.json.error.message, message, JSON.stringify(res.json));
    assert.ok(String(res.json.error.message).startsWith(`${field}: `), res.json.error.message);
  }
  assert.deepEqual((await admin(sim, 'GET', '/_sim/faults')).json.faults, []);

  // The valid shapes are listed back as given.
  const listed = await setFaults(sim, [
    { endpoint: '*', kind: 'graph-error', code: 100, applied: true, envelope: 'minimal' },
    { endpoint: 'register', kind: 'http-5xx', httpStatus: 504, applied: true, envelope: true },
    { endpoint: 'deregister', kind: 'unreadable-2xx', body: 'html' },
    { endpoint: 'get', kind: 'throttle', code: 80008, regainAccessMinutes: 30 },
  ]);
  assert.deepEqual(
    listed.map((r) => [r.kind, r.applied, r.envelope, r.body, r.regainAccessMinutes]),
    [
      ['graph-error', true, 'minimal', undefined, undefined],
      ['http-5xx', true, true, undefined, undefined],
      ['unreadable-2xx', undefined, undefined, 'html', undefined],
      ['throttle', undefined, undefined, undefined, 30],
    ],
  );
});
