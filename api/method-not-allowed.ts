// A known path asked with a method it does not serve: 405 METHOD_NOT_ALLOWED with Allow, the same answer for
// the API's routes (app.ts) and for the routes registered in a context of their own (meta-webhooks.ts).
import type { RouteOptions } from 'fastify';
import { ApiError } from './errors';
import type { RouteSpec } from './routes/route-spec';

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The hidden route answering every other method of `url` (`routes`: the specs served there). */
export function methodNotAllowedRoute(url: string, routes: readonly RouteSpec[]): RouteOptions {
  const allowed: string[] = routes.map((r) => r.method);
  const others = ALL_METHODS.filter(
    (m) => !allowed.includes(m) && !(m === 'HEAD' && allowed.includes('GET')),
  );
  return {
    method: [...others],
    url,
    schema: { hide: true } as object,
    // After the same auth as the path's routes.
    config: { access: routes.every((r) => r.access === 'open') ? 'open' : 'read' },
    handler: async (request) => {
      throw new ApiError(
        'METHOD_NOT_ALLOWED',
        `${request.method} is not allowed here; use ${allowed.join(', ')}`,
        undefined,
        { allow: allowed.join(', ') },
      );
    },
  };
}
