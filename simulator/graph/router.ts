// The Graph endpoints the simulator answers: method + path → handler, one row each. Every path starts with a
// version segment (`/v25.0`) and an object id of digits; anything else is `other` (Graph's unsupported-request
// error, answered by request-pipeline.ts). The handler of a `{phone-number-id}` row gets the number's record;
// an unknown number is answered here, as Graph answers an unknown id.
import type { FaultEndpoint } from '../faults';
import { graphErrors } from '../graph-errors';
import { errorOutcome } from '../outcome';
import type { GraphHandler, PhoneNumberHandler } from './call';
import { handleReadPhoneNumber } from './phone-number-read';
import { handleDeregister, handleRegister } from './registration';
import { handleReadSettings, handleWriteSettings } from './settings';
import { handleSetPin } from './two-step-pin';
import { handleRequestCode, handleVerifyCode } from './verification-codes';
import { handleReadTokenOwner } from './token-owner';
import { handleListPhoneNumbers } from './waba-phone-numbers';

export interface GraphRoute {
  method: 'GET' | 'POST';
  /** The path after the version segment, `{…}` standing for the object id. */
  path: string;
  /** The name faults and the request log use for this endpoint. */
  endpoint: FaultEndpoint;
  /** The object the id names: faults and the request log keep a WABA (or /me) apart from a phone number. */
  object: 'phone-number' | 'waba' | 'me';
  /** The segment after the id (`register`), or null for the node itself. */
  edge: string | null;
  handle: GraphHandler;
}

export const GRAPH_ROUTES: readonly GraphRoute[] = [
  phoneNumberRoute('GET', '/{phone-number-id}', 'get', handleReadPhoneNumber),
  wabaRoute('GET', '/{waba-id}/phone_numbers', 'phone_numbers', handleListPhoneNumbers),
  phoneNumberRoute('POST', '/{phone-number-id}', 'set_pin', handleSetPin),
  phoneNumberRoute('POST', '/{phone-number-id}/register', 'register', handleRegister),
  phoneNumberRoute('POST', '/{phone-number-id}/deregister', 'deregister', handleDeregister),
  phoneNumberRoute('GET', '/{phone-number-id}/settings', 'settings', handleReadSettings),
  phoneNumberRoute('POST', '/{phone-number-id}/settings', 'settings', handleWriteSettings),
  phoneNumberRoute('POST', '/{phone-number-id}/request_code', 'request_code', handleRequestCode),
  phoneNumberRoute('POST', '/{phone-number-id}/verify_code', 'verify_code', handleVerifyCode),
];

/** GET /me: the token's own user (token-owner.ts). `me` stands where an object id would. */
export const TOKEN_OWNER_ROUTE: GraphRoute = {
  method: 'GET',
  path: '/me',
  endpoint: 'me',
  object: 'me',
  edge: null,
  handle: handleReadTokenOwner,
};

export type RouteMatch =
  | { route: GraphRoute; endpoint: FaultEndpoint; nodeId: string; version: number }
  | {
      route: null;
      endpoint: 'other';
      /** The object id segment as given (not necessarily digits), or null when the path has none. */
      nodeId: string | null;
      /** Major Graph version from the path (`v25.0` → 25), or null when the path has none. */
      version: number | null;
    };

const VERSION_SEGMENT = /^v(\d+)\.0$/;
const NUMERIC_ID = /^\d+$/;

export function matchGraphRoute(method: string, pathname: string): RouteMatch {
  const segments = pathname.split('/').filter((s) => s !== '');
  const versionMatch = segments[0] === undefined ? null : VERSION_SEGMENT.exec(segments[0]);
  const rest = versionMatch !== null ? segments.slice(1) : segments;
  const nodeId = rest[0] ?? null;
  const version = versionMatch?.[1] === undefined ? null : Number(versionMatch[1]);
  if (version !== null && nodeId === 'me' && rest.length === 1 && method === TOKEN_OWNER_ROUTE.method) {
    return { route: TOKEN_OWNER_ROUTE, endpoint: 'me', nodeId, version };
  }
  if (version !== null && nodeId !== null && NUMERIC_ID.test(nodeId) && rest.length <= 2) {
    const edge = rest[1] ?? null;
    const route = GRAPH_ROUTES.find((r) => r.method === method && r.edge === edge);
    if (route !== undefined) return { route, endpoint: route.endpoint, nodeId, version };
  }
  return { route: null, endpoint: 'other', nodeId, version };
}

/** A row whose id is a phone number's: an id the simulator does not know is (#100) subcode 33. */
function phoneNumberRoute(
  method: GraphRoute['method'],
  path: `/{phone-number-id}${string}`,
  endpoint: FaultEndpoint,
  handler: PhoneNumberHandler,
): GraphRoute {
  const handle: GraphHandler = (call) => {
    const record = call.deps.state.get(call.nodeId);
    if (record === undefined) return errorOutcome(graphErrors.unsupportedRequest(call.method, call.nodeId));
    return handler({ ...call, record });
  };
  return { method, path, endpoint, object: 'phone-number', edge: edgeOf(path), handle };
}

/** A row whose id is a WABA's: the handler checks the id itself. */
function wabaRoute(
  method: GraphRoute['method'],
  path: `/{waba-id}${string}`,
  endpoint: FaultEndpoint,
  handle: GraphHandler,
): GraphRoute {
  return { method, path, endpoint, object: 'waba', edge: edgeOf(path), handle };
}

/** `/{id}/register` → `register`; `/{id}` → null. */
function edgeOf(path: string): string | null {
  return path.split('/')[2] ?? null;
}
