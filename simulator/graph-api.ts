// The Graph API surface: GET /{version}/{id}, POST /{version}/{id} (two-step PIN), POST /{version}/{id}/register,
// POST /{version}/{id}/deregister, POST /{version}/{id}/request_code and /verify_code, GET and POST
// /{version}/{id}/settings (reference doc §1–§4, §6–§9), register with backup, the On-Premises → Cloud API
// migration (§5), and GET /{version}/{waba-id}/phone_numbers (a WABA's numbers, cursor-paged). Decides an
// outcome, logs it, then sends it (possibly after the backup-register delay, possibly held back by a fault).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyDeregister, checkRegionAvailable, checkRegisterConditions } from './account-conditions';
import { answerCall } from './fault-answers';
import type { FaultSchedule, FaultEndpoint, FaultKind } from './faults';
import { GraphError, graphErrors } from './graph-errors';
import { parseBodyParams, readBody, searchParamsToObject, sendJson, sendText, type Params } from './http-io';
import { errorOutcome, type Outcome } from './outcome';
import {
  CODE_METHODS,
  DATA_LOCALIZATION_REGIONS,
  DEFAULT_GRAPH_FIELDS,
  DEFAULT_STORAGE,
  NO_STORAGE_RETENTION_MINUTES,
  graphFieldValue,
  hashPin,
  isGraphField,
  isRegistered,
  storageRegion,
  type CodeMethod,
  type GraphField,
  type DataLocalizationRegion,
  type PhoneNumberRecord,
  type RateLimitedEndpoint,
  type StorageConfiguration,
} from './phone-numbers';
import { checkBackup, stopOnPrem } from './onprem';
import { checkPinAttempt } from './pin-guard';
import { admitCall, recordCall, type RateLimitPolicy } from './rate-limit';
import { redactSecrets, type GraphEndpoint, type RequestLog } from './request-log';
import type { SimSettings } from './sim-settings';
import { compareIds, type SimState } from './state-store';
import { sendCode, verifyCode } from './verification';

export interface GraphApiDeps {
  state: SimState;
  faults: FaultSchedule;
  requests: RequestLog;
  policy: RateLimitPolicy;
  settings: SimSettings;
  accessToken: string;
  /** A wait that the server cancels on close(), so held requests never keep a process alive. */
  delay: (ms: number) => Promise<void>;
}

export interface GraphRoute {
  endpoint: Exclude<GraphEndpoint, 'onprem'>;
  /** The object id segment as given (not necessarily digits), or null when the path has none. */
  nodeId: string | null;
  /** Major Graph version from the path (`v25.0` → 25), or null when the path has none. */
  version: number | null;
}

/**
 * v21.0 moved local storage from /register to POST /{id}/settings (reference doc §1, §6, §9): the
 * settings edge exists from here on, and /register's storage parameters are deprecated.
 */
const SETTINGS_MIN_VERSION = 21;

const VERSION_SEGMENT = /^v(\d+)\.0$/;
const NUMERIC_ID = /^\d+$/;

export function parseGraphRoute(method: string, pathname: string): GraphRoute {
  const segments = pathname.split('/').filter((s) => s !== '');
  const versionMatch = segments[0] === undefined ? null : VERSION_SEGMENT.exec(segments[0]);
  const hasVersion = versionMatch !== null;
  const rest = hasVersion ? segments.slice(1) : segments;
  const nodeId = rest[0] ?? null;
  const edge = rest[1];
  let endpoint: GraphRoute['endpoint'] = 'other';
  if (hasVersion && nodeId !== null && NUMERIC_ID.test(nodeId) && rest.length <= 2) {
    if (method === 'GET' && edge === undefined) endpoint = 'get';
    else if (method === 'POST' && edge === 'register') endpoint = 'register';
    else if (method === 'POST' && edge === 'deregister') endpoint = 'deregister';
    else if ((method === 'GET' || method === 'POST') && edge === 'settings') endpoint = 'settings';
    else if (method === 'POST' && edge === 'request_code') endpoint = 'request_code';
    else if (method === 'POST' && edge === 'verify_code') endpoint = 'verify_code';
    else if (method === 'POST' && edge === undefined) endpoint = 'set_pin';
    else if (method === 'GET' && edge === 'phone_numbers') endpoint = 'phone_numbers';
  }
  return { endpoint, nodeId, version: versionMatch?.[1] === undefined ? null : Number(versionMatch[1]) };
}

/**
 * Versions before v16.0 still return error_subcode on WhatsApp errors; from v16.0 Meta no longer does [ERR]
 * (reference doc §8.1, §9), unless the legacySubcodes setting asks for them.
 */
const SUBCODE_MAX_VERSION = 15;

function bearerToken(req: IncomingMessage, params: Params): string | undefined {
  const header = req.headers.authorization;
  // Graph takes `Bearer <token>` and the older `OAuth <token>`, or an access_token parameter.
  const match = header === undefined ? null : /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] !== undefined) return match[1];
  return typeof params.access_token === 'string' ? params.access_token : undefined;
}

