// Fleet input: a file of phone numbers (CSV or JSON), or the numbers of a WABA, turned into one validated
// operation request per number. Every bad row is reported with its line before anything starts, and no
// error ever carries a PIN or a password: messages name the field and the rule, never the value.
//
// Columns of a numbers file, by operation (header names are normalised: trimmed, lower-case, spaces and
// hyphens to _, camelCase split, so "Phone Number ID" and "phoneNumberId" both read phone_number_id):
//   every operation   phone_number_id (required), waba_id
//   register          pin, region                      set-pin        pin
//   onboard           pin, region, method, language    change-region  pin, region
//   verify            method, language                 migrate        pin, onprem_url, onprem_username, onprem_password
// A column the operation does not use, or an unknown one, is an error (once, on the header line).
// An empty cell means "not given here": the defaults apply (CLI flags / HTTP body), then, for the PIN,
// the pins file. Region cells:
//   - a region code (DE, IN...) sets that region for the row, whatever the defaults say;
//   - `none` means no local storage for the row: change-region gets region null (turn it off), register
//     and onboard get no region even when the defaults give one;
//   - empty takes the defaults' region (for change-region a default of null counts); a change-region row
//     with an empty cell and no default region is an error: turning local storage off must be explicit.
import { z } from 'zod';
import {
  isOperationKind,
  OPERATION_KINDS,
  operationRequestSchemaFor,
  type OperationKind,
  type OperationRequest,
} from './operations';
import { phoneNumberIdSchema, pinSchema } from './phone-number';
import { parseInput } from './validation';

/** The most child operations a fleet runs at once. */
export const MAX_FLEET_CONCURRENCY = 500;
/** The most numbers one fleet takes. */
export const MAX_FLEET_NUMBERS = 10_000;
/** How many errors FleetInputError's message lists; `errors` has them all. */
const MAX_ERRORS_IN_MESSAGE = 20;

/**
 * One problem in the input. `line` is 1-based as in the file (the CSV header is line 1; for JSON it is
 * the item's index + 1, and `source` ends in "item"); 0 when the problem is not on a line of a file (the
 * request's defaults, the file as a whole, a WABA's number).
 */
export interface FleetRowError {
  source: string;
  line: number;
  field: string;
  message: string;
  /** The row's number, when the row has one (it tells WABA rows, all on line 0, apart). */
  phoneNumberId?: string;
}

/** "numbers.csv line 4: phone_number_id: must be all digits...". */
export function formatFleetRowError(e: FleetRowError): string {
  let where =
    e.line <= 0 ? e.source : isItemSource(e.source) ? `${e.source} ${e.line}` : `${e.source} line ${e.line}`;
  if (e.line <= 0 && e.phoneNumberId) where += ` number ${e.phoneNumberId}`;
  return `${where}: ${e.field}: ${e.message}`;
}

/** Bad fleet input: every problem found, in `errors`; the first ones in the message. */
export class FleetInputError extends Error {
  override readonly name = 'FleetInputError';
  constructor(readonly errors: FleetRowError[]) {
    const shown = errors.slice(0, MAX_ERRORS_IN_MESSAGE).map(formatFleetRowError);
    const more = errors.length - shown.length;
    const head = `${errors.length} problem${errors.length === 1 ? '' : 's'} in the fleet input:`;
    super([head, ...shown, ...(more > 0 ? [`... and ${more} more`] : [])].join('\n'));
  }
}

export interface FleetNumber {
  phoneNumberId: string;
  request: OperationRequest;
}

/** One record of a numbers or pins file: its values by normalised column name. */
export interface FleetFileRow {
  line: number;
  fields: Record<string, string>;
  /** Where the column names are: the CSV header's line. Unset for JSON: each item names its own keys. */
  columnsLine?: number;
  /** A JSON item: `line` is its index + 1, and errors say "numbers.json item 3". */
  item?: boolean;
}

/** A pins file's PINs by phone-number ID, and the line each came from (for error messages). */
export class FleetPinMap extends Map<string, string> {
  readonly lines = new Map<string, number>();
}

// --- columns ---------------------------------------------------------------------------------------

/** Where each parameter column goes in the operation request. */
const COLUMN_PATHS = {
  pin: ['pin'],
  region: ['region'],
  waba_id: ['wabaId'],
  onprem_url: ['onPrem', 'url'],
  onprem_username: ['onPrem', 'username'],
  onprem_password: ['onPrem', 'password'],
  method: ['method'],
  language: ['language'],
} as const satisfies Record<string, readonly [string] | readonly [string, string]>;
type ParamColumn = keyof typeof COLUMN_PATHS;

