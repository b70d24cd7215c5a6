// Answer helpers every Graph endpoint shares: turning a GraphError into Meta's error envelope, applying the
// fault rules around an endpoint (latency, then fault-answers.ts), and sending the answer (possibly held back).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerCall, type EndpointRun, type FaultAnswer } from '../fault-answers';
import type { FaultEndpoint, FaultKind } from '../faults';
import { GraphError, graphErrors } from '../graph-errors';
import { sendJson, sendText } from '../http-io';
import { errorOutcome, type Outcome } from '../outcome';
import type { GraphApiDeps, PhoneNumberCall } from './call';
import { rejectUnparseableBody } from './params';

/** Runs an endpoint's rules; a GraphError becomes the error outcome (nothing counted or applied). */
export function guarded(run: () => Outcome): Outcome {
  try {
    return run();
  } catch (err) {
    if (err instanceof GraphError) return errorOutcome(err);
    throw err;
  }
}

/**
 * A POST on a phone number that reads its body: an unreadable body, then an injected internal error, are
 * answered before the endpoint's own rules (`run`), as Meta checks the request before the number.
 */
export function guardedPost(call: PhoneNumberCall, run: () => Outcome): Outcome {
  return guarded(() => {
    rejectUnparseableBody(call.bodyUnparseable);
    if (call.injectInternalError) throw graphErrors.somethingWentWrong();
    return run();
  });
}

export interface FaultedAnswer extends FaultAnswer {
  /** The fault that fired, for the request log (`latency` when only a latency rule did). */
  faultKind: FaultKind | undefined;
}

/**
 * Asks the fault schedule about this call, waits out any latency, then answers as the fault that fired says
 * (`run` is the endpoint itself). `phoneNumberId` is null for a WABA listing: a rule with one never matches it.
 */
export async function answerWithFaults(
  deps: GraphApiDeps,
  endpoint: FaultEndpoint,
  nodeId: string,
  phoneNumberId: string | null,
  run: EndpointRun,
): Promise<FaultedAnswer> {
  let faultKind: FaultKind | undefined;
  const decision = deps.faults.decide(endpoint, phoneNumberId);
  if (decision.latencyMs > 0) {
    faultKind = 'latency';
    await deps.delay(decision.latencyMs);
  }
  const fault = decision.fault;
  if (fault !== null) faultKind = fault.kind;
  const answer = answerCall(
    fault,
    {
      endpoint,
      record: phoneNumberId === null ? undefined : deps.state.get(nodeId),
      nodeId,
      now: deps.state.clock.now(),
      windowMs: deps.policy.windowMs,
      save: () => deps.state.save(),
    },
    run,
  );
  return { ...answer, faultKind };
}

const WWW_AUTHENTICATE = {
  'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token."',
};

/** Sends the outcome now, or `holdMs` later (timeout-after-apply); not at all once the client gave up. */
export function sendOutcome(
  deps: GraphApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Outcome,
  holdMs: number,
): void {
  const send = (): void => {
    if (req.socket.destroyed) return; // the client gave up while the response was held
    const headers = { ...(outcome.status === 401 ? WWW_AUTHENTICATE : {}), ...outcome.headers };
    if (outcome.raw !== undefined)
      sendText(res, outcome.status, outcome.raw.contentType, outcome.raw.body, headers);
    else sendJson(res, outcome.status, outcome.json, headers);
  };
  if (holdMs > 0) void deps.delay(holdMs).then(send);
  else send();
}
