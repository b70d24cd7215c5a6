// The access tokens the simulated Graph accepts, changeable through /_sim/access-tokens so that a token
// rotation can be rehearsed as Meta documents it for system users ("Install Apps, Generate, Refresh, and
// Revoke Tokens", https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/
// → "Access Token Rotation"): refreshing issues a new token while the old one keeps working until it
// expires; revoking invalidates a token immediately ("the token cannot be used again after the
// revocation"). A token that is not accepted is answered with code 190 (Graph "Handling Errors",
// https://developers.facebook.com/docs/graph-api/guides/error-handling; reference doc §8.3).
import { z } from 'zod';

export const UpdateAccessTokensInput = z
  .strictObject({
    /** A new token, accepted from now on alongside the others (Meta's refresh). */
    issue: z.string().regex(/^\S+$/, 'must be a token without spaces').optional(),
    /** A token refused (190) from now on (Meta's revoke). */
    revoke: z.string().min(1, 'must not be empty').optional(),
  })
  .refine((v) => v.issue !== undefined || v.revoke !== undefined, 'give issue, revoke or both');

/** Counts only: even the admin API never shows a token. */
export interface AccessTokensView {
  accepted: number;
  revoked: number;
}

export class AccessTokenRefusal extends Error {}

export class AccessTokens {
  private accepted: Set<string>;
  private revoked = new Set<string>();

  constructor(private readonly startup: string) {
    this.accepted = new Set([startup]);
  }

  accepts(token: string | undefined): boolean {
    return token !== undefined && this.accepted.has(token);
  }

  /** Whether the token was accepted once and has been revoked (its 190 says so). */
  wasRevoked(token: string | undefined): boolean {
    return token !== undefined && this.revoked.has(token);
  }

  update(input: z.output<typeof UpdateAccessTokensInput>): AccessTokensView {
    if (input.issue !== undefined && this.revoked.has(input.issue)) {
      throw new AccessTokenRefusal('issue: that token was revoked; a revoked token cannot be used again');
    }
    if (input.revoke !== undefined && !this.accepted.has(input.revoke)) {
      throw new AccessTokenRefusal('revoke: not an accepted token');
    }
    if (input.issue !== undefined) this.accepted.add(input.issue);
    if (input.revoke !== undefined) {
      this.accepted.delete(input.revoke);
      this.revoked.add(input.revoke);
    }
    return this.view();
  }

  view(): AccessTokensView {
    return { accepted: this.accepted.size, revoked: this.revoked.size };
  }

  /** Back to the one token the simulator was started with. */
  reset(): void {
    this.accepted = new Set([this.startup]);
    this.revoked.clear();
  }
}
