// The /_sim admin API: seed (one or many), patch and inspect numbers, create and list WABAs, read the
// verification codes "sent" to them, read the request log, move the clock, set faults, switch simulator
// settings (strict version rules, code TTL and budget), issue and revoke access tokens, reset.
// No token: it stands for "what Meta's side looks like", which only tests and local tooling touch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AccessTokenRefusal, UpdateAccessTokensInput, type AccessTokens } from './access-tokens';
import { SetFaultsInput, type FaultSchedule } from './faults';
import { readBody, sendJson } from './http-io';
import {
  PatchPhoneNumberInput,
  RATE_LIMITED_ENDPOINTS,
  SeedPhoneNumberInput,
  patchPhoneNumber,
  storageRegion,
  type PhoneNumberRecord,
} from './phone-numbers';
import { conditionsView } from './number-conditions';
import { activeBlock, callsInWindow, type RateLimitPolicy } from './rate-limit';
import { GRAPH_ENDPOINTS, type RequestLog } from './request-log';
import { UpdateSimSettingsInput, type SimSettings } from './sim-settings';
import type { SeedName, SimState } from './state-store';
import { codeRequestsInLastHour, codeView } from './verification';
import { SubscribeWebhooksInput, SubscriptionRefused, type WebhookSender } from './webhooks';

export interface AdminApiDeps {
  state: SimState;
  faults: FaultSchedule;
  requests: RequestLog;
  policy: RateLimitPolicy;
  settings: SimSettings;
  tokens: AccessTokens;
  defaultSeed: SeedName;
  /** Meta's webhooks to the subscribed callback (webhooks.ts); sent on admin changes of a number. */
  webhooks: WebhookSender;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

const ClockInput = z
  .strictObject({
    advanceMs: z.number().optional(),
    set: z
      .union([z.number(), z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date-time')])
      .optional(),
  })
  .refine(
    (v) => (v.advanceMs === undefined) !== (v.set === undefined),
    'give exactly one of advanceMs or set',
  );

const ResetInput = z.strictObject({ seed: z.enum(['default', 'none']).optional() });

const CodesQuery = z.object({ all: z.enum(['true', 'false']).optional() });

const RequestsQuery = z.object({
  phone_number_id: z.string().optional(),
  waba_id: z.string().optional(),
  endpoint: z.enum(GRAPH_ENDPOINTS).optional(),
});

/** Body of POST /_sim/phone-numbers as an array: many numbers at once, validated as a whole. */
const SeedManyInput = z
  .array(SeedPhoneNumberInput)
  .min(1, 'give at least one number')
  .superRefine((inputs, ctx) => {
    const seen = new Map<string, number>();
    inputs.forEach((input, i) => {
      const first = seen.get(input.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'id'],
          message: `duplicate id ${input.id} (also at ${first})`,
        });
      } else seen.set(input.id, i);
    });
  });

const CreateWabaInput = z.strictObject({ id: z.string().regex(/^\d+$/, 'must be a string of digits') });

function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue !== undefined && issue.path.length > 0 ? issue.path.join('.') : null;
  const message =
    issue === undefined ? 'invalid input' : field === null ? issue.message : `${field}: ${issue.message}`;
  throw new AdminError(400, message, field);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = await readBody(req);
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new AdminError(400, 'body must be JSON');
  }
}

