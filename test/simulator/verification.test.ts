import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunningSimulator } from '../../simulator/server';
import {
  CONNECTED_ID,
  HOUR_MS,
  NOT_VERIFIED_ID,
  NO_NAME_ID,
  PENDING_ID,
  TOKEN,
  VERSION,
  admin,
  advanceClock,
  graph,
  launchSimulator,
  readFields,
  register,
  requestLog,
  simNow,
  simNumber,
  startTestSimulator,
  tempDir,
  type GraphCall,
  type HttpResult,
} from './helpers';

const MINUTE_MS = 60_000;

type Style = 'query' | 'json' | 'form';

function call(style: Style, params: Record<string, string>): GraphCall {
  return style === 'query' ? { query: params } : style === 'json' ? { json: params } : { form: params };
}

function requestCode(
  sim: RunningSimulator,
  id: string,
  params: Record<string, string> = { code_method: 'SMS', language: 'en_US' },
  style: Style = 'query',
) {
  return graph(sim, 'POST', `/${VERSION}/${id}/request_code`, call(style, params));
}

function verify(sim: RunningSimulator, id: string, code: string, style: Style = 'json') {
  return graph(sim, 'POST', `/${VERSION}/${id}/verify_code`, call(style, { code }));
}

function setPin(sim: RunningSimulator, id: string, pin: string, style: Style = 'json') {
  return graph(sim, 'POST', `/${VERSION}/${id}`, call(style, { pin }));
}

interface CodeView {
  code: string;
  display: string;
  method: string;
  language: string;
  sentAt: string;
  expiresAt: string;
  used: boolean;
}

async function latestCode(sim: RunningSimulator, id: string): Promise<CodeView> {
  const res = await admin(sim, 'GET', `/_sim/codes/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.json as CodeView;
}

async function sendAndRead(sim: RunningSimulator, id: string, method = 'SMS'): Promise<string> {
  const res = await requestCode(sim, id, { code_method: method, language: 'en_US' });
  assert.equal(res.status, 200, res.text);
  return (await latestCode(sim, id)).code;
}

function assertGraphError(res: HttpResult, code: number, details?: RegExp) {
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.error.code, code, res.text);
  assert.equal(res.json.error.error_data.messaging_product, 'whatsapp');
  if (details !== undefined) assert.match(res.json.error.error_data.details, details);
}

/** The value as a whole token (a 6-digit code may also be a substring of a phone-number id). */
function containsToken(haystack: string, value: string): boolean {
  return new RegExp(`(?<!\\d)${value}(?!\\d)`).test(haystack);
}

void test('request_code on a NOT_VERIFIED number "sends" a 6-digit code, readable at /_sim/codes', async (t) => {
  const sim = await startTestSimulator(t);
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}`)).status, 404, 'nothing sent yet');

  const before = await simNow(sim);
  const res = await requestCode(sim, NOT_VERIFIED_ID, { code_method: 'SMS', language: 'en_US' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { success: true });

  const code = await latestCode(sim, NOT_VERIFIED_ID);
  assert.match(code.code, /^\d{6}$/);
  assert.equal(code.display, `${code.code.slice(0, 3)}-${code.code.slice(3)}`);
  assert.equal(code.method, 'SMS');
  assert.equal(code.language, 'en_US');
  assert.equal(code.used, false);
  const sentAt = Date.parse(code.sentAt);
  assert.ok(Math.abs(sentAt - before) < 5_000, 'sentAt is simulator time');
  assert.equal(Date.parse(code.expiresAt) - sentAt, 10 * MINUTE_MS, 'valid 10 minutes by default');
  assert.deepEqual(Object.keys(code).sort(), [
    'code',
    'display',
    'expiresAt',
    'language',
    'method',
    'sentAt',
    'used',
  ]);

  // Nothing else changes until the code is verified.
  assert.equal(
    (await readFields(sim, NOT_VERIFIED_ID, ['code_verification_status'])).code_verification_status,
    'NOT_VERIFIED',
  );
  const view = await simNumber(sim, NOT_VERIFIED_ID);
  assert.equal(view.codeRequestsInLastHour, 1);
  const [entry] = await requestLog(sim, '?endpoint=request_code');
  assert.deepEqual(
    [entry?.method, entry?.status, entry?.phoneNumberId, entry?.counted, entry?.applied],
    ['POST', 200, NOT_VERIFIED_ID, true, true],
  );
  assert.deepEqual(entry?.params, { code_method: 'SMS', language: 'en_US' });
  assert.equal((await admin(sim, 'GET', '/_sim/codes/999000')).status, 404);
});

