// The phone-number node's `health_status` field (reference doc §7, Health Status API
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/health-status): whether the
// number can send messages, overall and per entity. Requestable with fields=health_status, not in the default set.
// The field is confirmed [C]; the value shapes come from third parties (Kapso, SDKs) [3P].
import type { PhoneNumberRecord } from './phone-numbers';

type CanSendMessage = 'AVAILABLE' | 'LIMITED' | 'BLOCKED';

interface HealthError {
  error_code: number;
  error_description: string;
  possible_solution: string;
}

interface HealthEntity {
  entity_type: 'PHONE_NUMBER' | 'WABA';
  id: string;
  can_send_message: CanSendMessage;
  errors?: HealthError[];
}

export interface HealthStatus {
  can_send_message: CanSendMessage;
  entities: HealthEntity[];
}

/** [ERR 131031 "Business account locked"]; the possible_solution wording is ours. */
const ACCOUNT_LOCKED: HealthError = {
  error_code: 131031,
  error_description: 'Account has been locked',
  possible_solution:
    'The WhatsApp Business Account is locked. Contact Meta support through Business Support Home to have it ' +
    'reviewed; until it is unlocked its numbers cannot send messages, register or deregister.',
};

/**
 * account_locked → BLOCKED for the number and its WABA, the WABA entity carrying the 131031 error (or the number's
 * entity, when it has no WABA: our choice); otherwise AVAILABLE. The WABA entity is omitted for a number without one.
 */
export function healthStatus(record: PhoneNumberRecord): HealthStatus {
  const locked = record.account_locked;
  const level: CanSendMessage = locked ? 'BLOCKED' : 'AVAILABLE';
  const errors = locked ? { errors: [{ ...ACCOUNT_LOCKED }] } : {};
  const number: HealthEntity = { entity_type: 'PHONE_NUMBER', id: record.id, can_send_message: level };
  if (record.waba_id === null) return { can_send_message: level, entities: [{ ...number, ...errors }] };
  return {
    can_send_message: level,
    entities: [number, { entity_type: 'WABA', id: record.waba_id, can_send_message: level, ...errors }],
  };
}
