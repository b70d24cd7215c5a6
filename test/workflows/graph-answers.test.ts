// How operations answer Meta's refusals whose right handling needs time or a sequence the simulator on a
// real-time dev server cannot show quickly (issue 12): PIN lockouts (133008) waited out with a corrected
// PIN, PINs entered too fast (133009: wait, then once), the 133000 remedy, a locked account (131031) that
// stops without a PIN wait, and migrate's post-check on a FLAGGED number. Workflow unit tests: stand-in
// activities on the time-skipping server. The end-to-end answers through the simulator are in
// test/integration/graph-fidelity.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import { GraphErrorType } from '../../domain/graph-errors';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { getStateQuery, requestOperationUpdate, type OperationTicket } from '../../workflows/messages';
import { runOnLifecycle, UNIT_POLICY, useWorkflowUnitEnv } from '../helpers/workflow-unit';

const suite = useWorkflowUnitEnv();
const MINUTE = 60_000;

/** Meta's side of one number: registration, local storage, and every mutation in order. */
class FakeNumber {
  registered: boolean;
  platformType: string;
  status: string;
  region: string | undefined;
  calls: string[] = [];
  pins: string[] = [];
  constructor(init: { registered: boolean; platformType?: string; status?: string; region?: string }) {
    this.registered = init.registered;
    this.platformType = init.platformType ?? (init.registered ? 'CLOUD_API' : 'NOT_APPLICABLE');
    this.status = init.status ?? (init.registered ? 'CONNECTED' : 'DISCONNECTED');
    this.region = init.region;
  }
  snapshot(id: string): PhoneNumberSnapshot {
    return {
      phoneNumberId: id,
      status: this.status,
      platformType: this.platformType,
      registration: this.registered ? 'registered' : 'not-registered',
      verification: 'verified',
    };
  }
  /** Stand-in activities; `register` decides each register's answer (throw to refuse). */
  activities(register: (pin: string, attempt: number) => void): Partial<Activities> {
    return {
      readPhoneNumber: async (id) => this.snapshot(id),
      readLocalStorage: async () =>
        this.region ? { enabled: true, region: this.region } : { enabled: false },
      configureLocalStorage: async (_id, region) => {
        this.calls.push(`settings:${region ?? 'off'}`);
        this.region = region;
      },
      deregisterPhoneNumber: async () => {
        this.calls.push('deregister');
        this.registered = false;
        this.platformType = 'NOT_APPLICABLE';
        this.region = undefined; // deregistering turns local storage off
      },
      registerPhoneNumber: async (_id, params) => {
        this.calls.push('register');
        this.pins.push(params.pin);
        register(params.pin, this.pins.length);
        this.registered = true;
        this.platformType = 'CLOUD_API';
        this.status = 'CONNECTED';
      },
    };
  }
}

const refusal = (type: string, code: number, retryAfterMs?: number) =>
  ApplicationFailure.create({
    message: `(#${code}) refused`,
    type,
    nonRetryable: true,
    details: [{ code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }],
  });

let numbers = 0;
const nextId = () => String(9100 + ++numbers);