export interface GraphRequestSummary {
  status: number;
  errorCode?: number;
}

export async function handleGraphRequest(
  deps: GraphApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<GraphRequestSummary> {
  const method = req.method ?? 'GET';
  const route = parseGraphRoute(method, url.pathname);
  const rawBody = await readBody(req);
  const bodyParams = method === 'GET' ? {} : parseBodyParams(req.headers['content-type'], rawBody);
  const params: Params = { ...searchParamsToObject(url.searchParams), ...(bodyParams ?? {}) };

  // GET /{waba-id}/phone_numbers: the object is a WABA, not a number (faults and the log keep them apart).
  const listing = route.endpoint === 'phone_numbers';
  let faultKind: FaultKind | undefined;
  let holdMs = 0;
  const outcome = await (async (): Promise<Outcome> => {
    if (bearerToken(req, params) !== deps.accessToken) return errorOutcome(graphErrors.invalidToken());
    if (route.endpoint === 'other') {
      return errorOutcome(graphErrors.unsupportedRequest(method, route.nodeId ?? ''));
    }

    const decision = deps.faults.decide(route.endpoint, listing ? null : route.nodeId);
    if (decision.latencyMs > 0) {
      faultKind = 'latency';
      await deps.delay(decision.latencyMs);
    }
    const fault = decision.fault;
    if (fault !== null) faultKind = fault.kind;
    const endpoint = route.endpoint;
    const nodeId = route.nodeId ?? '';
    const answer = answerCall(
      fault,
      {
        endpoint,
        record: listing ? undefined : deps.state.get(nodeId),
        nodeId,
        now: deps.state.clock.now(),
        windowMs: deps.policy.windowMs,
        save: () => deps.state.save(),
      },
      ({ injectInternalError }) =>
        handleEndpoint(deps, method, endpoint, nodeId, params, {
          // A routed endpoint always has a version segment (see parseGraphRoute).
          version: route.version ?? 0,
          bodyUnparseable: bodyParams === null,
          injectInternalError,
          // Graph's paging links are absolute; the Host header is how this client reached us.
          pageUrl: `http://${req.headers.host ?? '127.0.0.1'}${url.pathname}`,
        }),
    );
    holdMs = answer.holdMs;
    return answer.outcome;
  })();

  deps.requests.append({
    at: deps.state.clock.nowIso(),
    method,
    path: url.pathname,
    endpoint: route.endpoint,
    phoneNumberId: listing ? null : route.nodeId,
    ...(listing && route.nodeId !== null ? { wabaId: route.nodeId } : {}),
    status: outcome.status,
    ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
    ...(outcome.errorSubcode !== undefined ? { errorSubcode: outcome.errorSubcode } : {}),
    counted: outcome.counted,
    applied: outcome.applied,
    ...(faultKind !== undefined ? { fault: faultKind } : {}),
    ...(Object.keys(params).length > 0 ? { params: redactSecrets(params) as Params } : {}),
  });

  // Already applied and logged: a client that times out during this wait sees an unknown outcome.
  if (outcome.delayMs !== undefined && outcome.delayMs > 0) await deps.delay(outcome.delayMs);

  const send = (): void => {
    if (req.socket.destroyed) return; // the client gave up while the response was held
    const headers = { ...(outcome.status === 401 ? WWW_AUTHENTICATE : {}), ...outcome.headers };
    if (outcome.raw !== undefined)
      sendText(res, outcome.status, outcome.raw.contentType, outcome.raw.body, headers);
    else sendJson(res, outcome.status, outcome.json, headers);
  };
  if (holdMs > 0) void deps.delay(holdMs).then(send);
  else send();

  return {
    status: outcome.status,
    ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
  };
}

const WWW_AUTHENTICATE = {
  'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token."',
};

interface EndpointFlags {
  /** Major Graph version of the call. */
  version: number;
  bodyUnparseable: boolean;
  injectInternalError: boolean;
  /** Absolute URL of the request without its query: the base of the `next` / `previous` paging links. */
  pageUrl: string;
}

function handleEndpoint(
  deps: GraphApiDeps,
  method: string,
  endpoint: FaultEndpoint,
  nodeId: string,
  params: Params,
  flags: EndpointFlags,
): Outcome {
  if (endpoint === 'phone_numbers') return guarded(() => listPhoneNumbers(deps, nodeId, params, flags));
  const record = deps.state.get(nodeId);
  if (record === undefined) return errorOutcome(graphErrors.unsupportedRequest(method, nodeId));

  if (endpoint === 'get') {
    if (flags.injectInternalError) return errorOutcome(graphErrors.somethingWentWrong());
    try {
      return { status: 200, json: readNode(record, params.fields), counted: false, applied: false };
    } catch (err) {
      if (err instanceof GraphError) return errorOutcome(err);
      throw err;
    }
  }
  if (endpoint === 'settings') return handleSettings(deps, method, record, params, flags);
  if (endpoint === 'request_code') return handleRequestCode(deps, record, params, flags);
  if (endpoint === 'verify_code') return handleVerifyCode(deps, record, params, flags);
  if (endpoint === 'set_pin') return handleSetPin(deps, record, params, flags);
  return handleLifecycleCall(deps, record, endpoint, params, flags);
}

/** Runs an endpoint's rules; a GraphError becomes the error outcome (nothing counted or applied). */
function guarded(run: () => Outcome): Outcome {
  try {
    return run();
  } catch (err) {
    if (err instanceof GraphError) return errorOutcome(err);
    throw err;
  }
}

function rejectUnparseableBody(flags: EndpointFlags): void {
  if (flags.bodyUnparseable) {
    throw graphErrors.invalidParameter(
      'Invalid parameter',
      'The request body is neither valid JSON nor form data.',
    );
  }
}

/** A locale such as `en_US` (what Meta's examples send), or a bare language such as `en` (BPN's prose). */
const LANGUAGE_PARAM = /^[a-z]{2}(?:_[A-Z]{2})?$/;

function parseCodeMethod(raw: unknown): CodeMethod {
  if (isBlank(raw)) {
    throw graphErrors.invalidParameter(
      'The parameter code_method is required',
      'Send code_method=SMS or code_method=VOICE.',
    );
  }
  // Like messaging_product, the enum is matched case-insensitively and reported in uppercase.
  const normalized = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  const known = CODE_METHODS.find((m) => m === normalized);
  if (known === undefined) {
    throw graphErrors.invalidParameter(
      `Param code_method must be one of {${CODE_METHODS.join(', ')}}`,
      'Send code_method=SMS or code_method=VOICE.',
    );
  }
  return known;
}

function parseLanguage(raw: unknown): string {
  if (isBlank(raw)) {
    throw graphErrors.invalidParameter(
      'The parameter language is required',
      'Send the language of the code message as a locale such as en_US.',
    );
  }
  if (typeof raw !== 'string' || !LANGUAGE_PARAM.test(raw)) {
    throw graphErrors.invalidParameter(
      'Param language must be a locale such as en_US or a two-letter language code such as en',
      'Send the language of the code message as a locale such as en_US (or a two-letter code such as en).',
    );
  }
  return raw;
}

/**
 * POST /{id}/request_code (reference doc §3.1): validates code_method and language, then sends a code
 * unless the number is verified or over its hourly budget (both 136024). `counted` = used a slot of
 * that budget, which only a sent code does.
 */
function handleRequestCode(
  deps: GraphApiDeps,
  record: PhoneNumberRecord,
  params: Params,
  flags: EndpointFlags,
): Outcome {
  return guarded(() => {
    rejectUnparseableBody(flags);
    if (flags.injectInternalError) throw graphErrors.somethingWentWrong();
    const method = parseCodeMethod(params.code_method);
    const language = parseLanguage(params.language);
    sendCode(record, method, language, deps.state.clock.now(), {
      ttlMs: deps.settings.codeTtlMinutes * 60_000,
      maxRequestsPerHour: deps.settings.codeRequestsPerHour,
    });
    deps.state.save();
    return { status: 200, json: { success: true }, counted: true, applied: true };
  });
}

/** POST /{id}/verify_code (reference doc §3.2): a digits-only code, checked against the newest one sent. */
function handleVerifyCode(
  deps: GraphApiDeps,
  record: PhoneNumberRecord,
  params: Params,
  flags: EndpointFlags,
): Outcome {
  return guarded(() => {
    rejectUnparseableBody(flags);
    if (flags.injectInternalError) throw graphErrors.somethingWentWrong();
    const raw = params.code;
    if (isBlank(raw)) {
      throw graphErrors.invalidParameter(
        'The parameter code is required',
        'Send the verification code received by SMS or voice call.',
      );
    }
    // Never echo the value. A JSON number is taken as its digits (a leading zero is then lost, as it would be).
    const code = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : raw;
    if (typeof code !== 'string' || !/^\d+$/.test(code)) {
      throw graphErrors.invalidParameter(
        'Param code must be a string of digits',
        'Send the code digits only: 123456 for a message showing 123-456.',
      );
    }
    verifyCode(record, code, deps.state.clock.now());
    deps.state.save();
    return { status: 200, json: { success: true }, counted: false, applied: true };
  });
}

/** Parameters POST /{id} accepts besides the token: this simulator models only the two-step PIN there. */
const SET_PIN_PARAMS = new Set(['pin', 'access_token']);

/**
 * POST /{id} with `pin` (reference doc §4): sets or changes the two-step PIN without the old one.
 * `applied` = the PIN changed (setting the same PIN again changes nothing).
 */
function handleSetPin(
  deps: GraphApiDeps,
  record: PhoneNumberRecord,
  params: Params,
  flags: EndpointFlags,
): Outcome {
  return guarded(() => {
    rejectUnparseableBody(flags);
    if (flags.injectInternalError) throw graphErrors.somethingWentWrong();
    const unsupported = Object.keys(params).find((k) => !SET_PIN_PARAMS.has(k));
    if (unsupported !== undefined) {
      throw graphErrors.invalidParameter(
        `Param ${unsupported} is not supported by this call`,
        'POST /{phone-number-id} here sets the two-step verification PIN only: send just pin.',
      );
    }
    const hash = hashPin(record.id, parsePin(params.pin));
    const applied = record.pin_hash !== hash;
    if (applied) {
      record.pin_hash = hash;
      deps.state.save();
    }
    return { status: 200, json: { success: true }, counted: false, applied };
  });
}

/** A 6-digit PIN (register, set PIN). Never echoes the value: a wrong-format PIN may still be someone's real PIN. */
function parsePin(rawPin: unknown): string {
  if (isBlank(rawPin))
    throw graphErrors.invalidParameter('The parameter pin is required', 'Send the 6-digit two-step PIN.');
  const pin = typeof rawPin === 'number' ? String(rawPin) : rawPin;
  if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) {
    throw graphErrors.invalidParameter(
      'Param pin must be a 6-digit number',
      'The PIN must be exactly 6 digits.',
    );
  }
  return pin;
}

