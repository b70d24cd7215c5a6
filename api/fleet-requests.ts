// The bodies of the fleet routes, and a fleet's numbers turned into members: one request per number,
// { operation, ...defaults, ...the number's own parameters } (onPrem merged), validated with the same
// operationRequestSchema the lifecycle workflow uses. Every bad number is reported, each by its path
// (numbers[3].pin), before anything starts; messages name the rule, never the value (it may be a PIN).
import { z } from 'zod';
import { fleetIdSchema, type FleetMember } from '../domain/fleet';
import { MAX_FLEET_CONCURRENCY, MAX_FLEET_NUMBERS, fleetColumns } from '../domain/fleet-input';
import {
  OPERATION_KINDS,
  migrateRequestSchema,
  operationRequestSchema,
  type OperationKind,
} from '../domain/operations';
import { phoneNumberIdSchema, pinSchema, regionSchema } from '../domain/phone-number';
import { codeMethodSchema, languageSchema } from '../domain/verification';
import { ApiError, type FieldError } from './errors';

/** "is required" when missing; the rule otherwise. */
const rule = (text: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : text),
});

const concurrencyRule = `must be a whole number from 1 to ${MAX_FLEET_CONCURRENCY}`;
/** The same rule as validateConcurrency (domain/fleet-input.ts), which startFleet applies again. */
export const fleetConcurrencySchema = z
  .number(rule(concurrencyRule))
  .int(concurrencyRule)
  .min(1, concurrencyRule)
  .max(MAX_FLEET_CONCURRENCY, concurrencyRule);

/** Who asks, shown in the UI and in reasons (a user name, a service name). */
export const requestedBySchema = z
  .string(rule('must be a string'))
  .max(100, 'must be at most 100 characters');
const wabaIdSchema = z
  .string(rule('must be a string of digits'))
  .regex(/^\d{1,32}$/, 'must be all digits (the WABA ID)');

/** Parameters a number's request may take, by the names of the single-number operation bodies. */
const numberParameters = {
  pin: pinSchema().optional(),
  /** null: change-region turns local storage off. */
  region: regionSchema().nullable().optional(),
  wabaId: wabaIdSchema.optional(),
  method: codeMethodSchema().optional(),
  language: languageSchema().optional(),
  fallbackToVoice: z.boolean().optional(),
  onPrem: migrateRequestSchema().shape.onPrem.partial().optional(),
  backupPassword: migrateRequestSchema().shape.backupPassword.optional(),
  requestedBy: requestedBySchema.optional(),
};

/** Parameters shared by every number of the fleet (a number's own ones win; onPrem is merged). */
export const fleetDefaultsSchema = z.object(numberParameters).strict();

/** One number of a fleet and its own parameters. */
export const fleetNumberSchema = z
  .object({ phoneNumberId: phoneNumberIdSchema(), ...numberParameters })
  .strict();

const numbersOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item, rule('must be an array of numbers'))
    .min(1, 'give at least one number')
    .max(MAX_FLEET_NUMBERS, `a fleet takes at most ${MAX_FLEET_NUMBERS} numbers (split it)`);

const startFields = {
  operation: z.enum(OPERATION_KINDS, rule(`must be one of ${OPERATION_KINDS.join(', ')}`)),
  concurrency: fleetConcurrencySchema,
  fleetId: fleetIdSchema().optional(),
  requestedBy: requestedBySchema.optional(),
  defaults: fleetDefaultsSchema.optional(),
  wabaId: wabaIdSchema.optional(),
  pins: z
    .record(phoneNumberIdSchema(), pinSchema(), rule('must be an object of PINs by phone-number ID'))
    .optional(),
};

/** The body of POST /v1/fleets as documented: `numbers` or `wabaId`, not both. */
export const fleetStartRequestSchema = z
  .object({ ...startFields, numbers: numbersOf(fleetNumberSchema).optional() })
  .strict();

/** What the server parses first: the numbers are checked one by one afterwards, every bad one reported. */
export const fleetStartBodySchema = z
  .object({ ...startFields, numbers: numbersOf(z.unknown()).optional() })
  .strict();
export type FleetStartBody = z.output<typeof fleetStartBodySchema>;

/** The body of POST /v1/fleets/{fleetId}/cancel (optional). */
export const fleetCancelRequestSchema = z
  .object({
    requestedBy: requestedBySchema.optional(),
    /** Also ask each started number's operation to stop at its next safe point. */
    cancelRunning: z.boolean(rule('must be true or false')).optional(),
  })
  .strict();

/** The body of POST /v1/fleets/{fleetId}/retry (optional): the new fleet's ID, concurrency, requester. */
export const fleetRetryRequestSchema = z
  .object({
    fleetId: fleetIdSchema().optional(),
    concurrency: fleetConcurrencySchema.optional(),
    requestedBy: requestedBySchema.optional(),
  })
  .strict();

/** How many problems the error's message lists; `errors` has them all. */
const MAX_ERRORS_IN_MESSAGE = 5;

type Origin = 'number' | 'defaults' | 'pins' | 'fleet';

