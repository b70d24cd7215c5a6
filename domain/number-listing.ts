// Filters for listing numbers by what the lifecycle workflows publish as search attributes.
import { z } from 'zod';
import { LIFECYCLE_STATES } from './lifecycle-state';
import { OPERATION_KINDS } from './operations';
import { lazySchema } from './validation';

export const listFilterSchema = lazySchema(() =>
  z
    .object({
      state: z.enum(LIFECYCLE_STATES, { error: `must be one of ${LIFECYCLE_STATES.join(', ')}` }).optional(),
      operation: z
        .enum(OPERATION_KINDS, { error: `must be one of ${OPERATION_KINDS.join(', ')}` })
        .optional(),
      wabaId: z
        .string()
        .regex(/^\d{1,32}$/, 'must be all digits (the WABA ID)')
        .optional(),
      limit: z.number().int().min(1, 'must be at least 1').max(10_000, 'must be at most 10000').default(1000),
    })
    .strict(),
);
export type ListFilter = z.input<ReturnType<typeof listFilterSchema>>;

/**
 * The visibility query for the numbers' lifecycle workflows. Values are validated above (enums, digits),
 * so nothing a caller types can change the query's shape.
 */
export function listQuery(filter: z.output<ReturnType<typeof listFilterSchema>>): string {
  const terms = [`WorkflowType = 'phoneNumberLifecycle'`, `ExecutionStatus = 'Running'`];
  if (filter.state) terms.push(`WaLifecycleState = '${filter.state}'`);
  if (filter.operation) terms.push(`WaOperation = '${filter.operation}'`);
  if (filter.wabaId) terms.push(`WaWabaId = '${filter.wabaId}'`);
  return terms.join(' AND ');
}

/** One row of `wa-number list`. */
export interface NumberListing {
  phoneNumberId: string;
  state?: string;
  operation?: string;
  wabaId?: string;
  nextAttemptAt?: string;
}
