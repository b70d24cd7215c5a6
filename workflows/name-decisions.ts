// The display-name decisions Meta's webhooks delivered to this lifecycle, counted, so an onboarding that
// waits for its display name wakes at once on one that arrives while it waits.
import type { NameDecision } from '../domain/meta-webhooks';

export class NameDecisions {
  private seen = 0;
  private last: NameDecision | undefined;

  /** How many decisions arrived (a waiter compares it with the count when it began). */
  get count(): number {
    return this.seen;
  }

  get latest(): NameDecision | undefined {
    return this.last;
  }

  record(decision: NameDecision): void {
    this.seen += 1;
    this.last = decision;
  }
}
