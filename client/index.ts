// The typed library other services import to start and steer operations on numbers. The CLI and the
// HTTP API are built on it. Secrets (PINs) travel only inside the request; never in IDs or logs.
import { Client, Connection, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  idempotencyKeySchema,
  operationRequestSchema,
  type OperationRequest,
  type OperationRequestInput,
} from '../domain/operations';
import { verificationCodeSchema } from '../domain/verification';
import { lifecycleWorkflowId, phoneNumberIdSchema, pinSchema } from '../domain/phone-number';
import { listFilterSchema, listQuery, type ListFilter, type NumberListing } from '../domain/number-listing';
import { InputError, parseInput } from '../domain/validation';
import { decodePageToken, encodePageToken, listingOf, type NumberPage } from './number-pages';
// The SDK's decoding of a visibility row's search attributes (what client.workflow.list uses).
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { OperationRejectedError, TemporalUnreachableError } from './errors';
import type { AppConfig } from '../platform/config';
import * as fleets from './fleets';
import { lifecycleStartOperation } from './lifecycle-start';
import type {
  LifecycleOperations,
  RetryFleetOptions,
  RunOperationOptions,
  WaitForOperationOptions,
} from './lifecycle-operations';
import { configOnlyTarget, type TemporalTarget } from '../platform/temporal-target';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../platform/security/data-converter';
import { AesGcmPayloadCodec } from '../platform/security/payload-codec';
import { tracingClientInterceptors } from '../platform/tracing';
import {
  defaultTaskQueue,
  resolveConnectSettings,
  type ConnectSettings,
  type ResolvedSettings,
} from './connect-settings';
import {
  cancelOperationUpdate,
  getStateQuery,
  requestOperationUpdate,
  retryOperationUpdate,
  runOperationUpdate,
  type CancelOperationRequest,
  type CancelOperationResult,
  type RetryOperationRequest,
  submitVerificationCodeUpdate,
  type CodeSubmissionResult,
  type LifecycleSnapshot,
  type OperationSummary,
  type OperationTicket,
  type RequestOrigin,
} from '../workflows/messages';

export type {
  CancelOperationRequest,
  CancelOperationResult,
  RetryOperationRequest,
  ListFilter,
  NumberListing,
  NumberPage,
  CodeSubmissionResult,
  LifecycleSnapshot,
  OperationSummary,
  OperationTicket,
  OperationRequest,
  OperationRequestInput,
};
export { InputError };
export type {
  FleetProgress,
  FleetStatus,
  StartFleetOptions,
  CancelFleetResult,
  ProgressDetail,
} from './fleets';

export { ApiKeyRefusedError, HttpApiError, OperationRejectedError, TemporalUnreachableError } from './errors';

export type { ConnectSettings, TlsSettings } from './connect-settings';
export { TemporalTargetError } from '../platform/temporal-sources';
export type {
  LifecycleOperations,
  RetryFleetOptions,
  RunOperationOptions,
  WaitForOperationOptions,
} from './lifecycle-operations';
export { HttpLifecycleClient, type HttpClientOptions } from './http-client';
// Outbound webhooks: the event types and bodies, verification for receivers, and the subscriptions.
export {
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventData,
  type WebhookEventType,
  type WebhookSubscriptionRequest,
  type WebhookSubscriptionView,
} from '../domain/webhook-events';
export { verifyWebhook, WebhookVerificationError, type VerifyOptions } from '../platform/webhook-signature';
export {
  WebhookSubscriptionsClient,
  type CreatedWebhookSubscription,
  type WebhookSubscriptionsApi,
} from './webhook-subscriptions';