void test('request_code takes its parameters as query string, JSON or form; `en` and lowercase methods are accepted', async (t) => {
  const sim = await startTestSimulator(t, { codeRequestsPerHour: 10 });
  const cases: Array<[Style, Record<string, string>, string, string]> = [
    ['query', { code_method: 'SMS', language: 'en_US' }, 'SMS', 'en_US'],
    ['json', { code_method: 'VOICE', language: 'pt_BR' }, 'VOICE', 'pt_BR'],
    ['form', { code_method: 'SMS', language: 'de_DE' }, 'SMS', 'de_DE'],
    ['form', { code_method: 'voice', language: 'en' }, 'VOICE', 'en'],
  ];
  for (const [style, params, method, language] of cases) {
    const res = await requestCode(sim, NOT_VERIFIED_ID, params, style);
    assert.equal(res.status, 200, `${style} ${JSON.stringify(params)}: ${res.text}`);
    const code = await latestCode(sim, NOT_VERIFIED_ID);
    assert.deepEqual([code.method, code.language], [method, language]);
  }
  // The newest code is the only pending one: verify it with a form body.
  const { code } = await latestCode(sim, NOT_VERIFIED_ID);
  assert.equal((await verify(sim, NOT_VERIFIED_ID, code, 'form')).status, 200);
});

void test("request_code language: a locale xx_XX (Meta's examples) or a two-letter code (BPN's prose); anything else is (#100) naming language", async (t) => {
  const sim = await startTestSimulator(t, { codeRequestsPerHour: 20 });
  for (const language of ['en_US', 'pt_BR', 'zh_CN', 'en', 'de']) {
    const res = await requestCode(sim, NOT_VERIFIED_ID, { code_method: 'SMS', language });
    assert.equal(res.status, 200, `${language}: ${res.text}`);
    assert.equal((await latestCode(sim, NOT_VERIFIED_ID)).language, language, 'stored as given');
  }
  const refused: unknown[] = [
    'EN',
    'en_us',
    'En_US',
    'eng',
    'en_USA',
    'pt-BR',
    'en_',
    '_US',
    'en_US ',
    12,
    ['en'],
  ];
  for (const language of refused) {
    const res = await graph(sim, 'POST', `/${VERSION}/${NOT_VERIFIED_ID}/request_code`, {
      json: { code_method: 'SMS', language },
    });
    assertGraphError(res, 100);
    assert.equal(
      res.json.error.message,
      '(#100) Param language must be a locale such as en_US or a two-letter language code such as en',
      JSON.stringify(language),
    );
    assert.match(res.json.error.error_data.details, /en_US/);
  }
  assert.equal(
    (await simNumber(sim, NOT_VERIFIED_ID)).codeRequestsInLastHour,
    5,
    'refused calls send nothing',
  );
});

void test('history: /_sim/codes/{id}?all=true lists every code sent, newest first', async (t) => {
  const sim = await startTestSimulator(t);
  const sms = await sendAndRead(sim, NOT_VERIFIED_ID, 'SMS');
  const voice = await sendAndRead(sim, NOT_VERIFIED_ID, 'VOICE');
  assert.notEqual(sms, voice, 'a new code is a fresh one');
  const all = await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}?all=true`);
  assert.equal(all.status, 200, all.text);
  const codes = all.json.codes as CodeView[];
  assert.deepEqual(
    codes.map((c) => [c.code, c.method]),
    [
      [voice, 'VOICE'],
      [sms, 'SMS'],
    ],
  );
  assert.deepEqual((await admin(sim, 'GET', `/_sim/codes/${PENDING_ID}?all=true`)).json, { codes: [] });
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}?all=maybe`)).status, 400);
});

