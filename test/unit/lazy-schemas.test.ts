// Schemas are built on first use (lazySchema, domain/validation.ts): loading the workflow bundle builds
// none, a workflow builds only those it validates with, and bad input is refused word for word as when
// they were built at module load (the messages below were recorded from commit 099be1c).
import { zodBuilds } from '../helpers/zod-builds'; // first: counts what the imports below build
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import '../../workflows/index';
import { lazySchema, parseInput } from '../../domain/validation';
import { phoneNumberIdSchema, pinSchema, regionSchema } from '../../domain/phone-number';
import { verificationCodeSchema } from '../../domain/verification';
import {
  idempotencyKeySchema,
  operationRequestSchema,
  operationRequestSchemaFor,
  registerRequestSchema,
} from '../../domain/operations';
import { listFilterSchema } from '../../domain/number-listing';
import { fleetIdSchema } from '../../domain/fleet';
import { buildFleetRequests, buildFleetRequestsForIds, parseCsv } from '../../domain/fleet-input';
import { webhookSubscriptionRequestSchema } from '../../domain/webhook-events';
import { extractMetaEvents } from '../../domain/meta-webhooks';
import { cancelRequestSchema, retryRequestSchema } from '../../workflows/lifecycle-book';

const builtAtLoad = zodBuilds.count;

const REGIONS =
  "must be one of Meta's data-localization regions: AU, ID, IN, JP, SG, KR, DE, CH, GB, BR, BH, ZA, AE, CA";
const KINDS = 'must be one of register, deregister, verify, set-pin, onboard, change-region, migrate';
const PHONE_ID = 'must be all digits (the Graph phone-number ID, e.g. 1234567890)';

