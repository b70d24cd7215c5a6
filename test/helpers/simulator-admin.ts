// Talks to the simulator's /_sim admin API over HTTP, the way an operator or a test would.
export interface SimRequest {
  seq: number;
  at: string;
  method: string;
  path: string;
  endpoint:
    | 'get'
    | 'register'
    | 'deregister'
    | 'settings'
    | 'request_code'
    | 'verify_code'
    | 'set_pin'
    | 'phone_numbers'
    | 'me'
    | 'onprem'
    | 'other';
  phoneNumberId?: string;
  /** Only for GET /{waba-id}/phone_numbers (endpoint phone_numbers). */
  wabaId?: string;
  status: number;
  errorCode?: number;
  errorSubcode?: number;
  counted: boolean;
  applied: boolean;
  fault?: string;
  /** The client closed the connection this long (ms) after the request arrived, before the answer. */
  clientClosedAfterMs?: number;
  /** Query and body parameters, secrets masked. */
  params?: Record<string, unknown>;
}

/**
 * Meta-side conditions of one number, settable at seed (`seed`) and by `patchPhoneNumber`; `phoneNumber` shows
 * them (plus `pinGuesses`). See the README's "The Graph API simulator".
 */
export interface SimNumberConditions {
  /** register / deregister answer 131031 (HTTP 403); health_status BLOCKED. Default false. */
  account_locked?: boolean;
  /** The code a wrong PIN gets on register. Default 133005. */
  pin_mismatch_code?: 133005 | 131031;
  /** Wrong PINs that lock register out with 133008; null = off (default). */
  pin_guess_limit?: number | null;
  /** Length of that lockout. Default 60. */
  pin_lockout_minutes?: number;
  /** Least time between PIN attempts, else 133009; null = off (default). */
  pin_min_interval_seconds?: number | null;
  /** register answers 133000 (HTTP 500) until a deregister succeeds. Default false. */
  deregistration_incomplete?: boolean;
  /** What deregister answers for a number that is not registered. Default 'success'. */
  deregister_when_not_registered?: 'success' | '133010' | 'invalid-parameter';
  /** Regions whose local storage POST /{id}/settings refuses with (#100). Default []. */
  unavailable_regions?: string[];
}

/** Body of PATCH /_sim/phone-numbers/{id}: at least one field. */
export interface SimNumberPatch extends SimNumberConditions {
  status?: string;
  code_verification_status?: string;
  name_status?: string;
  platform_type?: string;
  verified_name?: string;
  quality_rating?: string;
}

/** The simulator's run-time switches (GET / POST /_sim/settings). */
export interface SimSettingsValues {
  strictVersionRules: boolean;
  codeTtlMinutes: number;
  codeRequestsPerHour: number;
  backupRegisterDelayMs: number;
  /** error_subcode 2388001 on v16.0+ too (off: only below v16.0, as Meta documents). */
  legacySubcodes: boolean;
}

export class SimulatorAdmin {
  constructor(readonly url: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  seed(number: Record<string, unknown>): Promise<unknown> {
    return this.call('POST', '/_sim/phone-numbers', number);
  }
  /**
   * Seeds many numbers in one request (same objects as seed), all or nothing: one invalid record (or a
   * duplicate id) rejects the whole batch with HTTP 400 and nothing is stored. Returns the numbers' ids.
   */
  async seedMany(numbers: Record<string, unknown>[]): Promise<string[]> {
    const res = await this.call<{ phone_numbers: { id: string }[] }>('POST', '/_sim/phone-numbers', numbers);
    return res.phone_numbers.map((n) => n.id);
  }
  /** Makes a WABA known without numbers; its phone_numbers edge then answers {"data": []}. */
  createWaba(id: string): Promise<{ id: string; phone_numbers: number }> {
    return this.call('POST', '/_sim/wabas', { id });
  }
  async wabas(): Promise<{ id: string; phone_numbers: number }[]> {
    return (await this.call<{ wabas: { id: string; phone_numbers: number }[] }>('GET', '/_sim/wabas')).wabas;
  }
  phoneNumber(id: string): Promise<Record<string, unknown>> {
    return this.call('GET', `/_sim/phone-numbers/${id}`);
  }
  /** Changes fields of a number in place (PIN, codes and budgets stay); returns its full simulator state. */
  patchPhoneNumber(id: string, patch: SimNumberPatch): Promise<Record<string, unknown>> {
    return this.call('PATCH', `/_sim/phone-numbers/${id}`, patch);
  }
  getSettings(): Promise<SimSettingsValues> {
    return this.call('GET', '/_sim/settings');
  }
  /** Changes the given switches (the others stay); /_sim/reset restores the startup values. */
  updateSettings(values: Partial<SimSettingsValues>): Promise<SimSettingsValues> {
    return this.call('POST', '/_sim/settings', values);
  }
  async requests(
    filter: { phoneNumberId?: string; wabaId?: string; endpoint?: string } = {},
  ): Promise<SimRequest[]> {
    const q = new URLSearchParams();
    if (filter.phoneNumberId) q.set('phone_number_id', filter.phoneNumberId);
    if (filter.wabaId) q.set('waba_id', filter.wabaId);
    if (filter.endpoint) q.set('endpoint', filter.endpoint);
    return (await this.call<{ requests: SimRequest[] }>('GET', `/_sim/requests?${q}`)).requests;
  }
  faults(faults: Record<string, unknown>[], mode: 'append' | 'replace' = 'replace'): Promise<unknown> {
    return this.call('POST', '/_sim/faults', { faults, mode });
  }
  /** Token rotation as Meta documents it: issue a new token (the old still works), revoke one (190 from now). */
  accessTokens(update: { issue?: string; revoke?: string }): Promise<{ accepted: number; revoked: number }> {
    return this.call('POST', '/_sim/access-tokens', update);
  }
  setClock(at: number): Promise<unknown> {
    return this.call('POST', '/_sim/clock', { set: at });
  }
  reset(): Promise<unknown> {
    return this.call('POST', '/_sim/reset', { seed: 'none' });
  }
}