void test('request_code: missing or invalid code_method / language → code 100 naming the parameter', async (t) => {
  const sim = await startTestSimulator(t);
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ language: 'en_US' }, /parameter code_method is required/],
    [{ code_method: 'EMAIL', language: 'en_US' }, /Param code_method must be one of \{SMS, VOICE\}/],
    [{ code_method: 'SMS' }, /parameter language is required/],
    [{ code_method: 'SMS', language: 'english' }, /Param language must be/],
    [{ code_method: 'SMS', language: 'en-US' }, /Param language must be/],
    [{ code_method: 'SMS', language: 'EN_us' }, /Param language must be/],
    [{ code_method: 'SMS', language: 'e' }, /Param language must be/],
  ];
  for (const [params, message] of cases) {
    for (const style of ['query', 'json'] as const) {
      const res = await requestCode(sim, NOT_VERIFIED_ID, params, style);
      assertGraphError(res, 100);
      assert.match(res.json.error.message, message, `${style} ${JSON.stringify(params)}`);
    }
  }
  const badJson = await graph(sim, 'POST', `/${VERSION}/${NOT_VERIFIED_ID}/request_code`, {
    rawJson: '{"code_method":',
  });
  assert.equal(badJson.status, 400);
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}`)).status, 404, 'no code sent');
  assert.equal(
    (await simNumber(sim, NOT_VERIFIED_ID)).codeRequestsInLastHour,
    0,
    'invalid calls do not count',
  );
  assert.ok((await requestLog(sim, '?endpoint=request_code')).every((e) => e.counted === false));
});

void test('request_code on a VERIFIED number → HTTP 400 code 136024 "already verified"', async (t) => {
  const sim = await startTestSimulator(t);
  const res = await requestCode(sim, PENDING_ID);
  assertGraphError(res, 136024, /already verified/);
  assert.equal(res.json.error.message, '(#136024) Request code error');
  assert.equal(res.json.error.type, 'OAuthException');
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${PENDING_ID}`)).status, 404);
  const [entry] = await requestLog(sim, '?endpoint=request_code');
  assert.deepEqual([entry?.errorCode, entry?.counted, entry?.applied], [136024, false, false]);
});

