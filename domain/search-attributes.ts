// Search attributes shown and filtered in the Temporal UI. Never put a secret in one: they are stored
// and shown in plaintext (payload codecs do not touch them).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const WaPhoneNumberId = defineSearchAttributeKey('WaPhoneNumberId', SearchAttributeType.KEYWORD);
export const WaWabaId = defineSearchAttributeKey('WaWabaId', SearchAttributeType.KEYWORD);
export const WaLifecycleState = defineSearchAttributeKey('WaLifecycleState', SearchAttributeType.KEYWORD);
export const WaOperation = defineSearchAttributeKey('WaOperation', SearchAttributeType.KEYWORD);
export const WaNextAttemptAt = defineSearchAttributeKey('WaNextAttemptAt', SearchAttributeType.DATETIME);

export const ALL_SEARCH_ATTRIBUTES = [
  WaPhoneNumberId,
  WaWabaId,
  WaLifecycleState,
  WaOperation,
  WaNextAttemptAt,
];