/**
 * GET/POST /{id}/settings, the storage_configuration part (reference doc §6). Not rate limited, so never
 * counted toward the register/deregister budget.
 */
function handleSettings(
  deps: GraphApiDeps,
  method: string,
  record: PhoneNumberRecord,
  params: Params,
  flags: EndpointFlags,
): Outcome {
  // Before v21.0 the edge did not exist for this: answer as Graph does for any unknown edge.
  if (flags.version < SETTINGS_MIN_VERSION)
    return errorOutcome(graphErrors.unsupportedRequest(method, record.id));
  if (flags.injectInternalError) return errorOutcome(graphErrors.somethingWentWrong());
  if (method === 'GET') {
    // A copy: a held response must show the state at the time of the call.
    const json = { storage_configuration: { ...record.storage_configuration } };
    return { status: 200, json, counted: false, applied: false };
  }
  try {
    const config = parseStorageConfiguration(params, flags.bodyUnparseable);
    checkRegionAvailable(record, storageRegion(config));
    if (isRegistered(record)) throw graphErrors.storageChangeWhileRegistered();
    const applied = JSON.stringify(config) !== JSON.stringify(record.storage_configuration);
    if (applied) {
      record.storage_configuration = config;
      deps.state.save();
    }
    return { status: 200, json: { success: true }, counted: false, applied };
  } catch (err) {
    if (err instanceof GraphError) return errorOutcome(err);
    throw err;
  }
}

