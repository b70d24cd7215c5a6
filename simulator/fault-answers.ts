// What a call answers when a fault rule fired (faults.ts decides which): the endpoint handled normally, first or
// not at all, and the answer replaced by a gateway 5xx, a throttle with Graph's usage headers, any Graph error in
// one of the envelope shapes Graph sends, or an unreadable 200.
import {
  BUSINESS_USE_CASE_CODES,
  DEFAULT_HANG_MS,
  type FaultEndpoint,
  type FaultRule,
  type GraphErrorEnvelope,
} from './faults';
import { catalogueError, defaultErrorMessage, ERROR_TITLES } from './error-titles';
import { GraphError, graphErrors } from './graph-errors';
import { errorOutcome, isErrorOutcome, type Outcome } from './outcome';
import type { PhoneNumberRecord } from './phone-numbers';
import { recordCall } from './rate-limit';

export interface FaultCallContext {
  endpoint: FaultEndpoint;
  /** The number the call is about; undefined for a WABA listing or an unknown id. */
  record: PhoneNumberRecord | undefined;
  /** The object id from the path (a WABA's for phone_numbers). */
  nodeId: string;
  now: number;
  /** The register/deregister moving window, to count a call the endpoint never judged. */
  windowMs: number;
  save: () => void;
}

/** Runs the endpoint as if no fault fired (error-131000: with its internal error injected). */
export type EndpointRun = (opts: { injectInternalError: boolean }) => Outcome;

export interface FaultAnswer {
  outcome: Outcome;
  /** Hold the answer this long after logging (timeout-after-apply). */
  holdMs: number;
}

/** The answer to a call, given the fault that fired (null: none, or only latency). */
export function answerCall(fault: FaultRule | null, ctx: FaultCallContext, run: EndpointRun): FaultAnswer {
  const normal = () => run({ injectInternalError: false });
  const answer = (outcome: Outcome, holdMs = 0): FaultAnswer => ({ outcome, holdMs });
  switch (fault?.kind) {
    case undefined:
    case 'latency':
      return answer(normal());
    case 'error-131000':
      return answer(run({ injectInternalError: true }));
    case 'timeout-after-apply':
      return answer(normal(), fault.hangMs ?? DEFAULT_HANG_MS);
    case 'http-5xx': {
      // Not applied: a proxy in front of Graph failed, nothing counted. Applied: Meta handled the call (and
      // counted it as the endpoint does), then the answer was lost on the way back (reference doc §10, item 2:
      // a 5xx does not mean it failed [3P]). The gateway pages are undocumented: what proxies send.
      const handled = fault.applied === true ? normal() : null;
      return answer({
        ...gatewayError(fault.httpStatus ?? 502, fault.envelope === true),
        counted: handled?.counted ?? false,
        applied: handled?.applied ?? false,
        ...(handled?.delayMs !== undefined ? { delayMs: handled.delayMs } : {}),
      });
    }
    case 'throttle':
      // Refused in front of the endpoint by Graph's app / business-use-case limiter [GRL]: never counted toward
      // the register/deregister budget (undocumented: our choice).
      return answer(throttle(fault.code ?? 80007, fault.regainAccessMinutes, ctx));
    case 'graph-error':
      return answer(graphErrorFault(fault, ctx, normal));
    case 'unreadable-2xx': {
      // Applied and counted as usual; only a success is garbled (an error answer goes through as it is).
      const handled = normal();
      return answer(isErrorOutcome(handled) ? handled : unreadable(handled, fault.body ?? 'truncated'));
    }
  }
}

// ---- http-5xx -------------------------------------------------------------------------------------------

const GATEWAY_TITLES: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** A gateway's HTML page (undocumented: what proxies send), or Graph's code 2 envelope, transient [ERR-OLD]. */
function gatewayError(status: number, envelope: boolean): Omit<Outcome, 'counted' | 'applied'> {
  if (envelope) {
    const err = catalogueError(2, 'Temporary downtime or overload. Retry later with backoff.');
    return { status, json: renderGraphError(err, 'standard', true), errorCode: err.code };
  }
  const title = `${status} ${GATEWAY_TITLES[status] ?? 'Error'}`;
  const body = `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>\n`;
  return { status, raw: { contentType: 'text/html; charset=utf-8', body } };
}

// ---- throttle -------------------------------------------------------------------------------------------

/** Our default estimated_time_to_regain_access when a rule gives none (undocumented: our choice). */
export const DEFAULT_REGAIN_ACCESS_MINUTES = 5;

/**
 * The throttle error with the usage header Graph documents for it [GRL]: X-Business-Use-Case-Usage for the
 * WhatsApp Business Management API's business-use-case limits (80007 [ERR], 80008 [GRL]), keyed by the WABA id
 * (the number's own id when it has none), with call_count at 100 % and the regain time; X-App-Usage for the app
 * limit (4), which has no regain time, at 100 %. 130429 (Cloud API throughput [ERR]) documents no header.
 */
