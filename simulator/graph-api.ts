// The Graph API surface: GET /{version}/{id}, POST /{version}/{id}/register, POST /{version}/{id}/deregister
// (reference doc §1, §2, §7, §8). Decides an outcome, logs it, then sends it (possibly held back by a fault).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultSchedule, DEFAULT_HANG_MS, type FaultEndpoint, type FaultKind } from './faults';
import { GraphError, graphErrors } from './graph-errors';
import { parseBodyParams, readBody, searchParamsToObject, sendJson, sendText, type Params } from './http-io';
import {
  DATA_LOCALIZATION_REGIONS,
  DEFAULT_GRAPH_FIELDS,
  graphFieldValue,
  hashPin,
  isGraphField,
  isRegistered,
  pinMatches,
  type GraphField,
  type PhoneNumberRecord,
  type RateLimitedEndpoint,
} from './phone-numbers';
import { admitCall, recordCall, type RateLimitPolicy } from './rate-limit';
import { redactSecrets, type GraphEndpoint, type RequestLog } from './request-log';
import type { SimState } from './state-store';

export interface GraphApiDeps {
  state: SimState;
  faults: FaultSchedule;
  requests: RequestLog;
  policy: RateLimitPolicy;
  accessToken: string;
  /** A wait that the server cancels on close(), so held requests never keep a process alive. */
  delay: (ms: number) => Promise<void>;
}

export interface GraphRoute {
  endpoint: GraphEndpoint;
  /** The object id segment as given (not necessarily digits), or null when the path has none. */
  nodeId: string | null;
}

const VERSION_SEGMENT = /^v\d+\.0$/;
const NUMERIC_ID = /^\d+$/;

export function parseGraphRoute(method: string, pathname: string): GraphRoute {
  const segments = pathname.split('/').filter((s) => s !== '');
  const hasVersion = segments[0] !== undefined && VERSION_SEGMENT.test(segments[0]);
  const rest = hasVersion ? segments.slice(1) : segments;
  const nodeId = rest[0] ?? null;
  const edge = rest[1];
  let endpoint: GraphEndpoint = 'other';
  if (hasVersion && nodeId !== null && NUMERIC_ID.test(nodeId) && rest.length <= 2) {
    if (method === 'GET' && edge === undefined) endpoint = 'get';
    else if (method === 'POST' && edge === 'register') endpoint = 'register';
    else if (method === 'POST' && edge === 'deregister') endpoint = 'deregister';
  }
  return { endpoint, nodeId };
}

interface Outcome {
  status: number;
  json?: unknown;
  html?: string;
  errorCode?: number;
  errorSubcode?: number;
  counted: boolean;
  applied: boolean;
}

function errorOutcome(err: GraphError, counted = false): Outcome {
  return {
    status: err.httpStatus,
    json: err.toBody(),
    errorCode: err.code,
    ...(err.subcode !== undefined ? { errorSubcode: err.subcode } : {}),
    counted,
    applied: false,
  };
}

const BAD_GATEWAY_HTML =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n';

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

  let faultKind: FaultKind | undefined;
  let holdMs = 0;
  const outcome = await (async (): Promise<Outcome> => {
    if (bearerToken(req, params) !== deps.accessToken) return errorOutcome(graphErrors.invalidToken());
    if (route.endpoint === 'other') {
      return errorOutcome(graphErrors.unsupportedRequest(method, route.nodeId ?? ''));
    }

    const decision = deps.faults.decide(route.endpoint, route.nodeId);
    if (decision.latencyMs > 0) {
      faultKind = 'latency';
      await deps.delay(decision.latencyMs);
    }
    const fault = decision.fault;
    if (fault !== null) faultKind = fault.kind;
    // These two come from in front of the endpoint (a proxy, the app-level limiter): nothing counted.
    if (fault?.kind === 'http-5xx') {
      return { status: 502, html: BAD_GATEWAY_HTML, counted: false, applied: false };
    }
    if (fault?.kind === 'throttle') {
      return errorOutcome(fault.code === 4 ? graphErrors.appRequestLimit() : graphErrors.wabaRateLimit());
    }
    if (fault?.kind === 'timeout-after-apply') holdMs = fault.hangMs ?? DEFAULT_HANG_MS;
    return handleEndpoint(deps, method, route.endpoint, route.nodeId ?? '', params, {
      bodyUnparseable: bodyParams === null,
      injectInternalError: fault?.kind === 'error-131000',
    });
  })();

  deps.requests.append({
    at: deps.state.clock.nowIso(),
    method,
    path: url.pathname,
    endpoint: route.endpoint,
    phoneNumberId: route.nodeId,
    status: outcome.status,
    ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
    ...(outcome.errorSubcode !== undefined ? { errorSubcode: outcome.errorSubcode } : {}),
    counted: outcome.counted,
    applied: outcome.applied,
    ...(faultKind !== undefined ? { fault: faultKind } : {}),
    ...(Object.keys(params).length > 0 ? { params: redactSecrets(params) as Params } : {}),
  });

  const send = (): void => {
    if (req.socket.destroyed) return; // the client gave up while the response was held
    if (outcome.html !== undefined) sendText(res, outcome.status, 'text/html; charset=utf-8', outcome.html);
    else sendJson(res, outcome.status, outcome.json, outcome.status === 401 ? WWW_AUTHENTICATE : {});
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
  bodyUnparseable: boolean;
  injectInternalError: boolean;
}