/** Waits until the number's running operation shows `activeState`, then sends `then`. */
async function whenState(id: string, activeState: string, then: () => Promise<unknown>): Promise<void> {
  const handle = suite.current.env.client.workflow.getHandle(lifecycleWorkflowId(id));
  for (let i = 0; i < 400; i++) {
    const s = await handle.query(getStateQuery);
    if (s.currentOperation?.activeState === activeState) {
      await then();
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`never reached ${activeState}`);
}

test('133008 while a region change brings the number back: the refused PIN is never resent; the corrected one goes out once Meta lifts the lockout', async () => {
  const id = nextId();
  const number = new FakeNumber({ registered: true });
  const request = { operation: 'change-region' as const, region: 'DE' as const, pin: '111111' };
  const report = await runOnLifecycle(suite.current, {
    taskQueue: 'answers-133008',
    phoneNumberId: id,
    request,
    policy: UNIT_POLICY,
    activities: number.activities((_pin, attempt) => {
      if (attempt === 1) throw refusal(GraphErrorType.PinLockedOut, 133008, 30 * MINUTE);
    }),
    during: (ticket: OperationTicket) =>
      whenState(id, 'waiting-for-pin', () =>
        suite.current.env.client.workflow
          .getHandle(lifecycleWorkflowId(id))
          .executeUpdate(requestOperationUpdate, { args: [{ ...request, pin: '654321' }] })
          .then((t) =>
            assert.equal(t.operationId, ticket.operationId, 'the corrected PIN joins the waiting run'),
          ),
      ),
  });
  assert.equal(report.failure, undefined, report.failure?.message);
  assert.deepEqual(number.pins, ['111111', '654321']);
  const [first, second] = report.ledger.entries.filter((e) => e.endpoint === 'register');
  assert.ok(second!.at - first!.at >= 30 * MINUTE, 'the corrected PIN waited for the lockout to end');
  assert.equal(report.snapshot.ledger.pinLockedUntil, first!.at + 30 * MINUTE);
});

test('133009 (PIN entered too fast): the same PIN once more after the wait Meta gives; twice fails without a third try', async () => {
  const once = new FakeNumber({ registered: false });
  const ok = await runOnLifecycle(suite.current, {
    taskQueue: 'answers-133009-once',
    phoneNumberId: nextId(),
    request: { operation: 'register', pin: '123456' },
    policy: UNIT_POLICY,
    activities: once.activities((_pin, attempt) => {
      if (attempt === 1) throw refusal(GraphErrorType.PinTooFast, 133009, 45_000);
    }),
  });
  assert.equal(ok.outcome, 'completed', ok.failure?.message);
  assert.deepEqual(once.pins, ['123456', '123456']);
  const [a, b] = ok.ledger.entries;
  assert.ok(b!.at - a!.at >= 45_000);

  const twice = new FakeNumber({ registered: false });
  const failed = await runOnLifecycle(suite.current, {
    taskQueue: 'answers-133009-twice',
    phoneNumberId: nextId(),
    request: { operation: 'register', pin: '123456' },
    policy: UNIT_POLICY,
    activities: twice.activities(() => {
      throw refusal(GraphErrorType.PinTooFast, 133009, 45_000);
    }),
  });
  assert.equal(failed.failure?.type, GraphErrorType.PinTooFast);
  assert.equal(twice.pins.length, 2);
});

test("133000 (incomplete deregistration): Meta's remedy inside the register operation, deregister then register", async () => {
  const number = new FakeNumber({ registered: false });
  const report = await runOnLifecycle(suite.current, {
    taskQueue: 'answers-133000',
    phoneNumberId: nextId(),
    request: { operation: 'register', pin: '123456' },
    policy: UNIT_POLICY,
    activities: number.activities((_pin, attempt) => {
      if (attempt === 1) throw refusal(GraphErrorType.IncompleteDeregistration, 133000);
    }),
  });
  assert.equal(report.outcome, 'completed', report.failure?.message);
  assert.deepEqual(number.calls, ['register', 'deregister', 'register']);
  assert.deepEqual(
    report.ledger.entries.map((e) => e.endpoint),
    ['register', 'deregister', 'register'],
  );
});

test('131031 on a locked account while a region change brings the number back: its own failure, no PIN wait, no more registers', async () => {
  const id = nextId();
  const number = new FakeNumber({ registered: true });
  let waitedForPin = false;
  const report = await runOnLifecycle(suite.current, {
    taskQueue: 'answers-131031',
    phoneNumberId: id,
    request: { operation: 'change-region', region: 'DE', pin: '123456' },
    policy: UNIT_POLICY,
    activities: number.activities(() => {
      throw refusal(GraphErrorType.AccountLocked, 131031);
    }),
    during: async () => {
      const handle = suite.current.env.client.workflow.getHandle(lifecycleWorkflowId(id));
      for (let i = 0; i < 40; i++) {
        const s = await handle.query(getStateQuery);
        if (s.currentOperation?.activeState === 'waiting-for-pin') waitedForPin = true;
        if (!s.currentOperation) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  });
  assert.equal(report.failure?.type, GraphErrorType.AccountLocked);
  assert.equal(waitedForPin, false);
  assert.deepEqual(number.calls, ['deregister', 'settings:DE', 'register']);
});

test("migrate's post-check accepts a registered Cloud API number in a quality state (FLAGGED)", async () => {
  const number = new FakeNumber({ registered: false, platformType: 'ON_PREMISE', status: 'CONNECTED' });
  const activities = number.activities(() => undefined);
  const report = await runOnLifecycle(suite.current, {
    taskQueue: 'answers-flagged-migrate',
    phoneNumberId: nextId(),
    request: {
      operation: 'migrate',
      pin: '123456',
      onPrem: { url: 'http://onprem.invalid', username: 'admin', password: 'pw' },
      backupPassword: 'backup-pw',
    },
    policy: UNIT_POLICY,
    activities: {
      ...activities,
      readPhoneNumber: async (id) => ({ ...number.snapshot(id), nameStatus: 'APPROVED' }),
      createOnPremBackup: async () => 'backup-data',
      registerPhoneNumber: async (id, params) => {
        await activities.registerPhoneNumber!(id, params);
        number.status = 'FLAGGED'; // registered, with a quality flag
      },
    },
  });
  assert.equal(report.outcome, 'completed', report.failure?.message);
});
