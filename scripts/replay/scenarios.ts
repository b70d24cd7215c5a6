// The scenarios `npm run replay:record` drives to record the replay corpus (test/replay/histories): every
// workflow type and path that can be open when a new version of the workflow code is deployed. Each scenario
// is one small function on a shared stack (dev server + simulator + worker), uses its own fresh phone-number
// IDs, checks that it really reached the state it claims, records every workflow run it involves (while
// it waits, when it is about a wait) and cleans up after itself so the next scenario is unaffected.
import assert from 'node:assert/strict';
import { fleetWorkflowId, type FleetMember, type FleetProgress } from '../../domain/fleet';
import type { OperationRequestInput } from '../../domain/operations';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import type { LifecycleSnapshot, OperationSummary, OperationTicket } from '../../workflows/messages';
import { hourlyRegisters, startLifecycleWithLedger } from '../../test/helpers/lifecycle';
import { localActivityTypes } from '../../test/helpers/history-markers';
import { until } from '../../test/helpers/poll';
import { seedOnCloudApi, seedOnPremises, seedVerified } from '../../test/helpers/seed';
import { metaWebhookIntake } from '../../workflows/meta-webhook-intake';
import type { StackOptions, TestStack } from '../../test/helpers/stack';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookSubscriptionsClient } from '../../client/webhook-subscriptions';
import { WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID, webhookDeliveryWorkflowId } from '../../domain/webhook-events';

/** Scenarios that need the same dev-server flags share one stack. */
export type StackGroup = 'default' | 'continue-as-new';

export const STACK_GROUPS: Record<
  StackGroup,
  { description: string; options: StackOptions; setup?: (stack: TestStack) => Promise<void> }
> = {
  default: {
    description: 'the dev server with its default dynamic config',
    options: {},
    // Backup registers take 2 s in the simulator by default, as long as the stack's Graph timeout.
    setup: async (stack) => void (await stack.sim.updateSettings({ backupRegisterDelayMs: 100 })),
  },
  'continue-as-new': {
    description: 'the dev server suggesting continue-as-new after 30 history events',
    options: {
      configEnv: {},
      devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=30'],
    },
  },
};

export interface ScenarioContext {
  stack: TestStack;
  /** The scenario's i-th phone-number ID (fresh: no other scenario uses it). */
  number(i: number): string;
  /**
   * Records one workflow run now (once it is at rest: no workflow task or activity pending) as
   * `<scenario>--<role>.json`. Without runId, the workflow's current run.
   */
  record(role: string, description: string, workflowId: string, runId?: string): Promise<void>;
  /** Records every run of a continue-as-new chain, oldest first, as `<role>-run1`, `<role>-run2`, ... */
  recordChain(role: string, description: string, workflowId: string): Promise<number>;
}

export interface Scenario {
  name: string;
  group: StackGroup;
  /** What the scenario drives and what its recordings show. */
  description: string;
  run(ctx: ScenarioContext): Promise<void>;
}

const PIN = '123456';
const ONPREM_LOGIN = { username: 'admin', password: 'onprem-secret' };
const HOUR = 3_600_000;

// ---------------------------------------------------------------------------------------------------------
// Helpers

async function request(
  ctx: ScenarioContext,
  id: string,
  req: OperationRequestInput,
): Promise<OperationTicket> {
  return ctx.stack.client.requestOperation(id, { requestedBy: 'replay-recorder', ...req });
}

/** Waits until the operation has finished (within timeoutMs) and returns its summary. */
async function finished(
  ctx: ScenarioContext,
  id: string,
  operationId: string,
  timeoutMs = 60_000,
): Promise<OperationSummary> {
  return until(
    `${operationId} to finish`,
    async () =>
      (await ctx.stack.client.getState(id))?.recentOperations.find((o) => o.operationId === operationId),
    { timeoutMs, intervalMs: 100 },
  );
}

async function runToEnd(ctx: ScenarioContext, id: string, req: OperationRequestInput) {
  const ticket = await request(ctx, id, req);
  return { ticket, summary: await finished(ctx, id, ticket.operationId) };
}

function expectCompleted(summary: OperationSummary, outcome: 'completed' | 'already-done' = 'completed') {
  assert.equal(summary.status, 'completed', `${summary.operationId}: ${JSON.stringify(summary.failure)}`);
  assert.equal(summary.outcome, outcome, summary.operationId);
}

function expectFailed(summary: OperationSummary, type: string | RegExp) {
  assert.equal(summary.status, 'failed', `${summary.operationId} was expected to fail`);
  if (typeof type === 'string') assert.equal(summary.failure?.type, type, summary.failure?.message);
  else assert.match(summary.failure?.type ?? '', type, summary.failure?.message);
}

