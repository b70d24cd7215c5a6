// domain/fleet-input.ts: numbers files (CSV, JSON), pins files and WABA IDs into validated requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FleetInputError,
  FleetPinMap,
  MAX_FLEET_CONCURRENCY,
  MAX_FLEET_NUMBERS,
  buildFleetRequests,
  buildFleetRequestsForIds,
  fleetColumns,
  formatFleetRowError,
  normaliseColumnName,
  parseCsv,
  parseJsonNumbers,
  parsePinFile,
  validateConcurrency,
  type FleetRowError,
} from '../../domain/fleet-input';
import { InputError } from '../../domain/validation';
import { OPERATION_KINDS } from '../../domain/operations';

/** Runs fn, asserts it throws a FleetInputError, returns it. */
function fleetErrorOf(fn: () => unknown): FleetInputError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof FleetInputError, `expected a FleetInputError, got ${String(caught)}`);
  assert.equal(caught.name, 'FleetInputError');
  return caught;
}

/** The errors as "line field" pairs, to compare where they are without the wording. */
const places = (errors: FleetRowError[]) => errors.map((e) => `${e.line} ${e.field}`);

function csvFleet(operation: string, csv: string, defaults: Record<string, unknown> = {}, extra = {}) {
  return buildFleetRequests({
    operation,
    rows: parseCsv(csv, 'numbers.csv'),
    source: 'numbers.csv',
    defaults,
    ...extra,
  });
}

// --- CSV ---------------------------------------------------------------------------------------------

test('parseCsv: header normalised, BOM dropped, CRLF, blank lines skipped, unquoted cells trimmed', () => {
  const text = '\uFEFFPhone Number ID, PIN ,waba-id\r\n 111 , 123456 ,9\r\n\r\n   \r\n222,654321,\r\n';
  assert.deepEqual(parseCsv(text, 'numbers.csv'), [
    { line: 2, fields: { phone_number_id: '111', pin: '123456', waba_id: '9' }, columnsLine: 1 },
    { line: 5, fields: { phone_number_id: '222', pin: '654321', waba_id: '' }, columnsLine: 1 },
  ]);
});

test('parseCsv: quoted cells keep spaces, commas, "" quotes and newlines; lines are where records start', () => {
  const text = 'phone_number_id,onprem_password\n1," a,b ""c"" "\n2,"line1\nline2\r\nline3"\n3,x';
  const rows = parseCsv(text, 'numbers.csv');
  assert.deepEqual(
    rows.map((r) => [r.line, r.fields.onprem_password]),
    [
      [2, ' a,b "c" '],
      [3, 'line1\nline2\r\nline3'],
      [6, 'x'],
    ],
  );
});

test('normaliseColumnName: spaces, hyphens, case and camelCase all read as snake_case', () => {
  for (const name of [
    'phone_number_id',
    ' Phone Number ID ',
    'phone-number-id',
    'phoneNumberId',
    'PHONE_NUMBER_ID',
  ]) {
    assert.equal(normaliseColumnName(name), 'phone_number_id', name);
  }
  assert.equal(normaliseColumnName('onPremUrl'), 'onprem_url');
  assert.equal(normaliseColumnName('OnPrem URL'), 'onprem_url');
});

test('parseCsv: every record with too many or too few cells is reported with its line', () => {
  const text = 'phone_number_id,pin\n1,123456\n2\n3,123456,extra\n"4\n4",123456,x\n5,123456\n';
  const err = fleetErrorOf(() => parseCsv(text, 'numbers.csv'));
  assert.deepEqual(places(err.errors), ['3 row', '4 row', '5 row']);
  assert.equal(err.errors[0]?.message, 'has 1 cell, the header has 2 columns');
  assert.match(err.message, /^3 problems in the fleet input:\nnumbers\.csv line 3: row: has 1 cell/);
});

test('parseCsv: an unclosed quote is reported on the line its record starts', () => {
  const err = fleetErrorOf(() => parseCsv('phone_number_id,pin\n1,123456\n2,"123456\n3,123456\n', 'n.csv'));
  assert.deepEqual(places(err.errors), ['3 row']);
  assert.match(err.errors[0]?.message ?? '', /never closed/);
});

