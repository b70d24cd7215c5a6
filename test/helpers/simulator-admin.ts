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
    | 'onprem'
    | 'other';
  phoneNumberId?: string;
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
  phoneNumber(id: string): Promise<Record<string, unknown>> {
    return this.call('GET', `/_sim/phone-numbers/${id}`);
  }
  async requests(filter: { phoneNumberId?: string; endpoint?: string } = {}): Promise<SimRequest[]> {
    const q = new URLSearchParams();
    if (filter.phoneNumberId) q.set('phone_number_id', filter.phoneNumberId);
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