/** Waits until the number's current operation is in `state` (and `also` holds), and returns the snapshot. */
async function activeState(
  ctx: ScenarioContext,
  id: string,
  state: string,
  also: (s: LifecycleSnapshot) => boolean = () => true,
): Promise<LifecycleSnapshot> {
  return until(
    `${id}'s operation to be ${state}`,
    async () => {
      const s = await ctx.stack.client.getState(id);
      return s?.currentOperation?.activeState === state && also(s) ? s : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** Terminates a workflow's current run if it is still running (clean-up after a recorded wait). */
async function terminate(ctx: ScenarioContext, workflowId: string): Promise<void> {
  const handle = ctx.stack.env.client.workflow.getHandle(workflowId);
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') await handle.terminate('replay recorder: scenario recorded, cleaning up');
}

/** The code the simulator "sent" to the number (as a person would read it). */
async function sentCode(ctx: ScenarioContext, id: string): Promise<string> {
  const res = await fetch(`${ctx.stack.simulator.url}/_sim/codes/${id}`);
  assert.equal(res.status, 200, `no code was sent to ${id}`);
  return ((await res.json()) as { code: string }).code;
}

async function withFaults(
  ctx: ScenarioContext,
  faults: Record<string, unknown>[],
  body: () => Promise<void>,
) {
  await ctx.stack.sim.faults(faults);
  try {
    await body();
  } finally {
    await ctx.stack.sim.faults([]);
  }
}

const migrateRequest = (
  ctx: ScenarioContext,
  id: string,
  pin: string,
  password = ONPREM_LOGIN.password,
): OperationRequestInput => ({
  operation: 'migrate',
  pin,
  onPrem: { url: `${ctx.stack.simulator.url}/onprem/${id}`, username: ONPREM_LOGIN.username, password },
  backupPassword: 'backup-secret',
});

const registerMembers = (ids: string[], pin = PIN): FleetMember[] =>
  ids.map((phoneNumberId) => ({ phoneNumberId, request: { operation: 'register', pin } }));

async function fleetProgress(
  ctx: ScenarioContext,
  fleetId: string,
  what: string,
  predicate: (p: FleetProgress) => boolean,
): Promise<FleetProgress> {
  return until(
    `fleet ${fleetId}: ${what}`,
    async () => {
      const status = await ctx.stack.client.describeFleet(fleetId, 'all');
      return status.progress && predicate(status.progress) ? status.progress : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

async function fleetResult(ctx: ScenarioContext, fleetId: string): Promise<FleetProgress> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`fleet ${fleetId} did not finish within 90 s`)), 90_000).unref(),
  );
  return Promise.race([ctx.stack.client.waitForFleet(fleetId), timeout]);
}

/** The lifecycle with its one operation, recorded as `lifecycle` (the common case). */
const recordLifecycle = (ctx: ScenarioContext, id: string, description: string) =>
  ctx.record('lifecycle', description, lifecycleWorkflowId(id));

// ---------------------------------------------------------------------------------------------------------
// 1. Each operation kind, succeeding

const registerPlain: Scenario = {
  name: 'register-plain',
  group: 'default',
  description: 'register a verified number with its PIN: completed, the lifecycle idle and registered',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    expectCompleted((await runToEnd(ctx, id, { operation: 'register', pin: PIN })).summary);
    assert.equal((await ctx.stack.client.getState(id))?.state, 'registered');
    await recordLifecycle(ctx, id, 'Lifecycle after a register that completed, idle (registered).');
  },
};

const deregisterPlain: Scenario = {
  name: 'deregister-plain',
  group: 'default',
  description: 'deregister a number registered on Cloud API: completed, the lifecycle idle and deregistered',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnCloudApi(ctx.stack.sim, id, PIN);
    expectCompleted((await runToEnd(ctx, id, { operation: 'deregister' })).summary);
    assert.equal((await ctx.stack.client.getState(id))?.state, 'deregistered');
    await recordLifecycle(ctx, id, 'Lifecycle after a deregister that completed, idle (deregistered).');
  },
};

const verifyPlain: Scenario = {
  name: 'verify-plain',
  group: 'default',
  description:
    'verify ownership: request_code, the code submitted to the verification child run, verify_code accepted',
  async run(ctx) {
    const id = ctx.number(1);
    await ctx.stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
    const ticket = await request(ctx, id, { operation: 'verify' });
    await activeState(ctx, id, 'waiting-for-code');
    const answer = await ctx.stack.client.submitVerificationCode(id, await sentCode(ctx, id));
    assert.equal(answer.accepted, true, answer.reason);
    expectCompleted(await finished(ctx, id, ticket.operationId));
    assert.equal((await ctx.stack.client.getState(id))?.verification, 'verified');
    await recordLifecycle(ctx, id, 'Lifecycle after a verify that completed in its child run, idle.');
    await ctx.record(
      'verification',
      'Verification child run: code requested, submitted by Update, accepted; completed.',
      ticket.operationId,
    );
  },
};

const setPinPlain: Scenario = {
  name: 'set-pin-plain',
  group: 'default',
  description: 'set the two-step PIN of a verified number: completed',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: '111111' });
    expectCompleted((await runToEnd(ctx, id, { operation: 'set-pin', pin: '222222' })).summary);
    assert.equal((await ctx.stack.client.getState(id))?.pinSet, true);
    await recordLifecycle(ctx, id, 'Lifecycle after a set-pin that completed, idle.');
  },
};

