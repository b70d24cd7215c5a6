// A thin Graph API client for the phone-number lifecycle endpoints. It never lets an axios error
// escape: those carry the request headers (token) and body (PIN). Failures become GraphCallError,
// whose message and details hold only what Graph said and what we classified.
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { z } from 'zod';
import { GraphErrorType, type GraphErrorDetails, type GraphErrorTypeName } from '../domain/graph-errors';
import { GraphAnswer, GraphEndpoint, type GraphEndpointName } from '../domain/metric-names';
import { classifyGraphError } from './graph-error-classifier';

export interface GraphClientOptions {
  baseUrl: string;
  apiVersion: string;
  /** The token, or where to get it at each call (a rotated token file is read again: platform/access-token.ts). */
  accessToken: string | (() => string);
  /** Where the token comes from (an env var or file name, never the token), for the message of a refused token. */
  accessTokenOrigin?: string;
  timeoutMs: number;
  /**
   * The signal that aborts a call in flight: the running activity's cancellation (its heartbeat found it
   * timed out, or the worker is shutting down), so a late answer never races the workflow's read-back.
   */
  abortSignal?: () => AbortSignal | undefined;
  /** Length of a 133016 block when Graph's details do not say (policy.blockHours). */
  blockMs: number;
  /** The casing of storage_configuration.status sent to /settings (docs/graph-api-notes.md); default upper. */
  storageStatusCase?: 'upper' | 'lower';
  now?: () => number;
  /**
   * Told of every answer (or its absence) for the metrics: the endpoint's name and Graph's error code, or
   * GraphAnswer's `none` / `no_envelope` / `network`. A call aborted on purpose is not an answer.
   */
  onAnswer?: (endpoint: GraphEndpointName, errorCode: string) => void;
}

export class GraphCallError extends Error {
  override readonly name = 'GraphCallError';
  constructor(
    message: string,
    readonly type: GraphErrorTypeName,
    readonly retryable: boolean,
    readonly details: GraphErrorDetails,
  ) {
    super(message);
  }
}

/**
 * Meta's error envelope (reference §8.1), read leniently: extra fields are ignored, `error_data` may be an
 * object or a JSON string, and a missing `code` is taken from the `(#code)` in the message. The code is
 * never lost to a shape we did not expect.
 */
const graphErrorEnvelope = z.object({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.coerce.number().int().optional(),
    error_subcode: z.coerce.number().optional(),
    error_data: z.unknown().optional(),
    is_transient: z.boolean().optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/** error_data.details, from an object or from a JSON-encoded string (Graph sends both). */
function detailsOf(errorData: unknown): string | undefined {
  let data = errorData;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      return data as string; // a plain string is the details text itself
    }
  }
  const details = (data as { details?: unknown } | null | undefined)?.details;
  return typeof details === 'string' ? details : undefined;
}