/** The full simulated state of a number, minus the PIN and the On-Prem credentials themselves. */
export function phoneNumberView(record: PhoneNumberRecord, now: number, policy: RateLimitPolicy) {
  const rateLimits = Object.fromEntries(
    RATE_LIMITED_ENDPOINTS.map((endpoint) => {
      const blockedUntil = activeBlock(record.rate[endpoint], now);
      return [
        endpoint,
        {
          callsInWindow: callsInWindow(record.rate[endpoint], now, policy.windowMs),
          blockedUntil: blockedUntil === null ? null : new Date(blockedUntil).toISOString(),
        },
      ];
    }),
  );
  return {
    id: record.id,
    waba_id: record.waba_id,
    display_phone_number: record.display_phone_number,
    verified_name: record.verified_name,
    status: record.status,
    code_verification_status: record.code_verification_status,
    name_status: record.name_status,
    platform_type: record.platform_type,
    quality_rating: record.quality_rating,
    throughput: { level: 'STANDARD' },
    account_mode: record.account_mode,
    messaging_limit_tier: record.messaging_limit_tier,
    last_onboarded_time:
      record.last_onboarded_time === null ? null : new Date(record.last_onboarded_time).toISOString(),
    is_pin_enabled: record.pin_hash !== null,
    storage_configuration: record.storage_configuration,
    /** The in-country storage region in effect (or configured for the next register), else null. */
    data_localization_region: storageRegion(record.storage_configuration),
    rateLimits,
    /** request_code calls that sent a code within the last hour (the codes themselves: /_sim/codes/{id}). */
    codeRequestsInLastHour: codeRequestsInLastHour(record, now),
    /** The On-Premises client under /onprem/{id} (null: the number never ran on On-Prem); backups = created. */
    onprem:
      record.onprem === null
        ? null
        : { running: record.onprem.running, backups: record.onprem.backups.length },
    /** Meta-side conditions (account lock, PIN guessing rules and count, ...): number-conditions.ts. */
    ...conditionsView(record, now),
  };
}