const onboardPlain: Scenario = {
  name: 'onboard-plain',
  group: 'default',
  description:
    'onboard an unverified number: verification child run (code submitted), then local storage in DE and register',
  async run(ctx) {
    const id = ctx.number(1);
    await ctx.stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
    const ticket = await request(ctx, id, { operation: 'onboard', pin: PIN, region: 'DE' });
    await activeState(ctx, id, 'waiting-for-code');
    const answer = await ctx.stack.client.submitVerificationCode(id, await sentCode(ctx, id));
    assert.equal(answer.accepted, true, answer.reason);
    expectCompleted(await finished(ctx, id, ticket.operationId));
    assert.equal((await ctx.stack.sim.phoneNumber(id)).data_localization_region, 'DE');
    assert.equal((await ctx.stack.client.getState(id))?.state, 'registered');
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after an onboard (verify, settings, register) that completed, idle.',
    );
    await ctx.record(
      'verification',
      "Onboard's verification child run: code submitted and accepted; completed.",
      ticket.operationId,
    );
  },
};

const changeRegionPlain: Scenario = {
  name: 'change-region-plain',
  group: 'default',
  description: 'change the region of a registered number to DE: deregister, /settings, register, read back',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnCloudApi(ctx.stack.sim, id, PIN);
    expectCompleted(
      (await runToEnd(ctx, id, { operation: 'change-region', region: 'DE', pin: PIN })).summary,
    );
    const number = await ctx.stack.sim.phoneNumber(id);
    assert.equal(number.status, 'CONNECTED');
    assert.equal(number.data_localization_region, 'DE');
    await recordLifecycle(ctx, id, 'Lifecycle after a change-region that completed, idle (registered).');
  },
};

const migratePlain: Scenario = {
  name: 'migrate-plain',
  group: 'default',
  description: 'migrate an On-Premises number to Cloud API: backup, register with it, post-check',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnPremises(ctx.stack.sim, id, PIN, ONPREM_LOGIN);
    expectCompleted((await runToEnd(ctx, id, migrateRequest(ctx, id, PIN))).summary);
    assert.equal((await ctx.stack.sim.phoneNumber(id)).platform_type, 'CLOUD_API');
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after a migrate that completed, idle (registered on Cloud API).',
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// 2. Each operation kind, failing

const registerFailed: Scenario = {
  name: 'register-failed',
  group: 'default',
  description: 'register with a wrong PIN: Meta answers 133005, the operation fails (GraphPinMismatch)',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: '111111' });
    expectFailed(
      (await runToEnd(ctx, id, { operation: 'register', pin: '222222' })).summary,
      'GraphPinMismatch',
    );
    assert.equal((await ctx.stack.client.getState(id))?.state, 'failed');
    await recordLifecycle(ctx, id, 'Lifecycle after a register refused for its PIN (failed), idle.');
  },
};

const deregisterFailed: Scenario = {
  name: 'deregister-failed',
  group: 'default',
  description: 'deregister of a locked account: 131031 with health_status BLOCKED (GraphAccountLocked)',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnCloudApi(ctx.stack.sim, id, PIN, { account_locked: true });
    expectFailed((await runToEnd(ctx, id, { operation: 'deregister' })).summary, 'GraphAccountLocked');
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after a deregister refused for a locked account (failed), idle.',
    );
  },
};

const verifyFailed: Scenario = {
  name: 'verify-failed',
  group: 'default',
  description:
    'verify where every submitted code is wrong: Meta rejects each (136025), the child run fails (too many wrong codes)',
  async run(ctx) {
    const id = ctx.number(1);
    await ctx.stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
    const ticket = await request(ctx, id, { operation: 'verify' });
    await activeState(ctx, id, 'waiting-for-code');
    const right = await sentCode(ctx, id);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let attempt = 0; ; attempt++) {
      const answer = await ctx.stack.client.submitVerificationCode(id, wrong);
      assert.equal(answer.accepted, false);
      if (answer.attemptsLeft === 0) break;
      assert.ok(attempt < 10, 'attempts never ran out');
    }
    expectFailed(await finished(ctx, id, ticket.operationId), 'VerificationTooManyWrongCodes');
    await recordLifecycle(ctx, id, 'Lifecycle after a verify whose child run failed (wrong codes), idle.');
    await ctx.record(
      'verification',
      'Verification child run: every submitted code rejected by Meta; failed (VerificationTooManyWrongCodes).',
      ticket.operationId,
    );
  },
};

const setPinFailed: Scenario = {
  name: 'set-pin-failed',
  group: 'default',
  description: 'set-pin refused by Meta for a missing permission (code 200): the operation fails',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: '111111' });
    await withFaults(
      ctx,
      [{ endpoint: 'set_pin', phoneNumberId: id, kind: 'graph-error', code: 200 }],
      async () => {
        expectFailed(
          (await runToEnd(ctx, id, { operation: 'set-pin', pin: '222222' })).summary,
          'GraphPermissionDenied',
        );
      },
    );
    await recordLifecycle(ctx, id, 'Lifecycle after a set-pin refused by Meta (failed), idle.');
  },
};

const onboardFailed: Scenario = {
  name: 'onboard-failed',
  group: 'default',
  description: 'onboard of a verified number whose display name was declined: fails before any register',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN, name_status: 'DECLINED' });
    expectFailed(
      (await runToEnd(ctx, id, { operation: 'onboard', pin: PIN })).summary,
      'DisplayNameDeclined',
    );
    assert.equal((await ctx.stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after an onboard that failed on a declined display name, idle.',
    );
  },
};

