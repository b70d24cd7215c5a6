// Shared helpers for the simulator tests: start an in-process simulator on a random port and talk
// to it over real HTTP with the global fetch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../simulator/server';

export const TOKEN = 'test-token';
export const VERSION = 'v25.0';
export const HOUR_MS = 3_600_000;

/** Default seed ids. */
export const PENDING_ID = '1234567890';
export const CONNECTED_ID = '1234567891'; // PIN 123456
export const NOT_VERIFIED_ID = '1234567892';
export const NO_NAME_ID = '1234567893';
export const ONPREM_ID = '1234567894'; // ON_PREMISE, PIN 123456, On-Prem admin / onprem-secret

/** A simulator on a random port that takes TOKEN; the caller closes it (e.g. to restart on its state file). */
export function launchSimulator(opts: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  return startSimulator({ port: 0, accessToken: TOKEN, ...opts });
}

/** A simulator as launchSimulator starts it, closed when the test ends. */
export async function startTestSimulator(
  t: TestContext,
  opts: Partial<SimulatorOptions> = {},
): Promise<RunningSimulator> {
  const sim = await launchSimulator(opts);
  t.after(() => sim.close());
  return sim;
}

/** A fresh temporary directory (for state files), removed when the test ends. */
export function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

async function toResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface GraphCall {
  /** Defaults to the valid token; null sends none. */
  token?: string | null;
  json?: unknown;
  /** A body sent as is with the JSON content type: for malformed JSON. */
  rawJson?: string;
  form?: Record<string, string>;
  query?: Record<string, string>;
  signal?: AbortSignal;
}

/** Calls a Graph path such as `/${VERSION}/123/register`. */
export async function graph(sim: RunningSimulator, method: string, path: string, call: GraphCall = {}) {
  const url = new URL(path, sim.url);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  const token = call.token === undefined ? TOKEN : call.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.rawJson !== undefined) {
    headers['content-type'] = 'application/json';
    body = call.rawJson;
  } else if (call.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(call.form).toString();
  }
  return toResult(await fetch(url, { method, headers, body, signal: call.signal }));
}

export function register(sim: RunningSimulator, id: string, pin: string, extra: Record<string, string> = {}) {
  return graph(sim, 'POST', `/${VERSION}/${id}/register`, {
    json: { messaging_product: 'whatsapp', pin, ...extra },
  });
}

export function deregister(sim: RunningSimulator, id: string) {
  return graph(sim, 'POST', `/${VERSION}/${id}/deregister`);
}

export async function readFields(sim: RunningSimulator, id: string, fields: string[]) {
  const res = await graph(sim, 'GET', `/${VERSION}/${id}`, { query: { fields: fields.join(',') } });
  if (res.status !== 200) throw new Error(`GET ${id} failed: ${res.status} ${res.text}`);
  return res.json as Record<string, unknown>;
}

export async function admin(sim: RunningSimulator, method: string, path: string, body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  return toResult(await fetch(new URL(path, sim.url), init));
}

export async function advanceClock(sim: RunningSimulator, ms: number): Promise<number> {
  const res = await admin(sim, 'POST', '/_sim/clock', { advanceMs: ms });
  if (res.status !== 200) throw new Error(`clock advance failed: ${res.text}`);
  return Date.parse((res.json as { now: string }).now);
}

export async function simNow(sim: RunningSimulator): Promise<number> {
  const res = await admin(sim, 'GET', '/_sim/clock');
  return Date.parse((res.json as { now: string }).now);
}

export async function simNumber(sim: RunningSimulator, id: string) {
  const res = await admin(sim, 'GET', `/_sim/phone-numbers/${id}`);
  if (res.status !== 200) throw new Error(`no sim number ${id}: ${res.text}`);
  return res.json;
}

export async function requestLog(sim: RunningSimulator, query = '') {
  const res = await admin(sim, 'GET', `/_sim/requests${query}`);
  return res.json.requests as Array<Record<string, unknown>>;
}
