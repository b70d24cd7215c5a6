// A number's On-Premises API client, served under /onprem/{phone-number-id} (reference doc §5), in the shapes
// of Meta's On-Premises API: POST /v1/users/login (HTTP Basic), POST /v1/settings/backup (Bearer token),
// GET /v1/health. A client that is down (migrated, or taken down by a wrong PIN) closes every connection
// without an answer. Calls are logged with endpoint `onprem`; credentials, tokens, passwords and backup data
// never are.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, searchParamsToObject, sendJson, type Params } from './http-io';
import { createBackup, credentialsMatch, issueToken, tokenValid, type OnPremState } from './onprem';
import type { PhoneNumberRecord } from './phone-numbers';
import { redactSecrets, type RequestLog } from './request-log';
import type { SimState } from './state-store';

export interface OnPremApiDeps {
  state: SimState;
  requests: RequestLog;
}

/** Status 0 = the connection was closed without an answer. */
export interface OnPremRequestSummary {
  status: number;
  errorCode?: number;
}

interface OnPremOutcome {
  status: number;
  json: unknown;
  errorCode?: number;
  applied: boolean;
}

/** On-Prem's error envelope: `{"errors":[{"code","title","details"}]}`. */
function onPremError(status: number, code: number, title: string, details: string): OnPremOutcome {
  return { status, json: { errors: [{ code, title, details }] }, errorCode: code, applied: false };
}

const accessDenied = (details: string) => onPremError(401, 1005, 'Access denied', details);
const notFound = (details: string) => onPremError(404, 1006, 'Resource not found', details);

/** `Authorization: Basic base64(user:password)` → credentials, or null. */
function basicCredentials(req: IncomingMessage): { username: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function bearer(req: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
}

/** A JSON object body, {} when empty, null when not a JSON object. */
function parseJsonBody(raw: string): Params | null {
  if (raw.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : null;
  } catch {
    return null;
  }
}

export async function handleOnPremRequest(
  deps: OnPremApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<OnPremRequestSummary> {
  const method = req.method ?? 'GET';
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const id = segments[1] ?? null;
  const record = id === null ? undefined : deps.state.get(id);
  const onprem = record?.onprem ?? null;
  const log = (status: number, outcome?: OnPremOutcome, params?: Params): void => {
    const all = { ...searchParamsToObject(url.searchParams), ...(params ?? {}) };
    deps.requests.append({
      at: deps.state.clock.nowIso(),
      method,
      path: url.pathname,
      endpoint: 'onprem',
      phoneNumberId: id,
      status,
      ...(outcome?.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
      counted: false,
      applied: outcome?.applied ?? false,
      ...(Object.keys(all).length > 0 ? { params: redactSecrets(all) as Params } : {}),
    });
  };

  if (record !== undefined && onprem !== null && !onprem.running) {
    // The deployment is down: nobody answers.
    log(0);
    req.socket.destroy();
    return { status: 0 };
  }

  const raw = await readBody(req);
  const body = method === 'GET' ? {} : parseJsonBody(raw);
  let outcome: OnPremOutcome;
  if (record === undefined || onprem === null) {
    outcome = notFound(`No On-Premises API client for phone number ${id ?? ''}`.trim());
  } else {
    outcome = route(deps, req, method, segments.slice(2).join('/'), record, onprem, body);
  }
  log(outcome.status, outcome, body ?? undefined);
  sendJson(res, outcome.status, outcome.json);
  return {
    status: outcome.status,
    ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
  };
}

function route(
  deps: OnPremApiDeps,
  req: IncomingMessage,
  method: string,
  subPath: string,
  record: PhoneNumberRecord,
  onprem: OnPremState,
  body: Params | null,
): OnPremOutcome {
  const now = deps.state.clock.now();
  if (method === 'POST' && subPath === 'v1/users/login') {
    const credentials = basicCredentials(req);
    if (credentials === null || !credentialsMatch(record, onprem, credentials.username, credentials.password))
      return accessDenied('Invalid credentials');
    const { token, expiresAt } = issueToken(onprem, now);
    deps.state.save();
    return {
      status: 200,
      json: { users: [{ token, expires_after: new Date(expiresAt).toISOString() }] },
      applied: true,
    };
  }
  if (method === 'POST' && subPath === 'v1/settings/backup') {
    const token = bearer(req);
    if (token === null || !tokenValid(onprem, token, now)) return accessDenied('Invalid or expired token');
    if (body === null)
      return onPremError(400, 1009, 'Parameter value is not valid', 'body must be a JSON object');
    const password = body.password;
    if (password === undefined || password === null || password === '')
      return onPremError(400, 1004, 'Missing required parameter', 'password');
    if (typeof password !== 'string')
      return onPremError(400, 1009, 'Parameter value is not valid', 'password must be a string');
    const data = createBackup(record, onprem, password, now);
    deps.state.save();
    return { status: 200, json: { settings: { data } }, applied: true };
  }
  if (method === 'GET' && subPath === 'v1/health') {
    return { status: 200, json: { health: { gateway_status: 'connected' } }, applied: false };
  }
  return notFound(`Unknown On-Premises API path ${method} /${subPath}`);
}
