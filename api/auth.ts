// Who is calling: API keys, each with a name and scopes. Keys are compared as SHA-256 digests in constant
// time (a stored key may be given as its digest only). Scopes nest: admin ⊇ operate ⊇ read.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const API_SCOPES = ['read', 'operate', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** What a route needs: a scope, or nothing at all (`open`: health, the OpenAPI document). */
export type RouteAccess = ApiScope | 'open';

/** One accepted key. A bare string in ApiServerOptions.apiKeys is an unnamed key with every scope. */
export interface ApiKeySpec {
  /** Shown in logs and recorded as requestedBy (letters, digits, . _ -; up to 40). */
  name: string;
  scopes: readonly ApiScope[];
  /** The key itself, or... */
  key?: string;
  /** ...its SHA-256 digest (hex), so the file holding it need not hold the key. */
  sha256?: string;
}

/** The caller of an authenticated request. `name` is undefined for unnamed keys and keyless loopback use. */
export interface Caller {
  name?: string;
  scopes: ReadonlySet<ApiScope>;
  /** Identifies the caller for rate limiting (the key's digest, never the key). */
  limitKey: string;
}

export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,40}$/;

interface StoredKey {
  digest: Buffer;
  caller: Caller;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Every scope a granted one implies. */
export function impliedScopes(granted: readonly ApiScope[]): Set<ApiScope> {
  const rank = Math.max(...granted.map((s) => API_SCOPES.indexOf(s)));
  return new Set(API_SCOPES.slice(0, rank + 1));
}

export class ApiKeyring {
  private readonly keys: StoredKey[];

  constructor(specs: readonly (string | ApiKeySpec)[]) {
    const names = new Set<string>();
    this.keys = specs.map((spec, i) => {
      if (typeof spec === 'string') {
        if (spec.trim() === '' || /\s/.test(spec)) {
          throw new Error('createApiServer: an API key is empty or contains whitespace');
        }
        const digest = sha256(spec);
        return { digest, caller: { scopes: impliedScopes(['admin']), limitKey: digest.toString('hex') } };
      }
      const where = `API key #${i + 1}`;
      if (!API_KEY_NAME_PATTERN.test(spec.name)) {
        throw new Error(`${where}: name must be 1 to 40 letters, digits, . _ or -`);
      }
      if (names.has(spec.name)) throw new Error(`${where}: name ${spec.name} is used twice`);
      names.add(spec.name);
      if (spec.scopes.length === 0 || spec.scopes.some((s) => !API_SCOPES.includes(s))) {
        throw new Error(`${where} (${spec.name}): scopes must be some of ${API_SCOPES.join(', ')}`);
      }
      if ((spec.key === undefined) === (spec.sha256 === undefined)) {
        throw new Error(`${where} (${spec.name}): give either key or sha256`);
      }
      if (spec.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(spec.sha256)) {
        throw new Error(`${where} (${spec.name}): sha256 must be 64 hex digits`);
      }
      if (spec.key !== undefined && (spec.key.trim() === '' || /\s/.test(spec.key))) {
        throw new Error(`${where} (${spec.name}): the key is empty or contains whitespace`);
      }
      const digest = spec.key !== undefined ? sha256(spec.key) : Buffer.from(spec.sha256!, 'hex');
      return {
        digest,
        caller: { name: spec.name, scopes: impliedScopes(spec.scopes), limitKey: `name:${spec.name}` },
      };
    });
  }

  get size(): number {
    return this.keys.length;
  }

  /** The caller whose key the request carries (Authorization: Bearer, or X-Api-Key), if any. */
  identify(headers: IncomingHttpHeaders): Caller | undefined {
    const given: string[] = [];
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    if (bearer?.[1]) given.push(bearer[1]);
    const headerKey = headers['x-api-key'];
    if (typeof headerKey === 'string' && headerKey.trim()) given.push(headerKey.trim());
    let found: Caller | undefined;
    // Compare every candidate with every key, without stopping early: the time taken says nothing.
    for (const candidate of given) {
      const digest = sha256(candidate);
      for (const key of this.keys) {
        if (timingSafeEqual(digest, key.digest) && !found) found = key.caller;
      }
    }
    return found;
  }
}

/**
 * Who asked, as recorded on operations and fleets: a named key's name (with what the body says after a
 * slash: "ops-portal/alice"), else what the body says. Cut to the 100 characters a requester may have.
 */
export function requesterOf(caller: Caller | undefined, fromBody: string | undefined): string | undefined {
  if (!caller?.name) return fromBody;
  return (fromBody ? `${caller.name}/${fromBody}` : caller.name).slice(0, 100);
}
