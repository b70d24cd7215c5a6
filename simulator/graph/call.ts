// What every Graph endpoint handler receives (router.ts calls them): the simulator's parts, the call's
// parameters, and the flags the request pipeline worked out before routing.
import type { AccessTokens } from '../access-tokens';
import type { FaultSchedule } from '../faults';
import type { Params } from '../http-io';
import type { Outcome } from '../outcome';
import type { PhoneNumberRecord } from '../phone-numbers';
import type { RateLimitPolicy } from '../rate-limit';
import type { RequestLog } from '../request-log';
import type { SimSettings } from '../sim-settings';
import type { SimState } from '../state-store';

export interface GraphApiDeps {
  state: SimState;
  faults: FaultSchedule;
  requests: RequestLog;
  policy: RateLimitPolicy;
  settings: SimSettings;
  /** The tokens Graph accepts now (rotation through /_sim/access-tokens). */
  tokens: AccessTokens;
  /** A wait that the server cancels on close(), so held requests never keep a process alive. */
  delay: (ms: number) => Promise<void>;
}

export interface GraphCall {
  deps: GraphApiDeps;
  method: string;
  /** The object id from the path (digits): a phone number's, a WABA's for GET /{waba-id}/phone_numbers; `me` for GET /me. */
  nodeId: string;
  /** Query string and body parameters together (the body wins). */
  params: Params;
  /** Major Graph version of the call (`v25.0` → 25). */
  version: number;
  /** The body was neither JSON nor form data (params then hold the query string only). */
  bodyUnparseable: boolean;
  /** An error-131000 fault fired: the endpoint fails inside (see fault-answers.ts). */
  injectInternalError: boolean;
  /** Absolute URL of the request without its query: the base of the `next` / `previous` paging links. */
  pageUrl: string;
}

/** A call on a phone number the simulator knows (the router answers an unknown id itself). */
export interface PhoneNumberCall extends GraphCall {
  record: PhoneNumberRecord;
}

export type GraphHandler = (call: GraphCall) => Outcome;
export type PhoneNumberHandler = (call: PhoneNumberCall) => Outcome;