const changeRegionFailed: Scenario = {
  name: 'change-region-failed',
  group: 'default',
  description:
    'change-region to a region Meta refuses at /settings: the previous region is set back, registered again, RegionNotChanged',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnCloudApi(ctx.stack.sim, id, PIN, {
      data_localization_region: 'CH',
      unavailable_regions: ['DE'],
    });
    expectFailed(
      (await runToEnd(ctx, id, { operation: 'change-region', region: 'DE', pin: PIN })).summary,
      'RegionNotChanged',
    );
    assert.equal((await ctx.stack.sim.phoneNumber(id)).status, 'CONNECTED');
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after a change-region refused at /settings (failed, back online).',
    );
  },
};

const migrateFailed: Scenario = {
  name: 'migrate-failed',
  group: 'default',
  description: 'migrate with On-Prem credentials the On-Prem client refuses: fails before any register',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnPremises(ctx.stack.sim, id, PIN, ONPREM_LOGIN);
    expectFailed(
      (await runToEnd(ctx, id, migrateRequest(ctx, id, PIN, 'not-the-password'))).summary,
      'OnPremAuthError',
    );
    assert.equal((await ctx.stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after a migrate whose On-Prem login was refused (failed), idle.',
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// 3. Waits, recorded open

const waitRateLimit: Scenario = {
  name: 'wait-rate-limit',
  group: 'default',
  description:
    'register on a number whose carried ledger already holds 10 registers: waits (durable timer) for a free slot',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    await startLifecycleWithLedger(ctx.stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
    await request(ctx, id, { operation: 'register', pin: PIN });
    await activeState(ctx, id, 'waiting-for-rate-limit');
    assert.equal((await ctx.stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle started with a full ledger, its register waiting for a budget slot.',
    );
    await terminate(ctx, lifecycleWorkflowId(id));
  },
};

const wait133016: Scenario = {
  name: 'wait-133016-block',
  group: 'default',
  description:
    'register answered 133016 by Meta: the block is recorded and the register waits 72 h on a timer',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    await withFaults(
      ctx,
      [{ endpoint: 'register', phoneNumberId: id, kind: 'graph-error', code: 133016, count: 1 }],
      async () => {
        await request(ctx, id, { operation: 'register', pin: PIN });
        const state = await activeState(ctx, id, 'waiting-for-rate-limit');
        assert.ok((state.ledger.blockedUntil.register ?? 0) > Date.now() + 70 * HOUR, 'a 72-hour block');
      },
    );
    await recordLifecycle(ctx, id, 'Lifecycle whose register waits out a 133016 block (a 72 h timer).');
    await terminate(ctx, lifecycleWorkflowId(id));
  },
};

const waitChangeRegionOnline: Scenario = {
  name: 'wait-change-region-online',
  group: 'default',
  description:
    'change-region with a full register ledger: waits online (nothing sent) until deregister and register both fit',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnCloudApi(ctx.stack.sim, id, PIN);
    await startLifecycleWithLedger(ctx.stack, id, hourlyRegisters(Date.now(), 10, 10), 'registered');
    await request(ctx, id, { operation: 'change-region', region: 'DE', pin: PIN });
    await activeState(ctx, id, 'waiting-for-rate-limit');
    assert.equal((await ctx.stack.sim.requests({ phoneNumberId: id, endpoint: 'deregister' })).length, 0);
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle whose change-region waits online for budget before deregistering.',
    );
    await terminate(ctx, lifecycleWorkflowId(id));
  },
};

const waitOfflineBlock: Scenario = {
  name: 'wait-offline-block',
  group: 'default',
  description:
    'change-region whose register after the deregister is answered 133016: the number is OFFLINE, waiting out the block',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnCloudApi(ctx.stack.sim, id, PIN);
    await withFaults(
      ctx,
      [{ endpoint: 'register', phoneNumberId: id, kind: 'graph-error', code: 133016, count: 1 }],
      async () => {
        await request(ctx, id, { operation: 'change-region', region: 'DE', pin: PIN });
        await activeState(
          ctx,
          id,
          'offline',
          (s) => Date.parse(s.currentOperation?.nextAttemptAt ?? '') > Date.now() + 70 * HOUR,
        );
      },
    );
    assert.equal((await ctx.stack.sim.phoneNumber(id)).status, 'DISCONNECTED');
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle offline mid change-region, its register waiting out a 133016 block.',
    );
    await terminate(ctx, lifecycleWorkflowId(id));
  },
};

const waitCode: Scenario = {
  name: 'wait-code',
  group: 'default',
  description: 'verify after request_code: the verification child run waits for the code a person receives',
  async run(ctx) {
    const id = ctx.number(1);
    await ctx.stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
    const ticket = await request(ctx, id, { operation: 'verify' });
    await activeState(ctx, id, 'waiting-for-code');
    await recordLifecycle(ctx, id, 'Lifecycle running a verify whose child run waits for a code.');
    await ctx.record('verification', 'Verification child run waiting for the code.', ticket.operationId);
    await terminate(ctx, lifecycleWorkflowId(id)); // the child run is terminated with its parent
  },
};

const waitDisplayName: Scenario = {
  name: 'wait-display-name',
  group: 'default',
  description:
    'onboard of a verified number whose display name is pending (name_status NONE): waits and re-checks',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN, name_status: 'NONE' });
    await request(ctx, id, { operation: 'onboard', pin: PIN });
    await activeState(ctx, id, 'waiting-for-display-name');
    assert.equal((await ctx.stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 0);
    await recordLifecycle(ctx, id, 'Lifecycle whose onboard waits for a usable display name.');
    await terminate(ctx, lifecycleWorkflowId(id));
  },
};