test('parseCsv: a stray quote or text after a closing quote is an error, not a guess', () => {
  const err = fleetErrorOf(() => parseCsv('phone_number_id,pin\n1,12"34\n2,"12"34\n3,"123456" \n', 'n.csv'));
  assert.deepEqual(places(err.errors), ['2 row', '3 row']);
});

test('parseCsv: an empty file, or a header with a blank or repeated name, is an error', () => {
  assert.deepEqual(places(fleetErrorOf(() => parseCsv('\uFEFF\n\n', 'n.csv')).errors), ['1 header']);
  const err = fleetErrorOf(() => parseCsv('phone_number_id,,PIN,pin\n1,,2,3\n', 'n.csv'));
  assert.deepEqual(places(err.errors), ['1 header', '1 pin']);
});

// --- numbers files -----------------------------------------------------------------------------------

test('register: one request per row, defaults merged, row cells win, empty cells take the defaults', () => {
  const fleet = csvFleet('register', 'phone_number_id,pin,region,waba_id\n111,123456,,\n222,654321,IN,77\n', {
    region: 'DE',
    requestedBy: 'ops',
  });
  assert.deepEqual(fleet, [
    {
      phoneNumberId: '111',
      request: { operation: 'register', pin: '123456', region: 'DE', requestedBy: 'ops' },
    },
    {
      phoneNumberId: '222',
      request: { operation: 'register', pin: '654321', region: 'IN', requestedBy: 'ops', wabaId: '77' },
    },
  ]);
});

test('register: region none means no local storage, even when the defaults give a region', () => {
  const [first] = csvFleet('register', 'phone_number_id,pin,region\n111,123456,none\n', { region: 'DE' });
  assert.deepEqual(first?.request, { operation: 'register', pin: '123456' });
});

test('a CSV with several bad rows reports all of them, with the right lines after a quoted newline', () => {
  const csv = [
    'phone_number_id,pin,region',
    '111,123456,DE', // 2: fine
    '"abc",123456,DE', // 3: not digits
    '333,"12', // 4-5: a PIN cell with a newline in it
    '34",', // (still the record of line 4)
    '444,123456,US', // 6: not a region
    '111,654321,', // 7: a duplicate of line 2
    '777,,DE', // 8: no PIN
    '', // 9: blank
    '999,123456,DE', // 10: fine
  ].join('\n');
  const err = fleetErrorOf(() => csvFleet('register', csv));
  assert.deepEqual(places(err.errors), [
    '3 phone_number_id',
    '4 pin',
    '6 region',
    '7 phone_number_id',
    '8 pin',
  ]);
  const lines = err.message.split('\n');
  assert.equal(lines[0], '5 problems in the fleet input:');
  assert.equal(
    lines[1],
    'numbers.csv line 3: phone_number_id: must be all digits (the Graph phone-number ID, e.g. 1234567890)',
  );
  assert.equal(lines[2], 'numbers.csv line 4: pin: must be exactly 6 digits');
  assert.match(
    lines[3] ?? '',
    /^numbers\.csv line 6: region: must be one of Meta's data-localization regions/,
  );
  assert.equal(lines[4], 'numbers.csv line 7: phone_number_id: appears twice: first on line 2');
  assert.equal(
    lines[5],
    'numbers.csv line 8: pin: no PIN for this number (give it in a pin column or the pins file)',
  );
});

test('a missing phone_number_id column is one error on line 1, not one per row', () => {
  const err = fleetErrorOf(() => csvFleet('deregister', 'waba_id\n1\n2\n3\n'));
  assert.deepEqual(places(err.errors), ['1 phone_number_id']);
  assert.match(err.errors[0]?.message ?? '', /column missing/);
});

test('a missing pin column (no pins file, no default PIN) is one error on line 1', () => {
  const err = fleetErrorOf(() => csvFleet('set-pin', 'phone_number_id\n1\n2\n'));
  assert.deepEqual(places(err.errors), ['1 pin']);
  assert.match(err.errors[0]?.message ?? '', /column missing: set-pin needs a PIN for every number/);
  // A PIN for all in the defaults needs no column.
  assert.equal(csvFleet('set-pin', 'phone_number_id\n1\n2\n', { pin: '123456' }).length, 2);
});