const STORAGE_INPUT_STATUSES = [
  'IN_COUNTRY_STORAGE_ENABLED',
  'IN_COUNTRY_STORAGE_DISABLED',
  'NO_STORAGE_ENABLED',
] as const;

const STORAGE_USAGE =
  'Send storage_configuration as {"status":"IN_COUNTRY_STORAGE_ENABLED","data_localization_region":"<code>"}, ' +
  '{"status":"IN_COUNTRY_STORAGE_DISABLED"} or {"status":"NO_STORAGE_ENABLED","retention_minutes":60}.';

/**
 * The storage_configuration parameter: an object in JSON; in a form or query string either a
 * JSON-encoded string (Graph's usual way for object parameters) or `storage_configuration[status]=...` keys.
 */
function storageConfigurationParam(params: Params): unknown {
  const bracketed = Object.entries(params).flatMap(([key, value]) => {
    const match = /^storage_configuration\[(\w+)\]$/.exec(key);
    return match?.[1] === undefined ? [] : [[match[1], value] as const];
  });
  const raw = params.storage_configuration;
  if (isBlank(raw) && bracketed.length > 0) return Object.fromEntries(bracketed);
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function isRegion(value: unknown): value is DataLocalizationRegion {
  return (DATA_LOCALIZATION_REGIONS as readonly unknown[]).includes(value);
}

function invalidRegion(param: string): GraphError {
  return graphErrors.invalidParameter(
    `Param ${param} must be one of {${DATA_LOCALIZATION_REGIONS.join(', ')}}`,
    'Use one of the supported local-storage country codes.',
  );
}

/** No Storage's retention: only 60 minutes exists; a form sends it as the string "60". */
function isNoStorageRetention(value: unknown): boolean {
  return value === NO_STORAGE_RETENTION_MINUTES || value === String(NO_STORAGE_RETENTION_MINUTES);
}

function parseStorageConfiguration(params: Params, bodyUnparseable: boolean): StorageConfiguration {
  if (bodyUnparseable) {
    throw graphErrors.invalidParameter(
      'Invalid parameter',
      'The request body is neither valid JSON nor form data.',
    );
  }
  const raw = storageConfigurationParam(params);
  if (isBlank(raw)) {
    throw graphErrors.invalidParameter('The parameter storage_configuration is required', STORAGE_USAGE);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw graphErrors.invalidParameter('Param storage_configuration must be a JSON object', STORAGE_USAGE);
  }
  const { status, data_localization_region: region, retention_minutes: retention } = raw as Params;
  if (isBlank(status)) {
    throw graphErrors.invalidParameter(
      'The parameter storage_configuration[status] is required',
      STORAGE_USAGE,
    );
  }
  // Meta's pages disagree on the casing (guide: uppercase, REF/OAS: lowercase), so accept both.
  const normalized = typeof status === 'string' ? status.trim().toUpperCase() : '';
  const known = STORAGE_INPUT_STATUSES.find((s) => s === normalized);
  if (known === undefined) {
    throw graphErrors.invalidParameter(
      `Param storage_configuration[status] must be one of {${STORAGE_INPUT_STATUSES.join(', ')}}`,
      STORAGE_USAGE,
    );
  }
  if (known !== 'IN_COUNTRY_STORAGE_ENABLED' && !isBlank(region)) {
    throw graphErrors.invalidParameter(
      `Param storage_configuration[data_localization_region] cannot be used with status ${known}`,
      'A region applies only to IN_COUNTRY_STORAGE_ENABLED.',
    );
  }
  if (known !== 'NO_STORAGE_ENABLED' && !isBlank(retention)) {
    throw graphErrors.invalidParameter(
      `Param storage_configuration[retention_minutes] cannot be used with status ${known}`,
      'retention_minutes applies only to NO_STORAGE_ENABLED.',
    );
  }
  switch (known) {
    case 'IN_COUNTRY_STORAGE_ENABLED':
      if (isBlank(region)) {
        throw graphErrors.invalidParameter(
          'The parameter storage_configuration[data_localization_region] is required',
          'IN_COUNTRY_STORAGE_ENABLED needs the country code where data is stored at rest.',
        );
      }
      if (!isRegion(region)) throw invalidRegion('storage_configuration[data_localization_region]');
      return { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: region };
    case 'NO_STORAGE_ENABLED':
      if (!isNoStorageRetention(retention)) {
        throw graphErrors.invalidParameter(
          `Param storage_configuration[retention_minutes] must be ${NO_STORAGE_RETENTION_MINUTES}`,
          `No Storage keeps data in transit for at most ${NO_STORAGE_RETENTION_MINUTES} minutes.`,
        );
      }
      return { status: 'NO_STORAGE_ENABLED', retention_minutes: NO_STORAGE_RETENTION_MINUTES };
    case 'IN_COUNTRY_STORAGE_DISABLED':
      // Turning in-country storage off leaves nothing set: GET reports DEFAULT.
      return { ...DEFAULT_STORAGE };
  }
}

/** register / deregister: token and existence already checked; next the budget, then the endpoint's own rules. */
function handleLifecycleCall(
  deps: GraphApiDeps,
  record: PhoneNumberRecord,
  endpoint: RateLimitedEndpoint,
  params: Params,
  flags: EndpointFlags,
): Outcome {
  const now = deps.state.clock.now();
  const rate = record.rate[endpoint];
  try {
    if (flags.injectInternalError) {
      // Meta saw the call (it counts), but it failed inside: nothing changed.
      recordCall(rate, now, deps.policy.windowMs);
      return errorOutcome(graphErrors.somethingWentWrong(), true);
    }
    const decision = admitCall(rate, now, deps.policy);
    if (!decision.allowed) {
      const windowHours = deps.policy.windowMs / 3_600_000;
      throw graphErrors.registrationRateLimit(
        endpoint,
        deps.policy.maxCallsPerWindow,
        windowHours,
        decision.blockedUntil,
      );
    }
    const result: RegisterResult =
      endpoint === 'register'
        ? applyRegister(record, params, {
            bodyUnparseable: flags.bodyUnparseable,
            now,
            version: flags.version,
            strictVersionRules: deps.settings.strictVersionRules,
            legacySubcodes: deps.settings.legacySubcodes,
          })
        : { applied: applyDeregister(record), slow: false };
    const delayMs = result.slow ? deps.settings.backupRegisterDelayMs : 0;
    if (result.error !== undefined) {
      return { ...errorOutcome(result.error, true), applied: result.applied, delayMs };
    }
    return { status: 200, json: { success: true }, counted: true, applied: result.applied, delayMs };
  } catch (err) {
    if (err instanceof GraphError) return errorOutcome(err, true);
    throw err;
  } finally {
    deps.state.save(); // the call history changed even when the call was rejected
  }
}

/** `fields=a,b{c}` → the requested fields in order (the default set when none); an unknown one is (#100). */
function requestedFields(fieldsParam: unknown): readonly GraphField[] {
  const requested =
    typeof fieldsParam === 'string'
      ? fieldsParam
          .split(',')
          .map((f) => f.replace(/\{.*\}$/, '').trim())
          .filter((f) => f !== '')
      : [];
  if (requested.length === 0) return DEFAULT_GRAPH_FIELDS;
  for (const field of requested) if (!isGraphField(field)) throw graphErrors.nonexistingField(field);
  return requested as GraphField[];
}

/** The node with the given fields in order, then `id` as Graph appends it. */
function projectNode(record: PhoneNumberRecord, fields: readonly GraphField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field === 'id') continue;
    const value = graphFieldValue(record, field);
    if (value !== undefined) out[field] = value;
  }
  out.id = record.id;
  return out;
}