const waitPinChangeRegion: Scenario = {
  name: 'wait-pin-change-region',
  group: 'default',
  description:
    'change-region with a wrong PIN: deregistered, the register refused (133005), offline waiting for a corrected PIN',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnCloudApi(ctx.stack.sim, id, PIN);
    await request(ctx, id, { operation: 'change-region', region: 'DE', pin: '999999' });
    await activeState(ctx, id, 'waiting-for-pin');
    await recordLifecycle(ctx, id, 'Lifecycle offline mid change-region, waiting for a corrected PIN.');
    await terminate(ctx, lifecycleWorkflowId(id));
  },
};

const waitPinMigrate: Scenario = {
  name: 'wait-pin-migrate',
  group: 'default',
  description:
    'migrate with a wrong PIN: the On-Prem client went down anyway, on neither API, waiting for a corrected PIN',
  async run(ctx) {
    const id = ctx.number(1);
    await seedOnPremises(ctx.stack.sim, id, PIN, ONPREM_LOGIN);
    await request(ctx, id, migrateRequest(ctx, id, '654321'));
    const state = await activeState(ctx, id, 'waiting-for-pin');
    assert.match(state.currentOperation?.waitingFor ?? '', /NEITHER API/);
    await recordLifecycle(ctx, id, 'Lifecycle mid migrate on neither API, waiting for a corrected PIN.');
    await terminate(ctx, lifecycleWorkflowId(id));
  },
};

// ---------------------------------------------------------------------------------------------------------
// 4. Unknown outcome

const registerUnknownOutcome: Scenario = {
  name: 'register-unknown-outcome',
  group: 'default',
  description:
    'register applied by Meta whose answer is lost (timeout-after-apply): read back as registered, not sent again',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    await withFaults(
      ctx,
      // The stack's Graph timeout is 2 s: the answer held 4 s is never seen.
      [{ endpoint: 'register', phoneNumberId: id, kind: 'timeout-after-apply', hangMs: 4000, count: 1 }],
      async () => expectCompleted((await runToEnd(ctx, id, { operation: 'register', pin: PIN })).summary),
    );
    assert.equal((await ctx.stack.sim.requests({ phoneNumberId: id, endpoint: 'register' })).length, 1);
    assert.equal((await ctx.stack.sim.phoneNumber(id)).status, 'CONNECTED');
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after a register whose lost answer was read back as applied, idle.',
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// 5. Cancel and retry

const cancelRetry: Scenario = {
  name: 'cancel-retry',
  group: 'default',
  description:
    'onboard cancelled while it waits for a display name, then retryOperation once the name is approved: completed',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN, name_status: 'NONE' });
    const first = await request(ctx, id, { operation: 'onboard', pin: PIN });
    await activeState(ctx, id, 'waiting-for-display-name');
    const cancelled = await ctx.stack.client.cancelOperation(id, { requestedBy: 'replay-recorder' });
    assert.equal(cancelled.status, 'cancel-requested');
    expectFailed(await finished(ctx, id, first.operationId), 'Cancelled');
    await ctx.stack.sim.patchPhoneNumber(id, { name_status: 'APPROVED' });
    const retry = await ctx.stack.client.retryOperation(id, { requestedBy: 'replay-recorder' });
    const done = await finished(ctx, id, retry.operationId);
    expectCompleted(done);
    assert.equal(done.retryOf, first.operationId);
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after an onboard cancelled mid-wait and its retry completed, idle.',
    );
  },
};

