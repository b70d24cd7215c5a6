// Meta's WhatsApp Business Account webhooks that matter to a number's lifecycle (display name, quality,
// account), read from the payload Meta POSTs into plain events. Pure (zod only): the API uses it to decide
// whether a delivery is worth a workflow, the intake workflow and the lifecycle use its types.
//
// Payload shapes (Meta's webhook references; the envelope is the same for every field):
//   {object: "whatsapp_business_account", entry: [{id: WABA_ID, time, changes: [{field, value}]}]}
// - phone_number_name_update: value {display_phone_number, decision (APPROVED | REJECTED | DEFERRED),
//   requested_verified_name, rejection_reason}; REJECTED leaves name_status DECLINED.
//   https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_name_update
//   https://developers.facebook.com/documentation/business-messaging/whatsapp/display-names/
// - phone_number_quality_update: value {display_phone_number, event (ONBOARDING, THROUGHPUT_UPGRADE; older
//   payloads FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE), current_limit, old_limit, max_daily_conversations_per_business}
//   https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/reference/phone_number_quality_update
//   (copy read at support.chatarchitect.com; older event names: kxnrh7nfk8zwevuu.itniotech.com/api/whatsapp/pushLevelChangeReport)
// - account_update: value {event, phone_number (ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION), restriction_info
//   [{restriction_type, expiration}], ban_info {waba_ban_state (DISABLE | REINSTATE | SCHEDULE_FOR_DISABLE),
//   waba_ban_date}, violation_info {violation_type}}; PARTNER_REMOVED / ACCOUNT_OFFBOARDED / ACCOUNT_RECONNECTED
//   https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update
//   (event list also at https://dualhook.com/docs/webhook-account-update)
// Numbers are named by display phone number (formatted or bare digits), never by phone-number ID.
import { z } from 'zod';
import { lazySchema } from './validation';

export const META_WEBHOOK_OBJECT = 'whatsapp_business_account';
/** The change fields we act on; every other field (messages, templates, ...) is ignored. */
export const META_NUMBER_FIELDS = [
  'phone_number_name_update',
  'phone_number_quality_update',
  'account_update',
] as const;

export const NAME_DECISIONS = ['APPROVED', 'REJECTED', 'DEFERRED'] as const;
export type NameDecision = (typeof NAME_DECISIONS)[number];
export const QUALITY_EVENTS = [
  'ONBOARDING',
  'THROUGHPUT_UPGRADE',
  'FLAGGED',
  'UNFLAGGED',
  'UPGRADE',
  'DOWNGRADE',
] as const;
/** What an account_update says about the number's standing. */
export type AccountStatus = 'active' | 'restricted' | 'banned' | 'offboarded';

export type MetaNumberChange =
  | {
      kind: 'name';
      decision: NameDecision;
      requestedName?: string;
      rejectionReason?: string;
    }
  | {
      kind: 'quality';
      event: (typeof QUALITY_EVENTS)[number];
      currentLimit?: string;
      oldLimit?: string;
    }
  | {
      kind: 'account';
      event: string;
      /** The standing it leaves the number in; absent: the event changes none (a violation notice). */
      status?: AccountStatus;
      restrictions?: { type: string; expiration?: string }[];
      banState?: string;
      violationType?: string;
    };

/** One change Meta reported for a number (or, without displayPhoneNumber, for every number of the WABA). */
export interface MetaNumberEvent {
  wabaId: string;
  /** As Meta sent it; compare with digitsOf. Absent on WABA-wide account events (a ban). */
  displayPhoneNumber?: string;
  /** Meta's trigger time (epoch ms), when sent. */
  at?: number;
  change: MetaNumberChange;
}

const text = () => z.string().max(500);
const payloadSchema = lazySchema(() =>
  z.looseObject({
    object: z.string(),
    entry: z
      .array(
        z.looseObject({
          id: z.union([z.string(), z.number()]).transform(String),
          time: z.number().optional(),
          changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })).default([]),
        }),
      )
      .max(1000),
  }),
);

const nameValue = lazySchema(() =>
  z.looseObject({
    display_phone_number: text(),
    decision: text(),
    requested_verified_name: text().optional(),
    rejection_reason: text().nullish(),
  }),
);
const qualityValue = lazySchema(() =>
  z.looseObject({
    display_phone_number: text(),
    event: text(),
    current_limit: text().optional(),
    old_limit: text().optional(),
  }),
);
const accountValue = lazySchema(() =>
  z.looseObject({
    event: text(),
    phone_number: text().optional(),
    restriction_info: z
      .array(z.looseObject({ restriction_type: text(), expiration: text().optional() }))
      .max(50)
      .optional(),
    ban_info: z
      .looseObject({ waba_ban_state: text().optional(), waba_ban_date: text().optional() })
      .optional(),
    violation_info: z.looseObject({ violation_type: text().optional() }).optional(),
  }),
);

/** The digits of a phone number as written anywhere ("+1 555-010-7893" → "15550107893"). */
export function digitsOf(phoneNumber: string): string {
  return phoneNumber.replace(/\D/g, '');
}