function handleEndpoint(
  deps: GraphApiDeps,
  method: string,
  endpoint: FaultEndpoint,
  nodeId: string,
  params: Params,
  flags: EndpointFlags,
): Outcome {
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
  return handleLifecycleCall(deps, record, endpoint, params, flags);
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
    const applied =
      endpoint === 'register'
        ? applyRegister(record, params, flags.bodyUnparseable, now)
        : applyDeregister(record);
    return { status: 200, json: { success: true }, counted: true, applied };
  } catch (err) {
    if (err instanceof GraphError) return errorOutcome(err, true);
    throw err;
  } finally {
    deps.state.save(); // the call history changed even when the call was rejected
  }
}

/** `fields=a,b{c}` → requested fields in order, then `id` as Graph appends it. */
function readNode(record: PhoneNumberRecord, fieldsParam: unknown): Record<string, unknown> {
  const requested =
    typeof fieldsParam === 'string'
      ? fieldsParam
          .split(',')
          .map((f) => f.replace(/\{.*\}$/, '').trim())
          .filter((f) => f !== '')
      : [];
  const fields: readonly string[] = requested.length > 0 ? requested : DEFAULT_GRAPH_FIELDS;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!isGraphField(field)) throw graphErrors.nonexistingField(field);
    if (field === 'id') continue;
    const value = graphFieldValue(record, field as GraphField);
    if (value !== undefined) out[field] = value;
  }
  out.id = record.id;
  return out;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Validates /register parameters, then the number's preconditions; mutates only on success. */
function applyRegister(
  record: PhoneNumberRecord,
  params: Params,
  bodyUnparseable: boolean,
  now: number,
): boolean {
  if (bodyUnparseable) {
    throw graphErrors.invalidParameter(
      'Invalid parameter',
      'The request body is neither valid JSON nor form data.',
    );
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
  const rawPin = params.pin;
  if (isBlank(rawPin))
    throw graphErrors.invalidParameter('The parameter pin is required', 'Send the 6-digit two-step PIN.');
  // Never echo the value: a wrong-format PIN may still be someone's real PIN.
  const pin = typeof rawPin === 'number' ? String(rawPin) : rawPin;
  if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) {
    throw graphErrors.invalidParameter(
      'Param pin must be a 6-digit number',
      'The PIN must be exactly 6 digits.',
    );
  }
  const region = params.data_localization_region;
  if (!isBlank(region) && !(DATA_LOCALIZATION_REGIONS as readonly unknown[]).includes(region)) {
    throw graphErrors.invalidParameter(
      `Param data_localization_region must be one of {${DATA_LOCALIZATION_REGIONS.join(', ')}}`,
      'Use one of the supported local-storage country codes.',
    );
  }

  if (record.code_verification_status !== 'VERIFIED') throw graphErrors.verificationNeeded();
  if (record.name_status === 'NONE' || record.name_status === 'EXPIRED')
    throw graphErrors.cannotCreateCertificate();

  let pinChanged = false;
  if (record.pin_hash !== null) {
    if (!pinMatches(record, pin)) throw graphErrors.pinMismatch();
  } else {
    // Two-step verification was off: the given PIN becomes the number's PIN.
    record.pin_hash = hashPin(record.id, pin);
    pinChanged = true;
  }

  // Registering an already registered number succeeds without touching it (idempotent).
  if (isRegistered(record)) return pinChanged;
  record.status = 'CONNECTED';
  record.platform_type = 'CLOUD_API';
  record.last_onboarded_time = now;
  record.data_localization_region = isBlank(region)
    ? null
    : (region as PhoneNumberRecord['data_localization_region']);
  return true;
}

/** Deregistering an unregistered number succeeds and changes nothing. */
function applyDeregister(record: PhoneNumberRecord): boolean {
  if (!isRegistered(record)) return false;
  record.status = 'DISCONNECTED';
  record.platform_type = 'NOT_APPLICABLE';
  record.data_localization_region = null; // local storage is turned off by deregistration
  return true;
}