/** The code from the envelope, or from "(#133005) ..." in its message. */
function codeOf(error: { code?: number; message?: string }): number | undefined {
  if (error.code !== undefined && !Number.isNaN(error.code)) return error.code;
  const match = /\(#(\d+)\)/.exec(error.message ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * How long Meta says to wait before calls are let through again: `estimated_time_to_regain_access`
 * (minutes) in X-Business-Use-Case-Usage (reference §8.4, GRL). X-App-Usage has no such time: at 100% of
 * any share we wait APP_USAGE_WAIT_MS, our choice (Meta's app window is a rolling hour).
 */
export function throttleWaitFromHeaders(headers: Record<string, unknown>): number | undefined {
  const parse = (raw: unknown): unknown => {
    if (typeof raw !== 'string') return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  };
  const business = parse(headers['x-business-use-case-usage']);
  if (business && typeof business === 'object') {
    const minutes = Object.values(business as Record<string, unknown>)
      .flatMap((entries) => (Array.isArray(entries) ? entries : []))
      .map((e) =>
        Number((e as { estimated_time_to_regain_access?: unknown }).estimated_time_to_regain_access),
      )
      .filter((m) => Number.isFinite(m) && m >= 0);
    if (minutes.length > 0) return Math.max(...minutes) * 60_000;
  }
  const app = parse(headers['x-app-usage']) as Record<string, unknown> | undefined;
  if (app && typeof app === 'object') {
    const shares = ['call_count', 'total_time', 'total_cputime'].map((k) => Number(app[k]));
    if (shares.some((p) => Number.isFinite(p) && p >= 100)) return APP_USAGE_WAIT_MS;
  }
  return undefined;
}

/** The wait after an app-level throttle (code 4) whose X-App-Usage shows a share at 100%. */
export const APP_USAGE_WAIT_MS = 10 * 60_000;

/** Graph answers `{"success": true}`; some samples show `"true"`. */
const successResponse = z.object({ success: z.union([z.literal(true), z.literal('true')]) });

export const PHONE_NUMBER_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'status',
  'code_verification_status',
  'name_status',
  'platform_type',
  'quality_rating',
] as const;

export const phoneNumberNodeSchema = z.looseObject({
  id: z.string(),
  display_phone_number: z.string().optional(),
  verified_name: z.string().optional(),
  status: z.string().optional(),
  code_verification_status: z.string().optional(),
  name_status: z.string().optional(),
  platform_type: z.string().optional(),
  quality_rating: z.string().optional(),
});
export type PhoneNumberNode = z.infer<typeof phoneNumberNodeSchema>;

/** Graph's list envelope for GET /{waba-id}/phone_numbers; `paging` is absent when `data` is empty. */
const phoneNumberPageSchema = z.looseObject({
  data: z.array(phoneNumberNodeSchema),
  paging: z
    .looseObject({
      cursors: z.looseObject({ before: z.string().optional(), after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

/** Numbers per page asked of GET /{waba-id}/phone_numbers (the most Graph's cursor paging gives here). */
export const WABA_PHONE_NUMBERS_PAGE_LIMIT = 100;

const storageSettingsSchema = z.looseObject({
  storage_configuration: z
    .looseObject({ status: z.string().optional(), data_localization_region: z.string().optional() })
    .optional(),
});

/** GET /me: the system user the token belongs to ("me refers to the system user", System Users API Calls guide). */
const tokenOwnerSchema = z.looseObject({ id: z.string(), name: z.string().optional() });
export type TokenOwner = z.infer<typeof tokenOwnerSchema>;

type Call = {
  method: 'GET' | 'POST';
  path: string;
  /** The path's name for the metrics (the path itself holds IDs). */
  endpoint: GraphEndpointName;
  mutation: boolean;
  data?: object;
  params?: object;
};

export class GraphClient {
  private readonly http: AxiosInstance;
  private readonly now: () => number;
  private readonly token: () => string;

  constructor(private readonly options: GraphClientOptions) {
    this.now = options.now ?? Date.now;
    const { accessToken } = options;
    this.token = typeof accessToken === 'string' ? () => accessToken : accessToken;
    this.http = axios.create({
      baseURL: `${options.baseUrl.replace(/\/$/, '')}/${options.apiVersion}`,
      timeout: options.timeoutMs,
      validateStatus: () => true, // we classify by Graph's error.code, not by HTTP status
    });
  }

  /**
   * The cheapest authenticated read: GET /me, which Graph resolves to the token's own user (Graph API
   * overview, "/me"; for a system user token, the system user: System Users "API Calls" guide). It needs
   * no permission, so a refusal is about the token itself.
   */
  async readTokenOwner(): Promise<TokenOwner> {
    const res = await this.send({
      method: 'GET',
      path: '/me',
      endpoint: GraphEndpoint.Me,
      params: { fields: 'id,name' },
      mutation: false,
    });
    return this.parse(tokenOwnerSchema, res, '/me node');
  }

  async getPhoneNumber(
    phoneNumberId: string,
    fields: readonly string[] = PHONE_NUMBER_FIELDS,
  ): Promise<PhoneNumberNode> {
    const res = await this.send({
      method: 'GET',
      path: `/${phoneNumberId}`,
      endpoint: GraphEndpoint.PhoneNumber,
      params: { fields: fields.join(',') },
      mutation: false,
    });
    return this.parse(phoneNumberNodeSchema, res, 'phone-number node');
  }

  /**
   * One page of a WABA's numbers (GET /{waba-id}/phone_numbers). `after` is the cursor the previous page
   * returned; the result carries the next one only when Graph says there is a next page (`paging.next`).
   */
  async listWabaPhoneNumbers(
    wabaId: string,
    after?: string,
  ): Promise<{ numbers: PhoneNumberNode[]; after?: string }> {
    const res = await this.send({
      method: 'GET',
      path: `/${wabaId}/phone_numbers`,
      endpoint: GraphEndpoint.WabaPhoneNumbers,
      params: {
        fields: PHONE_NUMBER_FIELDS.join(','),
        limit: WABA_PHONE_NUMBERS_PAGE_LIMIT,
        ...(after !== undefined ? { after } : {}),
      },
      mutation: false,
    });
    const page = this.parse(phoneNumberPageSchema, res, 'phone_numbers page');
    const next = page.paging?.next !== undefined ? page.paging.cursors?.after : undefined;
    if (page.paging?.next !== undefined && next === undefined) {
      // A next page without a cursor to reach it: following it would silently drop numbers.
      throw new GraphCallError(
        `unexpected phone_numbers page from Graph (HTTP ${res.status}): paging.next without paging.cursors.after`,
        GraphErrorType.Unexpected,
        false,
        { httpStatus: res.status },
      );
    }
    return next !== undefined ? { numbers: page.data, after: next } : { numbers: page.data };
  }

  async register(
    phoneNumberId: string,
    body: { pin: string; data_localization_region?: string; backup?: { data: string; password: string } },
  ): Promise<void> {
    const res = await this.send({
      method: 'POST',
      path: `/${phoneNumberId}/register`,
      endpoint: GraphEndpoint.Register,
      data: { messaging_product: 'whatsapp', ...body },
      mutation: true,
    });
    this.parse(successResponse, res, 'register response', true);
  }

  /** Asks Meta to send a verification code to the number (SMS or voice call). */
  async requestCode(phoneNumberId: string, method: string, language: string): Promise<void> {
    const res = await this.send({
      method: 'POST',
      path: `/${phoneNumberId}/request_code`,
      endpoint: GraphEndpoint.RequestCode,
      params: { code_method: method, language }, // Meta's own examples use the query string
      // It texts or calls a person: an answer lost on the way (timeout, 5xx) may hide a code already sent.
      mutation: true,
    });
    this.parse(successResponse, res, 'request_code response', true);
  }

  /** Submits the code a person received (digits only). */
  async verifyCode(phoneNumberId: string, code: string): Promise<void> {
    const res = await this.send({
      method: 'POST',
      path: `/${phoneNumberId}/verify_code`,
      endpoint: GraphEndpoint.VerifyCode,
      data: { code },
      mutation: false,
    });
    this.parse(successResponse, res, 'verify_code response');
  }

  /** Sets or changes the two-step PIN; the old PIN is not needed (reference §4). */
  async setPin(phoneNumberId: string, pin: string): Promise<void> {
    const res = await this.send({
      method: 'POST',
      path: `/${phoneNumberId}`,
      endpoint: GraphEndpoint.SetPin,
      data: { pin },
      mutation: false,
    });
    this.parse(successResponse, res, 'set PIN response');
  }

  /** v21+: the number's local-storage setting. Meta's casing varies (reference §6): compared upper-case. */
  async getLocalStorage(phoneNumberId: string): Promise<{ enabled: boolean; region?: string }> {
    const res = await this.send({
      method: 'GET',
      path: `/${phoneNumberId}/settings`,
      endpoint: GraphEndpoint.SettingsRead,
      mutation: false,
    });
    const parsed = this.parse(storageSettingsSchema, res, 'settings');
    const config = parsed.storage_configuration;
    const enabled = config?.status?.toUpperCase() === 'IN_COUNTRY_STORAGE_ENABLED';
    return enabled ? { enabled, region: config?.data_localization_region?.toUpperCase() } : { enabled };
  }

  /** v21+: local storage is a setting, changeable only while the number is deregistered (reference §6). */
  async setLocalStorage(phoneNumberId: string, region: string | undefined): Promise<void> {
    const cased = (status: string) =>
      this.options.storageStatusCase === 'lower' ? status.toLowerCase() : status;
    const storage_configuration = region
      ? { status: cased('IN_COUNTRY_STORAGE_ENABLED'), data_localization_region: region }
      : { status: cased('IN_COUNTRY_STORAGE_DISABLED') };
    const res = await this.send({
      method: 'POST',
      path: `/${phoneNumberId}/settings`,
      endpoint: GraphEndpoint.SettingsWrite,
      data: { storage_configuration },
      // Idempotent and outside the register budget: safe to retry like a read.
      mutation: false,
    });
    this.parse(successResponse, res, 'settings response');
  }

  async deregister(phoneNumberId: string): Promise<void> {
    const res = await this.send({
      method: 'POST',
      path: `/${phoneNumberId}/deregister`,
      endpoint: GraphEndpoint.Deregister,
      mutation: true,
    });
    this.parse(successResponse, res, 'deregister response', true);
  }

  private async send(call: Call): Promise<AxiosResponse> {
    let res: AxiosResponse;
    const token = this.token(); // read per call: a rotated token applies from the next request
    const signal = this.options.abortSignal?.();
    try {
      res = await this.http.request({
        method: call.method,
        url: call.path,
        data: call.data,
        params: call.params,
        headers: { Authorization: `Bearer ${token}` },
        signal,
      });
    } catch (err) {
      // Aborted on purpose (the activity was cancelled, or the worker is shutting down): the caller's
      // reason, so the SDK records a cancellation rather than a network error.
      if (signal?.aborted) throw signal.reason;
      this.options.onAnswer?.(call.endpoint, GraphAnswer.Network);
      throw this.transportError(call, err);
    }
    if (res.status >= 200 && res.status < 300) {
      this.options.onAnswer?.(call.endpoint, GraphAnswer.Ok);
      return res;
    }
    const envelope = graphErrorEnvelope.safeParse(res.data);
    const code = envelope.success ? codeOf(envelope.data.error) : undefined;
    this.options.onAnswer?.(call.endpoint, code === undefined ? GraphAnswer.NoEnvelope : String(code));
    if (!envelope.success || code === undefined) {
      // No Graph envelope (a proxy's 502, say): for a mutation we cannot know whether it happened.
      const type = call.mutation ? GraphErrorType.UnknownOutcome : GraphErrorType.Transient;
      throw new GraphCallError(
        `${describe(call)}: HTTP ${res.status} without a Graph error body`,
        res.status >= 500 ? type : GraphErrorType.Unexpected,
        res.status >= 500 && !call.mutation,
        { httpStatus: res.status },
      );
    }
    const e = envelope.data.error;
    const details = detailsOf(e.error_data);
    const facts = {
      code,
      subcode: e.error_subcode,
      details,
      isTransient: e.is_transient,
      httpStatus: res.status,
      headerWaitMs: throttleWaitFromHeaders(res.headers as Record<string, unknown>),
    };
    const c = classifyGraphError(facts, {
      mutation: call.mutation,
      now: this.now(),
      blockMs: this.options.blockMs,
    });
    // Meta's details text is the actionable part (reference §8.1). It never echoes a PIN; a 190 for a
    // malformed token may quote the token, so the token is cut out of Meta's text.
    const detailsText = details ? ` (${details})` : '';
    const advice = c.type === GraphErrorType.AccessTokenInvalid ? `. ${this.tokenAdvice()}` : '';
    throw new GraphCallError(
      withoutToken(`${describe(call)}: ${e.message ?? `(#${code})`}${detailsText}${advice}`, token),
      c.type,
      c.retryable,
      {
        code,
        ...(e.error_subcode !== undefined ? { subcode: e.error_subcode } : {}),
        httpStatus: res.status,
        ...(e.fbtrace_id !== undefined ? { fbtraceId: e.fbtrace_id } : {}),
        ...(details !== undefined ? { details } : {}),
        ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}),
      },
    );
  }

  /** What to do about a refused token: names where the worker reads it, never the token. */
  private tokenAdvice(): string {
    const origin = this.options.accessTokenOrigin;
    return (
      `Meta refused the Graph access token (expired, revoked or invalid): fix or rotate it` +
      `${origin ? ` in ${origin}` : ''}, then retry the operation`
    );
  }

  private transportError(call: Call, err: unknown): GraphCallError {
    const code = axios.isAxiosError(err) ? err.code : undefined;
    // Refused or unresolvable: the request never left, so even a mutation did not happen.
    const neverSent = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
    const what = timedOut
      ? `no answer within ${this.options.timeoutMs} ms`
      : `network error ${code ?? 'unknown'}`;
    const type = call.mutation && !neverSent ? GraphErrorType.UnknownOutcome : GraphErrorType.Transient;
    return new GraphCallError(`${describe(call)}: ${what}`, type, !call.mutation, {});
  }

  /**
   * A 2xx body that does not read as expected. For a register or deregister Meta may have applied it
   * (the answer was cut or garbled on the way): an unknown outcome, read back before sending again.
   */
  private parse<T extends z.ZodType>(
    schema: T,
    res: AxiosResponse,
    what: string,
    mutation = false,
  ): z.output<T> {
    const parsed = schema.safeParse(res.data);
    if (parsed.success) return parsed.data;
    const unreadable = typeof res.data === 'string' || res.data === undefined || res.data === null;
    throw new GraphCallError(
      `${unreadable ? 'unreadable' : 'unexpected'} ${what} from Graph (HTTP ${res.status})`,
      mutation
        ? GraphErrorType.UnknownOutcome
        : unreadable
          ? GraphErrorType.Transient
          : GraphErrorType.Unexpected,
      !mutation && unreadable,
      { httpStatus: res.status },
    );
  }
}

function describe(call: Call): string {
  return `${call.method} ${call.path}`;
}

/** Graph's text with the token that was sent cut out (a malformed-token answer may quote it). */
function withoutToken(text: string, token: string): string {
  return token.length >= 8 ? text.split(token).join('[redacted]') : text;
}