/** Returns the HTTP status sent, for the server's one-line log. */
export async function handleAdminRequest(
  deps: AdminApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<number> {
  try {
    const [status, body] = await route(deps, req.method ?? 'GET', url, req);
    sendJson(res, status, body);
    return status;
  } catch (err) {
    if (!(err instanceof AdminError)) throw err;
    sendJson(res, err.status, { error: { message: err.message, field: err.field } });
    return err.status;
  }
}

function existingNumber(state: SimState, rawId: string): PhoneNumberRecord {
  const record = state.get(decodeURIComponent(rawId));
  if (record === undefined) throw new AdminError(404, `no phone number with id ${rawId}`, 'id');
  return record;
}

async function route(
  deps: AdminApiDeps,
  method: string,
  url: URL,
  req: IncomingMessage,
): Promise<[number, unknown]> {
  const { state, faults, requests, policy, settings } = deps;
  const path = url.pathname.replace(/\/+$/, '');
  const view = (r: PhoneNumberRecord) => phoneNumberView(r, state.clock.now(), policy);

  if (path === '/_sim/phone-numbers') {
    if (method === 'GET') return [200, { phone_numbers: state.list().map(view) }];
    if (method === 'POST') {
      const body = await readJsonBody(req);
      if (Array.isArray(body)) {
        // Many at once (fleets, benchmarks): all or nothing, one state-file write. Errors name the index (`3.id`).
        const inputs = parseWith(SeedManyInput, body);
        return [201, { phone_numbers: state.upsertMany(inputs).map(view) }];
      }
      const input = parseWith(SeedPhoneNumberInput, body);
      return [201, view(state.upsert(input))];
    }
  }

  if (path === '/_sim/wabas') {
    const wabaView = (id: string) => ({ id, phone_numbers: state.numbersOfWaba(id).length });
    if (method === 'GET') return [200, { wabas: state.listWabas().map(wabaView) }];
    if (method === 'POST') {
      // A WABA without numbers: GET /{waba-id}/phone_numbers answers {"data": []} instead of (#100) subcode 33.
      const { id } = parseWith(CreateWabaInput, await readJsonBody(req));
      if (state.get(id) !== undefined) throw new AdminError(409, `${id} is a phone number id`, 'id');
      const created = state.addWaba(id);
      return [created ? 201 : 200, wabaView(id)];
    }
  }

  const numberMatch = /^\/_sim\/phone-numbers\/([^/]+)$/.exec(path);
  if (numberMatch?.[1] !== undefined && (method === 'GET' || method === 'PATCH')) {
    const record = existingNumber(state, numberMatch[1]);
    if (method === 'PATCH') {
      // In place: PIN, codes, budgets and blocks stay, unlike a re-seed.
      const patch = parseWith(PatchPhoneNumberInput, await readJsonBody(req));
      const before = structuredClone(record);
      patchPhoneNumber(record, patch, state.clock.now());
      state.save();
      deps.webhooks.numberChanged(before, record); // what Meta would tell a subscribed app
    }
    return [200, view(record)];
  }

  const codesMatch = /^\/_sim\/codes\/([^/]+)$/.exec(path);
  if (codesMatch?.[1] !== undefined && method === 'GET') {
    const record = existingNumber(state, codesMatch[1]);
    const query = parseWith(CodesQuery, Object.fromEntries(url.searchParams));
    const codes = record.verification.codes;
    if (query.all === 'true') return [200, { codes: codes.map(codeView) }];
    const latest = codes[0];
    if (latest === undefined) throw new AdminError(404, `no code was sent to ${record.id}`, 'id');
    return [200, codeView(latest)];
  }

  if (path === '/_sim/requests' && method === 'GET') {
    const query = parseWith(RequestsQuery, Object.fromEntries(url.searchParams));
    return [
      200,
      {
        requests: requests.list({
          phoneNumberId: query.phone_number_id,
          wabaId: query.waba_id,
          endpoint: query.endpoint,
        }),
      },
    ];
  }

  if (path === '/_sim/clock') {
    if (method === 'GET') return [200, { now: state.clock.nowIso() }];
    if (method === 'POST') {
      const input = parseWith(ClockInput, await readJsonBody(req));
      if (input.advanceMs !== undefined) state.clock.advance(input.advanceMs);
      else if (input.set !== undefined)
        state.clock.set(typeof input.set === 'number' ? input.set : Date.parse(input.set));
      state.save();
      return [200, { now: state.clock.nowIso() }];
    }
  }

  if (path === '/_sim/faults') {
    if (method === 'GET') return [200, { faults: faults.list() }];
    if (method === 'POST') {
      const input = parseWith(SetFaultsInput, await readJsonBody(req));
      faults.set(input.faults, input.mode);
      return [200, { faults: faults.list() }];
    }
    if (method === 'DELETE') {
      faults.clear();
      return [200, { faults: [] }];
    }
  }

  if (path === '/_sim/settings') {
    if (method === 'GET') return [200, settings.list()];
    if (method === 'POST') {
      const input = parseWith(UpdateSimSettingsInput, await readJsonBody(req));
      return [200, settings.update(input)];
    }
  }

  if (path === '/_sim/access-tokens') {
    // Rotation as Meta documents it for system users (access-tokens.ts): issue the new token, deploy it,
    // revoke the old one. Only counts come back: a token is never shown.
    if (method === 'GET') return [200, deps.tokens.view()];
    if (method === 'POST') {
      const input = parseWith(UpdateAccessTokensInput, await readJsonBody(req));
      try {
        return [200, deps.tokens.update(input)];
      } catch (err) {
        if (err instanceof AccessTokenRefusal) throw new AdminError(400, err.message);
        throw err;
      }
    }
  }

  if (path === '/_sim/webhooks') {
    // The app's webhook subscription: callback URL, verify token, app secret (never shown back).
    if (method === 'GET') return [200, deps.webhooks.view()];
    if (method === 'POST') {
      const input = parseWith(SubscribeWebhooksInput, await readJsonBody(req));
      try {
        await deps.webhooks.subscribe(input);
      } catch (err) {
        if (err instanceof SubscriptionRefused) throw new AdminError(400, err.message, 'callbackUrl');
        throw err;
      }
      return [200, deps.webhooks.view()];
    }
    if (method === 'DELETE') {
      deps.webhooks.unsubscribe();
      return [200, deps.webhooks.view()];
    }
  }

  if (path === '/_sim/reset' && method === 'POST') {
    const input = parseWith(ResetInput, await readJsonBody(req));
    const seed = input.seed ?? deps.defaultSeed;
    faults.clear();
    requests.clear();
    settings.reset();
    deps.tokens.reset();
    state.reset(seed);
    // A webhook subscription made through this API goes; the start-up one (SIM_WEBHOOK_*) stays.
    await deps.webhooks.reset();
    return [200, { seed, phone_numbers: state.list().map(view), now: state.clock.nowIso() }];
  }

  throw new AdminError(404, `no admin route ${method} ${path}`);
}
