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
] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

export const DEFAULT_HANG_MS = 60_000;

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
    code: z.union([z.literal(4), z.literal(80007)]).optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.kind === 'latency' && rule.latencyMs === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['latencyMs'],
        message: 'latencyMs is required for kind latency',
      });
    }
    if (rule.code !== undefined && rule.kind !== 'throttle') {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'code applies only to kind throttle' });
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