function readNode(record: PhoneNumberRecord, fieldsParam: unknown): Record<string, unknown> {
  return projectNode(record, requestedFields(fieldsParam));
}

/** Page size of GET /{waba-id}/phone_numbers without `limit`, and the most one page holds (larger is clamped). */
export const DEFAULT_PAGE_LIMIT = 25;
export const MAX_PAGE_LIMIT = 100;

function parseLimit(raw: unknown): number {
  if (isBlank(raw)) return DEFAULT_PAGE_LIMIT;
  const value =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw graphErrors.invalidParameter(
      'Param limit must be a positive integer',
      `Send limit as a number of results per page (at most ${MAX_PAGE_LIMIT}).`,
    );
  }
  return Math.min(value, MAX_PAGE_LIMIT);
}

/**
 * A paging cursor: base64url of `{waba-id}:{phone-number-id}`, the WABA and the number at the page's edge.
 * Opaque to clients; it stays valid when that number is gone (the next page starts after its id).
 */
function encodeCursor(wabaId: string, phoneNumberId: string): string {
  return Buffer.from(`${wabaId}:${phoneNumberId}`, 'utf8').toString('base64url');
}

/** The number id a cursor of this WABA points at; anything else (another WABA's cursor, garbage) is (#100). */
function decodeCursor(wabaId: string, param: 'after' | 'before', raw: unknown): string {
  const invalid = () =>
    graphErrors.invalidParameter(
      `Param ${param} is not a valid cursor`,
      `Send the ${param} cursor exactly as paging.cursors.${param} of this WABA's phone_numbers returned it.`,
    );
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  const decoded = Buffer.from(raw, 'base64url').toString('utf8');
  // Buffer skips what it cannot decode: re-encoding catches a cursor that was altered.
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== raw) throw invalid();
  const match = /^(\d+):(\d+)$/.exec(decoded);
  if (match?.[1] !== wabaId || match[2] === undefined) throw invalid();
  return match[2];
}

