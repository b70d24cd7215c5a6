// GET /{waba-id}/phone_numbers: a WABA's numbers, cursor-paged in Graph's list envelope. The object is a WABA,
// not a number: the router passes no record, and faults and the request log keep the two apart.
import { graphErrors } from '../graph-errors';
import type { Outcome } from '../outcome';
import { compareIds } from '../state-store';
import { guarded } from './answers';
import type { GraphCall } from './call';
import { isBlank } from './params';
import { projectNode, requestedFields } from './phone-number-read';

/** Page size of GET /{waba-id}/phone_numbers without `limit`, and the most one page holds (larger is clamped). */
export const DEFAULT_PAGE_LIMIT = 25;
export const MAX_PAGE_LIMIT = 100;

function parseLimit(raw: unknown): number {
  if (isBlank(raw)) return DEFAULT_PAGE_LIMIT;
  const value =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw graphErrors.invalidParameter(
      'Param limit must be a positive integer',
      `Send limit as a number of results per page (at most ${MAX_PAGE_LIMIT}).`,
    );
  }
  return Math.min(value, MAX_PAGE_LIMIT);
}

/**
 * A paging cursor: base64url of `{waba-id}:{phone-number-id}`, the WABA and the number at the page's edge.
 * Opaque to clients; it stays valid when that number is gone (the next page starts after its id).
 */
function encodeCursor(wabaId: string, phoneNumberId: string): string {
  return Buffer.from(`${wabaId}:${phoneNumberId}`, 'utf8').toString('base64url');
}

/** The number id a cursor of this WABA points at; anything else (another WABA's cursor, garbage) is (#100). */
function decodeCursor(wabaId: string, param: 'after' | 'before', raw: unknown): string {
  const invalid = () =>
    graphErrors.invalidParameter(
      `Param ${param} is not a valid cursor`,
      `Send the ${param} cursor exactly as paging.cursors.${param} of this WABA's phone_numbers returned it.`,
    );
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  const decoded = Buffer.from(raw, 'base64url').toString('utf8');
  // Buffer skips what it cannot decode: re-encoding catches a cursor that was altered.
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== raw) throw invalid();
  const match = /^(\d+):(\d+)$/.exec(decoded);
  if (match?.[1] !== wabaId || match[2] === undefined) throw invalid();
  return match[2];
}

/**
 * GET /{waba-id}/phone_numbers: the WABA's numbers in id order, `limit` per page (default 25, at most 100:
 * larger is clamped), in Graph's list envelope with cursor paging. `after` / `before` take the cursors of
 * a previous page; `next` / `previous` are full URLs, present only when there is such a page; no `paging`
 * when `data` is empty. Unlike Graph, the links never carry access_token: send the token as a header.
 * An id that is not a known WABA (a phone number's id included) is (#100) subcode 33.
 */
export function handleListPhoneNumbers(call: GraphCall): Outcome {
  return guarded(() => listPhoneNumbers(call));
}

function listPhoneNumbers({
  deps,
  nodeId: wabaId,
  params,
  injectInternalError,
  pageUrl,
}: GraphCall): Outcome {
  if (!deps.state.isWaba(wabaId)) throw graphErrors.unsupportedRequest('GET', wabaId);
  if (injectInternalError) throw graphErrors.somethingWentWrong();
  const fields = requestedFields(params.fields);
  const limit = parseLimit(params.limit);
  if (!isBlank(params.after) && !isBlank(params.before)) {
    throw graphErrors.invalidParameter(
      'Params after and before cannot be combined',
      'Page forward with after or backward with before, not both.',
    );
  }
  const all = deps.state.numbersOfWaba(wabaId);
  let start = 0;
  let end = Math.min(limit, all.length);
  if (!isBlank(params.after)) {
    const afterId = decodeCursor(wabaId, 'after', params.after);
    start = all.findIndex((n) => compareIds(n.id, afterId) > 0);
    if (start === -1) start = all.length;
    end = Math.min(start + limit, all.length);
  } else if (!isBlank(params.before)) {
    const beforeId = decodeCursor(wabaId, 'before', params.before);
    end = all.findIndex((n) => compareIds(n.id, beforeId) >= 0);
    if (end === -1) end = all.length;
    start = Math.max(0, end - limit);
  }
  const page = all.slice(start, end);
  const first = page[0];
  const last = page[page.length - 1];
  if (first === undefined || last === undefined) {
    return { status: 200, json: { data: [] }, counted: false, applied: false };
  }
  const link = (cursorParam: 'after' | 'before', cursor: string): string => {
    const query = new URLSearchParams();
    if (typeof params.fields === 'string' && params.fields !== '') query.set('fields', params.fields);
    query.set('limit', String(limit));
    query.set(cursorParam, cursor);
    return `${pageUrl}?${query.toString()}`;
  };
  const before = encodeCursor(wabaId, first.id);
  const after = encodeCursor(wabaId, last.id);
  const paging = {
    cursors: { before, after },
    ...(start > 0 ? { previous: link('before', before) } : {}),
    ...(end < all.length ? { next: link('after', after) } : {}),
  };
  const data = page.map((record) => projectNode(record, fields));
  return { status: 200, json: { data, paging }, counted: false, applied: false };
}
