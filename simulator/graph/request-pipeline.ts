// Every Graph request, whatever the endpoint: read the parameters (query string and body), check the access
// token, route (router.ts), answer under the fault rules (answers.ts), log the request, wait out a register
// with backup, then send the answer (possibly held back by a fault).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind } from '../faults';
import { graphErrors } from '../graph-errors';
import { parseBodyParams, readBody, searchParamsToObject, type Params } from '../http-io';
import { errorOutcome, type Outcome } from '../outcome';
import { redactSecrets } from '../request-log';
import { answerWithFaults, sendOutcome } from './answers';
import type { GraphApiDeps } from './call';
import { matchGraphRoute } from './router';

export interface GraphRequestSummary {
  status: number;
  errorCode?: number;
}

function bearerToken(req: IncomingMessage, params: Params): string | undefined {
  const header = req.headers.authorization;
  // Graph takes `Bearer <token>` and the older `OAuth <token>`, or an access_token parameter.
  const match = header === undefined ? null : /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] !== undefined) return match[1];
  return typeof params.access_token === 'string' ? params.access_token : undefined;
}

export async function handleGraphRequest(
  deps: GraphApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<GraphRequestSummary> {
  const method = req.method ?? 'GET';
  const match = matchGraphRoute(method, url.pathname);
  // A client that gives up (its timeout, or an aborted call) closes the connection before the answer.
  const arrivedAt = performance.now();
  let clientClosedAfterMs: number | undefined;
  res.once('close', () => {
    if (!res.writableFinished) clientClosedAfterMs = Math.round(performance.now() - arrivedAt);
  });
  const rawBody = await readBody(req);
  const bodyParams = method === 'GET' ? {} : parseBodyParams(req.headers['content-type'], rawBody);
  const params: Params = { ...searchParamsToObject(url.searchParams), ...(bodyParams ?? {}) };

  // GET /{waba-id}/phone_numbers: the object is a WABA, not a number (faults and the log keep them apart);
  // GET /me: the token's own user, no number either.
  const listing = match.route?.object === 'waba';
  const notANumber = listing || match.route?.object === 'me';
  let faultKind: FaultKind | undefined;
  let holdMs = 0;
  const outcome = await (async (): Promise<Outcome> => {
    const token = bearerToken(req, params);
    if (!deps.tokens.accepts(token)) {
      return errorOutcome(
        deps.tokens.wasRevoked(token) ? graphErrors.revokedToken() : graphErrors.invalidToken(),
      );
    }
    if (match.route === null) return errorOutcome(graphErrors.unsupportedRequest(method, match.nodeId ?? ''));

    const { route, nodeId, version } = match;
    const answer = await answerWithFaults(
      deps,
      route.endpoint,
      nodeId,
      notANumber ? null : nodeId,
      ({ injectInternalError }) =>
        route.handle({
          deps,
          method,
          nodeId,
          params,
          version,
          bodyUnparseable: bodyParams === null,
          injectInternalError,
          // Graph's paging links are absolute; the Host header is how this client reached us.
          pageUrl: `http://${req.headers.host ?? '127.0.0.1'}${url.pathname}`,
        }),
    );
    faultKind = answer.faultKind;
    holdMs = answer.holdMs;
    return answer.outcome;
  })();

  deps.requests.append({
    at: deps.state.clock.nowIso(),
    method,
    path: url.pathname,
    endpoint: match.endpoint,
    phoneNumberId: notANumber ? null : match.nodeId,
    ...(listing && match.nodeId !== null ? { wabaId: match.nodeId } : {}),
    status: outcome.status,
    ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
    ...(outcome.errorSubcode !== undefined ? { errorSubcode: outcome.errorSubcode } : {}),
    counted: outcome.counted,
    applied: outcome.applied,
    ...(faultKind !== undefined ? { fault: faultKind } : {}),
    ...(clientClosedAfterMs !== undefined ? { clientClosedAfterMs } : {}),
    ...(Object.keys(params).length > 0 ? { params: redactSecrets(params) as Params } : {}),
  });

  // Already applied and logged: a client that times out during this wait sees an unknown outcome.
  if (outcome.delayMs !== undefined && outcome.delayMs > 0) await deps.delay(outcome.delayMs);

  sendOutcome(deps, req, res, outcome, holdMs);

  return {
    status: outcome.status,
    ...(outcome.errorCode !== undefined ? { errorCode: outcome.errorCode } : {}),
  };
}