const OPERATION_COLUMNS: Record<OperationKind, readonly ParamColumn[]> = {
  register: ['pin', 'region', 'waba_id'],
  deregister: ['waba_id'],
  verify: ['method', 'language', 'waba_id'],
  'set-pin': ['pin', 'waba_id'],
  onboard: ['pin', 'region', 'method', 'language', 'waba_id'],
  'change-region': ['pin', 'region', 'waba_id'],
  migrate: ['pin', 'onprem_url', 'onprem_username', 'onprem_password', 'waba_id'],
};

/** The columns a numbers file may have for the operation (phone_number_id first, and required). */
export function fleetColumns(operation: OperationKind): string[] {
  return ['phone_number_id', ...OPERATION_COLUMNS[operation]];
}

const KNOWN_COLUMNS = new Set<string>(['phone_number_id', ...Object.keys(COLUMN_PATHS)]);
const ALIASES: Record<string, string> = {
  on_prem_url: 'onprem_url',
  on_prem_username: 'onprem_username',
  on_prem_password: 'onprem_password',
};

/** "Phone Number ID", "phone-number-id", "phoneNumberId" → phone_number_id. */
export function normaliseColumnName(name: string): string {
  const snake = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return ALIASES[snake] ?? snake;
}

// --- CSV ---------------------------------------------------------------------------------------------

interface CsvRecord {
  line: number;
  cells: string[];
  blank: boolean;
}

/**
 * Parses a CSV file with a header row (RFC 4180: quoted fields, "" inside quotes, quoted commas and
 * newlines; CRLF or LF; a UTF-8 BOM is dropped; blank lines are skipped; unquoted cells are trimmed).
 * Each row's `line` is the line its record starts on. Throws FleetInputError listing every bad record.
 */
export function parseCsv(text: string, source: string): FleetFileRow[] {
  const errors: FleetRowError[] = [];
  const records = splitCsv(stripBom(text), source, errors).filter((r) => !r.blank);
  const [header, ...data] = records;
  if (!header) {
    errors.push({
      source,
      line: 1,
      field: 'header',
      message: 'the file is empty: the first line must name the columns',
    });
    throw new FleetInputError(errors);
  }
  const names = header.cells.map(normaliseColumnName);
  const firstIndex = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '') {
      errors.push({ source, line: header.line, field: 'header', message: `column ${i + 1} has no name` });
    } else if (firstIndex.has(name)) {
      errors.push({ source, line: header.line, field: name, message: 'column appears twice in the header' });
    } else {
      firstIndex.set(name, i);
    }
  });
  const rows: FleetFileRow[] = [];
  for (const record of data) {
    if (record.cells.length !== names.length) {
      const message = `has ${record.cells.length} cell${record.cells.length === 1 ? '' : 's'}, the header has ${names.length} columns`;
      errors.push({ source, line: record.line, field: 'row', message });
      continue;
    }
    const fields: Record<string, string> = {};
    for (const [name, i] of firstIndex) fields[name] = record.cells[i] ?? '';
    rows.push({ line: record.line, fields, columnsLine: header.line });
  }
  if (errors.length > 0) throw new FleetInputError(errors);
  return rows;
}

function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** Splits CSV text into records, counting lines (a quoted newline moves the line, not the record). */
function splitCsv(text: string, source: string, errors: FleetRowError[]): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const isBlankChar = (c: string | undefined) => c === ' ' || c === '\t';
  const isEnd = (c: string | undefined) => c === undefined || c === ',' || c === '\n' || c === '\r';
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let quotedAny = false;
    let bad: string | undefined;
    for (;;) {
      let j = i;
      while (isBlankChar(text[j])) j++;
      if (text[j] === '"') {
        quotedAny = true;
        i = j + 1;
        let value = '';
        let closed = false;
        while (i < n) {
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
          value += c;
          i++;
        }
        if (!closed) {
          errors.push({
            source,
            line: start,
            field: 'row',
            message: 'a quoted cell is never closed (a " is missing)',
          });
          return records;
        }
        while (isBlankChar(text[i])) i++;
        if (!isEnd(text[i])) {
          bad ??= 'text after a closing quote (quote the whole cell, and write a " inside it as "")';
          while (!isEnd(text[i])) i++;
        }
        cells.push(value);
      } else {
        let k = i;
        while (!isEnd(text[k])) k++;
        const value = text.slice(i, k).trim();
        if (value.includes('"'))
          bad ??= 'a " inside an unquoted cell (quote the whole cell, and write the " as "")';
        cells.push(value);
        i = k;
      }
      if (text[i] === ',') {
        i++;
        continue;
      }
      // End of the record: a newline (CRLF, LF or a lone CR) or the end of the text.
      if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
      else if (text[i] === '\n' || text[i] === '\r') i++;
      else break; // the end of the text
      line++;
      break;
    }
    if (bad) errors.push({ source, line: start, field: 'row', message: bad });
    records.push({ line: start, cells, blank: !quotedAny && cells.length === 1 && cells[0] === '' });
  }
  return records;
}