void test('token and unknown-id checks apply to request_code, verify_code and POST /{id}', async (t) => {
  const sim = await startTestSimulator(t);
  const paths = [
    [`/${VERSION}/${NOT_VERIFIED_ID}/request_code`, { code_method: 'SMS', language: 'en_US' }],
    [`/${VERSION}/${NOT_VERIFIED_ID}/verify_code`, { code: '123456' }],
    [`/${VERSION}/${NOT_VERIFIED_ID}`, { pin: '123456' }],
  ] as const;
  for (const [path, json] of paths) {
    const noToken = await graph(sim, 'POST', path, { token: null, json });
    assert.equal(noToken.status, 401, path);
    assert.equal(noToken.json.error.code, 190);
    const unknown = await graph(sim, 'POST', path.replace(NOT_VERIFIED_ID, '999000111'), { json });
    assert.equal(unknown.status, 400, path);
    assert.equal(unknown.json.error.code, 100);
    assert.equal(unknown.json.error.error_subcode, 33);
  }
  assert.equal((await simNumber(sim, NOT_VERIFIED_ID)).is_pin_enabled, false);
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}`)).status, 404);
  // No edge by that name for GET: still an unsupported request.
  const get = await graph(sim, 'GET', `/${VERSION}/${NOT_VERIFIED_ID}/verify_code`);
  assert.equal(get.json.error.error_subcode, 33);
});

void test('budget: at most 5 codes per number per moving hour → 136024 "too many"; allowed again an hour later', async (t) => {
  const sim = await startTestSimulator(t);
  const first = await simNow(sim);
  for (let i = 0; i < 3; i++) assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).status, 200);
  await advanceClock(sim, 30 * MINUTE_MS);
  for (let i = 0; i < 2; i++) assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).status, 200);
  const codeBefore = (await latestCode(sim, NOT_VERIFIED_ID)).code;

  const sixth = await requestCode(sim, NOT_VERIFIED_ID);
  assertGraphError(sixth, 136024, /Too many verification code requests/);
  assert.match(sixth.json.error.error_data.details, /at most 5 requests per hour/);
  const until = /Try again after (\S+)$/.exec(sixth.json.error.error_data.details)?.[1];
  assert.ok(until !== undefined, sixth.json.error.error_data.details);
  assert.ok(Math.abs(Date.parse(until) - (first + HOUR_MS)) < 5_000, `retry at ${until}`);
  assert.equal((await latestCode(sim, NOT_VERIFIED_ID)).code, codeBefore, 'no new code was sent');
  // Rejected calls do not count: the window still holds 5.
  assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).json.error.code, 136024);
  assert.equal((await simNumber(sim, NOT_VERIFIED_ID)).codeRequestsInLastHour, 5);
  // Other numbers have their own budget.
  await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '5550400',
    code_verification_status: 'NOT_VERIFIED',
  });
  assert.equal((await requestCode(sim, '5550400')).status, 200);

  // Moving window: 30 min later the first three have left it, the last two are still in.
  await advanceClock(sim, 30 * MINUTE_MS + 1_000);
  for (let i = 0; i < 3; i++)
    assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).status, 200, `call ${i + 1} after the hour`);
  assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).json.error.code, 136024);

  // A full hour later everything is free again.
  await advanceClock(sim, HOUR_MS);
  assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).status, 200);
  assert.equal((await simNumber(sim, NOT_VERIFIED_ID)).codeRequestsInLastHour, 1);
});

void test('codeRequestsPerHour and codeTtlMinutes: startup options, /_sim/settings at run time, reset restores', async (t) => {
  const sim = await startTestSimulator(t, { codeRequestsPerHour: 2, codeTtlMinutes: 3 });
  assert.deepEqual((await admin(sim, 'GET', '/_sim/settings')).json, {
    strictVersionRules: false,
    codeTtlMinutes: 3,
    codeRequestsPerHour: 2,
    backupRegisterDelayMs: 2000,
    legacySubcodes: false,
  });
  const code = await sendAndRead(sim, NOT_VERIFIED_ID);
  const view = await latestCode(sim, NOT_VERIFIED_ID);
  assert.equal(Date.parse(view.expiresAt) - Date.parse(view.sentAt), 3 * MINUTE_MS);
  assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).status, 200);
  assert.match((await requestCode(sim, NOT_VERIFIED_ID)).json.error.error_data.details, /at most 2 requests/);
  assert.equal((await verify(sim, NOT_VERIFIED_ID, code)).json.error.code, 136025);

  const changed = await admin(sim, 'POST', '/_sim/settings', { codeRequestsPerHour: 4, codeTtlMinutes: 0.5 });
  assert.equal(changed.status, 200, changed.text);
  assert.deepEqual(changed.json, {
    strictVersionRules: false,
    codeTtlMinutes: 0.5,
    codeRequestsPerHour: 4,
    backupRegisterDelayMs: 2000,
    legacySubcodes: false,
  });
  assert.equal((await requestCode(sim, NOT_VERIFIED_ID)).status, 200, 'the new budget applies at once');
  const short = await latestCode(sim, NOT_VERIFIED_ID);
  assert.equal(Date.parse(short.expiresAt) - Date.parse(short.sentAt), 30_000);
  await advanceClock(sim, 31_000);
  assertGraphError(await verify(sim, NOT_VERIFIED_ID, short.code), 136025, /expired/);

  for (const body of [
    { codeTtlMinutes: 0 },
    { codeTtlMinutes: '10' },
    { codeRequestsPerHour: 1.5 },
    { codeRequestsPerHour: 0 },
    { codeTTLMinutes: 5 },
  ]) {
    assert.equal((await admin(sim, 'POST', '/_sim/settings', body)).status, 400, JSON.stringify(body));
  }
  await admin(sim, 'POST', '/_sim/reset');
  assert.deepEqual((await admin(sim, 'GET', '/_sim/settings')).json, {
    strictVersionRules: false,
    codeTtlMinutes: 3,
    codeRequestsPerHour: 2,
    backupRegisterDelayMs: 2000,
    legacySubcodes: false,
  });
  await assert.rejects(launchSimulator({ codeRequestsPerHour: 0 }), /codeRequestsPerHour/);
  await assert.rejects(launchSimulator({ codeTtlMinutes: -1 }), /codeTtlMinutes/);
});

void test('verify_code: wrong → 136025, right → VERIFIED, reuse → 136025 "already used"', async (t) => {
  const sim = await startTestSimulator(t);
  const code = await sendAndRead(sim, NOT_VERIFIED_ID);
  const wrongCode = code === '000000' ? '000001' : '000000';

  const wrong = await verify(sim, NOT_VERIFIED_ID, wrongCode);
  assertGraphError(wrong, 136025, /wrong/);
  assert.equal(wrong.json.error.message, '(#136025) Verify code error');
  assert.equal(
    (await readFields(sim, NOT_VERIFIED_ID, ['code_verification_status'])).code_verification_status,
    'NOT_VERIFIED',
  );
  assertGraphError(await verify(sim, NOT_VERIFIED_ID, '12345'), 136025, /wrong/);

  const right = await verify(sim, NOT_VERIFIED_ID, code);
  assert.equal(right.status, 200, right.text);
  assert.deepEqual(right.json, { success: true });
  assert.equal(
    (await readFields(sim, NOT_VERIFIED_ID, ['code_verification_status'])).code_verification_status,
    'VERIFIED',
  );
  assert.equal((await latestCode(sim, NOT_VERIFIED_ID)).used, true);

  assertGraphError(await verify(sim, NOT_VERIFIED_ID, code), 136025, /already been used/);
  // Verified now, nothing pending: another code is refused too, and so is a new request.
  assertGraphError(await verify(sim, NOT_VERIFIED_ID, wrongCode), 136025, /already verified/);
  assertGraphError(await requestCode(sim, NOT_VERIFIED_ID), 136024, /already verified/);

  const log = await requestLog(sim, '?endpoint=verify_code');
  assert.deepEqual(
    log.map((e) => [e.status, e.errorCode, e.applied, e.counted]),
    [
      [400, 136025, false, false],
      [400, 136025, false, false],
      [200, undefined, true, false],
      [400, 136025, false, false],
      [400, 136025, false, false],
    ],
  );
});

void test('verify_code: an expired code → 136025 "expired"; a newer code replaces the old one', async (t) => {
  const sim = await startTestSimulator(t);
  const first = await sendAndRead(sim, NOT_VERIFIED_ID);
  await advanceClock(sim, 11 * MINUTE_MS);
  assertGraphError(await verify(sim, NOT_VERIFIED_ID, first), 136025, /expired/);

  const second = await sendAndRead(sim, NOT_VERIFIED_ID);
  const third = await sendAndRead(sim, NOT_VERIFIED_ID);
  assertGraphError(await verify(sim, NOT_VERIFIED_ID, second), 136025, /replaced by a newer code/);
  assertGraphError(await verify(sim, NOT_VERIFIED_ID, first), 136025, /replaced by a newer code/);
  // Just inside the lifetime the newest one still works.
  await advanceClock(sim, 9 * MINUTE_MS);
  assert.equal((await verify(sim, NOT_VERIFIED_ID, third, 'query')).status, 200);
  assert.equal((await simNumber(sim, NOT_VERIFIED_ID)).code_verification_status, 'VERIFIED');
});

void test('verify_code: missing or non-digit code → 100 (the hyphen is not stripped); nothing requested → 136025', async (t) => {
  const sim = await startTestSimulator(t);
  assertGraphError(
    await verify(sim, NOT_VERIFIED_ID, '123456'),
    136025,
    /No verification code was requested/,
  );
  assertGraphError(await verify(sim, PENDING_ID, '123456'), 136025, /already verified/);

  const code = await sendAndRead(sim, NOT_VERIFIED_ID);
  const missing = await graph(sim, 'POST', `/${VERSION}/${NOT_VERIFIED_ID}/verify_code`, { json: {} });
  assertGraphError(missing, 100);
  assert.match(missing.json.error.message, /parameter code is required/);
  for (const bad of [`${code.slice(0, 3)}-${code.slice(3)}`, 'abcdef', ` ${code}`]) {
    const res = await verify(sim, NOT_VERIFIED_ID, bad);
    assertGraphError(res, 100);
    assert.match(res.json.error.message, /Param code must be a string of digits/);
    assert.ok(!containsToken(res.text, code), 'the code is not echoed');
  }
  assert.equal((await latestCode(sim, NOT_VERIFIED_ID)).used, false);
  // A JSON number is taken as its digits.
  const asNumber = await graph(sim, 'POST', `/${VERSION}/${NOT_VERIFIED_ID}/verify_code`, {
    json: { code: Number(code) },
  });
  if (code.startsWith('0')) assert.equal(asNumber.json.error.code, 136025, 'a leading zero is lost');
  else assert.equal(asNumber.status, 200, asNumber.text);
});

void test('register before verifying → 133006; request_code → verify_code → register succeeds', async (t) => {
  const sim = await startTestSimulator(t);
  assertGraphError(await register(sim, NOT_VERIFIED_ID, '111111'), 133006);
  const code = await sendAndRead(sim, NOT_VERIFIED_ID, 'VOICE');
  assert.equal((await verify(sim, NOT_VERIFIED_ID, code)).status, 200);
  const ok = await register(sim, NOT_VERIFIED_ID, '111111');
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(await readFields(sim, NOT_VERIFIED_ID, ['status', 'code_verification_status']), {
    status: 'CONNECTED',
    code_verification_status: 'VERIFIED',
    id: NOT_VERIFIED_ID,
  });
});

void test('POST /{id} with pin sets or changes the PIN without the old one; register then needs the new one', async (t) => {
  const sim = await startTestSimulator(t);
  // CONNECTED_ID has PIN 123456: change it without giving the old one.
  const set = await setPin(sim, CONNECTED_ID, '654321');
  assert.equal(set.status, 200, set.text);
  assert.deepEqual(set.json, { success: true });
  assertGraphError(await register(sim, CONNECTED_ID, '123456'), 133005);
  assert.equal((await register(sim, CONNECTED_ID, '654321')).status, 200);

  // A number without two-step verification gets one; the form and query styles work too.
  assert.equal((await readFields(sim, PENDING_ID, ['is_pin_enabled'])).is_pin_enabled, false);
  assert.equal((await setPin(sim, PENDING_ID, '246802', 'form')).status, 200);
  assert.equal((await readFields(sim, PENDING_ID, ['is_pin_enabled'])).is_pin_enabled, true);
  assert.equal((await setPin(sim, PENDING_ID, '135791', 'query')).status, 200);
  assert.equal((await setPin(sim, PENDING_ID, '135791')).status, 200, 'same PIN again');
  assertGraphError(await register(sim, PENDING_ID, '246802'), 133005);
  assert.equal((await register(sim, PENDING_ID, '135791')).status, 200);

  const log = await requestLog(sim, '?endpoint=set_pin');
  assert.deepEqual(
    log.map((e) => [e.method, e.path, e.status, e.applied, e.counted]),
    [
      ['POST', `/${VERSION}/${CONNECTED_ID}`, 200, true, false],
      ['POST', `/${VERSION}/${PENDING_ID}`, 200, true, false],
      ['POST', `/${VERSION}/${PENDING_ID}`, 200, true, false],
      ['POST', `/${VERSION}/${PENDING_ID}`, 200, false, false],
    ],
  );
  // Setting a PIN is not a register/deregister call.
  assert.equal((await simNumber(sim, PENDING_ID)).rateLimits.register.callsInWindow, 2);
});

void test('POST /{id}: missing or malformed pin, or any other field → 100; the PIN stays unchanged', async (t) => {
  const sim = await startTestSimulator(t);
  const path = `/${VERSION}/${CONNECTED_ID}`;
  const cases: Array<[unknown, RegExp]> = [
    [{}, /parameter pin is required/],
    [{ pin: '12345' }, /Param pin must be a 6-digit number/],
    [{ pin: '12345x' }, /Param pin must be a 6-digit number/],
    [{ pin: '1234567' }, /Param pin must be a 6-digit number/],
    [{ pin: '222222', verified_name: 'Other' }, /Param verified_name is not supported/],
    [{ messaging_product: 'whatsapp', pin: '222222' }, /Param messaging_product is not supported/],
  ];
  for (const [json, message] of cases) {
    const res = await graph(sim, 'POST', path, { json });
    assertGraphError(res, 100);
    assert.match(res.json.error.message, message, JSON.stringify(json));
    assert.doesNotMatch(res.text, /12345|222222/, 'the PIN is not echoed');
  }
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200, 'old PIN still valid');
  assert.equal((await simNumber(sim, CONNECTED_ID)).verified_name, 'Acme Sales');
  // The token may still travel as a parameter.
  const viaParam = await graph(sim, 'POST', path, {
    token: null,
    form: { pin: '222222', access_token: TOKEN },
  });
  assert.equal(viaParam.status, 200, viaParam.text);
});

void test('PATCH /_sim/phone-numbers/{id}: approve a display name later; register follows name_status', async (t) => {
  const sim = await startTestSimulator(t);
  // Start from NONE on a verified number: the certificate cannot be created.
  const noCert = await register(sim, NO_NAME_ID, '111111');
  assertGraphError(noCert, 100);
  assert.equal(noCert.json.error.message, '(#100) Cannot Create Certificate');
  assert.equal(noCert.json.error.error_subcode, undefined, 'no subcode on v25 (ERR: none from v16.0)');

  const patched = await admin(sim, 'PATCH', `/_sim/phone-numbers/${NO_NAME_ID}`, { name_status: 'APPROVED' });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.json.name_status, 'APPROVED');
  assert.equal(patched.json.id, NO_NAME_ID);
  assert.equal(patched.json.rateLimits.register.callsInWindow, 1, 'the budget history is kept');
  const ok = await register(sim, NO_NAME_ID, '111111');
  assert.equal(ok.status, 200, ok.text);

  // And back: NONE blocks a later register on another number.
  await admin(sim, 'PATCH', `/_sim/phone-numbers/${PENDING_ID}`, { name_status: 'NONE' });
  assert.equal(
    (await register(sim, PENDING_ID, '111111')).json.error.message,
    '(#100) Cannot Create Certificate',
  );
  await admin(sim, 'PATCH', `/_sim/phone-numbers/${PENDING_ID}`, { name_status: 'APPROVED' });
  assert.equal((await register(sim, PENDING_ID, '111111')).status, 200);
  assert.equal((await simNumber(sim, PENDING_ID)).rateLimits.register.callsInWindow, 2);
});

void test('PATCH keeps PIN, codes and budgets; validates with zod (unknown keys, bad values, empty) and 404s', async (t) => {
  const sim = await startTestSimulator(t);
  const code = await sendAndRead(sim, NOT_VERIFIED_ID);
  const patch = {
    status: 'FLAGGED',
    platform_type: 'ON_PREMISE',
    verified_name: 'Acme Billing EU',
    quality_rating: 'YELLOW',
  };
  const res = await admin(sim, 'PATCH', `/_sim/phone-numbers/${NOT_VERIFIED_ID}`, patch);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    [res.json.status, res.json.platform_type, res.json.verified_name, res.json.quality_rating],
    ['FLAGGED', 'ON_PREMISE', 'Acme Billing EU', 'YELLOW'],
  );
  assert.equal(res.json.codeRequestsInLastHour, 1);
  assert.equal(res.json.code_verification_status, 'NOT_VERIFIED');
  assert.equal((await verify(sim, NOT_VERIFIED_ID, code)).status, 200, 'the pending code survived');

  // code_verification_status can be moved back (e.g. to test re-verification); the PIN is untouched.
  const back = await admin(sim, 'PATCH', `/_sim/phone-numbers/${CONNECTED_ID}`, {
    code_verification_status: 'NOT_VERIFIED',
  });
  assert.equal(back.json.code_verification_status, 'NOT_VERIFIED');
  assert.equal(back.json.is_pin_enabled, true);
  assert.equal((await requestCode(sim, CONNECTED_ID)).status, 200);

  const cases: Array<[unknown, string | null]> = [
    [{ name_status: 'MAYBE' }, 'name_status'],
    [{ status: 'SLEEPING' }, 'status'],
    [{ verified_name: '' }, 'verified_name'],
    [{ pin: '123456' }, null],
    [{ id: '5' }, null],
    [{}, null],
  ];
  for (const [body, field] of cases) {
    const bad = await admin(sim, 'PATCH', `/_sim/phone-numbers/${PENDING_ID}`, body);
    assert.equal(bad.status, 400, JSON.stringify(body));
    assert.equal(bad.json.error.field, field, JSON.stringify(bad.json));
  }
  assert.equal((await simNumber(sim, PENDING_ID)).name_status, 'APPROVED');
  assert.equal(
    (await admin(sim, 'PATCH', '/_sim/phone-numbers/999000', { name_status: 'NONE' })).status,
    404,
  );

  // Patching a never-registered number to CONNECTED gives it an onboarding time.
  const connected = await admin(sim, 'PATCH', `/_sim/phone-numbers/${PENDING_ID}`, { status: 'CONNECTED' });
  assert.equal(typeof connected.json.last_onboarded_time, 'string');
});

void test('codes and PINs never reach the request log or the log lines', async (t) => {
  const lines: string[] = [];
  const sim = await startTestSimulator(t, { log: (line) => lines.push(line) });
  const codes: string[] = [];
  codes.push(await sendAndRead(sim, NOT_VERIFIED_ID));
  await graph(sim, 'POST', `/${VERSION}/${NOT_VERIFIED_ID}/verify_code`, { query: { code: codes[0] ?? '' } });
  await admin(sim, 'PATCH', `/_sim/phone-numbers/${NOT_VERIFIED_ID}`, {
    code_verification_status: 'NOT_VERIFIED',
  });
  codes.push(await sendAndRead(sim, NOT_VERIFIED_ID));
  await verify(sim, NOT_VERIFIED_ID, codes[1] ?? '', 'form');
  const wrong = codes.includes('987650') ? '987651' : '987650';
  await verify(sim, NOT_VERIFIED_ID, wrong, 'json');
  const pins = ['864209', '753197', '642086'];
  await setPin(sim, PENDING_ID, pins[0] ?? '', 'query');
  await setPin(sim, PENDING_ID, pins[1] ?? '', 'form');
  await setPin(sim, PENDING_ID, pins[2] ?? '', 'json');

  const raw = (await admin(sim, 'GET', '/_sim/requests')).text;
  const joined = lines.join('\n');
  for (const secret of [...codes, wrong, ...pins]) {
    assert.ok(!containsToken(raw, secret), `request log leaks ${secret}`);
    assert.ok(!containsToken(joined, secret), `log line leaks ${secret}`);
  }
  for (const entry of [
    ...(await requestLog(sim, '?endpoint=verify_code')),
    ...(await requestLog(sim, '?endpoint=set_pin')),
  ]) {
    const params = entry.params as Record<string, unknown>;
    assert.equal(params.code ?? params.pin, '***', JSON.stringify(entry));
  }
  assert.ok(lines.some((l) => l.startsWith(`POST /${VERSION}/${NOT_VERIFIED_ID}/verify_code?code=*** 200`)));
  assert.ok(lines.some((l) => l.startsWith(`POST /${VERSION}/${PENDING_ID}?pin=*** 200`)));
  assert.ok(lines.some((l) => /^POST \S+\/request_code\?code_method=SMS&language=en_US 200$/.test(l)));
});

void test('fault rules can target request_code, verify_code and set_pin', async (t) => {
  const sim = await startTestSimulator(t);
  const set = await admin(sim, 'POST', '/_sim/faults', {
    faults: [
      { endpoint: 'request_code', kind: 'error-131000', count: 1 },
      { endpoint: 'verify_code', kind: 'http-5xx', count: 1 },
      { endpoint: 'set_pin', kind: 'throttle', code: 80007, count: 1 },
    ],
  });
  assert.equal(set.status, 200, set.text);

  const failed = await requestCode(sim, NOT_VERIFIED_ID);
  assert.equal(failed.status, 500);
  assert.equal(failed.json.error.code, 131000);
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}`)).status, 404, 'nothing sent');
  const code = await sendAndRead(sim, NOT_VERIFIED_ID);

  const proxy = await verify(sim, NOT_VERIFIED_ID, code);
  assert.equal(proxy.status, 502);
  assert.equal((await latestCode(sim, NOT_VERIFIED_ID)).used, false);
  assert.equal((await verify(sim, NOT_VERIFIED_ID, code)).status, 200);

  assert.equal((await setPin(sim, PENDING_ID, '111111')).json.error.code, 80007);
  assert.equal((await simNumber(sim, PENDING_ID)).is_pin_enabled, false);
  assert.equal((await setPin(sim, PENDING_ID, '111111')).status, 200);

  const faulted = (await requestLog(sim)).filter((e) => e.fault !== undefined);
  assert.deepEqual(
    faulted.map((e) => [e.endpoint, e.fault, e.applied, e.counted]),
    [
      ['request_code', 'error-131000', false, false],
      ['verify_code', 'http-5xx', false, false],
      ['set_pin', 'throttle', false, false],
    ],
  );
});

