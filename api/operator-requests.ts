// The bodies and query of the operator routes: cancel an operation, retry the last failed one, list numbers.
// Messages name the field and the rule, never the value (a retry body may carry a PIN).
import { z } from 'zod';
import { listFilterSchema } from '../domain/number-listing';
import { pinSchema } from '../domain/phone-number';
import { requestedBySchema } from './fleet-requests';

/** The body of POST /v1/phone-numbers/{id}/cancel and .../operations/{operationId}/cancel (optional). */
export const cancelOperationBodySchema = z.object({ requestedBy: requestedBySchema.optional() }).strict();

/** The body of POST /v1/phone-numbers/{id}/retry (optional): a corrected PIN, and who asks. */
export const retryOperationBodySchema = z
  .object({ pin: pinSchema().optional(), requestedBy: requestedBySchema.optional() })
  .strict();

const LIMIT_RULE = 'must be a whole number from 1 to 10000';

/**
 * The query of GET /v1/phone-numbers: the client's own list filters (a bad value is a 400 naming the
 * parameter), `limit` the page size, and the cursor. Strict: a misspelt filter must not list everything.
 */
export const listQuerySchema = z
  .object({
    state: listFilterSchema().shape.state.meta({
      description: 'Only numbers in this lifecycle state (e.g. waiting-for-rate-limit).',
    }),
    operation: listFilterSchema().shape.operation.meta({
      description: 'Only numbers with this operation running.',
    }),
    wabaId: listFilterSchema().shape.wabaId.meta({
      description: 'Only numbers of this WhatsApp Business Account.',
    }),
    limit: z.coerce
      .number({ error: LIMIT_RULE })
      .int(LIMIT_RULE)
      .min(0, LIMIT_RULE) // a negative number is not a count at all
      .min(1, 'must be at least 1')
      .max(10_000, 'must be at most 10000')
      .optional()
      .meta({ description: 'At most this many numbers in a page (default 1000).' }),
    pageToken: z
      .string()
      .max(8192, 'must be at most 8192 characters')
      .optional()
      .meta({ description: "The previous page's nextPageToken, with the same filters." }),
  })
  .strict();

/** The query parameters of GET /v1/phone-numbers, in the order the document lists them. */
export const LIST_QUERY_PARAMETERS = Object.keys(
  listQuerySchema.shape,
) as (keyof typeof listQuerySchema.shape)[];