/** The standing an account_update event leaves the number in (undefined: none it changes). */
function accountStatusOf(event: string, banState: string | undefined): AccountStatus | undefined {
  switch (event) {
    case 'ACCOUNT_RESTRICTION':
      return 'restricted';
    case 'DISABLED_UPDATE':
      if (banState === 'DISABLE') return 'banned';
      if (banState === 'REINSTATE') return 'active';
      return undefined; // SCHEDULE_FOR_DISABLE: a warning, not yet a ban
    case 'PARTNER_REMOVED':
    case 'ACCOUNT_OFFBOARDED':
    case 'ACCOUNT_DELETED':
      return 'offboarded';
    case 'ACCOUNT_RECONNECTED':
      return 'active';
    default:
      return undefined;
  }
}

/** account_update events that concern the lifecycle; the rest (pricing, partner apps, ...) are ignored. */
const ACCOUNT_EVENTS = new Set([
  'ACCOUNT_RESTRICTION',
  'ACCOUNT_VIOLATION',
  'DISABLED_UPDATE',
  'PARTNER_REMOVED',
  'ACCOUNT_OFFBOARDED',
  'ACCOUNT_DELETED',
  'ACCOUNT_RECONNECTED',
]);

function readChange(field: string, raw: unknown): { event?: Omit<MetaNumberEvent, 'wabaId'>; why?: string } {
  switch (field) {
    case 'phone_number_name_update': {
      const v = nameValue().safeParse(raw);
      if (!v.success) return { why: `${field}: value not readable` };
      const decision = v.data.decision as NameDecision;
      if (!NAME_DECISIONS.includes(decision)) return { why: `${field}: unknown decision ${v.data.decision}` };
      return {
        event: {
          displayPhoneNumber: v.data.display_phone_number,
          change: {
            kind: 'name',
            decision,
            ...(v.data.requested_verified_name ? { requestedName: v.data.requested_verified_name } : {}),
            ...(v.data.rejection_reason ? { rejectionReason: v.data.rejection_reason } : {}),
          },
        },
      };
    }
    case 'phone_number_quality_update': {
      const v = qualityValue().safeParse(raw);
      if (!v.success) return { why: `${field}: value not readable` };
      const event = v.data.event as (typeof QUALITY_EVENTS)[number];
      if (!QUALITY_EVENTS.includes(event)) return { why: `${field}: unknown event ${v.data.event}` };
      return {
        event: {
          displayPhoneNumber: v.data.display_phone_number,
          change: {
            kind: 'quality',
            event,
            ...(v.data.current_limit ? { currentLimit: v.data.current_limit } : {}),
            ...(v.data.old_limit ? { oldLimit: v.data.old_limit } : {}),
          },
        },
      };
    }
    case 'account_update': {
      const v = accountValue().safeParse(raw);
      if (!v.success) return { why: `${field}: value not readable` };
      const { event, phone_number, restriction_info, ban_info, violation_info } = v.data;
      if (!ACCOUNT_EVENTS.has(event)) return { why: `${field}: event ${event} does not concern numbers` };
      const status = accountStatusOf(event, ban_info?.waba_ban_state);
      return {
        event: {
          ...(phone_number ? { displayPhoneNumber: phone_number } : {}),
          change: {
            kind: 'account',
            event,
            ...(status ? { status } : {}),
            ...(restriction_info
              ? {
                  restrictions: restriction_info.map((r) => ({
                    type: r.restriction_type,
                    ...(r.expiration ? { expiration: r.expiration } : {}),
                  })),
                }
              : {}),
            ...(ban_info?.waba_ban_state ? { banState: ban_info.waba_ban_state } : {}),
            ...(violation_info?.violation_type ? { violationType: violation_info.violation_type } : {}),
          },
        },
      };
    }
    default:
      return { why: `field ${field} is not handled` };
  }
}

export interface ExtractedMetaEvents {
  events: MetaNumberEvent[];
  /** Why each other change was skipped (field and event names only: no values, no secrets). */
  ignored: string[];
}

/** The lifecycle events in a webhook delivery; everything else is listed in `ignored`, never an error. */
export function extractMetaEvents(body: unknown): ExtractedMetaEvents {
  const parsed = payloadSchema().safeParse(body);
  if (!parsed.success) return { events: [], ignored: ['not a webhook payload (object, entry[])'] };
  if (parsed.data.object !== META_WEBHOOK_OBJECT) {
    return { events: [], ignored: [`object ${parsed.data.object.slice(0, 60)} is not handled`] };
  }
  const events: MetaNumberEvent[] = [];
  const ignored: string[] = [];
  for (const entry of parsed.data.entry) {
    for (const { field, value } of entry.changes) {
      const { event, why } = readChange(field, value);
      if (!event) {
        ignored.push((why ?? field).slice(0, 120));
        continue;
      }
      events.push({
        wabaId: entry.id,
        ...event,
        ...(entry.time !== undefined ? { at: entry.time * 1000 } : {}),
      });
    }
  }
  return { events, ignored };
}

/** A short description for logs and the lifecycle's details (no secrets in any of it). */
export function describeMetaChange(change: MetaNumberChange): string {
  switch (change.kind) {
    case 'name':
      return `display name ${change.decision}${change.requestedName ? ` (${change.requestedName})` : ''}`;
    case 'quality':
      return `quality ${change.event}${change.currentLimit ? `, messaging limit ${change.currentLimit}` : ''}`;
    case 'account':
      return `account ${change.event}${change.status ? ` → ${change.status}` : ''}`;
  }
}