test('an unknown column, or one the operation does not use, is one error on line 1 naming it', () => {
  const err = fleetErrorOf(() =>
    csvFleet('deregister', 'phone_number_id,colour,pin\n1,red,\n2,blue,123456\n'),
  );
  assert.deepEqual(places(err.errors), ['1 colour', '1 pin']);
  assert.equal(err.errors[0]?.message, 'unknown column (columns for deregister: phone_number_id, waba_id)');
  assert.equal(
    err.errors[1]?.message,
    'deregister does not use this column (columns for deregister: phone_number_id, waba_id)',
  );
});

test('an unknown operation is refused with the allowed list', () => {
  const err = fleetErrorOf(() => csvFleet('delete', 'phone_number_id\n1\n'));
  assert.deepEqual(places(err.errors), ['0 operation']);
  assert.equal(err.errors[0]?.message, `must be one of ${OPERATION_KINDS.join(', ')}`);
  assert.equal(
    err.message,
    `1 problem in the fleet input:\nrequest: operation: must be one of ${OPERATION_KINDS.join(', ')}`,
  );
});

test('an empty numbers file (header only) and more than MAX_FLEET_NUMBERS rows are errors', () => {
  const empty = fleetErrorOf(() => csvFleet('deregister', 'phone_number_id\n\n'));
  assert.deepEqual(places(empty.errors), ['0 phone_number_id']);
  assert.match(empty.message, /no numbers/);
  const rows = Array.from({ length: MAX_FLEET_NUMBERS + 1 }, (_, i) => ({
    line: i + 2,
    fields: { phone_number_id: String(1000 + i) },
  }));
  const big = fleetErrorOf(() =>
    buildFleetRequests({ operation: 'deregister', rows, source: 'numbers.csv', defaults: {} }),
  );
  assert.match(big.message, /10001 numbers: a fleet takes at most 10000/);
  assert.equal(
    buildFleetRequests({ operation: 'deregister', rows: rows.slice(1), source: 'numbers.csv', defaults: {} })
      .length,
    MAX_FLEET_NUMBERS,
  );
});

test('a bad default is reported once, on the request, not on every row', () => {
  const err = fleetErrorOf(() =>
    csvFleet('register', 'phone_number_id,pin\n1,123456\n2,123456\n3,123456\n', {
      region: 'EU',
      colour: 'x',
    }),
  );
  assert.deepEqual(
    err.errors.map((e) => [e.source, e.line, e.field]),
    [
      ['request', 0, 'region'],
      ['request', 0, 'colour'],
    ],
  );
  assert.match(err.message, /\nrequest: colour: is not a field of register requests/);
});

test('the message lists 20 errors, then "... and N more"; errors has them all', () => {
  const csv = ['phone_number_id', ...Array.from({ length: 25 }, (_, i) => `x${i}`)].join('\n');
  const err = fleetErrorOf(() => csvFleet('deregister', csv));
  assert.equal(err.errors.length, 25);
  const lines = err.message.split('\n');
  assert.equal(lines.length, 1 + 20 + 1);
  assert.equal(lines.at(-1), '... and 5 more');
  assert.match(lines[20] ?? '', /^numbers\.csv line 21: phone_number_id:/);
});

test('verify: method and language columns; the schema fills in what is not given', () => {
  const fleet = csvFleet('verify', 'phone_number_id,method,language\n1,VOICE,de_DE\n2,,\n');
  assert.deepEqual(
    fleet.map((n) => n.request),
    [
      { operation: 'verify', method: 'VOICE', language: 'de_DE', fallbackToVoice: true },
      { operation: 'verify', method: 'SMS', language: 'en_US', fallbackToVoice: true },
    ],
  );
  const err = fleetErrorOf(() => csvFleet('verify', 'phone_number_id,method\n1,EMAIL\n'));
  assert.deepEqual(places(err.errors), ['2 method']);
  assert.equal(err.errors[0]?.message, 'must be SMS or VOICE');
});

// --- change-region -------------------------------------------------------------------------------------

test('change-region: a code sets it, none turns it off, empty takes the default (a default null included)', () => {
  const csv = 'phone_number_id,region\n1,IN\n2,none\n3,\n';
  const regions = (defaults: Record<string, unknown>) =>
    csvFleet('change-region', csv, { pin: '123456', ...defaults }).map(
      (n) => (n.request as { region: unknown }).region,
    );
  assert.deepEqual(regions({ region: 'DE' }), ['IN', null, 'DE']);
  assert.deepEqual(regions({ region: null }), ['IN', null, null]);
});

