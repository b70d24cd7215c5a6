// How Fastify validates a route's parts with its zod schemas, and what a failure says: always a
// BAD_REQUEST naming the field (a path parameter, a query parameter, or the body's field path) and the
// rule, never the value sent. Bodies keep the domain's own messages (parseBody).
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { ApiError, parseBody } from './errors';

/** Body schemas of routes whose body may be left out (then it is {}; an empty body arrives as null). */
const optionalBodies = new WeakSet<z.ZodType>();

export function markOptionalBody(schema: z.ZodType): void {
  optionalBodies.add(schema);
}

type Result = { value: unknown } | { error: Error };

function attempt(parse: () => unknown): Result {
  try {
    return { value: parse() };
  } catch (err) {
    return { error: err as Error };
  }
}

/** A path parameter: the first issue, as "name: rule". */
function parseParams(schema: z.ZodType, data: unknown): unknown {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = String(issue?.path[0] ?? 'path');
  throw new ApiError('BAD_REQUEST', `${field}: ${issue?.message ?? 'is invalid'}`, field);
}

/** The query: each parameter at most once, unknown ones refused (a misspelt filter must not be ignored). */
function parseQuery(schema: z.ZodObject, data: unknown): unknown {
  const query = (data ?? {}) as Record<string, unknown>;
  const known = Object.keys(schema.shape);
  for (const [name, value] of Object.entries(query)) {
    const shown = name.replace(/[^\x21-\x7e]/g, '?').slice(0, 100);
    if (!known.includes(name)) {
      const allowed = known.length ? `; the parameters are ${known.join(', ')}` : '; it takes none';
      throw new ApiError('BAD_REQUEST', `unknown query parameter ${shown}${allowed}`, shown);
    }
    if (Array.isArray(value)) throw new ApiError('BAD_REQUEST', `${name}: give it at most once`, name);
  }
  return parseParams(schema, query);
}

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  switch (httpPart) {
    case 'params':
      return (data) => attempt(() => parseParams(schema, data));
    case 'querystring':
      return (data) => attempt(() => parseQuery(schema as z.ZodObject, data));
    default:
      return (data) =>
        attempt(() => {
          if (data === undefined || data === null) {
            if (optionalBodies.has(schema)) return parseBody(schema, {});
            throw new ApiError('BAD_REQUEST', 'the request body is required: send a JSON object');
          }
          return parseBody(schema, data);
        });
  }
};
