// GET /{phone-number-id} (reference doc §7): the number's fields, `fields=` picking which. The field
// projection is shared with GET /{waba-id}/phone_numbers (waba-phone-numbers.ts).
import { graphErrors } from '../graph-errors';
import type { Outcome } from '../outcome';
import {
  DEFAULT_GRAPH_FIELDS,
  graphFieldValue,
  isGraphField,
  type GraphField,
  type PhoneNumberRecord,
} from '../phone-numbers';
import { guarded } from './answers';
import type { PhoneNumberCall } from './call';

export function handleReadPhoneNumber({ record, params, injectInternalError }: PhoneNumberCall): Outcome {
  return guarded(() => {
    if (injectInternalError) throw graphErrors.somethingWentWrong();
    return { status: 200, json: readNode(record, params.fields), counted: false, applied: false };
  });
}

/** `fields=a,b{c}` → the requested fields in order (the default set when none); an unknown one is (#100). */
export function requestedFields(fieldsParam: unknown): readonly GraphField[] {
  const requested =
    typeof fieldsParam === 'string'
      ? fieldsParam
          .split(',')
          .map((f) => f.replace(/\{.*\}$/, '').trim())
          .filter((f) => f !== '')
      : [];
  if (requested.length === 0) return DEFAULT_GRAPH_FIELDS;
  for (const field of requested) if (!isGraphField(field)) throw graphErrors.nonexistingField(field);
  return requested as GraphField[];
}

/** The node with the given fields in order, then `id` as Graph appends it. */
export function projectNode(
  record: PhoneNumberRecord,
  fields: readonly GraphField[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field === 'id') continue;
    const value = graphFieldValue(record, field);
    if (value !== undefined) out[field] = value;
  }
  out.id = record.id;
  return out;
}

function readNode(record: PhoneNumberRecord, fieldsParam: unknown): Record<string, unknown> {
  return projectNode(record, requestedFields(fieldsParam));
}
