// What a lifecycle knows from Meta's webhooks (display name decision, quality and messaging limit, account
// standing), and the rule that folds one event into it. Plain data and functions, no Temporal calls: the
// lifecycle book holds the facts and carries them across continue-as-new; unit tests drive it directly.
import type { AccountStatus, MetaNumberEvent, NameDecision } from '../domain/meta-webhooks';
import type { WebhookEventData } from '../domain/webhook-events';

export interface NumberMetaFacts {
  displayName?: { decision: NameDecision; requestedName?: string; rejectionReason?: string; at: string };
  quality?: { event: string; messagingLimit?: string; previousLimit?: string; at: string };
  account?: {
    status: AccountStatus;
    /** The last account_update event seen (a violation notice leaves the status as it was). */
    event: string;
    restrictions?: { type: string; expiration?: string }[];
    banState?: string;
    violationType?: string;
    at: string;
  };
}

/** The outbound events (other services' webhooks) a Meta event gives rise to; the lifecycle emits them. */
export type OutboundEventType =
  'display_name.approved' | 'display_name.rejected' | 'number.quality_changed' | 'number.status_changed';

export type OutboundLifecycleEvent = {
  [T in OutboundEventType]: {
    type: T;
    phoneNumberId: string;
    /** What changed, as recorded in getState's `meta` (no secrets). */
    data: WebhookEventData[T];
    at: string;
  };
}[OutboundEventType];

/**
 * Folds one event into the facts (returns new facts) and names the outbound events it gives rise to. Meta's
 * own time orders events where it is given: an older event than what is recorded does not overwrite it.
 */
export function applyMetaEvent(
  facts: NumberMetaFacts,
  event: MetaNumberEvent,
  phoneNumberId: string,
  now: number,
): { facts: NumberMetaFacts; outbound: OutboundLifecycleEvent[] } {
  const at = new Date(event.at ?? now).toISOString();
  const outbound = <T extends OutboundEventType>(
    type: T,
    data: WebhookEventData[T],
  ): OutboundLifecycleEvent[] => [{ type, phoneNumberId, data, at } as OutboundLifecycleEvent];
  const { change } = event;
  switch (change.kind) {
    case 'name': {
      if (isOlder(at, facts.displayName?.at)) return { facts, outbound: [] };
      const displayName = {
        decision: change.decision,
        ...(change.requestedName ? { requestedName: change.requestedName } : {}),
        ...(change.rejectionReason ? { rejectionReason: change.rejectionReason } : {}),
        at,
      };
      const type =
        change.decision === 'APPROVED'
          ? 'display_name.approved'
          : change.decision === 'REJECTED'
            ? 'display_name.rejected'
            : undefined;
      return { facts: { ...facts, displayName }, outbound: type ? outbound(type, displayName) : [] };
    }
    case 'quality': {
      if (isOlder(at, facts.quality?.at)) return { facts, outbound: [] };
      const quality = {
        event: change.event,
        ...(change.currentLimit ? { messagingLimit: change.currentLimit } : {}),
        ...(change.oldLimit ? { previousLimit: change.oldLimit } : {}),
        at,
      };
      return { facts: { ...facts, quality }, outbound: outbound('number.quality_changed', quality) };
    }
    case 'account': {
      if (isOlder(at, facts.account?.at)) return { facts, outbound: [] };
      const before = facts.account?.status ?? 'active';
      const account = {
        status: change.status ?? before,
        event: change.event,
        ...(change.restrictions ? { restrictions: change.restrictions } : {}),
        ...(change.banState ? { banState: change.banState } : {}),
        ...(change.violationType ? { violationType: change.violationType } : {}),
        at,
      };
      const changed = account.status !== before;
      return {
        facts: { ...facts, account },
        outbound: changed ? outbound('number.status_changed', { ...account, previousStatus: before }) : [],
      };
    }
  }
}

function isOlder(at: string, recorded: string | undefined): boolean {
  return recorded !== undefined && at < recorded;
}

/** A restriction or ban Meta reported, as the number's state shows it (undefined: nothing to show). */
export function standingState(facts: NumberMetaFacts): 'restricted' | 'banned' | undefined {
  const status = facts.account?.status;
  return status === 'restricted' || status === 'banned' ? status : undefined;
}

/** One line for the workflow's details in the Temporal UI. */
export function describeMetaFacts(facts: NumberMetaFacts): string | undefined {
  const parts = [
    facts.displayName ? `display name ${facts.displayName.decision}` : undefined,
    facts.quality
      ? `quality ${facts.quality.event}${facts.quality.messagingLimit ? ` (${facts.quality.messagingLimit})` : ''}`
      : undefined,
    facts.account ? `account ${facts.account.status} (${facts.account.event})` : undefined,
  ].filter(Boolean);
  return parts.length ? `Meta reports: ${parts.join('; ')}` : undefined;
}