void test('state file keeps a pending code and the code-request history across a restart', async (t) => {
  const stateFile = join(tempDir(t, 'graph-sim-verification-'), 'sim-state.json');
  const first = await launchSimulator({ stateFile, codeRequestsPerHour: 3 });
  let code: string;
  let pinned: string;
  try {
    await sendAndRead(first, NOT_VERIFIED_ID, 'SMS');
    code = await sendAndRead(first, NOT_VERIFIED_ID, 'VOICE');
    pinned = '975310';
    assert.equal((await setPin(first, PENDING_ID, pinned)).status, 200);
  } finally {
    await first.close();
  }
  const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    version: number;
    phoneNumbers: Array<{ id: string; verification: { codes: Array<{ code: string }>; requests: number[] } }>;
  };
  assert.equal(saved.version, 5);
  const persisted = saved.phoneNumbers.find((n) => n.id === NOT_VERIFIED_ID)?.verification;
  assert.equal(persisted?.codes[0]?.code, code, 'codes are stored as given');
  assert.equal(persisted?.requests.length, 2);
  assert.ok(!containsToken(readFileSync(stateFile, 'utf8'), pinned), 'the PIN is stored hashed');

  const second = await launchSimulator({ stateFile, codeRequestsPerHour: 3 });
  t.after(() => second.close());
  const shown = await latestCode(second, NOT_VERIFIED_ID);
  assert.deepEqual([shown.code, shown.method, shown.used], [code, 'VOICE', false]);
  assert.equal((await admin(second, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}?all=true`)).json.codes.length, 2);
  assert.equal((await simNumber(second, NOT_VERIFIED_ID)).codeRequestsInLastHour, 2);
  assert.equal((await requestCode(second, NOT_VERIFIED_ID)).status, 200);
  assert.equal((await requestCode(second, NOT_VERIFIED_ID)).json.error.code, 136024, 'budget kept');
  const newest = (await latestCode(second, NOT_VERIFIED_ID)).code;
  assert.equal((await verify(second, NOT_VERIFIED_ID, newest)).status, 200);
  assert.equal((await register(second, PENDING_ID, pinned)).status, 200, 'the set PIN survived');
});

void test('/_sim/reset clears codes and code-request history', async (t) => {
  const sim = await startTestSimulator(t);
  const code = await sendAndRead(sim, NOT_VERIFIED_ID);
  assert.equal((await admin(sim, 'POST', '/_sim/reset')).status, 200);
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}`)).status, 404);
  assert.deepEqual((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}?all=true`)).json, { codes: [] });
  assert.equal((await simNumber(sim, NOT_VERIFIED_ID)).codeRequestsInLastHour, 0);
  assertGraphError(await verify(sim, NOT_VERIFIED_ID, code), 136025, /No verification code was requested/);
  // Re-seeding a number also forgets its codes.
  await sendAndRead(sim, NOT_VERIFIED_ID);
  await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: NOT_VERIFIED_ID,
    code_verification_status: 'NOT_VERIFIED',
  });
  assert.equal((await admin(sim, 'GET', `/_sim/codes/${NOT_VERIFIED_ID}`)).status, 404);
});