export interface ConnectOptions extends ConnectSettings {
  /** The product's own configuration (its worker, CLI, API and tests): the connection comes from it. */
  config?: AppConfig;
  /**
   * With `config`: where to connect, as resolveTemporalTarget found it (the CLI and the API pass it, with
   * env and profile applied). Without it, temporal.yaml's values alone (the local stack, tests).
   */
  target?: TemporalTarget;
  /** An existing client (tests, services that already hold one); only the task queue is then needed. */
  client?: Client;
  /** Where settings not given are read from (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
}

export class NumberLifecycleClient implements LifecycleOperations {
  private constructor(
    readonly client: Client,
    /** The workers' task queue: lifecycles and fleets are started there. */
    readonly taskQueue: string,
    private readonly ownsConnection: boolean,
  ) {}

  /**
   * Connects with the settings given, else the WA_* environment, else the Temporal profile, else the
   * defaults (see ConnectSettings); or with the product's configuration. Nothing is read from this
   * package's folder.
   */
  static async connect(options: ConnectOptions = {}): Promise<NumberLifecycleClient> {
    const { config, client } = options;
    if (client) {
      const taskQueue = config?.temporal.taskQueue ?? defaultTaskQueue(options, options.env);
      return new NumberLifecycleClient(client, taskQueue, false);
    }
    const resolved = config
      ? fromConfig(config, options.target)
      : resolveConnectSettings(options, options.env);
    const { target } = resolved;
    let connection: Connection;
    try {
      connection = await Connection.connect({
        ...target.connection,
        connectTimeout: resolved.connectTimeoutMs,
      });
    } catch (err) {
      throw new TemporalUnreachableError(
        `Temporal is unreachable at ${target.connection.address} (from ${target.origin.address}; ` +
          `${(err as Error).message.split('\n')[0]})`,
      );
    }
    const dataConverter = config
      ? createDataConverter(config).dataConverter
      : resolved.keyring
        ? {
            payloadCodecs: [new AesGcmPayloadCodec(resolved.keyring)],
            failureConverterPath: FAILURE_CONVERTER_PATH,
          }
        : {};
    // With tracing on (the product's config), each start, update and signal opens a span carried to the workflow.
    const workflow = config ? tracingClientInterceptors(config.tracing) : [];
    return new NumberLifecycleClient(
      new Client({
        connection,
        namespace: target.namespace,
        dataConverter,
        ...(workflow.length ? { interceptors: { workflow } } : {}),
      }),
      resolved.taskQueue,
      true,
    );
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.client.connection.close();
  }

  /**
   * Starts an operation on a number, or joins an identical one already queued or running. Starts the
   * number's lifecycle workflow if it does not exist yet (update-with-start). Bad input throws
   * InputError before anything is sent. With `idempotencyKey`, a repeated call (a retry after a lost
   * answer) returns the first call's ticket and queues nothing.
   */
  async requestOperation(
    phoneNumberId: string,
    request: OperationRequestInput,
    options: { idempotencyKey?: string } = {},
  ): Promise<OperationTicket> {
    const update = this.requestUpdate(phoneNumberId, request, options.idempotencyKey);
    try {
      return await this.client.workflow.executeUpdateWithStart(requestOperationUpdate, update);
    } catch (err) {
      throw asRejection(err);
    }
  }

  /**
   * requestOperation, then waits for the operation to end on the server's long poll: the lifecycle answers
   * this Update (runOperation) when the operation has completed or failed, so nothing reads the number
   * while it runs. When the number starts a long wait instead (a blocked budget, a code from a person),
   * the Update answers early and this goes on as waitForOperation does, reading with a growing pause.
   */
  async runOperation(
    phoneNumberId: string,
    request: OperationRequestInput,
    options: RunOperationOptions = {},
  ): Promise<OperationSummary> {
    const update = this.requestUpdate(phoneNumberId, request, options.idempotencyKey);
    let run;
    try {
      const handle = await this.client.workflow.startUpdateWithStart(runOperationUpdate, {
        ...update,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      options.onAccepted?.();
      run = await handle.result();
    } catch (err) {
      throw asRejection(err);
    }
    return run.finished ?? this.waitForOperation(phoneNumberId, run.ticket.operationId, options);
  }

  /**
   * A request's update-with-start, checked: bad input throws InputError before anything is sent. The
   * idempotency key is the Update's ID (deduplicated by the server within a run) and is told to the
   * lifecycle (remembered across continue-as-new).
   */
  private requestUpdate(phoneNumberId: string, request: OperationRequestInput, idempotencyKey?: string) {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    const valid = parseInput(operationRequestSchema(), request);
    const updateId =
      idempotencyKey === undefined
        ? undefined
        : parseInput(idempotencyKeySchema(), idempotencyKey, 'idempotencyKey');
    const args: [OperationRequest, RequestOrigin?] = updateId
      ? [valid, { idempotencyKey: updateId }]
      : [valid];
    return {
      args,
      startWorkflowOperation: lifecycleStartOperation(id, this.taskQueue),
      ...(updateId ? { updateId } : {}),
    };
  }

  /**
   * Cancels the number's queued operation at once, or asks the running one to stop at its next safe point
   * (never between a deregister and the register that must follow). Refused when nothing is queued or running.
   */
  async cancelOperation(
    phoneNumberId: string,
    request: CancelOperationRequest = {},
  ): Promise<CancelOperationResult> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    return this.lifecycleUpdate(id, () =>
      this.client.workflow
        .getHandle(lifecycleWorkflowId(id))
        .executeUpdate(cancelOperationUpdate, { args: [request] }),
    );
  }

  /**
   * Queues the number's last failed (or cancelled) operation again with its original parameters, kept only
   * in encrypted workflow payloads; `pin` replaces a PIN that Meta refused.
   */
  async retryOperation(phoneNumberId: string, request: RetryOperationRequest = {}): Promise<OperationTicket> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    if (request.pin !== undefined) parseInput(pinSchema(), request.pin, 'pin');
    return this.lifecycleUpdate(id, async () => {
      const handle = this.client.workflow.getHandle(lifecycleWorkflowId(id));
      try {
        return await handle.executeUpdate(retryOperationUpdate, { args: [request] });
      } catch (err) {
        // A terminated lifecycle: its successor recovers the failed operation, then takes the retry.
        if (!(err instanceof WorkflowNotFoundError) || !(await handle.describe().catch(() => undefined)))
          throw err;
        return this.client.workflow.executeUpdateWithStart(retryOperationUpdate, {
          args: [request],
          startWorkflowOperation: lifecycleStartOperation(id, this.taskQueue),
        });
      }
    });
  }

  private async lifecycleUpdate<T>(id: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw asRejection(err);
      if (err instanceof WorkflowNotFoundError) {
        const closed = await this.client.workflow
          .getHandle(lifecycleWorkflowId(id))
          .describe()
          .catch(() => undefined);
        throw new OperationRejectedError(
          closed
            ? `phone number ${id} has no running lifecycle (it was ${closed.status.name.toLowerCase()}): nothing is queued or running on it`
            : `phone number ${id} has no lifecycle yet: no operation ever ran on it`,
        );
      }
      throw err;
    }
  }

  /**
   * Hands the code a person received to the number's running verification (a verify or onboard
   * operation) and answers at once: accepted, or rejected and why. Refused (OperationRejectedError) when
   * no verification is waiting for a code, saying what the number is doing instead.
   */
  async submitVerificationCode(phoneNumberId: string, code: string): Promise<CodeSubmissionResult> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    const digits = parseInput(verificationCodeSchema(), code, 'code');
    const state = await this.getState(id);
    const op = state?.currentOperation;
    if (!op || op.activeState !== 'waiting-for-code') {
      const doing = op ? `; current operation ${op.operationId} is ${op.activeState ?? op.status}` : '';
      throw new OperationRejectedError(
        `no verification is waiting for a code on ${id}: the number is ${state?.state ?? 'unknown (no operations yet)'}${doing}`,
      );
    }
    try {
      return await this.client.workflow.getHandle(op.workflowId).executeUpdate(submitVerificationCodeUpdate, {
        args: [digits],
      });
    } catch (err) {
      throw asRejection(err);
    }
  }

  /**
   * Numbers by lifecycle state, current operation and WABA, from the search attributes the lifecycle
   * workflows publish (a visibility query: no workflow is woken up). At most `limit` rows, by ID.
   */
  async listNumbers(filter: ListFilter = {}): Promise<NumberListing[]> {
    const valid = parseInput(listFilterSchema(), filter);
    const rows: NumberListing[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.listNumbersPage({ ...valid, limit: valid.limit - rows.length }, pageToken);
      rows.push(...page.numbers);
      pageToken = page.nextPageToken;
    } while (pageToken && rows.length < valid.limit);
    return rows.sort((a, b) => a.phoneNumberId.localeCompare(b.phoneNumberId));
  }

  /**
   * One page of `listNumbers`: at most `limit` rows (sorted by ID within the page) and, when more may
   * follow, an opaque token for the next page. A token only continues the filter it was issued for.
   */
  async listNumbersPage(filter: ListFilter = {}, pageToken?: string): Promise<NumberPage> {
    const valid = parseInput(listFilterSchema(), filter);
    const query = listQuery(valid);
    const response = await this.client.workflowService.listWorkflowExecutions({
      namespace: this.client.options.namespace,
      query,
      pageSize: valid.limit,
      ...(pageToken !== undefined ? { nextPageToken: decodePageToken(pageToken, query) } : {}),
    });
    const numbers: NumberListing[] = [];
    for (const raw of response.executions ?? []) {
      const row = listingOf(decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields));
      if (row) numbers.push(row);
    }
    numbers.sort((a, b) => a.phoneNumberId.localeCompare(b.phoneNumberId));
    const next = response.nextPageToken;
    return { numbers, ...(next && next.length > 0 ? { nextPageToken: encodePageToken(next, query) } : {}) };
  }

  /** The number's lifecycle state, ledger and operations; undefined when no operation ever ran. */
  async getState(phoneNumberId: string): Promise<LifecycleSnapshot | undefined> {
    const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phoneNumberId');
    try {
      return await this.client.workflow.getHandle(lifecycleWorkflowId(id)).query(getStateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** Starts a fleet: one operation over many numbers, each through its own lifecycle. */
  startFleet(options: fleets.StartFleetOptions): Promise<fleets.FleetStatus> {
    return fleets.startFleet(this.client, this.taskQueue, options);
  }

  /** The fleet's run status and progress (counts by state, per-number outcomes as `detail` asks). */
  describeFleet(fleetId: string, detail?: fleets.ProgressDetail): Promise<fleets.FleetStatus> {
    return fleets.describeFleet(this.client, fleetId, detail);
  }

  /** Stops starting new numbers; started ones finish, or with cancelRunning stop at their safe points. */
  cancelFleet(
    fleetId: string,
    requestedBy?: string,
    options?: { cancelRunning?: boolean },
  ): Promise<fleets.CancelFleetResult> {
    return fleets.cancelFleet(this.client, fleetId, requestedBy, options);
  }

  /** A new fleet over a finished fleet's failed and never-started numbers, with their original requests. */
  retryFleet(fleetId: string, options?: RetryFleetOptions): Promise<fleets.FleetStatus> {
    return fleets.retryFleet(this.client, this.taskQueue, fleetId, options);
  }

  waitForFleet(fleetId: string): Promise<fleets.FleetProgress> {
    return fleets.waitForFleet(this.client, fleetId);
  }

  /**
   * Waits until the operation has finished and returns its summary (status completed or failed). The
   * lifecycle runs the operation itself, so this reads its state: often at first, then (through a long
   * wait such as a 72-hour block) at most every `maxPollIntervalMs`.
   */
  async waitForOperation(
    phoneNumberId: string,
    operationId: string,
    options: WaitForOperationOptions = {},
  ): Promise<OperationSummary> {
    let pollMs = options.pollIntervalMs ?? 250;
    const maxPollMs = Math.max(pollMs, options.maxPollIntervalMs ?? 5000);
    for (;;) {
      const snapshot = await this.getState(phoneNumberId);
      const finished = snapshot?.recentOperations.find((o) => o.operationId === operationId);
      if (finished) return finished;
      await delay(pollMs);
      if (snapshot?.currentOperation?.status === 'waiting') pollMs = Math.min(maxPollMs, pollMs * 2);
    }
  }
}

/** The lifecycle's refusal of a request (its validator or handler) as the library's error; others as they are. */
function asRejection(err: unknown): unknown {
  return err instanceof WorkflowUpdateFailedError
    ? new OperationRejectedError(err.cause?.message ?? err.message)
    : err;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The connection the product's configuration describes (its own key sources: env, key file, local stack). */
function fromConfig(config: AppConfig, target?: TemporalTarget): ResolvedSettings {
  createDataConverter(config); // no key: refuse before connecting (PINs would go out in plaintext)
  return {
    target: target ?? configOnlyTarget(config),
    taskQueue: config.temporal.taskQueue,
    connectTimeoutMs: config.temporal.connectTimeoutMs,
  };
}