test('change-region: an empty region cell with no default region is an error (turning it off is explicit)', () => {
  const err = fleetErrorOf(() =>
    csvFleet('change-region', 'phone_number_id,region,pin\n1,DE,123456\n2,,123456\n'),
  );
  assert.deepEqual(places(err.errors), ['3 region']);
  assert.equal(
    err.errors[0]?.message,
    'is required for change-region: a region code, or none to turn local storage off',
  );
});

test('change-region: no region column needs a default region; without one it is an error on line 1', () => {
  assert.deepEqual(
    places(fleetErrorOf(() => csvFleet('change-region', 'phone_number_id,pin\n1,123456\n')).errors),
    ['1 region'],
  );
  const [n] = csvFleet('change-region', 'phone_number_id,pin\n1,123456\n', { region: 'GB' });
  assert.deepEqual(n?.request, { operation: 'change-region', region: 'GB', pin: '123456' });
});

// --- migrate ---------------------------------------------------------------------------------------------

const migrateDefaults = {
  backupPassword: 'backup-secret-1',
  onPrem: { username: 'admin', password: 'onprem-secret-1' },
};

test('migrate: onPrem deep-merged (cells win), columns map to onPrem.url/username/password', () => {
  const fleet = csvFleet(
    'migrate',
    'phone_number_id,pin,onprem_url,onprem_username\n1,123456,https://a.example,\n2,123456,https://b.example,bob\n',
    migrateDefaults,
  );
  assert.deepEqual(
    fleet.map((n) => n.request),
    [
      {
        operation: 'migrate',
        pin: '123456',
        backupPassword: 'backup-secret-1',
        onPrem: { url: 'https://a.example', username: 'admin', password: 'onprem-secret-1' },
      },
      {
        operation: 'migrate',
        pin: '123456',
        backupPassword: 'backup-secret-1',
        onPrem: { url: 'https://b.example', username: 'bob', password: 'onprem-secret-1' },
      },
    ],
  );
});

test('migrate: no onprem_url column and no default URL is one error on line 1; no backupPassword is one error', () => {
  const err = fleetErrorOf(() =>
    csvFleet('migrate', 'phone_number_id,pin\n1,123456\n2,123456\n', {
      onPrem: { username: 'u', password: 'p' },
    }),
  );
  assert.deepEqual(
    err.errors.map((e) => `${e.source} ${e.line} ${e.field}`),
    ['numbers.csv 1 onprem_url', 'request 0 backupPassword'],
  );
  assert.match(err.errors[0]?.message ?? '', /column missing: migrate needs it/);
  assert.equal(err.errors[1]?.message, 'is required');
});

test('migrate: bad cells name their column; an empty cell with no default is "is required"', () => {
  const err = fleetErrorOf(() =>
    csvFleet(
      'migrate',
      'phone_number_id,pin,onprem_url,onprem_password\n1,123456,ftp://x,\n2,123456,https://ok.example,\n',
      { backupPassword: 'b', onPrem: { username: 'u' } },
    ),
  );
  assert.deepEqual(places(err.errors), ['2 onprem_url', '2 onprem_password', '3 onprem_password']);
  assert.equal(err.errors[0]?.message, 'must be an http(s) URL');
  assert.equal(err.errors[1]?.message, 'is required');
});

// --- pins ------------------------------------------------------------------------------------------------

test('parsePinFile: PINs by number, with their lines', () => {
  const pins = parsePinFile(parseCsv('phone_number_id,pin\n1,111111\n2,222222\n', 'pins.csv'), 'pins.csv');
  assert.deepEqual(
    [...pins],
    [
      ['1', '111111'],
      ['2', '222222'],
    ],
  );
  assert.ok(pins instanceof FleetPinMap);
  assert.equal(pins.lines.get('2'), 3);
});