const cancelQueued: Scenario = {
  name: 'cancel-queued',
  group: 'default',
  description:
    'a deregister queued behind a slow register, cancelled before it started; the register completes',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    await withFaults(
      ctx,
      [{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 1500, count: 1 }],
      async () => {
        const register = await request(ctx, id, { operation: 'register', pin: PIN });
        const deregister = await request(ctx, id, { operation: 'deregister' });
        assert.equal(deregister.position, 1);
        const result = await ctx.stack.client.cancelOperation(id, { operationId: deregister.operationId });
        assert.equal(result.status, 'cancelled');
        expectCompleted(await finished(ctx, id, register.operationId));
      },
    );
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after a queued deregister was dropped and the register completed, idle.',
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// 6. Continue-as-new

const lifecycleContinueAsNew: Scenario = {
  name: 'lifecycle-continue-as-new',
  group: 'continue-as-new',
  description:
    'register and deregister twice with continue-as-new suggested at 30 events: the lifecycle continues as new ' +
    'when idle, and its successors run operations on the carried ledger',
  async run(ctx) {
    const id = ctx.number(1);
    const lifecycle = lifecycleWorkflowId(id);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    for (let round = 1; round <= 2; round++) {
      expectCompleted((await runToEnd(ctx, id, { operation: 'register', pin: PIN })).summary);
      expectCompleted((await runToEnd(ctx, id, { operation: 'deregister' })).summary);
      // Idle with a long history: it continues as new, so the next round runs in the successor.
      await until(`run ${round + 1} of the lifecycle`, async () => {
        const { count } = await ctx.stack.env.client.workflow.count(`WorkflowId = "${lifecycle}"`);
        return count > round ? true : undefined;
      });
    }
    const state = await ctx.stack.client.getState(id);
    assert.equal(state?.ledger.entries.length, 4, 'the ledger crossed the run boundaries');
    const runs = await ctx.recordChain(
      'lifecycle',
      'Lifecycle run of a continue-as-new chain (register and deregister per run; the ledger carried over).',
      lifecycle,
    );
    assert.ok(runs >= 3, `expected two continue-as-new, saw ${runs} run(s)`);
  },
};

const fleetContinueAsNew: Scenario = {
  name: 'fleet-continue-as-new',
  group: 'continue-as-new',
  description:
    'a 10-number register fleet, concurrency 2, with continue-as-new suggested at 30 events: several fleet runs, each after its members in flight ended',
  async run(ctx) {
    const ids = Array.from({ length: 10 }, (_, i) => ctx.number(i + 1));
    for (const id of ids) await seedVerified(ctx.stack.sim, id, { pin: PIN });
    const fleetId = 'replay-fleet-can';
    await ctx.stack.client.startFleet({
      fleetId,
      operation: 'register',
      concurrency: 2,
      requestedBy: 'replay-recorder',
      members: registerMembers(ids),
    });
    const progress = await fleetResult(ctx, fleetId);
    assert.equal(progress.counts.completed, 10);
    const runs = await ctx.recordChain(
      'fleet',
      'Fleet run of a continue-as-new chain (outcomes and pending numbers carried over).',
      fleetWorkflowId(fleetId),
    );
    assert.ok(runs > 1, `expected the fleet to continue as new, saw ${runs} run(s)`);
    await ctx.recordChain(
      'member-lifecycle',
      "A fleet member's lifecycle run (register for the fleet, signalled it the end).",
      lifecycleWorkflowId(ids[0]!),
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// 7. Fleets: with failures, cancelled, and open

const fleetFailures: Scenario = {
  name: 'fleet-failures',
  group: 'default',
  description:
    'a 3-number register fleet: one completes, one is refused as not verified (133006), one for its PIN (133005)',
  async run(ctx) {
    const [ok, unverified, wrongPin] = [ctx.number(1), ctx.number(2), ctx.number(3)];
    await seedVerified(ctx.stack.sim, ok, { pin: PIN });
    await ctx.stack.sim.seed({ id: unverified, code_verification_status: 'NOT_VERIFIED', pin: PIN });
    await seedVerified(ctx.stack.sim, wrongPin, { pin: '111111' });
    const fleetId = 'replay-fleet-failures';
    await ctx.stack.client.startFleet({
      fleetId,
      operation: 'register',
      concurrency: 2,
      requestedBy: 'replay-recorder',
      members: registerMembers([ok, unverified, wrongPin]),
    });
    const progress = await fleetResult(ctx, fleetId);
    assert.equal(progress.phase, 'finished');
    assert.equal(progress.counts.completed, 1);
    assert.equal(progress.counts.failed, 2);
    await ctx.record('fleet', 'Fleet that finished with two failed numbers.', fleetWorkflowId(fleetId));
    for (const [role, id, what] of [
      ['member-ok-lifecycle', ok, 'completed its register'],
      ['member-unverified-lifecycle', unverified, 'failed its register (not verified)'],
      ['member-wrong-pin-lifecycle', wrongPin, 'failed its register (PIN mismatch)'],
    ] as const) {
      await ctx.record(
        role,
        `Fleet member lifecycle that ${what} and signalled the fleet, idle.`,
        lifecycleWorkflowId(id),
      );
    }
  },
};

const fleetCancelled: Scenario = {
  name: 'fleet-cancelled',
  group: 'default',
  description:
    'a 3-number fleet, concurrency 2, both started numbers waiting for budget: cancelled with cancelRunning',
  async run(ctx) {
    const ids = [ctx.number(1), ctx.number(2), ctx.number(3)];
    for (const id of ids) await seedVerified(ctx.stack.sim, id, { pin: PIN });
    const started = ids.slice(0, 2);
    for (const id of started) {
      await startLifecycleWithLedger(ctx.stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
    }
    const fleetId = 'replay-fleet-cancelled';
    await ctx.stack.client.startFleet({
      fleetId,
      operation: 'register',
      concurrency: 2,
      requestedBy: 'replay-recorder',
      members: registerMembers(ids),
    });
    for (const id of started) await activeState(ctx, id, 'waiting-for-rate-limit');
    await fleetProgress(ctx, fleetId, '2 running', (p) => p.counts.running === 2);
    const result = await ctx.stack.client.cancelFleet(fleetId, 'replay-recorder', { cancelRunning: true });
    assert.deepEqual(result, { notStarted: 1, stillRunning: 2, cancelRequested: 2 });
    const progress = await fleetResult(ctx, fleetId);
    assert.equal(progress.phase, 'cancelled');
    assert.equal(progress.counts.failed, 2);
    assert.equal(progress.counts['not-started'], 1);
    await ctx.record(
      'fleet',
      'Fleet cancelled with cancelRunning: one number never started, two cancelled at their safe point.',
      fleetWorkflowId(fleetId),
    );
    for (const [i, id] of started.entries()) {
      await ctx.record(
        `member-${i + 1}-lifecycle`,
        "Fleet member lifecycle whose register (waiting for budget) the fleet's cancel stopped, idle.",
        lifecycleWorkflowId(id),
      );
    }
  },
};

const fleetOpen: Scenario = {
  name: 'fleet-open',
  group: 'default',
  description:
    'a 2-number fleet, concurrency 1, its running number waiting for budget and one pending: recorded open',
  async run(ctx) {
    const ids = [ctx.number(1), ctx.number(2)];
    for (const id of ids) await seedVerified(ctx.stack.sim, id, { pin: PIN });
    await startLifecycleWithLedger(ctx.stack, ids[0]!, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
    const fleetId = 'replay-fleet-open';
    await ctx.stack.client.startFleet({
      fleetId,
      operation: 'register',
      concurrency: 1,
      requestedBy: 'replay-recorder',
      members: registerMembers(ids),
    });
    await activeState(ctx, ids[0]!, 'waiting-for-rate-limit');
    await fleetProgress(
      ctx,
      fleetId,
      '1 running, 1 pending',
      (p) => p.counts.running === 1 && p.counts.pending === 1,
    );
    await ctx.record(
      'fleet',
      'Fleet waiting for its running number, one still pending.',
      fleetWorkflowId(fleetId),
    );
    await ctx.record(
      'member-lifecycle',
      'Fleet member lifecycle whose register waits for budget, the fleet subscribed to its end.',
      lifecycleWorkflowId(ids[0]!),
    );
    await terminate(ctx, fleetWorkflowId(fleetId));
    await terminate(ctx, lifecycleWorkflowId(ids[0]!));
  },
};

// ---------------------------------------------------------------------------------------------------------
// 8. Recovery after a terminate

const lifecycleRecovered: Scenario = {
  name: 'lifecycle-recovered',
  group: 'default',
  description:
    'a lifecycle terminated with its register in flight; the next request starts a successor that adopts the memo ledger',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    const handle = ctx.stack.env.client.workflow.getHandle(lifecycleWorkflowId(id));
    let terminatedRunId = '';
    await withFaults(
      ctx,
      [{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 2000, count: 1 }],
      async () => {
        await request(ctx, id, { operation: 'register', pin: PIN });
        await until(
          'the register to be in flight',
          async () =>
            (await ctx.stack.client.getState(id))?.ledger.entries.some((e) => e.inFlight) ? true : undefined,
          { timeoutMs: 20_000, intervalMs: 50 },
        );
        terminatedRunId = (await handle.describe()).runId;
        await handle.terminate('replay recorder: terminated mid-register');
        await until(
          'Meta to apply the register',
          async () => ((await ctx.stack.sim.phoneNumber(id)).status === 'CONNECTED' ? true : undefined),
          { timeoutMs: 20_000, intervalMs: 100 },
        );
      },
    );
    const { summary } = await runToEnd(ctx, id, { operation: 'register', pin: PIN });
    expectCompleted(summary, 'already-done');
    const state = await ctx.stack.client.getState(id);
    assert.equal(state?.recovered?.runId, terminatedRunId);
    assert.equal(state?.recovered?.inFlight, 1);
    await ctx.record(
      'lifecycle-terminated',
      'Lifecycle run terminated while its register was in flight.',
      lifecycleWorkflowId(id),
      terminatedRunId,
    );
    await ctx.record(
      'lifecycle-successor',
      "Successor run that recovered the terminated run's memo ledger and read the register back as done, idle.",
      lifecycleWorkflowId(id),
    );
  },
};

const metaWebhookNameApproved: Scenario = {
  name: 'meta-webhook-name-approved',
  group: 'default',
  description:
    'onboard waiting for its display name, woken by a phone_number_name_update (APPROVED) delivered by the intake workflow: completed',
  async run(ctx) {
    const id = ctx.number(1);
    const wabaId = `8${id.slice(1)}`;
    await seedVerified(ctx.stack.sim, id, {
      pin: PIN,
      name_status: 'NONE',
      waba_id: wabaId,
      display_phone_number: `+1 555-${id.slice(-7, -4)}-${id.slice(-4)}`,
    });
    const ticket = await request(ctx, id, { operation: 'onboard', pin: PIN });
    await activeState(ctx, id, 'waiting-for-display-name');
    await ctx.stack.sim.patchPhoneNumber(id, { name_status: 'APPROVED' });
    const intakeId = `meta-webhook:replay-${id}`;
    await ctx.stack.env.client.workflow.execute(metaWebhookIntake, {
      workflowId: intakeId,
      taskQueue: ctx.stack.config.temporal.taskQueue,
      args: [
        {
          receivedAt: new Date().toISOString(),
          events: [
            {
              wabaId,
              displayPhoneNumber: `1555${id.slice(-7)}`,
              change: { kind: 'name', decision: 'APPROVED' },
            },
          ],
        },
      ],
    });
    expectCompleted(await finished(ctx, id, ticket.operationId, 30_000));
    await ctx.record(
      'intake',
      'Intake of one Meta webhook delivery: resolved and signalled, closed.',
      intakeId,
    );
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after an onboard woken by a display-name webhook, idle (registered).',
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// 9. Outbound webhooks (last: a subscription may linger in the workers' few-second cache)

const webhooksDelivered: Scenario = {
  name: 'webhooks-delivered',
  group: 'default',
  description:
    'a webhook subscription created through the client library and a register whose operation.succeeded is POSTed to a receiver: the lifecycle with its emission, the delivery run, the open subscription store',
  async run(ctx) {
    const eventIds: string[] = [];
    const receiver = createServer((req, res) => {
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') eventIds.push(id);
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const subscriptions = new WebhookSubscriptionsClient(
      ctx.stack.env.client,
      ctx.stack.config.temporal.taskQueue,
      {
        allowedUrlPrefixes: ['http://127.0.0.1:'],
        subscriptions: [],
      },
    );
    await subscriptions.createWebhookSubscription({
      id: 'replay-recorder',
      url,
      events: ['operation.succeeded'],
    });
    try {
      const id = ctx.number(1);
      await seedVerified(ctx.stack.sim, id, { pin: PIN });
      expectCompleted((await runToEnd(ctx, id, { operation: 'register', pin: PIN })).summary);
      const eventId = await until('the event to reach the receiver', async () => eventIds[0], {
        timeoutMs: 20_000,
      });
      await recordLifecycle(
        ctx,
        id,
        "Lifecycle after a register that emitted operation.succeeded (the 'webhook-events' patch and a local-activity marker), idle.",
      );
      await ctx.record(
        'delivery',
        'Delivery of one event to one subscription, completed.',
        webhookDeliveryWorkflowId(eventId),
      );
      await ctx.record(
        'subscriptions',
        'The webhook subscription store holding one subscription, open (it never ends).',
        WEBHOOK_SUBSCRIPTIONS_WORKFLOW_ID,
      );
    } finally {
      await subscriptions.deleteWebhookSubscription('replay-recorder');
      await new Promise((resolve) => receiver.close(resolve));
    }
  },
};

// ---------------------------------------------------------------------------------------------------------
// runOperation: callers waiting on the long poll

const runOperationCallers: Scenario = {
  name: 'run-operation-callers',
  group: 'default',
  description:
    'six callers run one register with runOperation while it runs: five held until it ends, one answered at once',
  async run(ctx) {
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    // The register answers after 1.5 s, so every caller's Update arrives while it runs.
    const latency = [{ endpoint: 'register', phoneNumberId: id, kind: 'latency', latencyMs: 1500 }];
    await withFaults(ctx, latency, async () => {
      const request = { operation: 'register', pin: PIN, requestedBy: 'replay-recorder' } as const;
      const summaries = await Promise.all(
        Array.from({ length: 6 }, () => ctx.stack.client.runOperation(id, request, { pollIntervalMs: 100 })),
      );
      for (const summary of summaries) expectCompleted(summary);
    });
    await recordLifecycle(
      ctx,
      id,
      'Lifecycle after a register run by six runOperation callers (five held to its end, one answered at once), idle.',
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// A number's first operations without the reads they do not need (issue 18)

const leanFirstOperations: Scenario = {
  name: 'lean-first-operations',
  group: 'default',
  description:
    'a register on a fresh lifecycle that takes its policy from the recovery, then a deregister that reads its own; no subscription wants their events, so neither emits one',
  async run(ctx) {
    // No subscription a scenario before created may linger in a worker's cache.
    await new Promise((r) => setTimeout(r, ctx.stack.config.webhooks.subscriptionCacheSeconds * 1000 + 500));
    const id = ctx.number(1);
    await seedVerified(ctx.stack.sim, id, { pin: PIN });
    expectCompleted((await runToEnd(ctx, id, { operation: 'register', pin: PIN })).summary);
    expectCompleted((await runToEnd(ctx, id, { operation: 'deregister' })).summary);
    const history = await ctx.stack.env.client.workflow.getHandle(lifecycleWorkflowId(id)).fetchHistory();
    assert.deepEqual(localActivityTypes(history.events ?? []), ['recoverLedger', 'loadPolicy']);
    await recordLifecycle(
      ctx,
      id,
      "Lifecycle after a register (policy from the fresh run's recovery) and a deregister (its own policy read), no event emitted, idle.",
    );
  },
};

export const SCENARIOS: readonly Scenario[] = [
  registerPlain,
  deregisterPlain,
  verifyPlain,
  setPinPlain,
  onboardPlain,
  changeRegionPlain,
  migratePlain,
  registerFailed,
  deregisterFailed,
  verifyFailed,
  setPinFailed,
  onboardFailed,
  changeRegionFailed,
  migrateFailed,
  waitRateLimit,
  wait133016,
  waitChangeRegionOnline,
  waitOfflineBlock,
  waitCode,
  waitDisplayName,
  waitPinChangeRegion,
  waitPinMigrate,
  registerUnknownOutcome,
  cancelRetry,
  cancelQueued,
  lifecycleContinueAsNew,
  fleetContinueAsNew,
  fleetFailures,
  fleetCancelled,
  fleetOpen,
  lifecycleRecovered,
  metaWebhookNameApproved,
  webhooksDelivered,
  runOperationCallers,
  leanFirstOperations,
];

/**
 * The i-th phone-number ID of the scenario at `index` in SCENARIOS: 9, the scenario's number, i (10 digits),
 * so every scenario has its own numbers and a re-recording uses the same ones.
 */
export function scenarioNumber(index: number, i: number): string {
  return `9${String(index + 1).padStart(3, '0')}${String(i).padStart(6, '0')}`;
}
