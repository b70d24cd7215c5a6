// Paged listing of numbers: a visibility row turned into a NumberListing, and the page token handed to
// callers. The token wraps Temporal's own with a digest of the query, so a token is refused (naming the
// field) when it is used with another filter rather than silently continuing a different listing.
import { createHash } from 'node:crypto';
import type { TypedSearchAttributes } from '@temporalio/common';
import type { NumberListing } from '../domain/number-listing';
import {
  WaLifecycleState,
  WaNextAttemptAt,
  WaOperation,
  WaPhoneNumberId,
  WaWabaId,
} from '../domain/search-attributes';
import { InputError } from '../domain/validation';

/** One page of numbers; `nextPageToken` when more may follow. */
export interface NumberPage {
  numbers: NumberListing[];
  nextPageToken?: string;
}

/** The row of a lifecycle workflow, or undefined when it has not published its phone-number ID yet. */
export function listingOf(attrs: TypedSearchAttributes): NumberListing | undefined {
  const phoneNumberId = attrs.get(WaPhoneNumberId);
  if (!phoneNumberId) return undefined;
  const nextAttemptAt = attrs.get(WaNextAttemptAt);
  return {
    phoneNumberId,
    state: attrs.get(WaLifecycleState),
    operation: attrs.get(WaOperation),
    wabaId: attrs.get(WaWabaId),
    ...(nextAttemptAt ? { nextAttemptAt: nextAttemptAt.toISOString() } : {}),
  };
}

const queryDigest = (query: string) => createHash('sha256').update(query).digest('base64url').slice(0, 12);

export function encodePageToken(temporalToken: Uint8Array, query: string): string {
  return `${queryDigest(query)}.${Buffer.from(temporalToken).toString('base64url')}`;
}

export function decodePageToken(token: string, query: string): Buffer {
  const match = /^([\w-]{12})\.([\w-]{1,4096})$/.exec(token);
  if (!match) throw new InputError('pageToken', 'is not a page token of this API (pass nextPageToken as is)');
  if (match[1] !== queryDigest(query)) {
    throw new InputError(
      'pageToken',
      'belongs to a listing with other filters: keep the filters of the first page',
    );
  }
  return Buffer.from(match[2]!, 'base64url');
}