test('parsePinFile: bad PINs, bad IDs and duplicates are all reported with lines, never with the PIN', () => {
  const text = 'phone_number_id,pin\n1,98765x\n2,\nabc,111111\n1,222222\n5,0123456\n';
  const err = fleetErrorOf(() => parsePinFile(parseCsv(text, 'pins.csv'), 'pins.csv'));
  assert.deepEqual(places(err.errors), ['2 pin', '3 pin', '4 phone_number_id', '5 phone_number_id', '6 pin']);
  assert.equal(err.errors[0]?.message, 'must be exactly 6 digits');
  assert.equal(err.errors[3]?.message, 'appears twice: first on line 2');
  assert.match(
    err.message,
    /^5 problems in the fleet input:\npins\.csv line 2: pin: must be exactly 6 digits\n/,
  );
  for (const secret of ['98765x', '222222', '0123456']) assert.ok(!err.message.includes(secret), secret);
});

test('parsePinFile: unknown or missing columns, and an empty file, are errors', () => {
  const unknown = fleetErrorOf(() =>
    parsePinFile(parseCsv('phone_number_id,pin,note\n1,111111,x\n', 'p.csv'), 'p.csv'),
  );
  assert.deepEqual(places(unknown.errors), ['1 note']);
  const missing = fleetErrorOf(() => parsePinFile(parseCsv('phone_number_id\n1\n', 'p.csv'), 'p.csv'));
  assert.deepEqual(places(missing.errors), ['1 pin']);
  assert.deepEqual(places(fleetErrorOf(() => parsePinFile([], 'p.csv')).errors), ['0 pin']);
});

test('the pins file supplies PINs for rows without one; a pin cell wins; extra pins are ignored', () => {
  const pins = parsePinFile(
    parseCsv('phone_number_id,pin\n1,111111\n2,222222\n99,999999\n', 'pins.csv'),
    'pins.csv',
  );
  const fleet = csvFleet(
    'set-pin',
    'phone_number_id,pin\n1,\n2,123456\n',
    {},
    { pins, pinsSource: 'pins.csv' },
  );
  assert.deepEqual(
    fleet.map((n) => [n.phoneNumberId, (n.request as { pin: string }).pin]),
    [
      ['1', '111111'],
      ['2', '123456'],
    ],
  );
  // No pin column at all: the pins file alone.
  assert.equal(
    csvFleet('set-pin', 'phone_number_id\n1\n2\n', {}, { pins, pinsSource: 'pins.csv' }).length,
    2,
  );
});

test('a number with no PIN in its row or the pins file: "pin: no PIN for this number"', () => {
  const pins = parsePinFile(parseCsv('phone_number_id,pin\n1,111111\n', 'pins.csv'), 'pins.csv');
  const err = fleetErrorOf(() =>
    csvFleet('register', 'phone_number_id\n1\n2\n', {}, { pins, pinsSource: 'pins.csv' }),
  );
  assert.equal(
    err.message,
    '1 problem in the fleet input:\nnumbers.csv line 3: pin: no PIN for this number (give it in a pin column or the pins file)',
  );
});

test('a bad PIN from the pins map names the pins file and its line, not the PIN', () => {
  const pins = new FleetPinMap([['1', '12x456']]);
  pins.lines.set('1', 7);
  const err = fleetErrorOf(() =>
    csvFleet('register', 'phone_number_id\n1\n', {}, { pins, pinsSource: 'pins.csv' }),
  );
  assert.equal(err.errors[0]?.field, 'pin');
  assert.equal(err.errors[0]?.message, 'must be exactly 6 digits (from pins.csv line 7)');
  assert.ok(!err.message.includes('12x456'));
});

test('a pins file for an operation that takes no PIN is an error', () => {
  const pins = new Map([['1', '123456']]);
  const err = fleetErrorOf(() =>
    csvFleet('verify', 'phone_number_id\n1\n', {}, { pins, pinsSource: 'pins.csv' }),
  );
  assert.deepEqual(
    err.errors.map((e) => `${e.source} ${e.field}`),
    ['pins.csv pin'],
  );
});

// --- JSON ------------------------------------------------------------------------------------------------

test('parseJsonNumbers: an array, or {"numbers": [...]}; keys normalised; numbers and booleans as text; null omitted', () => {
  const items = [
    { phoneNumberId: 111, PIN: '123456', region: null, 'waba id': '9' },
    { phone_number_id: '222' },
  ];
  const expected = [
    { line: 1, fields: { phone_number_id: '111', pin: '123456', waba_id: '9' }, item: true },
    { line: 2, fields: { phone_number_id: '222' }, item: true },
  ];
  assert.deepEqual(parseJsonNumbers(JSON.stringify(items), 'numbers.json item'), expected);
  assert.deepEqual(parseJsonNumbers(`\uFEFF${JSON.stringify({ numbers: items })}`, 'numbers.json'), expected);
  assert.deepEqual(
    parseJsonNumbers('[{"phone_number_id":"1","x":true}]', 'n.json item')[0]?.fields.x,
    'true',
  );
});

