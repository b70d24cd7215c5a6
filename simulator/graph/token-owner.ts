// GET /me: the user the access token belongs to. Graph resolves /me to "the object ID of the person or Page
// whose access token is currently being used" (Graph API overview, https://developers.facebook.com/docs/graph-api/overview#me);
// for a system user token, "me refers to the system user since that is the user id from the access token"
// (System Users "API Calls", https://developers.facebook.com/docs/business-management-apis/system-users/guides/api-calls).
// It needs no permission, so clients use it as the cheapest check that a token is accepted.
import { GraphError, graphErrors } from '../graph-errors';
import type { Outcome } from '../outcome';
import { guarded } from './answers';
import type { GraphCall } from './call';

/** The simulated system user every accepted token belongs to. */
export const SYSTEM_USER = { id: '61550000000001', name: 'Simulator System User' } as const;
const USER_FIELDS = ['id', 'name'] as const;

export function handleReadTokenOwner({ params, injectInternalError }: GraphCall): Outcome {
  return guarded(() => {
    if (injectInternalError) throw graphErrors.somethingWentWrong();
    const requested =
      typeof params.fields === 'string'
        ? params.fields
            .split(',')
            .map((f) => f.trim())
            .filter(Boolean)
        : [...USER_FIELDS];
    const unknown = requested.find((f) => !(USER_FIELDS as readonly string[]).includes(f));
    if (unknown !== undefined) {
      throw GraphError.titled(
        100,
        `Tried accessing nonexisting field (${unknown}) on node type (User)`,
        `The field ${unknown} does not exist on a user.`,
      );
    }
    // Graph always returns the id, after the fields asked for.
    const json: Record<string, string> = {};
    if (requested.includes('name')) json.name = SYSTEM_USER.name;
    json.id = SYSTEM_USER.id;
    return { status: 200, json, counted: false, applied: false };
  });
}
