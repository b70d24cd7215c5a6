// Fault injection: an ordered list of rules matched against each Graph call, to reproduce the
// failures an orchestrator must survive (slow calls, proxies failing, unknown outcomes, throttling).
import { z } from 'zod';
import { mulberry32, randomSeed } from './prng';

export const FAULT_KINDS = [
  'latency',
  'http-5xx',
  'error-131000',
  'timeout-after-apply',
  'throttle',
  /** Any Graph error envelope (code, subcode, details, message, HTTP status, envelope shape): see fault-answers.ts. */
  'graph-error',
  /** The call is applied, then answered 200 with a body that cannot be read. */
  'unreadable-2xx',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const FAULT_ENDPOINTS = [
  'get',
  'register',
  'deregister',
  'settings',
  'request_code',
  'verify_code',
  'set_pin',
  /** GET /{waba-id}/phone_numbers: a read, faulted like `get`. A rule with a phoneNumberId never matches it. */
  'phone_numbers',
  /** GET /me: the token's own user (the worker's start-up check). A rule with a phoneNumberId never matches it. */
  'me',
] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

/** Endpoints that only read: nothing to apply first, so `applied` is refused on them. */
const READ_ENDPOINTS: readonly string[] = ['get', 'phone_numbers', 'me'];
/** Endpoints with a register/deregister budget, the only ones `counted` is about (reference doc §1, §2). */
const BUDGETED_ENDPOINTS: readonly string[] = ['register', 'deregister', '*'];

export const DEFAULT_HANG_MS = 60_000;

/** Codes a throttle fault answers: app (4), WABA (80007 [ERR], 80008 [GRL]), Cloud API throughput (130429). */
export const THROTTLE_CODES = [4, 80007, 80008, 130429] as const;
/** The throttle codes that carry X-Business-Use-Case-Usage, hence an estimated_time_to_regain_access [GRL]. */
export const BUSINESS_USE_CASE_CODES: readonly number[] = [80007, 80008];
export const HTTP_5XX_STATUSES = [500, 502, 503, 504] as const;
export const GRAPH_ERROR_ENVELOPES = ['standard', 'string-error-data', 'minimal', 'extra-fields'] as const;
export type GraphErrorEnvelope = (typeof GRAPH_ERROR_ENVELOPES)[number];
export const UNREADABLE_BODIES = ['truncated', 'html', 'empty'] as const;

/** Which kinds take each kind-specific field; any other kind refuses it, naming the field. */
const FIELD_KINDS: Record<string, readonly FaultKind[]> = {
  code: ['throttle', 'graph-error'],
  subcode: ['graph-error'],
  details: ['graph-error'],
  message: ['graph-error'],
  isTransient: ['graph-error'],
  counted: ['graph-error'],
  httpStatus: ['graph-error', 'http-5xx'],
  applied: ['graph-error', 'http-5xx'],
  envelope: ['graph-error', 'http-5xx'],
  body: ['unreadable-2xx'],
  regainAccessMinutes: ['throttle'],
};

const kindList = (kinds: readonly string[]) =>
  kinds.length === 1 ? `kind ${kinds[0]}` : `kinds ${kinds.join(' and ')}`;

export const FaultRuleInput = z
  .strictObject({
    endpoint: z.enum([...FAULT_ENDPOINTS, '*']),
    phoneNumberId: z.string().regex(/^\d+$/, 'must be a string of digits').optional(),
    kind: z.enum(FAULT_KINDS),
    probability: z.number().min(0).max(1).default(1),
    count: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    hangMs: z.number().int().nonnegative().optional(),
    /** throttle: one of THROTTLE_CODES (default 80007); graph-error: any Graph code (required). */
    code: z.number().int('must be an integer').nonnegative('must be ≥ 0').optional(),
    subcode: z.number().int('must be an integer').nonnegative('must be ≥ 0').optional(),
    details: z.string().optional(),
    message: z.string().min(1, 'must not be empty').optional(),
    isTransient: z.boolean().optional(),
    /** graph-error: 400–599 (default: the legacy table); http-5xx: one of HTTP_5XX_STATUSES (default 502). */
    httpStatus: z.number().int('must be an integer').optional(),
    applied: z.boolean().optional(),
    counted: z.boolean().optional(),
    /** graph-error: one of GRAPH_ERROR_ENVELOPES (default standard); http-5xx: a boolean (default false). */
    envelope: z.union([z.string(), z.boolean()]).optional(),
    body: z.enum(UNREADABLE_BODIES, { error: `must be one of ${UNREADABLE_BODIES.join(', ')}` }).optional(),
    regainAccessMinutes: z.number().int('must be an integer').nonnegative('must be ≥ 0').optional(),
  })
  .superRefine((rule, ctx) => {
    const fail = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [field], message: `${field} ${message}` });
    if (rule.kind === 'latency' && rule.latencyMs === undefined) {
      fail('latencyMs', 'is required for kind latency');
    }
    for (const [field, kinds] of Object.entries(FIELD_KINDS)) {
      if (rule[field as keyof typeof rule] !== undefined && !kinds.includes(rule.kind)) {
        fail(field, `applies only to ${kindList(kinds)}`);
      }
    }
    if (rule.kind === 'throttle') {
      if (rule.code !== undefined && !(THROTTLE_CODES as readonly number[]).includes(rule.code)) {
        fail('code', `for kind throttle must be one of ${THROTTLE_CODES.join(', ')}`);
      }
      if (rule.regainAccessMinutes !== undefined && !BUSINESS_USE_CASE_CODES.includes(rule.code ?? 80007)) {
        fail(
          'regainAccessMinutes',
          'applies only to throttle codes 80007 and 80008 (X-Business-Use-Case-Usage); code 4 reports ' +
            'X-App-Usage, which has no regain time, and 130429 carries no usage header',
        );
      }
    }
    if (rule.kind === 'graph-error') {
      if (rule.code === undefined) fail('code', 'is required for kind graph-error');
      if (rule.httpStatus !== undefined && (rule.httpStatus < 400 || rule.httpStatus > 599)) {
        fail('httpStatus', 'for kind graph-error must be between 400 and 599');
      }
      if (
        rule.envelope !== undefined &&
        !(GRAPH_ERROR_ENVELOPES as readonly unknown[]).includes(rule.envelope)
      ) {
        fail('envelope', `for kind graph-error must be one of ${GRAPH_ERROR_ENVELOPES.join(', ')}`);
      }
      if (rule.counted !== undefined && rule.applied === true) {
        fail(
          'counted',
          'cannot be combined with applied: an applied call is counted as its endpoint counts it',
        );
      }
      if (rule.counted !== undefined && !BUDGETED_ENDPOINTS.includes(rule.endpoint)) {
        fail('counted', 'applies only to endpoints register and deregister (or *), which have a budget');
      }
    }
    if (rule.kind === 'http-5xx') {
      if (
        rule.httpStatus !== undefined &&
        !(HTTP_5XX_STATUSES as readonly number[]).includes(rule.httpStatus)
      ) {
        fail('httpStatus', `for kind http-5xx must be one of ${HTTP_5XX_STATUSES.join(', ')}`);
      }
      if (rule.envelope !== undefined && typeof rule.envelope !== 'boolean') {
        fail('envelope', 'for kind http-5xx must be a boolean (true: a Graph envelope with code 2)');
      }
    }
    if (rule.applied === true && READ_ENDPOINTS.includes(rule.endpoint)) {
      fail('applied', `cannot be used on the read endpoint ${rule.endpoint}: a read has nothing to apply`);
    }
  });