test('parseJsonNumbers: nested values, non-object items and IDs too big for a double are errors on their items', () => {
  const text =
    '[{"phone_number_id":"1"},{"phone_number_id":"2","onPrem":{"url":"x"}},"3",{"phone_number_id":12345678901234567890}]';
  const err = fleetErrorOf(() => parseJsonNumbers(text, 'numbers.json item'));
  assert.deepEqual(places(err.errors), ['2 on_prem', '3 item', '4 phone_number_id']);
  assert.match(err.message, /\nnumbers\.json item 2: on_prem: must be text or a number, not an object\n/);
  assert.match(err.errors[2]?.message ?? '', /write it as a string/);
});

test('parseJsonNumbers: bad JSON gives the parser message, without the text it quotes', () => {
  const err = fleetErrorOf(() =>
    parseJsonNumbers('[{"phone_number_id":"1","pin": x98765}]', 'numbers.json item'),
  );
  assert.deepEqual(
    err.errors.map((e) => `${e.source} ${e.line} ${e.field}`),
    ['numbers.json 0 json'],
  );
  assert.match(err.errors[0]?.message ?? '', /^not valid JSON: Unexpected token/);
  assert.ok(!err.message.includes('98765'));
  const positioned = fleetErrorOf(() => parseJsonNumbers('[\n{"a": "1"\n', 'numbers.json item'));
  assert.match(
    positioned.errors[0]?.message ?? '',
    /^not valid JSON: .*\(line \d+, column \d+\)$|end of JSON input/,
  );
  const shape = fleetErrorOf(() => parseJsonNumbers('{"numbers": 5}', 'numbers.json item'));
  assert.match(shape.errors[0]?.message ?? '', /must be an array of numbers/);
});

test('JSON numbers: rows validated like CSV rows, errors on "numbers.json item N"', () => {
  const text = JSON.stringify({
    numbers: [
      { phone_number_id: '1', pin: '123456' },
      { pin: '123456' },
      { phone_number_id: '3', pin: '12', colour: 'red' },
      { phone_number_id: '1', pin: '123456' },
    ],
  });
  const err = fleetErrorOf(() =>
    buildFleetRequests({
      operation: 'set-pin',
      rows: parseJsonNumbers(text, 'numbers.json'),
      source: 'numbers.json', // JSON rows are labelled by item either way
      defaults: {},
    }),
  );
  assert.deepEqual(places(err.errors), ['3 colour', '2 phone_number_id', '3 pin', '4 phone_number_id']);
  assert.ok(err.errors.every((e) => e.source === 'numbers.json item'));
  assert.match(err.message, /\nnumbers\.json item 2: phone_number_id: is required\n/);
  assert.match(err.message, /\nnumbers\.json item 4: phone_number_id: appears twice: first in item 1$/);
});

// --- WABA numbers ----------------------------------------------------------------------------------------

test('buildFleetRequestsForIds: the same requests and checks for IDs from Graph (source WABA, line 0)', () => {
  const pins = new Map([
    ['1', '111111'],
    ['2', '222222'],
  ]);
  const fleet = buildFleetRequestsForIds({
    operation: 'register',
    phoneNumberIds: ['1', '2'],
    defaults: { region: 'DE' },
    pins,
    pinsSource: 'pins.csv',
  });
  assert.deepEqual(
    fleet.map((n) => n.request),
    [
      { operation: 'register', pin: '111111', region: 'DE' },
      { operation: 'register', pin: '222222', region: 'DE' },
    ],
  );
  const err = fleetErrorOf(() =>
    buildFleetRequestsForIds({ operation: 'register', phoneNumberIds: ['1', '3', 'x'], defaults: {}, pins }),
  );
  assert.deepEqual(
    err.errors.map((e) => `${e.source} ${e.line} ${e.phoneNumberId} ${e.field}`),
    ['WABA 0 3 pin', 'WABA 0 x phone_number_id', 'WABA 0 x pin'],
  );
  assert.match(err.message, /\nWABA number 3: pin: no PIN for this number \(give it in the pins file\)\n/);
  const noPins = fleetErrorOf(() =>
    buildFleetRequestsForIds({ operation: 'register', phoneNumberIds: ['1', '2'], defaults: {} }),
  );
  assert.deepEqual(places(noPins.errors), ['0 pin']);
  assert.deepEqual(
    places(
      fleetErrorOf(() =>
        buildFleetRequestsForIds({ operation: 'deregister', phoneNumberIds: [], defaults: {} }),
      ).errors,
    ),
    ['0 phone_number_id'],
  );
});

