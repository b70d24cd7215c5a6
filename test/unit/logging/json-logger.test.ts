// platform/logging/json-logger.ts: one JSON object per line, the level filter, the SDK's timestamp, errors
// as objects, and the same redaction as the text logger on message and attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, type LogLevel } from '@temporalio/common';
import { JsonLogger } from '../../../platform/logging/json-logger';
import { createProcessLog } from '../../../platform/logging/setup';

function capture(level: LogLevel) {
  const written: string[] = [];
  const logger = new JsonLogger({
    level,
    destination: { write: (chunk: string) => void written.push(chunk) },
  });
  const lines = () =>
    written
      .join('')
      .split('\n')
      .filter((l) => l !== '');
  return {
    logger,
    written,
    lines,
    entries: () => lines().map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('one JSON object per line: level, time, message, then the attributes', () => {
  const { logger, written, entries } = capture('INFO');
  logger.info('Worker state changed', { state: 'RUNNING', sdkComponent: 'worker' });
  logger.warn('second\nline in one entry', { n: 3 });
  assert.equal(written.length, 2);
  assert.ok(written.every((chunk) => chunk.endsWith('\n') && chunk.indexOf('\n') === chunk.length - 1));
  const [first, second] = entries();
  assert.deepEqual(Object.keys(first!), ['level', 'time', 'state', 'sdkComponent', 'message']);
  assert.equal(first!.level, 'info');
  assert.equal(first!.message, 'Worker state changed');
  assert.ok(Math.abs(Date.parse(String(first!.time)) - Date.now()) < 5_000);
  assert.equal(second!.level, 'warn');
  assert.equal(second!.message, 'second\nline in one entry');
});

test('lines below the level are dropped; at or above it they are written', () => {
  const { logger, entries } = capture('WARN');
  logger.trace('t');
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  logger.log('INFO', 'i2');
  logger.log('ERROR', 'e2');
  assert.deepEqual(
    entries().map((e) => [e.level, e.message]),
    [
      ['warn', 'w'],
      ['error', 'e'],
      ['error', 'e2'],
    ],
  );
  const all = capture('TRACE');
  all.logger.trace('t');
  all.logger.debug('d');
  assert.deepEqual(
    all.entries().map((e) => e.level),
    ['trace', 'debug'],
  );
});

test('PINs, tokens and Authorization headers are redacted in the message and in nested attributes', () => {
  const { logger, lines } = capture('INFO');
  logger.warn('POST /register failed: pin=135790 with Bearer EAAG-secret-token', {
    request: {
      headers: { Authorization: 'Bearer EAAG-secret-token', 'content-type': 'application/json' },
      body: '{"pin":"135790","messaging_product":"whatsapp"}',
    },
    pin: '135790',
    access_token: 'EAAG-secret-token',
    args: [{ password: 'backup-Pa55' }],
  });
  const [line] = lines();
  for (const secret of ['135790', 'EAAG-secret-token', 'backup-Pa55']) {
    assert.ok(!line!.includes(secret), `${secret} in ${line}`);
  }
  const entry = JSON.parse(line!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(entry.message, 'POST /register failed: pin=[redacted] with Bearer [redacted]');
  assert.equal(entry.request.headers.Authorization, '[redacted]');
  assert.equal(entry.request.headers['content-type'], 'application/json', 'other values kept');
  assert.equal(entry.request.body, '{"pin":"[redacted]","messaging_product":"whatsapp"}');
  assert.equal(entry.pin, '[redacted]');
  assert.equal(entry.access_token, '[redacted]');
  assert.equal(entry.args[0].password, '[redacted]');
});

test("errors become objects (name, message, failure type, stack), redacted; the SDK's timestamp is the line's time", () => {
  const { logger, entries } = capture('INFO');
  const failure = ApplicationFailure.nonRetryable(
    '(#133005) PIN Mismatch for pin=135790',
    'GraphPinMismatch',
  );
  logger.warn('Activity failed', {
    error: failure,
    activityId: '3',
    [Symbol.for('log_timestamp')]: 1_700_000_000_123_000_000n,
  });
  const [entry] = entries() as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(entry!.time, '2023-11-14T22:13:20.123Z');
  assert.equal(entry!.error.name, 'ApplicationFailure');
  assert.equal(entry!.error.type, 'GraphPinMismatch');
  assert.equal(entry!.error.message, '(#133005) PIN Mismatch for pin=[redacted]');
  assert.match(entry!.error.stack, /^ApplicationFailure: /);
  assert.ok(!JSON.stringify(entry).includes('135790'));
});

test('attributes named level, time or message do not overwrite the line’s own', () => {
  const { logger, lines } = capture('INFO');
  logger.info('real', { level: 'fake', time: 'never', message: 'other', big: 12n });
  const [line] = lines();
  const entry = JSON.parse(line!) as Record<string, unknown>;
  assert.equal(entry.level, 'info');
  assert.equal(entry.message, 'real');
  assert.equal(entry['attr.level'], 'fake');
  assert.equal(entry['attr.message'], 'other');
  assert.equal(entry.big, '12');
  assert.equal(line!.match(/"level":/g)?.length, 1, 'one level key');
});

test('the process log: an info entry with the service in JSON mode', () => {
  const { logger, entries } = capture('INFO');
  createProcessLog('api', logger)('listening on http://127.0.0.1:1', { url: 'http://127.0.0.1:1' });
  assert.deepEqual(entries()[0], {
    level: 'info',
    time: entries()[0]!.time,
    service: 'api',
    url: 'http://127.0.0.1:1',
    message: 'listening on http://127.0.0.1:1',
  });
});
