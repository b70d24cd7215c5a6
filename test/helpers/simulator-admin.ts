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
    | 'onprem'
    | 'other';
  phoneNumberId?: string;
  /** Only for GET /{waba-id}/phone_numbers (endpoint phone_numbers). */
  wabaId?: string;
  status: number;
  errorCode?: number;
  counted: boolean;
  applied: boolean;
  fault?: string;
  /** Query and body parameters, secrets masked. */
  params?: Record<string, unknown>;
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
  setClock(at: number): Promise<unknown> {
    return this.call('POST', '/_sim/clock', { set: at });
  }
  reset(): Promise<unknown> {
    return this.call('POST', '/_sim/reset', { seed: 'none' });
  }
}