/**
 * GET /{waba-id}/phone_numbers: the WABA's numbers in id order, `limit` per page (default 25, at most 100:
 * larger is clamped), in Graph's list envelope with cursor paging. `after` / `before` take the cursors of
 * a previous page; `next` / `previous` are full URLs, present only when there is such a page; no `paging`
 * when `data` is empty. Unlike Graph, the links never carry access_token: send the token as a header.
 * An id that is not a known WABA (a phone number's id included) is (#100) subcode 33.
 */
function listPhoneNumbers(deps: GraphApiDeps, wabaId: string, params: Params, flags: EndpointFlags): Outcome {
  if (!deps.state.isWaba(wabaId)) throw graphErrors.unsupportedRequest('GET', wabaId);
  if (flags.injectInternalError) throw graphErrors.somethingWentWrong();
  const fields = requestedFields(params.fields);
  const limit = parseLimit(params.limit);
  if (!isBlank(params.after) && !isBlank(params.before)) {
    throw graphErrors.invalidParameter(
      'Params after and before cannot be combined',
      'Page forward with after or backward with before, not both.',
    );
  }
  const all = deps.state.numbersOfWaba(wabaId);
  let start = 0;
  let end = Math.min(limit, all.length);
  if (!isBlank(params.after)) {
    const afterId = decodeCursor(wabaId, 'after', params.after);
    start = all.findIndex((n) => compareIds(n.id, afterId) > 0);
    if (start === -1) start = all.length;
    end = Math.min(start + limit, all.length);
  } else if (!isBlank(params.before)) {
    const beforeId = decodeCursor(wabaId, 'before', params.before);
    end = all.findIndex((n) => compareIds(n.id, beforeId) >= 0);
    if (end === -1) end = all.length;
    start = Math.max(0, end - limit);
  }
  const page = all.slice(start, end);
  const first = page[0];
  const last = page[page.length - 1];
  if (first === undefined || last === undefined) {
    return { status: 200, json: { data: [] }, counted: false, applied: false };
  }
  const link = (cursorParam: 'after' | 'before', cursor: string): string => {
    const query = new URLSearchParams();
    if (typeof params.fields === 'string' && params.fields !== '') query.set('fields', params.fields);
    query.set('limit', String(limit));
    query.set(cursorParam, cursor);
    return `${flags.pageUrl}?${query.toString()}`;
  };
  const before = encodeCursor(wabaId, first.id);
  const after = encodeCursor(wabaId, last.id);
  const paging = {
    cursors: { before, after },
    ...(start > 0 ? { previous: link('before', before) } : {}),
    ...(end < all.length ? { next: link('after', after) } : {}),
  };
  const data = page.map((record) => projectNode(record, fields));
  return { status: 200, json: { data, paging }, counted: false, applied: false };
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

interface RegisterContext {
  bodyUnparseable: boolean;
  now: number;
  version: number;
  strictVersionRules: boolean;
  legacySubcodes: boolean;
}

/** /register's own local-storage parameters (v20 and older; deprecated from v21.0, reference doc §1). */
const REGISTER_STORAGE_PARAMS = ['data_localization_region', 'meta_store_retention_minutes'] as const;

interface RegisterResult {
  /** The number's state changed. */
  applied: boolean;
  /** A failure that still changed state (a wrong PIN on a backup register takes On-Prem down). */
  error?: GraphError;
  /** The call reached the On-Prem deployment (register with backup): answer after backupRegisterDelayMs. */
  slow: boolean;
}

interface BackupParam {
  data: string;
  password: string;
}

const BACKUP_USAGE =
  'Send backup as {"data":"<settings.data from POST /v1/settings/backup>","password":"<the backup password>"}.';

/**
 * /register's `backup` parameter, or null when absent: an object in JSON; in a form or query string a
 * JSON-encoded string or `backup[data]=...&backup[password]=...`. Never echoes a value.
 */
function parseBackupParam(params: Params): BackupParam | null {
  const bracketed = Object.entries(params).flatMap(([key, value]) => {
    const match = /^backup\[(\w+)\]$/.exec(key);
    return match?.[1] === undefined ? [] : [[match[1], value] as const];
  });
  const raw = params.backup;
  if (isBlank(raw) && bracketed.length === 0) return null;
  let value: unknown = isBlank(raw) ? Object.fromEntries(bracketed) : raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      // reported below as not an object
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw graphErrors.invalidParameter('Param backup must be a JSON object', BACKUP_USAGE);
  }
  const { data, password } = value as Params;
  for (const [name, field] of [
    ['data', data],
    ['password', password],
  ] as const) {
    if (isBlank(field))
      throw graphErrors.invalidParameter(`The parameter backup[${name}] is required`, BACKUP_USAGE);
    if (typeof field !== 'string')
      throw graphErrors.invalidParameter(`Param backup[${name}] must be a string`, BACKUP_USAGE);
  }
  return { data: data as string, password: password as string };
}

