// platform/security/redact.ts: secrets masked in log text and in structured values; and the text logger
// the worker hands to the Temporal runtime (platform/logging/text-logger.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redactText, redactValue } from '../../../platform/security/redact';
import { createRedactingLogger } from '../../../platform/logging/text-logger';

test('redactText masks bearer tokens, access_token, pin, code and password values', () => {
  const cases: [string, string, string][] = [
    ['Authorization: Bearer abc.def', 'Authorization: Bearer [redacted]', 'abc.def'],
    ['GET /v25.0/me?access_token=xyz&fields=id', 'GET /v25.0/me?access_token=[redacted]&fields=id', 'xyz'],
    ['body {"pin":"123456","region":"DE"}', 'body {"pin":"[redacted]","region":"DE"}', '123456'],
    ['body {"pin": "123456"}', 'body {"pin": "[redacted]"}', '123456'],
    ['register pin=123456 now', 'register pin=[redacted] now', '123456'],
    ["{'password': 'x'}", `{'password': '[redacted]'}`, "'x'"],
    ['verify code=778899', 'verify code=[redacted]', '778899'],
    ['{"access_token":"EAAG-secret"}', '{"access_token":"[redacted]"}', 'EAAG-secret'],
    [
      'backup {"password":"hunter2","data":"b64blob=="}',
      'backup {"password":"[redacted]","data":"[redacted]"}',
      'hunter2',
    ],
    ['OAuth tok_123 and Basic dXNlcjpwYXNz', 'OAuth [redacted] and Basic [redacted]', 'dXNlcjpwYXNz'],
  ];
  for (const [input, expected, secret] of cases) {
    const out = redactText(input);
    assert.equal(out, expected, input);
    assert.ok(!out.includes(secret), `${input} → ${out}`);
  }
});

test('redactText is case-insensitive for parameter and JSON key names', () => {
  assert.equal(redactText('PIN=123456'), `PIN=${REDACTED}`);
  assert.equal(redactText('{"Password":"p"}'), `{"Password":"${REDACTED}"}`);
});

test('redactText masks every occurrence on a line', () => {
  const out = redactText('pin=111111 then pin=222222 and {"pin":"333333"}');
  for (const pin of ['111111', '222222', '333333']) assert.ok(!out.includes(pin), out);
});

test('redactText leaves ordinary text and numbers in other contexts alone', () => {
  const untouched = [
    'register 1234567890 completed',
    'phone number 15551234567 is CONNECTED after 3 attempts',
    'error_code=131000 retry in 60 s',
    'waiting 72 hours (window 2024-05-01T10:00:00Z)',
    'the pin was rejected; ask the customer for a new one',
    '{"phoneNumberId":"1234567890","status":"VERIFIED"}',
    '',
  ];
  for (const text of untouched) assert.equal(redactText(text), text);
});

test('redactValue masks secret keys at any depth, in objects and arrays, case-insensitively', () => {
  const input = {
    phoneNumberId: '1234567890',
    pin: '123456',
    request: {
      Code: '778899',
      backup: { password: 'x', data: 'blob' },
      headers: { Authorization: 'Bearer t0k', 'content-type': 'application/json' },
      list: [{ TOKEN: 'abc' }, { password: 'pw', keep: 7 }, 'pin=654321'],
    },
    accessToken: 'EAAG',
    count: 3,
    ok: true,
    nothing: null,
  };
  assert.deepEqual(redactValue(input), {
    phoneNumberId: '1234567890',
    pin: REDACTED,
    request: {
      Code: REDACTED,
      backup: REDACTED,
      headers: { Authorization: REDACTED, 'content-type': 'application/json' },
      list: [{ TOKEN: REDACTED }, { password: REDACTED, keep: 7 }, `pin=${REDACTED}`],
    },
    accessToken: REDACTED,
    count: 3,
    ok: true,
    nothing: null,
  });
  // The input is not modified.
  assert.equal(input.pin, '123456');
  assert.equal(input.request.headers.Authorization, 'Bearer t0k');
});

test('redactValue masks secrets in Error messages and stacks, keeping the name', () => {
  const err = new TypeError('register failed: pin=123456 with Bearer t0k.en');
  const out = redactValue({ error: err, errors: [new Error('access_token=xyz')] }) as {
    error: Error;
    errors: Error[];
  };
  assert.ok(out.error instanceof Error);
  assert.equal(out.error.name, 'TypeError');
  assert.equal(out.error.message, `register failed: pin=${REDACTED} with Bearer ${REDACTED}`);
  assert.ok(!out.error.stack?.includes('123456'));
  assert.ok(!out.error.stack?.includes('t0k.en'));
  assert.equal(out.errors[0]!.message, `access_token=${REDACTED}`);
  assert.equal(err.message, 'register failed: pin=123456 with Bearer t0k.en', 'original untouched');
});

test('redactValue leaves primitives alone and stops at a depth limit', () => {
  assert.equal(redactValue(42), 42);
  assert.equal(redactValue(undefined), undefined);
  assert.equal(redactValue('plain'), 'plain');
  let deep: Record<string, unknown> = { pin: '1' };
  for (let i = 0; i < 20; i++) deep = { next: deep };
  assert.ok(!JSON.stringify(redactValue(deep)).includes('"pin":"1"'));
});

test('createRedactingLogger writes lines without the secrets', () => {
  const lines: string[] = [];
  const logger = createRedactingLogger('INFO', (line) => lines.push(line));
  logger.info('registering with pin=123456', {
    pin: '123456',
    headers: { Authorization: 'Bearer t0k' },
    phoneNumberId: '15550001111',
  });
  assert.equal(lines.length, 1);
  const line = lines[0]!;
  assert.ok(!line.includes('123456'), line);
  assert.ok(!line.includes('t0k'), line);
  assert.match(line, /\[INFO\]/);
  assert.match(line, /registering with pin=\[redacted\]/);
  assert.match(line, /15550001111/, 'ordinary metadata is kept');
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /, 'ISO timestamp first');
});

test('createRedactingLogger drops lines below its level and writes ones at or above it', () => {
  const lines: string[] = [];
  const logger = createRedactingLogger('INFO', (line) => lines.push(line));
  logger.debug('debug detail pin=1');
  logger.trace('trace detail');
  assert.equal(lines.length, 0);
  logger.warn('careful');
  logger.error('failed', { token: 'abc' });
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /\[WARN\] careful$/);
  assert.match(lines[1]!, /\[ERROR\] failed /);
  assert.ok(!lines[1]!.includes('abc'));
});