function throttle(code: number, regainMinutes: number | undefined, ctx: FaultCallContext): Outcome {
  const regain = regainMinutes ?? DEFAULT_REGAIN_ACCESS_MINUTES;
  if (BUSINESS_USE_CASE_CODES.includes(code)) {
    const id = ctx.record?.waba_id ?? ctx.record?.id ?? ctx.nodeId;
    const usage = {
      [id]: [
        {
          type: 'whatsapp_business_management',
          call_count: 100,
          total_cputime: 25,
          total_time: 25,
          estimated_time_to_regain_access: regain,
        },
      ],
    };
    const details =
      code === 80007
        ? 'The WhatsApp Business Account has reached its rate limit.'
        : 'The WhatsApp Business Management API rate limit of this WhatsApp Business Account was reached.';
    const err = catalogueError(
      code,
      `${details} Estimated time to regain access: ${regain} minutes (see X-Business-Use-Case-Usage).`,
    );
    return { ...errorOutcome(err), headers: { 'X-Business-Use-Case-Usage': JSON.stringify(usage) } };
  }
  if (code === 4) {
    const usage = { call_count: 100, total_cputime: 100, total_time: 100 };
    return {
      ...errorOutcome(graphErrors.appRequestLimit()),
      headers: { 'X-App-Usage': JSON.stringify(usage) },
    };
  }
  return errorOutcome(
    catalogueError(code, 'Cloud API message throughput has been reached. Retry later with backoff.'),
  );
}

// ---- graph-error ----------------------------------------------------------------------------------------

/**
 * Any Graph error. Not applied: answered instead of the endpoint; on register/deregister the call still counts
 * toward the budget unless `counted: false` (reference doc §1: the simulator counts every call; false models a
 * refusal in front of the endpoint). Applied: the endpoint handles the call first (state, budget), then the
 * error replaces its success; an error of its own is answered instead.
 */
function graphErrorFault(fault: FaultRule, ctx: FaultCallContext, normal: () => Outcome): Outcome {
  const code = fault.code ?? 0; // required by the schema for this kind
  const err = new GraphError(
    code,
    fault.message ?? defaultErrorMessage(code),
    fault.details ?? `Simulated error ${code} (a graph-error fault of the simulator).`,
    fault.subcode,
  );
  const envelope = (fault.envelope ?? 'standard') as GraphErrorEnvelope;
  const answered: Omit<Outcome, 'counted' | 'applied'> = {
    status: fault.httpStatus ?? err.httpStatus,
    json: renderGraphError(err, envelope, fault.isTransient),
    errorCode: code,
    ...(fault.subcode !== undefined ? { errorSubcode: fault.subcode } : {}),
  };
  if (fault.applied === true) {
    const handled = normal();
    if (isErrorOutcome(handled)) return handled;
    return {
      ...answered,
      counted: handled.counted,
      applied: handled.applied,
      ...(handled.delayMs !== undefined ? { delayMs: handled.delayMs } : {}),
    };
  }
  let counted = false;
  const budgeted = ctx.endpoint === 'register' || ctx.endpoint === 'deregister';
  if (budgeted && ctx.record !== undefined && fault.counted !== false) {
    recordCall(ctx.record.rate[ctx.endpoint as 'register' | 'deregister'], ctx.now, ctx.windowMs);
    ctx.save();
    counted = true;
  }
  return { ...answered, counted, applied: false };
}

/**
 * The error body in one of the shapes Graph sends (reference doc §8.1):
 * - `standard`: [ERR]'s envelope (`is_transient` only when given);
 * - `string-error-data`: error_data as a JSON-encoded string of the same object, as Graph sometimes sends it
 *   (undocumented: seen in the wild, our choice to model);
 * - `minimal`: `{code, message}` only (undocumented: our choice, so clients need nothing else);
 * - `extra-fields`: [GERR]'s error_user_title / error_user_msg, [OAS]'s is_transient (false unless given), and a
 *   field no document names, which clients must ignore.
 */
export function renderGraphError(
  err: GraphError,
  envelope: GraphErrorEnvelope,
  isTransient?: boolean,
): unknown {
  const { error } = err.toBody();
  const transient = isTransient === undefined ? {} : { is_transient: isTransient };
  switch (envelope) {
    case 'standard':
      return { error: { ...error, ...transient } };
    case 'string-error-data':
      return { error: { ...error, error_data: JSON.stringify(error.error_data), ...transient } };
    case 'minimal':
      return { error: { code: error.code, message: error.message } };
    case 'extra-fields':
      return {
        error: {
          ...error,
          error_user_title: ERROR_TITLES[err.code] ?? 'Error',
          error_user_msg: err.details,
          is_transient: isTransient ?? false,
          x_simulator_unknown_field: { note: 'not part of any documented envelope: ignore it' },
        },
      };
  }
}

// ---- unreadable-2xx -------------------------------------------------------------------------------------

/** A 200 whose body cannot be read (undocumented: what a broken proxy or connection produces). */
function unreadable(handled: Outcome, body: 'truncated' | 'html' | 'empty'): Outcome {
  const { counted, applied, delayMs } = handled;
  const keep = { counted, applied, ...(delayMs !== undefined ? { delayMs } : {}) };
  const json = { contentType: 'application/json; charset=UTF-8' };
  switch (body) {
    case 'truncated': {
      // Cut at 80 %, always short of the end: {"success":true} becomes {"success":tr
      const text = JSON.stringify(handled.json ?? {});
      const cut = Math.min(text.length - 1, Math.ceil(text.length * 0.8));
      return { status: 200, raw: { ...json, body: text.slice(0, cut) }, ...keep };
    }
    case 'html':
      return {
        status: 200,
        raw: {
          contentType: 'text/html; charset=utf-8',
          body: '<!DOCTYPE html><html><head><title>Redirecting</title></head><body><p>Please wait…</p></body></html>\n',
        },
        ...keep,
      };
    case 'empty':
      return { status: 200, raw: { ...json, body: '' }, ...keep };
  }
}
