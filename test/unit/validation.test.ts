// domain/validation.ts with the request schemas of domain/operations.ts and domain/phone-number.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, parseInput } from '../../domain/validation';
import { OPERATION_KINDS, operationRequestSchema, registerRequestSchema } from '../../domain/operations';
import { DATA_LOCALIZATION_REGIONS, phoneNumberIdSchema, pinSchema } from '../../domain/phone-number';

/** Runs fn, asserts it throws an InputError, returns it. */
function inputErrorOf(fn: () => unknown): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  assert.equal(caught.name, 'InputError');
  assert.equal(caught.message, `${caught.field}: ${caught.rule}`);
  return caught;
}
const requestError = (value: unknown) => inputErrorOf(() => parseInput(operationRequestSchema(), value));

const badPins: [string, unknown][] = [
  ['5 digits', '12345'],
  ['a letter', '12345a'],
  ['7 digits', '1234567'],
  ['a trailing newline', '123456\n'],
  ['spaces', '123 456'],
  ['non-ASCII digits', '١٢٣٤٥٦'],
];
for (const [what, pin] of badPins) {
  test(`pin with ${what} → field pin, "must be exactly 6 digits"`, () => {
    const err = requestError({ operation: 'register', pin });
    assert.equal(err.field, 'pin');
    assert.equal(err.rule, 'must be exactly 6 digits');
  });
}

test('a missing pin → field pin, "is required"', () => {
  const err = requestError({ operation: 'register' });
  assert.equal(err.field, 'pin');
  assert.equal(err.rule, 'is required');
});

test('the PIN never appears in the error', () => {
  const err = requestError({ operation: 'register', pin: '98765x' });
  assert.ok(!err.message.includes('98765x'));
});

for (const region of ['US', 'de', 'DEU', '', 'EU']) {
  test(`region ${JSON.stringify(region)} → field region, lists the allowed regions`, () => {
    const err = requestError({ operation: 'register', pin: '123456', region });
    assert.equal(err.field, 'region');
    assert.match(err.rule, /must be one of Meta's data-localization regions/);
    for (const allowed of DATA_LOCALIZATION_REGIONS) assert.ok(err.rule.includes(allowed), allowed);
  });
}

test('unknown operation "foo" → field operation, names the allowed operations', () => {
  const err = requestError({ operation: 'foo' });
  assert.equal(err.field, 'operation');
  assert.match(err.rule, /must be one of register, deregister/);
});

test('a missing operation → field operation', () => {
  const err = requestError({ pin: '123456' });
  assert.equal(err.field, 'operation');
  assert.match(err.rule, /register, deregister/);
});

test('unknown operation names the field once ("operation: must be ...")', () => {
  const err = requestError({ operation: 'foo' });
  assert.equal(err.message, `operation: must be one of ${OPERATION_KINDS.join(', ')}`);
  assert.doesNotMatch(err.message, /operation: operation:/);
});

test('an unknown extra field is rejected, naming it', () => {
  const err = requestError({ operation: 'register', pin: '123456', extra: 1 });
  assert.equal(err.field, 'input');
  assert.equal(err.rule, 'unknown field(s) extra');
  const prefixed = inputErrorOf(() =>
    parseInput(operationRequestSchema(), { operation: 'deregister', pin: '123456' }, 'request'),
  );
  assert.equal(prefixed.field, 'request');
  assert.equal(prefixed.rule, 'unknown field(s) pin');
});

test('a field prefix is joined to the issue path', () => {
  const err = inputErrorOf(() =>
    parseInput(operationRequestSchema(), { operation: 'register', pin: '1' }, 'body'),
  );
  assert.equal(err.field, 'body.pin');
  assert.equal(err.message, 'body.pin: must be exactly 6 digits');
});

test('requestedBy longer than 100 characters → field requestedBy', () => {
  const err = requestError({ operation: 'deregister', requestedBy: 'x'.repeat(101) });
  assert.equal(err.field, 'requestedBy');
  assert.match(err.rule, /100/);
});

test('a non-object request is an InputError, not a TypeError', () => {
  for (const value of [null, undefined, 'register', 42, []]) {
    const err = requestError(value);
    assert.ok(err.rule.length > 0);
  }
});

test('a numeric pin (123456, not "123456") is reported with the format rule, not "is required"', () => {
  const err = requestError({ operation: 'register', pin: 123456 });
  assert.equal(err.field, 'pin');
  assert.notEqual(err.rule, 'is required');
});

test('valid register requests pass, with and without a region', () => {
  assert.deepEqual(parseInput(operationRequestSchema(), { operation: 'register', pin: '123456' }), {
    operation: 'register',
    pin: '123456',
  });
  assert.deepEqual(
    parseInput(operationRequestSchema(), {
      operation: 'register',
      pin: '000000',
      region: 'DE',
      requestedBy: 'ops',
    }),
    { operation: 'register', pin: '000000', region: 'DE', requestedBy: 'ops' },
  );
  for (const region of DATA_LOCALIZATION_REGIONS) {
    const parsed = parseInput(registerRequestSchema(), { operation: 'register', pin: '123456', region });
    assert.equal(parsed.region, region);
  }
});

test('a valid deregister request passes', () => {
  assert.deepEqual(parseInput(operationRequestSchema(), { operation: 'deregister' }), {
    operation: 'deregister',
  });
  assert.deepEqual(parseInput(operationRequestSchema(), { operation: 'deregister', requestedBy: 'svc' }), {
    operation: 'deregister',
    requestedBy: 'svc',
  });
});

test('pinSchema() accepts exactly six ASCII digits', () => {
  assert.equal(parseInput(pinSchema(), '012345'), '012345');
  assert.equal(inputErrorOf(() => parseInput(pinSchema(), '01234', 'pin')).field, 'pin');
});

for (const id of ['12ab', '', '+4915112345678', ' 123', '1'.repeat(33), '12.5']) {
  test(`phoneNumberIdSchema() rejects ${JSON.stringify(id)} with a message saying digits`, () => {
    const err = inputErrorOf(() => parseInput(phoneNumberIdSchema(), id, 'phoneNumberId'));
    assert.equal(err.field, 'phoneNumberId');
    assert.match(err.rule, /digits/);
  });
}

test('phoneNumberIdSchema(): missing → "is required"; digits pass', () => {
  assert.equal(
    inputErrorOf(() => parseInput(phoneNumberIdSchema(), undefined, 'phoneNumberId')).rule,
    'is required',
  );
  assert.equal(parseInput(phoneNumberIdSchema(), '106540352242922'), '106540352242922');
  assert.equal(parseInput(phoneNumberIdSchema(), '1'.repeat(32)), '1'.repeat(32));
});

test('without a prefix, an issue at the root is reported as field "input"', () => {
  const err = inputErrorOf(() => parseInput(phoneNumberIdSchema(), 'abc'));
  assert.equal(err.field, 'input');
});