// --- JSON --------------------------------------------------------------------------------------------

/**
 * Parses a JSON numbers file: an array of objects, or {"numbers": [...]}. Keys are normalised like CSV
 * headers; strings are kept as they are, numbers and booleans become text, null means "not given".
 * Item i is line i + 1, and errors on it read "numbers.json item 3" (source 'numbers.json' or
 * 'numbers.json item'; buildFleetRequests labels these rows the same way).
 */
export function parseJsonNumbers(text: string, fileSource: string): FleetFileRow[] {
  const fileLabel = fileSource.replace(/\s+item$/, '');
  const source = `${fileLabel} item`;
  let data: unknown;
  try {
    data = JSON.parse(stripBom(text));
  } catch (err) {
    const message = jsonErrorMessage(err, stripBom(text));
    throw new FleetInputError([{ source: fileLabel, line: 0, field: 'json', message }]);
  }
  const items = isPlainObject(data) && Object.keys(data).length === 1 ? data.numbers : data;
  if (!Array.isArray(items)) {
    const message = 'must be an array of numbers, or an object {"numbers": [...]}';
    throw new FleetInputError([{ source: fileLabel, line: 0, field: 'json', message }]);
  }
  const errors: FleetRowError[] = [];
  const rows: FleetFileRow[] = [];
  items.forEach((item: unknown, index) => {
    const line = index + 1;
    if (!isPlainObject(item)) {
      errors.push({
        source,
        line,
        field: 'item',
        message: 'must be an object like {"phone_number_id": "..."}',
      });
      return;
    }
    const fields: Record<string, string> = {};
    const keyOf = new Map<string, string>();
    for (const [key, value] of Object.entries(item)) {
      const name = normaliseColumnName(key);
      const fail = (message: string) => errors.push({ source, line, field: name || 'item', message });
      if (name === '') {
        fail('a key is empty');
        continue;
      }
      const earlier = keyOf.get(name);
      if (earlier !== undefined) {
        fail(`given twice (as "${earlier}" and "${key}")`);
        continue;
      }
      keyOf.set(name, key);
      if (value === null) continue;
      if (typeof value === 'string') fields[name] = value;
      else if (typeof value === 'boolean') fields[name] = String(value);
      else if (typeof value === 'number') {
        // IDs are longer than a double holds exactly: 1234567890123456789 would silently change.
        if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
          fail('is too large a number to read exactly from JSON: write it as a string ("...")');
        } else {
          fields[name] = String(value);
        }
      } else {
        fail(`must be text or a number, not ${Array.isArray(value) ? 'a list' : 'an object'}`);
      }
    }
    rows.push({ line, fields, item: true });
  });
  if (errors.length > 0) throw new FleetInputError(errors);
  return rows;
}

/**
 * The parser's message without the snippet of the text V8 quotes in some messages (it could hold a PIN
 * or a password), with the line and column when the parser gives a position.
 */
