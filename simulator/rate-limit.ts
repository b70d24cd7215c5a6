// Register/deregister budget: N calls per number per moving window, separately per endpoint,
// and a fixed block from the first rejection (reference doc §1 "Rate limit", §2 "Limits").
import type { EndpointRateState } from './phone-numbers';

export interface RateLimitPolicy {
  windowMs: number;
  maxCallsPerWindow: number;
  blockMs: number;
}

export type RateDecision = { allowed: true } | { allowed: false; blockedUntil: number };

/** A call at t counts while now - t < window; calls "in the future" (clock set back) still count. */
export function callsInWindow(state: EndpointRateState, now: number, windowMs: number): number {
  return state.calls.filter((t) => now - t < windowMs).length;
}

export function activeBlock(state: EndpointRateState, now: number): number | null {
  return state.blockedUntil !== null && state.blockedUntil > now ? state.blockedUntil : null;
}

/** Records a call without judging it (used when a fault replaces the outcome but Meta still saw the call). */
export function recordCall(state: EndpointRateState, now: number, windowMs: number): void {
  state.calls = state.calls.filter((t) => now - t < windowMs);
  state.calls.push(now);
}

/**
 * Judges a call against the budget, then records it: every call that reaches the endpoint counts,
 * including the ones rejected here, so hammering a blocked number keeps the window full.
 */
export function admitCall(state: EndpointRateState, now: number, policy: RateLimitPolicy): RateDecision {
  let decision: RateDecision = { allowed: true };
  const blockedUntil = activeBlock(state, now);
  if (blockedUntil !== null) {
    decision = { allowed: false, blockedUntil };
  } else if (callsInWindow(state, now, policy.windowMs) >= policy.maxCallsPerWindow) {
    state.blockedUntil = now + policy.blockMs;
    decision = { allowed: false, blockedUntil: state.blockedUntil };
  }
  recordCall(state, now, policy.windowMs);
  return decision;
}