/** The message `fn` throws with (it must throw). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected a refusal');
}

test('loading the workflow bundle builds no schema; each is built on first use, once', () => {
  assert.equal(builtAtLoad, 0, 'zod objects built while the workflow bundle and domain/ load');
  const before = zodBuilds.count;
  z.string();
  assert.equal(
    zodBuilds.count,
    before + 1,
    "zod's build hook no longer counts: this test needs another counter",
  );
  const raw = { operation: 'register', pin: '123456' };
  const register = operationRequestSchemaFor(raw);
  assert.equal(register, registerRequestSchema(), 'a register request gets the register schema only');
  parseInput(register, raw);
  const forRegister = zodBuilds.count;
  assert.ok(forRegister > before + 1, 'built on first use');
  assert.equal(operationRequestSchemaFor(raw), register, 'the same object again');
  assert.equal(pinSchema(), pinSchema());
  assert.equal(zodBuilds.count, forRegister, 'nothing rebuilt');
  const union = operationRequestSchema();
  assert.ok(zodBuilds.count > forRegister, 'the union of all seven was not built for a register request');
  for (const other of [{ operation: 'fly' }, {}, 'register', null]) {
    assert.equal(operationRequestSchemaFor(other), union, `${JSON.stringify(other)}: the union words it`);
  }
});

test('lazySchema: build runs at the first call only', () => {
  let builds = 0;
  const schema = lazySchema(() => (builds++, z.string()));
  assert.equal(builds, 0);
  assert.equal(schema(), schema());
  assert.equal(builds, 1);
});

test('refusals read as before (schemas)', () => {
  const cases: [string, () => unknown, string][] = [
    ['PIN of 5 digits', () => parseInput(pinSchema(), '12345', 'pin'), 'pin: must be exactly 6 digits'],
    [
      'PIN as a number',
      () => parseInput(pinSchema(), 123456, 'pin'),
      'pin: must be a string of exactly 6 digits',
    ],
    [
      'phone-number ID with letters',
      () => parseInput(phoneNumberIdSchema(), 'abc', 'phoneNumberId'),
      `phoneNumberId: ${PHONE_ID}`,
    ],
    [
      'phone-number ID missing',
      () => parseInput(phoneNumberIdSchema(), undefined, 'phoneNumberId'),
      'phoneNumberId: is required',
    ],
    ['region', () => parseInput(regionSchema(), 'US', 'region'), `region: ${REGIONS}`],
    [
      'verification code',
      () => parseInput(verificationCodeSchema(), 'abc', 'code'),
      'code: must be 6 digits (one hyphen allowed, e.g. 123-830)',
    ],
    [
      'idempotency key',
      () => parseInput(idempotencyKeySchema(), 'bad key!', 'Idempotency-Key'),
      'Idempotency-Key: must be 1 to 200 letters, digits, or . _ : -',
    ],
    ['list limit', () => parseInput(listFilterSchema(), { limit: 0 }), 'limit: must be at least 1'],
    ['list operation', () => parseInput(listFilterSchema(), { operation: 'fly' }), `operation: ${KINDS}`],
    [
      'fleet ID',
      () => parseInput(fleetIdSchema(), '-x', 'fleetId'),
      'fleetId: must be 1-100 letters, digits, dots, hyphens or underscores',
    ],
    [
      'webhook URL scheme',
      () =>
        parseInput(webhookSubscriptionRequestSchema(), {
          id: 'ok',
          url: 'ftp://x',
          events: ['operation.succeeded'],
        }),
      'url: must use the http or https scheme',
    ],
    [
      'webhook event repeated',
      () =>
        parseInput(webhookSubscriptionRequestSchema(), {
          id: 'ok',
          url: 'https://x',
          events: ['fleet.finished', 'fleet.finished'],
        }),
      'events: must not repeat an event type',
    ],
    [
      'retry with a bad PIN',
      () => parseInput(retryRequestSchema(), { pin: '1' }),
      'pin: must be exactly 6 digits',
    ],
    [
      'cancel with a numeric ID',
      () => parseInput(cancelRequestSchema(), { operationId: 5 }),
      'operationId: Invalid input: expected string, received number',
    ],
  ];
  for (const [what, fn, message] of cases) assert.equal(refusal(fn), message, what);
});

test('refusals read as before (operation requests: the union and the one-kind schema alike)', () => {
  const cases: [unknown, string, string?][] = [
    [{ operation: 'register', pin: '123456', region: 'XX' }, `region: ${REGIONS}`],
    [{ operation: 'fly' }, `operation: ${KINDS}`],
    [{}, `operation: ${KINDS}`],
    ['register', `input: ${KINDS}`],
    [{ operation: 'register' }, 'pin: is required'],
    [{ operation: 'deregister', pin: '123456' }, 'request: unknown field(s) pin', 'request'],
    [{ operation: 'verify', method: 'FAX' }, 'method: must be SMS or VOICE'],
    [{ operation: 'verify', language: 'en' }, 'language: must be a locale like en_US (language_COUNTRY)'],
    [{ operation: 'change-region', pin: '123456' }, `region: ${REGIONS}`],
    [
      { operation: 'migrate', pin: '123456', backupPassword: 'x' },
      'onPrem: Invalid input: expected object, received undefined',
    ],
    [
      {
        operation: 'migrate',
        pin: '123456',
        backupPassword: 'x',
        onPrem: { url: 'ftp://x', username: 'u', password: 'p' },
      },
      'onPrem.url: must be an http(s) URL',
    ],
    [{ operation: 'deregister', wabaId: 'abc' }, 'wabaId: must be all digits (the WABA ID)'],
  ];
  for (const [request, message, prefix] of cases) {
    const label = JSON.stringify(request);
    assert.equal(
      refusal(() => parseInput(operationRequestSchema(), request, prefix)),
      message,
      label,
    );
    const own = operationRequestSchemaFor(request);
    assert.equal(
      refusal(() => parseInput(own, request, prefix)),
      message,
      `${label} (one kind)`,
    );
  }
  assert.deepEqual(parseInput(operationRequestSchemaFor({ operation: 'verify' }), { operation: 'verify' }), {
    operation: 'verify',
    method: 'SMS',
    language: 'en_US',
    fallbackToVoice: true,
  });
});

test('refusals read as before (fleet input, Meta webhooks)', () => {
  assert.equal(
    refusal(() => buildFleetRequestsForIds({ operation: 'fly', defaults: {}, phoneNumberIds: ['1'] })),
    `1 problem in the fleet input:\nrequest: operation: ${KINDS}`,
  );
  assert.equal(
    refusal(() =>
      buildFleetRequestsForIds({ operation: 'register', defaults: {}, phoneNumberIds: ['abc', '12'] }),
    ),
    '2 problems in the fleet input:\n' +
      'WABA: pin: no PINs: register needs a PIN for every number (give a pins file)\n' +
      `WABA number abc: phone_number_id: ${PHONE_ID}`,
  );
  assert.equal(
    refusal(() =>
      buildFleetRequestsForIds({
        operation: 'register',
        defaults: { region: 'XX', colour: 'red' },
        pins: new Map([['12', '1234']]),
        phoneNumberIds: ['12'],
      }),
    ),
    '3 problems in the fleet input:\n' +
      `request: region: ${REGIONS}\n` +
      'request: colour: is not a field of register requests\n' +
      'WABA number 12: pin: must be exactly 6 digits (from pins file)',
  );
  const rows = parseCsv('phone_number_id,pin,region\nabc,12,XX\n15,123456,DE\n,123456,\n', 'numbers.csv');
  assert.equal(
    refusal(() => buildFleetRequests({ operation: 'register', defaults: {}, rows, source: 'numbers.csv' })),
    '4 problems in the fleet input:\n' +
      `numbers.csv line 2: phone_number_id: ${PHONE_ID}\n` +
      'numbers.csv line 2: pin: must be exactly 6 digits\n' +
      `numbers.csv line 2: region: ${REGIONS}\n` +
      'numbers.csv line 4: phone_number_id: is required',
  );
  assert.deepEqual(extractMetaEvents({ nope: 1 }).ignored, ['not a webhook payload (object, entry[])']);
  const changes = [
    { field: 'phone_number_name_update', value: { decision: 'APPROVED' } },
    { field: 'phone_number_quality_update', value: { display_phone_number: '1', event: 'X' } },
  ];
  assert.deepEqual(
    extractMetaEvents({ object: 'whatsapp_business_account', entry: [{ id: 1, changes }] }).ignored,
    ['phone_number_name_update: value not readable', 'phone_number_quality_update: unknown event X'],
  );
});