// --- secrets ---------------------------------------------------------------------------------------------

test('no error message contains a PIN, a password or the backup password', () => {
  const secrets = ['98765x', '7654321', 'onprem-pw-x', 'backup-pw-y', 'row-pw-z', '55555'];
  const csv = [
    'phone_number_id,pin,onprem_url,onprem_password',
    'abc,98765x,https://a.example,row-pw-z',
    '2,7654321,not a url,row-pw-z',
    '3,123456,https://c.example,',
  ].join('\n');
  const pins = new FleetPinMap([['3', '55555']]);
  const errors: FleetInputError[] = [
    fleetErrorOf(() =>
      csvFleet(
        'migrate',
        csv,
        {
          backupPassword: 'backup-pw-y',
          onPrem: { username: 'u', password: 'onprem-pw-x', port: 'onprem-pw-x' },
        },
        { pins, pinsSource: 'pins.csv' },
      ),
    ),
    fleetErrorOf(() => csvFleet('register', 'phone_number_id,pin\n1,98765x\n', { pin: '7654321' })),
    fleetErrorOf(() => csvFleet('register', 'phone_number_id\n1\n', { pin: '55555' })),
    fleetErrorOf(() =>
      csvFleet('deregister', 'phone_number_id\n1\n', { backupPassword: 'backup-pw-y', pin: '98765x' }),
    ),
    fleetErrorOf(() =>
      parsePinFile(parseCsv('phone_number_id,pin\n1,98765x\n1,7654321\n', 'pins.csv'), 'pins.csv'),
    ),
    fleetErrorOf(() => parseCsv('phone_number_id,pin\n1,"98765x\n', 'numbers.csv')),
    fleetErrorOf(() => parseCsv('phone_number_id,pin\n1,98765x,row-pw-z\n', 'numbers.csv')),
    fleetErrorOf(() =>
      parseJsonNumbers('[{"pin": "98765x", "onprem_password": "row-pw-z" x}]', 'n.json item'),
    ),
    fleetErrorOf(() => parseJsonNumbers('[{"pin": {"v": "98765x"}}]', 'n.json item')),
  ];
  assert.ok(errors[0] && errors[0].errors.length >= 4, errors[0]?.message);
  for (const err of errors) {
    for (const secret of secrets) {
      assert.ok(!err.message.includes(secret), `${secret} in: ${err.message}`);
      for (const e of err.errors) assert.ok(!formatFleetRowError(e).includes(secret), secret);
    }
  }
});

// --- columns and concurrency --------------------------------------------------------------------------

test('fleetColumns: phone_number_id first, then the operation parameters', () => {
  assert.deepEqual(fleetColumns('deregister'), ['phone_number_id', 'waba_id']);
  assert.deepEqual(fleetColumns('migrate'), [
    'phone_number_id',
    'pin',
    'onprem_url',
    'onprem_username',
    'onprem_password',
    'waba_id',
  ]);
});

test('validateConcurrency: a whole number from 1 to MAX_FLEET_CONCURRENCY', () => {
  assert.equal(MAX_FLEET_CONCURRENCY, 500);
  assert.equal(validateConcurrency(1), 1);
  assert.equal(validateConcurrency(500), 500);
  for (const bad of [0, 501, 2.5, '10', -1, Number.NaN, Infinity, undefined, null]) {
    let caught: unknown;
    try {
      validateConcurrency(bad);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof InputError, `expected an InputError for ${String(bad)}`);
    assert.equal(caught.field, 'concurrency');
    assert.equal(caught.rule, 'must be a whole number from 1 to 500');
  }
});