/**
 * Validates /register parameters, then the number's preconditions; mutates only on success, except that a
 * register with backup and a wrong PIN takes the On-Prem client down (returned as an error result).
 */
function applyRegister(record: PhoneNumberRecord, params: Params, ctx: RegisterContext): RegisterResult {
  if (ctx.bodyUnparseable) {
    throw graphErrors.invalidParameter(
      'Invalid parameter',
      'The request body is neither valid JSON nor form data.',
    );
  }
  const movedToSettings = ctx.version >= SETTINGS_MIN_VERSION;
  if (movedToSettings && ctx.strictVersionRules) {
    // As observed live on v21+ (reference doc §1, [3P]). Lenient mode follows Meta's REG page instead.
    const deprecated = REGISTER_STORAGE_PARAMS.find((p) => !isBlank(params[p]));
    if (deprecated !== undefined) throw graphErrors.deprecatedOnV21(deprecated);
  }
  const product = params.messaging_product;
  if (isBlank(product)) {
    throw graphErrors.invalidParameter(
      'The parameter messaging_product is required',
      'Send messaging_product=whatsapp.',
    );
  }
  if (typeof product !== 'string' || product.toLowerCase() !== 'whatsapp') {
    throw graphErrors.invalidParameter(
      'Param messaging_product must be one of {WHATSAPP}',
      'Send messaging_product=whatsapp.',
    );
  }
  const pin = parsePin(params.pin);
  const region = params.data_localization_region;
  if (!isBlank(region) && !isRegion(region)) throw invalidRegion('data_localization_region');
  const retention = params.meta_store_retention_minutes;
  if (!isBlank(retention)) {
    if (!isBlank(region)) {
      throw graphErrors.invalidParameter(
        'Params data_localization_region and meta_store_retention_minutes cannot be combined',
        'Local storage and No Storage are exclusive: send at most one of them.',
      );
    }
    if (!isNoStorageRetention(retention)) {
      throw graphErrors.invalidParameter(
        `Param meta_store_retention_minutes must be ${NO_STORAGE_RETENTION_MINUTES}`,
        `No Storage keeps data in transit for at most ${NO_STORAGE_RETENTION_MINUTES} minutes.`,
      );
    }
  }
  const requested: StorageConfiguration | null = isRegion(region)
    ? { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: region }
    : !isBlank(retention)
      ? { status: 'NO_STORAGE_ENABLED', retention_minutes: NO_STORAGE_RETENTION_MINUTES }
      : null;
  const backup = parseBackupParam(params);
  checkRegionAvailable(record, requested === null ? null : storageRegion(requested));

  checkRegisterConditions(record); // 131031 locked account, 133000 incomplete deregistration [ERR]
  if (record.code_verification_status !== 'VERIFIED') throw graphErrors.verificationNeeded();
  if (record.name_status === 'NONE' || record.name_status === 'EXPIRED') {
    // [BPN]; the subcode [3P] only where Meta still sends subcodes (reference doc §8.1).
    throw graphErrors.cannotCreateCertificate(ctx.version <= SUBCODE_MAX_VERSION || ctx.legacySubcodes);
  }

  if (backup !== null) return applyBackupRegister(record, pin, backup, requested, ctx);
  if (record.platform_type === 'ON_PREMISE') throw graphErrors.onPremisesNeedsBackup();

  let pinChanged = false;
  if (record.pin_hash !== null) {
    // 133008 / 133009 under the number's guessing rules, else 133005 or 131031 for a wrong PIN [ERR].
    const pinError = checkPinAttempt(record, pin, ctx.now);
    if (pinError !== null) throw pinError;
  } else {
    // Two-step verification was off: the given PIN becomes the number's PIN.
    record.pin_hash = hashPin(record.id, pin);
    pinChanged = true;
  }

  // Registering an already registered number succeeds without touching it (idempotent).
  if (isRegistered(record)) return { applied: pinChanged, slow: false };
  connectToCloud(record, requested, ctx);
  return { applied: true, slow: false };
}

