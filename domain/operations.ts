// Operation requests as callers send them (CLI, client library, HTTP API) and as the lifecycle
// workflow's update validator checks them: one schema for all, so a bad request is refused the same way
// everywhere and before any Graph request.
import { z } from 'zod';
import { pinSchema, regionSchema } from './phone-number';
import { lazySchema } from './validation';
import { codeMethodSchema, languageSchema } from './verification';
import type { RequestLedger, LedgerPolicy } from './ledger';
import type { Registration, Verification } from './lifecycle-state';
import type { EventsWanted } from './webhook-events';

export const OPERATION_KINDS = [
  'register',
  'deregister',
  'verify',
  'set-pin',
  'onboard',
  'change-region',
  'migrate',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** Is `value` one of OPERATION_KINDS. */
export function isOperationKind(value: unknown): value is OperationKind {
  return (OPERATION_KINDS as readonly unknown[]).includes(value);
}

const common = () => ({
  /** Who asked, shown in the UI (a user name, a service name). */
  requestedBy: z.string().max(100).optional(),
  /** The WhatsApp Business Account that owns the number, when the caller knows it (search attribute WaWabaId). */
  wabaId: z
    .string()
    .regex(/^\d{1,32}$/, 'must be all digits (the WABA ID)')
    .optional(),
});

export const registerRequestSchema = lazySchema(() =>
  z
    .object({
      operation: z.literal('register'),
      pin: pinSchema(),
      /** Turns on local storage in that region (reference §6). */
      region: regionSchema().optional(),
      ...common(),
    })
    .strict(),
);

export const deregisterRequestSchema = lazySchema(() =>
  z.object({ operation: z.literal('deregister'), ...common() }).strict(),
);

const verification = () => ({
  /** How the first code is sent. */
  method: codeMethodSchema().default('SMS'),
  /** Language of the SMS or call, e.g. en_US. */
  language: languageSchema().default('en_US'),
  /** After an SMS code that never arrived, ask for a voice call next. */
  fallbackToVoice: z.boolean().default(true),
});

/** Prove ownership: request_code, then the code a person receives, then verify_code. */
export const verifyRequestSchema = lazySchema(() =>
  z.object({ operation: z.literal('verify'), ...verification(), ...common() }).strict(),
);

/** Set or change the two-step PIN (the old one is not needed). */
export const setPinRequestSchema = lazySchema(() =>
  z.object({ operation: z.literal('set-pin'), pin: pinSchema(), ...common() }).strict(),
);

/** Verify (if needed), wait for a usable display name, register: one operation. */
export const onboardRequestSchema = lazySchema(() =>
  z
    .object({
      operation: z.literal('onboard'),
      pin: pinSchema(),
      region: regionSchema().optional(),
      ...verification(),
      ...common(),
    })
    .strict(),
);

/** Move local storage to another region, or turn it off (null): deregister → (settings) → register. */
export const changeRegionRequestSchema = lazySchema(() =>
  z
    .object({
      operation: z.literal('change-region'),
      region: regionSchema().nullable(),
      pin: pinSchema(),
      ...common(),
    })
    .strict(),
);

/** On-Premises → Cloud API: backup on the On-Prem client, register on Cloud with that backup. */
export const migrateRequestSchema = lazySchema(() =>
  z
    .object({
      operation: z.literal('migrate'),
      pin: pinSchema(),
      onPrem: z
        .object({
          url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
          username: z.string({ error: 'is required' }).min(1, 'is required'),
          password: z.string({ error: 'is required' }).min(1, 'is required'),
        })
        .strict(),
      /** Encrypts the backup; Meta needs it again on register. */
      backupPassword: z.string({ error: 'is required' }).min(1, 'is required'),
      ...common(),
    })
    .strict(),
);

/** Any operation's request, chosen by `operation`. Builds all seven: operationRequestSchemaFor builds one. */
export const operationRequestSchema = lazySchema(() =>
  z.discriminatedUnion(
    'operation',
    [
      registerRequestSchema(),
      deregisterRequestSchema(),
      verifyRequestSchema(),
      setPinRequestSchema(),
      onboardRequestSchema(),
      changeRegionRequestSchema(),
      migrateRequestSchema(),
    ],
    { error: `must be one of ${OPERATION_KINDS.join(', ')}` },
  ),
);
export type OperationRequest = z.infer<ReturnType<typeof operationRequestSchema>>;
/** What callers may send: defaults (method, language...) filled in by the schema. */
export type OperationRequestInput = z.input<ReturnType<typeof operationRequestSchema>>;
export type RegisterRequest = z.infer<ReturnType<typeof registerRequestSchema>>;
export type VerifyRequest = z.infer<ReturnType<typeof verifyRequestSchema>>;
export type SetPinRequest = z.infer<ReturnType<typeof setPinRequestSchema>>;
export type OnboardRequest = z.infer<ReturnType<typeof onboardRequestSchema>>;
export type ChangeRegionRequest = z.infer<ReturnType<typeof changeRegionRequestSchema>>;
export type MigrateRequest = z.infer<ReturnType<typeof migrateRequestSchema>>;

const REQUEST_SCHEMAS: Record<OperationKind, () => z.ZodType<OperationRequest, OperationRequestInput>> = {
  register: registerRequestSchema,
  deregister: deregisterRequestSchema,
  verify: verifyRequestSchema,
  'set-pin': setPinRequestSchema,
  onboard: onboardRequestSchema,
  'change-region': changeRegionRequestSchema,
  migrate: migrateRequestSchema,
};

/**
 * The schema for `raw`: its own operation's when `raw.operation` names one (the union would pick that one
 * too, with the same issues), else the whole union, which words the refusal. So a workflow that validates a
 * register request builds the register schema only.
 */
export function operationRequestSchemaFor(raw: unknown): z.ZodType<OperationRequest, OperationRequestInput> {
  const kind =
    typeof raw === 'object' && raw !== null ? (raw as { operation?: unknown }).operation : undefined;
  return isOperationKind(kind) ? REQUEST_SCHEMAS[kind]() : operationRequestSchema();
}

/** What the lifecycle hands a child run (ownership verification: a person answers it there). */
export interface OperationInput<R extends OperationRequest = OperationRequest> {
  phoneNumberId: string;
  operationId: string;
  request: R;
  policy: OperationPolicy;
}

export type RegionMechanism = 'register-field' | 'settings';

export interface OperationPolicy extends LedgerPolicy {
  /** How the region is set on register, from the Graph API version (reference §6). */
  regionMechanism: RegionMechanism;
  /** How many 133016 blocks an operation waits out before it gives up. */
  maxLockoutWaits: number;
  /** How many times a transient Graph error (throttling, 5xx, unknown outcome read back as not done) is retried. */
  maxTransientRetries: number;
  /** First backoff after a transient error; doubles each time. */
  transientBackoffMs: number;
  /** How long a verification waits for a code before asking for a new one. */
  codeWaitMs: number;
  /** Codes requested per verification before it fails. */
  maxCodeRequests: number;
  /** Wrong codes accepted per verification before it fails. */
  maxCodeAttempts: number;
  /** Onboarding: how often to re-check a display name that is not usable yet, and for how long at most. */
  displayNameRecheckMs: number;
  maxDisplayNameWaitMs: number;
  /** How long an operation that left the number offline waits for a corrected PIN. */
  maxPinWaitMs: number;
  /**
   * Which webhook event types were wanted when the policy was read (absent in policies recorded before
   * 2026-12-07, and when the subscriptions could not be read: then every event is emitted and checked).
   */
  eventsWanted?: EventsWanted;
}

export type OperationOutcome = 'completed' | 'already-done';

/** How an operation ended, as the lifecycle records it. */
export interface OperationReport {
  operationId: string;
  outcome?: OperationOutcome;
  /** Every register/deregister request the operation sent, and any block it learned (from the lifecycle's ledger). */
  ledger: RequestLedger;
  registration: Registration;
  /** Set when the run learned it: ownership verified, two-step PIN set (never the PIN itself). */
  verification?: Verification;
  pinSet?: boolean;
  /** Why it failed, in words, when it did. */
  failure?: { type: string; message: string; graphCode?: number };
}

/**
 * A caller's idempotency key for requestOperation: it becomes the Update's ID, so a retried call (an HTTP
 * retry, a CLI run again) returns the first call's ticket instead of queueing the operation twice.
 */
export const idempotencyKeySchema = lazySchema(() =>
  z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1 to 200 letters, digits, or . _ : -'),
);

/** Same operation, same parameters: a second caller joins the queued or running one. */
export function sameRequest(a: OperationRequest, b: OperationRequest): boolean {
  // Labels (who asked, which WABA) do not make a different operation; every parameter does.
  const { requestedBy: _a, wabaId: _b, ...left } = a;
  const { requestedBy: _c, wabaId: _d, ...right } = b;
  return JSON.stringify(left) === JSON.stringify(right);
}
