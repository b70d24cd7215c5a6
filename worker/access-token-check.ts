// The start-up check of the Graph access token: one GET /me (no permission needed, so only the token is
// tested). A token Meta refuses (190) stops the worker before it takes any task; any other trouble (Graph
// unreachable, a 5xx) is reported and the worker starts anyway, since its activities retry and report.
import { GraphCallError } from '../activities/graph-client';
import { GraphErrorType } from '../domain/graph-errors';
import type { AccessTokenSource } from '../platform/access-token';
import type { AppConfig } from '../platform/config';
import { redactText } from '../platform/security/redact';
import { createGraphClient } from './create-worker';

/** Meta refused the token at start-up: exit 2, with Graph's message and where the token comes from. */
export class AccessTokenRefusedError extends Error {
  override readonly name = 'AccessTokenRefusedError';
}

/** Returns a line for the start-up log; throws AccessTokenRefusedError when Meta refuses the token. */
export async function checkAccessToken(config: AppConfig, token: AccessTokenSource): Promise<string> {
  try {
    const owner = await createGraphClient(config, token).readTokenOwner();
    return `Graph access token accepted (GET /me: ${owner.name ? `"${owner.name}", ` : ''}id ${owner.id})`;
  } catch (err) {
    if (err instanceof GraphCallError && err.type === GraphErrorType.AccessTokenInvalid) {
      throw new AccessTokenRefusedError(err.message);
    }
    // A GraphCallError holds only Graph's answer; anything else passes the redactor first.
    const why = err instanceof GraphCallError ? err.message : redactText(String(err));
    return `WARNING: the Graph access token could not be checked (${why}); starting anyway`;
  }
}
