// Workflow unit tests: our workflow bundle on the time-skipping test server, run by workers with recording
// (stand-in) activities that each test builds.
import { sharedWorkflowModules } from '../../worker/shared-workflow-modules';
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import {
  operationRequestSchema,
  type OperationPolicy,
  type OperationRequestInput,
} from '../../domain/operations';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { phoneNumberLifecycle } from '../../workflows';
import { requestOperationUpdate, type OperationTicket } from '../../workflows/messages';
import { operationReport, type FinishedOperation } from './operation-report';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import { ensureSearchAttributes } from '../../platform/search-attributes';
import { timeSkippingServerExecutable } from '../../scripts/temporal-binaries';

export interface WorkflowUnitEnv {
  env: TestWorkflowEnvironment;
  workflowBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
}

export async function startWorkflowUnitEnv(): Promise<WorkflowUnitEnv> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: timeSkippingServerExecutable() },
  });
  await ensureSearchAttributes(env.connection, 'default');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: sharedWorkflowModules(WORKFLOWS_PATH),
    logger: new DefaultLogger('WARN'),
  });
  return { env, workflowBundle };
}

/**
 * One time-skipping server for a test file: registers the file's before/after hooks and returns a holder
 * whose `current` is the environment once the hooks ran.
 */
export function useWorkflowUnitEnv(): { readonly current: WorkflowUnitEnv } {
  const holder = {} as { current: WorkflowUnitEnv };
  before(async () => {
    holder.current = await startWorkflowUnitEnv();
  });
  after(async () => {
    await holder.current?.env.teardown();
  });
  return holder;
}

/** A policy for workflow unit tests: Meta's real limits, short backoffs. */
export const UNIT_POLICY: OperationPolicy = {
  windowMs: 72 * 3_600_000,
  requestsPerWindow: 10,
  blockMs: 72 * 3_600_000,
  safetyMarginMs: 60_000,
  maxLockoutWaits: 1,
  maxTransientRetries: 1,
  transientBackoffMs: 1000,
  regionMechanism: 'settings',
  codeWaitMs: 600_000,
  maxCodeRequests: 3,
  maxCodeAttempts: 5,
  displayNameRecheckMs: 3_600_000,
  maxDisplayNameWaitMs: 72 * 3_600_000,
  maxPinWaitMs: 72 * 3_600_000,
};

/**
 * Runs one operation on a number's lifecycle with the given stand-in activities (plus a fixed policy and
 * no predecessor to recover) and returns how it ended. The worker runs until the operation has finished.
 */
export async function runOnLifecycle(
  unit: WorkflowUnitEnv,
  options: {
    taskQueue: string;
    phoneNumberId: string;
    request: OperationRequestInput;
    policy: OperationPolicy;
    activities: Partial<Activities>;
    /** Extra steps while the operation runs (cancel it, terminate it, ...), given the ticket. */
    during?: (ticket: OperationTicket) => Promise<void>;
  },
): Promise<FinishedOperation> {
  const { env, workflowBundle } = unit;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: options.taskQueue,
    workflowBundle,
    // No sticky queue: a later worker on the same task queue gets the lifecycle's next tasks (the test
    // server never moves a task off a stopped worker's sticky queue).
    maxCachedWorkflows: 0,
    activities: {
      loadPolicy: async () => options.policy,
      recoverLedger: async () => undefined,
      // The worker always has it: no subscription here, so nothing is delivered.
      emitWebhookEvent: async () => undefined,
      ...options.activities,
    },
  });
  return worker.runUntil(async () => {
    const ticket = await env.client.workflow.executeUpdateWithStart(requestOperationUpdate, {
      args: [operationRequestSchema().parse(options.request)],
      startWorkflowOperation: new WithStartWorkflowOperation(phoneNumberLifecycle, {
        workflowId: lifecycleWorkflowId(options.phoneNumberId),
        taskQueue: options.taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [{ phoneNumberId: options.phoneNumberId }],
      }),
    });
    await options.during?.(ticket);
    return operationReport(env.client, options.phoneNumberId, ticket.operationId, { timeSkipping: env });
  });
}
