// Some register refusals mean one of two things, and Meta's answer alone does not say which. Rather than
// guess, the register activity reads the number and says which it was:
// - 131031 is first "business account locked", only then "data mismatch, e.g. a wrong PIN" [ERR]. A locked
//   account is its own terminal failure: no PIN wait, no further registers.
// - (#100) without subcode 2388001 (subcodes are not returned from v16.0 [ERR]) may be a display name that
//   cannot be used yet: name_status says so.
import { GraphErrorType } from '../domain/graph-errors';
import { GraphCallError, type GraphClient, type PhoneNumberNode } from './graph-client';

/** Display-name states that can be used to register (reference §7). */
const NAME_USABLE = new Set(['APPROVED', 'AVAILABLE_WITHOUT_REVIEW']);

interface HealthStatus {
  can_send_message?: string;
  entities?: { entity_type?: string; can_send_message?: string; errors?: { error_description?: string }[] }[];
}

/** Why Meta's Health Status API says the number cannot be used, or undefined when it can. */
export function lockReason(node: PhoneNumberNode): string | undefined {
  if (node.status === 'BANNED') return 'the number is BANNED';
  const health = node.health_status as HealthStatus | undefined;
  const blocked = health?.entities?.filter((e) => e.can_send_message === 'BLOCKED') ?? [];
  if (health?.can_send_message !== 'BLOCKED' && blocked.length === 0) return undefined;
  const why = blocked
    .map(
      (e) =>
        `${e.entity_type ?? 'entity'}: ${
          e.errors
            ?.map((x) => x.error_description)
            .filter(Boolean)
            .join('; ') || 'BLOCKED'
        }`,
    )
    .join(', ');
  return `health_status BLOCKED${why ? ` (${why})` : ''}`;
}

/** The register refusal as what it turned out to be; other errors pass through unchanged. */
export async function explainRegisterRefusal(
  graph: GraphClient,
  phoneNumberId: string,
  err: unknown,
): Promise<unknown> {
  if (!(err instanceof GraphCallError)) return err;
  if (err.details.code === 131031) return explain131031(graph, phoneNumberId, err);
  if (err.type === GraphErrorType.InvalidRequest && err.details.code === 100) {
    const node = await graph.getPhoneNumber(phoneNumberId, ['id', 'name_status']).catch(() => undefined);
    const name = node?.name_status;
    if (name !== undefined && !NAME_USABLE.has(name)) {
      return new GraphCallError(
        `${err.message}; name_status is ${name}: the display name cannot be used to register yet`,
        GraphErrorType.DisplayNameNotReady,
        false,
        err.details,
      );
    }
  }
  return err;
}

async function explain131031(
  graph: GraphClient,
  phoneNumberId: string,
  err: GraphCallError,
): Promise<GraphCallError> {
  const node = await graph
    .getPhoneNumber(phoneNumberId, ['id', 'status', 'health_status'])
    .catch(() => undefined);
  if (node === undefined) {
    return new GraphCallError(
      `${err.message}; the account could not be read to rule out a lock, so no PIN is asked for and nothing more is sent. ` +
        'Check the number in WhatsApp Manager.',
      GraphErrorType.AccountLocked,
      false,
      err.details,
    );
  }
  const reason = lockReason(node);
  if (reason !== undefined) {
    return new GraphCallError(
      `${err.message}; the account is locked or restricted (${reason}): resolve it in WhatsApp Manager or with Meta support, then run the operation again`,
      GraphErrorType.AccountLocked,
      false,
      err.details,
    );
  }
  return new GraphCallError(
    `${err.message}; the account is not locked (health_status ${(node.health_status as HealthStatus | undefined)?.can_send_message ?? 'not reported'}), so Meta refused the two-step PIN`,
    GraphErrorType.PinMismatch,
    false,
    err.details,
  );
}
