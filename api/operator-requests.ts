// The bodies and query of the operator routes: cancel an operation, retry the last failed one, list numbers.
// Messages name the field and the rule, never the value (a retry body may carry a PIN).
import { z } from 'zod';
import { listFilterSchema } from '../domain/number-listing';
import { pinSchema } from '../domain/phone-number';
import { ApiError, parseBody } from './errors';
import { requestedBySchema } from './fleet-requests';

/** The body of POST /v1/phone-numbers/{id}/cancel and .../operations/{operationId}/cancel (optional). */
export const cancelOperationBodySchema = z.object({ requestedBy: requestedBySchema.optional() }).strict();

/** The body of POST /v1/phone-numbers/{id}/retry (optional): a corrected PIN, and who asks. */
export const retryOperationBodySchema = z
  .object({ pin: pinSchema.optional(), requestedBy: requestedBySchema.optional() })
  .strict();

/** The query parameters of GET /v1/phone-numbers, in the order the document lists them. */
export const LIST_QUERY_PARAMETERS = ['state', 'operation', 'wabaId', 'limit'] as const;
const LIMIT_RULE = 'must be a whole number from 1 to 10000';

/**
 * The list filter from a query string: each parameter at most once, `limit` a whole number, unknown
 * parameters refused (a misspelt filter must not silently list everything). Checked with the client's own
 * listFilterSchema, so a bad value is a 400 naming the parameter.
 */
export function listFilterFromQuery(params: URLSearchParams): z.output<typeof listFilterSchema> {
  const filter: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    if (!(LIST_QUERY_PARAMETERS as readonly string[]).includes(name)) {
      const shown = name.replace(/[^\x21-\x7e]/g, '?').slice(0, 100);
      throw new ApiError(
        'BAD_REQUEST',
        `unknown query parameter ${shown}; the filters are ${LIST_QUERY_PARAMETERS.join(', ')}`,
        shown,
      );
    }
    const values = params.getAll(name);
    if (values.length > 1) throw new ApiError('BAD_REQUEST', `${name}: give it at most once`, name);
    const value = values[0]!;
    if (name === 'limit') {
      if (!/^\d{1,9}$/.test(value)) throw new ApiError('BAD_REQUEST', `limit: ${LIMIT_RULE}`, 'limit');
      filter.limit = Number(value);
    } else {
      filter[name] = value;
    }
  }
  return parseBody(listFilterSchema, filter);
}