function jsonErrorMessage(err: unknown, text: string): string {
  const raw = err instanceof Error ? err.message : String(err);
  let message = raw.replace(/,\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
  if (message.includes('"')) message = 'unexpected text';
  const position = /at position (\d+)/.exec(raw)?.[1];
  if (position !== undefined) {
    const before = text.slice(0, Number(position));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    message += ` (line ${line}, column ${column})`;
  }
  return `not valid JSON: ${message}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// --- pins file -------------------------------------------------------------------------------------------

/**
 * Reads a pins file (columns phone_number_id and pin) into PINs by number. Bad IDs, bad or missing PINs,
 * a number given twice and unknown columns are all reported, with their lines, in one FleetInputError;
 * the PIN itself never appears in a message.
 */
export function parsePinFile(rows: FleetFileRow[], source: string): Map<string, string> {
  const errors: FleetRowError[] = [];
  const pins = new FleetPinMap();
  const [first] = rows;
  if (!first) {
    throw new FleetInputError([{ source, line: 0, field: 'pin', message: 'no PINs: the file has no rows' }]);
  }
  const seen = columnsSeen(rows);
  for (const [name, line] of seen) {
    if (name !== 'phone_number_id' && name !== 'pin') {
      const message = 'unknown column (a pins file has the columns phone_number_id and pin)';
      errors.push({ source, line, field: name, message });
    }
  }
  const headerLine = first.columnsLine ?? first.line;
  for (const name of ['phone_number_id', 'pin']) {
    if (!seen.has(name)) errors.push({ source, line: headerLine, field: name, message: 'column missing' });
  }
  if (!seen.has('phone_number_id') || !seen.has('pin')) throw new FleetInputError(errors);
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    const id = row.fields.phone_number_id ?? '';
    const pin = row.fields.pin ?? '';
    const fail = (field: string, message: string) =>
      errors.push({ source, line: row.line, field, message, ...(id ? { phoneNumberId: id } : {}) });
    const idIssue = id === '' ? 'is required' : issueOf(phoneNumberIdSchema(), id);
    if (idIssue) fail('phone_number_id', idIssue);
    const pinIssue = pin === '' ? 'is required' : issueOf(pinSchema(), pin);
    if (pinIssue) fail('pin', pinIssue);
    if (id !== '') {
      const earlier = firstLine.get(id);
      if (earlier !== undefined) fail('phone_number_id', `appears twice: first ${whereIn(source, earlier)}`);
      else firstLine.set(id, row.line);
    }
    if (!idIssue && !pinIssue && !pins.has(id)) {
      pins.set(id, pin);
      pins.lines.set(id, row.line);
    }
  }
  if (errors.length > 0) throw new FleetInputError(errors);
  return pins;
}

// --- requests ----------------------------------------------------------------------------------------

export interface FleetDefaultsArgs {
  /** The operation every number gets. */
  operation: OperationKind | string;
  /** Request fields for every number (CLI flags, HTTP body): region, backupPassword, onPrem, requestedBy... */
  defaults: Record<string, unknown>;
  /** PINs by number (parsePinFile), for numbers whose row has no pin. */
  pins?: Map<string, string>;
  /** The pins file's label in messages, e.g. 'pins.csv'. */
  pinsSource?: string;
  /** The defaults' label in messages ('request' unless given, e.g. 'flags'). */
  defaultsSource?: string;
}

/**
 * One validated request per row of a numbers file: { operation, ...defaults (onPrem merged),
 * ...the row's cells, pin from the pins map when the row has none }. Throws FleetInputError listing
 * every problem (columns, rows, defaults) when there is any.
 */
export function buildFleetRequests(
  args: FleetDefaultsArgs & { rows: FleetFileRow[]; source: string },
): FleetNumber[] {
  const json = args.rows[0]?.item === true && !isItemSource(args.source);
  return build(args, args.rows, json ? `${args.source} item` : args.source, 'file');
}

/** The same for a fleet over a WABA's numbers (IDs from Graph): rows on line 0, source 'WABA'. */
export function buildFleetRequestsForIds(
  args: FleetDefaultsArgs & { phoneNumberIds: string[] },
): FleetNumber[] {
  const rows = args.phoneNumberIds.map((id) => ({ line: 0, fields: { phone_number_id: id } }));
  return build(args, rows, 'WABA', 'ids');
}

/** A whole number of child operations at once, 1 to MAX_FLEET_CONCURRENCY; InputError otherwise. */
export function validateConcurrency(n: unknown): number {
  const rule = `must be a whole number from 1 to ${MAX_FLEET_CONCURRENCY}`;
  const schema = z.number({ error: rule }).int(rule).min(1, rule).max(MAX_FLEET_CONCURRENCY, rule);
  return parseInput(schema, n, 'concurrency');
}

type Origin = 'defaults' | 'row' | 'pins';

function build(
  args: FleetDefaultsArgs,
  rows: FleetFileRow[],
  source: string,
  kind: 'file' | 'ids',
): FleetNumber[] {
  const defaultsSource = args.defaultsSource ?? 'request';
  const pinsSource = args.pinsSource ?? 'pins file';
  const operation = args.operation;
  if (!isOperationKind(operation)) {
    const message = `must be one of ${OPERATION_KINDS.join(', ')}`;
    throw new FleetInputError([{ source: defaultsSource, line: 0, field: 'operation', message }]);
  }
  if (rows.length === 0) {
    const message =
      kind === 'file' ? 'no numbers: the file has no data rows' : 'no numbers to run the operation on';
    throw new FleetInputError([{ source, line: 0, field: 'phone_number_id', message }]);
  }
  if (rows.length > MAX_FLEET_NUMBERS) {
    const message = `${rows.length} numbers: a fleet takes at most ${MAX_FLEET_NUMBERS} (split it)`;
    throw new FleetInputError([{ source, line: 0, field: 'phone_number_id', message }]);
  }

  const fileErrors: FleetRowError[] = [];
  const defaultsErrors = new Map<string, FleetRowError>();
  const rowErrors: FleetRowError[] = [];
  const defaultsError = (field: string, message: string) => {
    const key = `${field}\n${message}`;
    if (!defaultsErrors.has(key))
      defaultsErrors.set(key, { source: defaultsSource, line: 0, field, message });
  };

  const columns = OPERATION_COLUMNS[operation];
  const needsPin = columns.includes('pin');
  const defaults = withoutUndefined(args.defaults);
  delete defaults.operation;
  let defaultOnPrem: Record<string, unknown> | undefined;
  if (defaults.onPrem !== undefined) {
    if (isPlainObject(defaults.onPrem)) defaultOnPrem = withoutUndefined(defaults.onPrem);
    else defaultsError('onPrem', 'must be an object with url, username and password');
  }

  // Columns: unknown or unused ones, then missing required ones; each once, where the columns are named.
  const seen = columnsSeen(rows);
  const ignored = new Set<string>();
  for (const [name, line] of seen) {
    if (name === 'phone_number_id' || (columns as readonly string[]).includes(name)) continue;
    ignored.add(name);
    const allowed = `columns for ${operation}: ${fleetColumns(operation).join(', ')}`;
    const message = KNOWN_COLUMNS.has(name)
      ? `${operation} does not use this column (${allowed})`
      : `unknown column (${allowed})`;
    fileErrors.push({ source, line, field: name, message });
  }
  const missing = new Set<string>();
  const columnsLine = rows[0]?.columnsLine ?? rows[0]?.line ?? 0;
  const requireColumn = (name: string, message: string) => {
    if (seen.has(name)) return;
    missing.add(name);
    fileErrors.push({ source, line: columnsLine, field: name, message });
  };
  requireColumn('phone_number_id', 'column missing: every number needs its phone_number_id');
  if (needsPin && !args.pins && defaults.pin === undefined) {
    requireColumn(
      'pin',
      kind === 'file'
        ? `column missing: ${operation} needs a PIN for every number (add a pin column, or give a pins file)`
        : `no PINs: ${operation} needs a PIN for every number (give a pins file)`,
    );
  }
  if (operation === 'change-region' && defaults.region === undefined) {
    requireColumn(
      'region',
      kind === 'file'
        ? 'column missing: change-region needs a region for every number (add a region column, or give a default region)'
        : 'no region: change-region needs a region (give one, or null to turn local storage off)',
    );
  }
  if (operation === 'migrate') {
    for (const name of ['onprem_url', 'onprem_username', 'onprem_password'] as const) {
      const key = COLUMN_PATHS[name][1];
      if (defaultOnPrem?.[key] === undefined) {
        requireColumn(
          name,
          kind === 'file'
            ? `column missing: migrate needs it for every number (add the column, or give onPrem.${key} for all)`
            : `missing: migrate needs onPrem.${key}`,
        );
      }
    }
  }
  if (args.pins && !needsPin) {
    fileErrors.push({
      source: pinsSource,
      line: 0,
      field: 'pin',
      message: `${operation} takes no PIN: leave the pins file out`,
    });
  }

  const pinLines = args.pins instanceof FleetPinMap ? args.pins.lines : undefined;
  const pathToColumn = new Map<string, ParamColumn>(columns.map((c) => [COLUMN_PATHS[c].join('.'), c]));
  const firstLine = new Map<string, number>();
  const numbers: FleetNumber[] = [];
  for (const row of rows) {
    const id = row.fields.phone_number_id ?? '';
    const rowError = (field: string, message: string) =>
      rowErrors.push({ source, line: row.line, field, message, ...(id ? { phoneNumberId: id } : {}) });

    let idOk = false;
    if (!missing.has('phone_number_id')) {
      const issue = id === '' ? 'is required' : issueOf(phoneNumberIdSchema(), id);
      if (issue) rowError('phone_number_id', issue);
      idOk = !issue;
    }
    if (id !== '') {
      const earlier = firstLine.get(id);
      if (earlier === undefined) firstLine.set(id, row.line);
      else {
        rowError(
          'phone_number_id',
          earlier > 0 ? `appears twice: first ${whereIn(source, earlier)}` : 'appears twice',
        );
        idOk = false;
      }
    }

    // The request: defaults, then the row's cells, then the pins file for a row without a PIN.
    const request: Record<string, unknown> = { ...defaults };
    const origins = new Map<string, Origin>();
    for (const key of Object.keys(defaults)) origins.set(key, 'defaults');
    if (operation === 'migrate' || defaultOnPrem) {
      request.onPrem = { ...defaultOnPrem };
      for (const key of Object.keys(defaultOnPrem ?? {})) origins.set(`onPrem.${key}`, 'defaults');
    }
    for (const column of columns) {
      if (ignored.has(column)) continue;
      const cell = row.fields[column];
      if (cell === undefined || cell === '') continue;
      const path = COLUMN_PATHS[column];
      if (column === 'region' && cell.toLowerCase() === 'none') {
        if (operation === 'change-region') request.region = null;
        else delete request.region;
        origins.set('region', 'row');
        continue;
      }
      const [first, second] = path;
      if (second === undefined) request[first] = cell;
      else (request[first] as Record<string, unknown>)[second] = cell;
      origins.set(path.join('.'), 'row');
    }
    if (needsPin && origins.get('pin') !== 'row' && args.pins?.has(id)) {
      request.pin = args.pins.get(id);
      origins.set('pin', 'pins');
    }
    request.operation = operation;

    const result = operationRequestSchemaFor(request).safeParse(request);
    if (result.success) {
      if (idOk) numbers.push({ phoneNumberId: id, request: result.data });
      continue;
    }
    for (const issue of result.error.issues) {
      const path = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        // Cells go only to the operation's own fields, so an unknown field came with the defaults.
        for (const key of issue.keys)
          defaultsError([...path, key].join('.'), `is not a field of ${operation} requests`);
        continue;
      }
      const key = path.join('.');
      const column = pathToColumn.get(key);
      const origin = origins.get(key);
      if (origin === 'row' && column) rowError(column, issue.message);
      else if (origin === 'pins') {
        const line = pinLines?.get(id);
        rowError('pin', `${issue.message} (from ${pinsSource}${line ? ` line ${line}` : ''})`);
      } else if (origin === 'defaults' || !column) defaultsError(key || 'request', issue.message);
      else if (!missing.has(column)) rowError(column, notGivenMessage(column, operation, kind));
    }
  }

  const errors = [...fileErrors, ...defaultsErrors.values(), ...rowErrors];
  if (errors.length > 0) throw new FleetInputError(errors);
  return numbers;
}

function notGivenMessage(column: ParamColumn, operation: OperationKind, kind: 'file' | 'ids'): string {
  if (column === 'pin') {
    return kind === 'file'
      ? 'no PIN for this number (give it in a pin column or the pins file)'
      : 'no PIN for this number (give it in the pins file)';
  }
  if (column === 'region' && operation === 'change-region') {
    return 'is required for change-region: a region code, or none to turn local storage off';
  }
  return 'is required';
}

/** Every column name in the rows, with the line where it is first named (the header for CSV). */
function columnsSeen(rows: FleetFileRow[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const row of rows) {
    for (const name of Object.keys(row.fields)) {
      if (!seen.has(name)) seen.set(name, row.columnsLine ?? row.line);
    }
  }
  return seen;
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The schema's message for a bad value (messages name rules, never the value). */
function issueOf(schema: z.ZodType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : (result.error.issues[0]?.message ?? 'is invalid');
}

/** A JSON source is labelled '... item': its lines are items. */
function isItemSource(source: string): boolean {
  return /\bitem$/.test(source);
}

/** "on line 4", or "in item 4" for a JSON source. */
function whereIn(source: string, line: number): string {
  return isItemSource(source) ? `in item ${line}` : `on line ${line}`;
}