/** "numbers[3].onPrem.url". */
function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`),
    prefix,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const key of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[key as string];
  }
  return node;
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Whether the operation's requests carry a two-step PIN. */
export function operationTakesPin(operation: OperationKind): boolean {
  return fleetColumns(operation).includes('pin');
}

/** The rule an issue states; a missing value "is required" whatever the schema's own wording. */
function ruleOf(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.path.length > 0 && valueAt(input, issue.path) === undefined) return 'is required';
  return issue.message;
}

/**
 * The members of a list fleet: every number's request, built and validated. Throws one ApiError
 * (BAD_REQUEST) listing every problem in `errors`, `field` being the first one's, when there is any.
 */
export function fleetMembers(body: FleetStartBody & { numbers: unknown[] }): FleetMember[] {
  const errors: FieldError[] = [];
  const reported = new Set<string>();
  const fail = (field: string, message: string) => {
    const key = `${field}\n${message}`;
    if (reported.has(key)) return; // a bad default is reported once, not once per number
    reported.add(key);
    errors.push({ field, message });
  };
  const operation = body.operation;
  const defaults = withoutUndefined(body.defaults ?? {});
  const pins = body.pins ?? {};
  const firstIndex = new Map<string, number>();
  const members: FleetMember[] = [];

  body.numbers.forEach((item, i) => {
    const at = `numbers[${i}]`;
    const rawId = isPlainObject(item) ? item.phoneNumberId : undefined;
    if (typeof rawId === 'string' && rawId !== '') {
      const earlier = firstIndex.get(rawId);
      if (earlier === undefined) firstIndex.set(rawId, i);
      else fail(`${at}.phoneNumberId`, `appears twice: first at numbers[${earlier}]`);
    }
    if (isPlainObject(item) && 'operation' in item) {
      fail(`${at}.operation`, 'is set once for the whole fleet, not per number');
      return;
    }
    const parsed = fleetNumberSchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issue.path.length === 0 && issue.code === 'invalid_type') {
          fail(at, 'must be an object with a phoneNumberId');
        } else if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) fail(fieldPath(at, [...issue.path, key]), 'unknown field');
        } else {
          fail(fieldPath(at, issue.path), ruleOf(issue, item));
        }
      }
      return;
    }
    const { phoneNumberId, ...own } = withoutUndefined(parsed.data) as z.output<typeof fleetNumberSchema>;
    const pinFromPins =
      operationTakesPin(operation) && own.pin === undefined ? pins[phoneNumberId] : undefined;
    const request: Record<string, unknown> = {
      ...(body.requestedBy ? { requestedBy: body.requestedBy } : {}),
      ...defaults,
      ...(pinFromPins !== undefined ? { pin: pinFromPins } : {}),
      ...own,
      operation,
    };
    if (defaults.onPrem || own.onPrem) request.onPrem = { ...defaults.onPrem, ...own.onPrem };

    // Where a value came from, so that a bad default is reported at defaults.x, not at every number.
    const originOf = (path: readonly PropertyKey[]): Origin => {
      const [key, sub] = path.map(String);
      if (key === 'onPrem' && sub !== undefined) {
        if (valueAt(own, path) !== undefined) return 'number';
        return valueAt(defaults, path) !== undefined ? 'defaults' : 'number';
      }
      if (key === undefined || key in own) return 'number';
      if (key === 'pin' && pinFromPins !== undefined) return 'pins';
      if (key in defaults) return 'defaults';
      if (key === 'requestedBy' && body.requestedBy) return 'fleet';
      return 'number';
    };
    const fieldOf = (path: readonly PropertyKey[]): string => {
      switch (originOf(path)) {
        case 'defaults':
          return fieldPath('defaults', path);
        case 'pins':
          return `pins.${phoneNumberId}`;
        case 'fleet':
          return fieldPath('', path).slice(1);
        default:
          return fieldPath(at, path);
      }
    };

    const result = operationRequestSchema().safeParse(request);
    if (!result.success) {
      for (const issue of result.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) {
            fail(fieldOf([...issue.path, key]), `is not a field of ${operation} requests`);
          }
        } else {
          fail(fieldOf(issue.path), ruleOf(issue, request));
        }
      }
      return;
    }
    members.push({ phoneNumberId, request: result.data });
  });

  if (errors.length > 0) throw fleetInputError(errors);
  return members;
}

/** One BAD_REQUEST for several problems: the first few in the message, all in `errors`. */
export function fleetInputError(errors: FieldError[]): ApiError {
  const shown = errors.slice(0, MAX_ERRORS_IN_MESSAGE).map((e) => `${e.field}: ${e.message}`);
  const more = errors.length - shown.length;
  const head =
    errors.length === 1 ? 'a problem in the fleet:' : `${errors.length} problems in the fleet (see errors):`;
  const message = [head, shown.join('; '), ...(more > 0 ? [`... and ${more} more`] : [])].join(' ');
  return new ApiError('BAD_REQUEST', message, errors[0]?.field, {}, errors);
}