export type FaultRule = z.output<typeof FaultRuleInput>;

export const SetFaultsInput = z.strictObject({
  faults: z.array(FaultRuleInput),
  mode: z.enum(['append', 'replace']).default('append'),
});

interface ActiveRule {
  rule: FaultRule;
  /** Matching calls the rule still applies to; null = unlimited. */
  remaining: number | null;
  fired: number;
  draw: () => number;
}

export interface FaultRuleView extends FaultRule {
  remaining: number | null;
  fired: number;
}

export interface FaultDecision {
  /** Sum of the latency rules that fired; waited before handling. */
  latencyMs: number;
  /** The first non-latency rule that fired, if any. */
  fault: FaultRule | null;
}

export class FaultSchedule {
  private rules: ActiveRule[] = [];

  set(rules: FaultRule[], mode: 'append' | 'replace'): void {
    if (mode === 'replace') this.rules = [];
    for (const rule of rules) {
      // Unseeded rules still get their own PRNG; a seed makes the draw sequence reproducible.
      this.rules.push({
        rule,
        remaining: rule.count ?? null,
        fired: 0,
        draw: mulberry32(rule.seed ?? randomSeed()),
      });
    }
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRuleView[] {
    return this.rules.map((r) => ({ ...r.rule, remaining: r.remaining, fired: r.fired }));
  }

  /**
   * Rules are checked in order. A matching rule uses up one of its `count` whether or not its
   * probability draw fires. Latency rules add up and matching continues; the first other rule
   * that fires decides the fault.
   */
  decide(endpoint: FaultEndpoint, phoneNumberId: string | null): FaultDecision {
    let latencyMs = 0;
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.endpoint !== '*' && rule.endpoint !== endpoint) continue;
      if (rule.phoneNumberId !== undefined && rule.phoneNumberId !== phoneNumberId) continue;
      if (active.remaining !== null) {
        if (active.remaining <= 0) continue;
        active.remaining -= 1;
      }
      const fires = rule.probability >= 1 || active.draw() < rule.probability;
      if (!fires) continue;
      active.fired += 1;
      if (rule.kind === 'latency') {
        latencyMs += rule.latencyMs ?? 0;
        continue;
      }
      return { latencyMs, fault: rule };
    }
    return { latencyMs, fault: null };
  }
}
