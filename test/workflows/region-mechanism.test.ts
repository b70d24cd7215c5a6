// Which Graph calls carry the data-localization region, by API version (reference §6): a workflow unit
// test with recording activities, on the time-skipping server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import { emptyLedger } from '../../domain/ledger';
import type { OperationPolicy, OperationReport, RegionMechanism } from '../../domain/operations';
import { registerOperation } from '../../workflows';
import { startWorkflowUnitEnv, type WorkflowUnitEnv } from '../helpers/workflow-unit';

let env: WorkflowUnitEnv['env'];
let workflowBundle: WorkflowUnitEnv['workflowBundle'];

before(async () => {
  ({ env, workflowBundle } = await startWorkflowUnitEnv());
});
after(async () => {
  await env?.teardown();
});

const policy = (regionMechanism: RegionMechanism): OperationPolicy => ({
  windowMs: 72 * 3_600_000,
  requestsPerWindow: 10,
  blockMs: 72 * 3_600_000,
  safetyMarginMs: 60_000,
  maxLockoutWaits: 1,
  maxTransientRetries: 1,
  transientBackoffMs: 1000,
  regionMechanism,
  codeWaitMs: 600_000,
  maxCodeRequests: 3,
  maxCodeAttempts: 5,
  displayNameRecheckMs: 3_600_000,
  maxDisplayNameWaitMs: 72 * 3_600_000,
  maxPinWaitMs: 72 * 3_600_000,
});

async function registerWith(mechanism: RegionMechanism, region: 'DE' | undefined) {
  const calls: string[] = [];
  let registered = false;
  const activities: Partial<Activities> = {
    async readPhoneNumber(id): Promise<PhoneNumberSnapshot> {
      calls.push('read');
      return {
        phoneNumberId: id,
        registration: registered ? 'registered' : 'not-registered',
        verification: 'verified',
      };
    },
    async configureLocalStorage(_id, r) {
      calls.push(`settings:${r}`);
    },
    async registerPhoneNumber(_id, params) {
      calls.push(`register:${params.region ?? '-'}`);
      registered = true;
    },
  };
  const taskQueue = `region-${mechanism}-${region}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities,
  });
  const report = await worker.runUntil(
    env.client.workflow.execute(registerOperation, {
      taskQueue,
      workflowId: `region-test-${mechanism}-${region}`,
      args: [
        {
          phoneNumberId: '1',
          operationId: 'op',
          request: { operation: 'register', pin: '123456', region },
          ledger: emptyLedger(),
          policy: policy(mechanism),
        },
      ],
    }),
  );
  return { calls, report: report as OperationReport };
}

test('v21+ (settings): the region is set through /settings before register, not sent on register', async () => {
  const { calls, report } = await registerWith('settings', 'DE');
  assert.deepEqual(calls, ['read', 'settings:DE', 'register:-']);
  assert.equal(report.outcome, 'completed');
});

test('v20 and older (register-field): the region goes on register, no settings call', async () => {
  const { calls } = await registerWith('register-field', 'DE');
  assert.deepEqual(calls, ['read', 'register:DE']);
});

test('no region: no settings call with either mechanism', async () => {
  assert.deepEqual((await registerWith('settings', undefined)).calls, ['read', 'register:-']);
});
