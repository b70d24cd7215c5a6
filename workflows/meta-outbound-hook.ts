// >>> OUTBOUND WEBHOOKS HOOK <<<
// Where the lifecycle hands what it learned from Meta's webhooks (display_name.approved / .rejected,
// number.quality_changed, number.status_changed) to the outbound-webhook emitter, which is built on
// another branch. Until that is merged this does nothing: replace the body with the emitter's call (it
// runs in the lifecycle's signal handler, in workflow code: start the delivery there, do not wait on it).
import type { OutboundLifecycleEvent } from './meta-facts';

export function emitOutboundEvents(events: readonly OutboundLifecycleEvent[]): void {
  void events; // wired at merge: e.g. for (const e of events) void emitLifecycleEvent(e)
}
