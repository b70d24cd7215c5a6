// What a history's markers say, read as the SDK core writes them (plain JSON details, never encrypted).
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function markerJson<T>(event: HistoryEvent, markerName: string, detail: string): T | undefined {
  const marker = event.markerRecordedEventAttributes;
  const data = marker?.markerName === markerName ? marker.details?.[detail]?.payloads?.[0]?.data : null;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as T) : undefined;
}

/** The patch ID of a patch marker; undefined for any other event. */
export function patchId(event: HistoryEvent): string | undefined {
  return markerJson<{ id: string }>(event, 'core_patch', 'patch-data')?.id;
}

/** The patch IDs a history recorded, in order. */
export function patchIds(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => patchId(e) ?? []);
}

/** The activity types of the local activities a history recorded, in order. */
export function localActivityTypes(events: HistoryEvent[]): string[] {
  return events.flatMap(
    (e) => markerJson<{ activity_type: string }>(e, 'core_local_activity', 'data')?.activity_type ?? [],
  );
}