/**
 * Register with backup (reference doc §5 steps 4–5): only for a number on the On-Premises API (or one whose
 * On-Prem client a wrong PIN took down), with a backup its client made and that backup's password. From there
 * Meta talks to the deployment: a wrong PIN shuts it down anyway (number on neither API, 133005); the right
 * one moves the number to Cloud API and shuts On-Prem down. Both are slow (backupRegisterDelayMs).
 */
function applyBackupRegister(
  record: PhoneNumberRecord,
  pin: string,
  backup: BackupParam,
  requested: StorageConfiguration | null,
  ctx: RegisterContext,
): RegisterResult {
  const onprem = record.onprem;
  const onPremises =
    record.platform_type === 'ON_PREMISE' ||
    (record.platform_type === 'NOT_APPLICABLE' && onprem?.stopped_reason === 'pin_mismatch');
  if (!onPremises || onprem === null) throw graphErrors.backupNotOnPremises(record.platform_type);
  const check = checkBackup(record, backup.data, backup.password);
  if (!check.ok) {
    throw check.reason === 'wrong_password'
      ? graphErrors.backupPasswordMismatch()
      : graphErrors.invalidBackupData(check.details);
  }

  // A lockout or a too-fast attempt (133008 / 133009) is refused before Meta talks to the deployment.
  const pinError = record.pin_hash === null ? null : checkPinAttempt(record, pin, ctx.now);
  if (pinError !== null) {
    const stopped = stopOnPrem(onprem, 'pin_mismatch');
    const changed = stopped || record.platform_type !== 'NOT_APPLICABLE' || record.status !== 'DISCONNECTED';
    record.platform_type = 'NOT_APPLICABLE';
    record.status = 'DISCONNECTED';
    return { applied: changed, error: pinError, slow: true };
  }
  // Two-step verification was off on On-Prem: the given PIN becomes the number's PIN.
  if (record.pin_hash === null) record.pin_hash = hashPin(record.id, pin);
  stopOnPrem(onprem, 'migrated');
  connectToCloud(record, requested, ctx);
  return { applied: true, slow: true };
}

/** The number is now registered with Cloud API; local storage as the register call asked (reference doc §6). */
function connectToCloud(
  record: PhoneNumberRecord,
  requested: StorageConfiguration | null,
  ctx: RegisterContext,
): void {
  const movedToSettings = ctx.version >= SETTINGS_MIN_VERSION;
  record.status = 'CONNECTED';
  record.platform_type = 'CLOUD_API';
  record.last_onboarded_time = ctx.now;
  if (requested !== null) {
    // v20 and older; on v21+ only in lenient mode, applied the same way (as Meta's REG page documents).
    record.storage_configuration = requested;
  } else if (!movedToSettings) {
    // v20 and older: registering without a storage parameter turns local storage off.
    record.storage_configuration = { ...DEFAULT_STORAGE };
  }
  // v21+ without storage parameters: keep what /settings configured while the number was deregistered.
}
