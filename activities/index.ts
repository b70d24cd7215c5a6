// Activities the workflows call. They are built around one GraphClient that the worker creates with the
// access token from its own environment: the token never enters a workflow input or history.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Registration, Verification } from '../domain/lifecycle-state';
import { registrationOf } from '../domain/registration';
import type { OperationPolicy } from '../domain/operations';
import type { EventsWanted } from '../domain/webhook-events';
import { GraphCallError, type GraphClient, type PhoneNumberNode } from './graph-client';
import { createOnPremBackup } from './onprem-client';
import { explainRegisterRefusal } from './register-diagnosis';
import { createMetaWebhookActivities } from './meta-webhook-activities';

/** The facts about a number that the workflows decide on. */
export interface PhoneNumberSnapshot {
  phoneNumberId: string;
  status?: string;
  platformType?: string;
  codeVerificationStatus?: string;
  nameStatus?: string;
  registration: Registration;
  verification: Verification;
}

export function verificationOf(node: PhoneNumberNode): Verification {
  if (node.code_verification_status === undefined) return 'unknown';
  return node.code_verification_status === 'VERIFIED' ? 'verified' : 'not-verified';
}

function toFailure(err: unknown): unknown {
  if (!(err instanceof GraphCallError)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.type,
    nonRetryable: !err.retryable,
    details: [err.details],
    nextRetryDelay: err.retryable && err.details.retryAfterMs ? err.details.retryAfterMs : undefined,
  });
}

/**
 * How often a running Graph or On-Prem call tells the server it is alive. The workflows' proxies set a
 * 30 s heartbeat timeout (workflows/activity-proxies.ts), so a worker that dies holding the activity, or
 * an answer lost while the server was down, is noticed in 30 s rather than at the start-to-close timeout.
 */
export const HEARTBEAT_EVERY_MS = 10_000;

async function keepingAlive<T>(fn: () => Promise<T>): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return fn(); // called outside an activity (unit tests)
  }
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

async function graphCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await keepingAlive(fn);
  } catch (err) {
    throw toFailure(err);
  }
}

export function createActivities(deps: {
  graph: GraphClient;
  policy: () => OperationPolicy;
  /** Which webhook event types are wanted, handed out with the policy (activities/webhook-activities.ts). */
  eventsWanted?: () => Promise<EventsWanted | undefined>;
  onPremTimeoutMs?: number;
  /** The running activity's cancellation signal, for the On-Prem calls (the Graph client has its own). */
  abortSignal?: () => AbortSignal | undefined;
}) {
  const { graph } = deps;
  return {
    async readPhoneNumber(phoneNumberId: string): Promise<PhoneNumberSnapshot> {
      const node = await graphCall(() => graph.getPhoneNumber(phoneNumberId));
      return {
        phoneNumberId,
        status: node.status,
        platformType: node.platform_type,
        codeVerificationStatus: node.code_verification_status,
        nameStatus: node.name_status,
        registration: registrationOf(node.status, node.platform_type),
        verification: verificationOf(node),
      };
    },

    /** One page (up to 100) of a WABA's numbers; `after` is the previous page's cursor, absent on the last page. */
    async listWabaPhoneNumbersPage(
      wabaId: string,
      after?: string,
    ): Promise<{
      phoneNumbers: { phoneNumberId: string; platformType?: string; status?: string }[];
      after?: string;
    }> {
      const page = await graphCall(() => graph.listWabaPhoneNumbers(wabaId, after));
      return {
        phoneNumbers: page.numbers.map((n) => ({
          phoneNumberId: n.id,
          ...(n.platform_type !== undefined ? { platformType: n.platform_type } : {}),
          ...(n.status !== undefined ? { status: n.status } : {}),
        })),
        ...(page.after !== undefined ? { after: page.after } : {}),
      };
    },

    /**
     * `region` is sent on register only with the register-field mechanism (Graph v20 and older);
     * `backup` only when migrating from On-Prem (the call may take 15 s or more).
     */
    async registerPhoneNumber(
      phoneNumberId: string,
      params: { pin: string; region?: string; backup?: { data: string; password: string } },
    ): Promise<void> {
      await graphCall(() =>
        graph
          .register(phoneNumberId, {
            pin: params.pin,
            ...(params.region ? { data_localization_region: params.region } : {}),
            ...(params.backup ? { backup: params.backup } : {}),
          })
          .catch(async (err: unknown) => {
            throw await explainRegisterRefusal(graph, phoneNumberId, err);
          }),
      );
    },

    /** v21+: the local-storage setting as Meta reports it. */
    async readLocalStorage(phoneNumberId: string): Promise<{ enabled: boolean; region?: string }> {
      return graphCall(() => graph.getLocalStorage(phoneNumberId));
    },

    /** Logs in to the number's On-Prem client and creates a backup; returns the backup data. */
    async createOnPremBackup(params: {
      url: string;
      username: string;
      password: string;
      backupPassword: string;
    }): Promise<string> {
      return graphCall(() =>
        createOnPremBackup({
          ...params,
          timeoutMs: deps.onPremTimeoutMs ?? 30_000,
          signal: deps.abortSignal?.(),
        }),
      );
    },

    /** v21+: turns local storage on in `region`, or off; only while the number is deregistered. */
    async configureLocalStorage(phoneNumberId: string, region: string | undefined): Promise<void> {
      await graphCall(() => graph.setLocalStorage(phoneNumberId, region));
    },

    async requestVerificationCode(phoneNumberId: string, method: string, language: string): Promise<void> {
      await graphCall(() => graph.requestCode(phoneNumberId, method, language));
    },

    /** The code never appears in a log or error message: GraphCallError carries only Graph's answer. */
    async submitCodeToMeta(phoneNumberId: string, code: string): Promise<void> {
      await graphCall(() => graph.verifyCode(phoneNumberId, code));
    },

    async setTwoStepPin(phoneNumberId: string, pin: string): Promise<void> {
      await graphCall(() => graph.setPin(phoneNumberId, pin));
    },

    async deregisterPhoneNumber(phoneNumberId: string): Promise<void> {
      await graphCall(() => graph.deregister(phoneNumberId));
    },

    /** The worker's current policy (temporal.yaml), read at the start of each operation. */
    async loadPolicy(): Promise<OperationPolicy> {
      const eventsWanted = await deps.eventsWanted?.();
      return eventsWanted ? { ...deps.policy(), eventsWanted } : deps.policy();
    },

    ...createMetaWebhookActivities(graph),
  };
}

export type Activities = ReturnType<typeof createActivities>;
