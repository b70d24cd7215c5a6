// A register whose activity ends without a Graph answer (the worker died holding it, its completion was
// lost in a server outage, or it threw unclassified) may have reached Meta. The operation must read the
// number back rather than fail, and the request must stay in the ledger whatever happens next.
// Found by the kill-worker and restart-server drills (docs/drills.md). Workflow unit test: recording
// activities on the time-skipping server, which lets the 3-minute activity timeout pass at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import { runOnLifecycle, UNIT_POLICY, useWorkflowUnitEnv } from '../helpers/workflow-unit';

const suite = useWorkflowUnitEnv();
const policy = { ...UNIT_POLICY, maxTransientRetries: 5 };

/** Meta's side of one number, and what the operation did to it. */
class FakeNumber {
  registered = false;
  registers = 0;
  reads = 0;
  readsFail = false;
  snapshot(id: string): PhoneNumberSnapshot {
    return {
      phoneNumberId: id,
      registration: this.registered ? 'registered' : 'not-registered',
      verification: 'verified',
    };
  }
}

let numbers = 0;
function register(name: string, number: FakeNumber, sendRegister: Activities['registerPhoneNumber']) {
  return runOnLifecycle(suite.current, {
    taskQueue: `silent-${name}`,
    phoneNumberId: String(700 + ++numbers),
    request: { operation: 'register', pin: '123456' },
    policy,
    activities: {
      async readPhoneNumber(id) {
        number.reads++;
        if (number.readsFail) throw ApplicationFailure.nonRetryable('Graph says no', 'GraphPermissionDenied');
        return number.snapshot(id);
      },
      registerPhoneNumber: sendRegister,
    },
  });
}

/**
 * Applies the register at Meta, then does not answer before its 3-minute start-to-close timeout: the
 * server's clock is moved 4 minutes on (the time-skipping server does not skip past a running activity
 * by itself), so the server times the activity out and drops its late answer.
 */
function applyThenHang(number: FakeNumber): Activities['registerPhoneNumber'] {
  return async () => {
    number.registers++;
    number.registered = true;
    await suite.current.env.sleep(4 * 60_000);
  };
}

test('a register that timed out after Meta applied it: read back, completed, the request in the ledger', async () => {
  const number = new FakeNumber();
  const report = await register('timeout-applied', number, applyThenHang(number));
  assert.equal(report.failure, undefined, `operation failed: ${report.failure?.message}`);
  assert.equal(report.outcome, 'completed');
  assert.equal(number.registers, 1, 'no second register: the read showed the first one took effect');
  assert.equal(report.ledger.entries.filter((e) => e.endpoint === 'register').length, 1);
});

test('an unclassified error from the register activity: read back, sent again, both requests in the ledger', async () => {
  const number = new FakeNumber();
  const report = await register('unclassified', number, async () => {
    number.registers++;
    if (number.registers === 1) throw new TypeError('cannot read properties of undefined'); // a bug, not Graph
    number.registered = true;
  });
  assert.equal(report.outcome, 'completed');
  assert.equal(number.registers, 2);
  assert.equal(report.ledger.entries.filter((e) => e.endpoint === 'register').length, 2);
});

test('a register timed out and the read-back fails too: the operation fails, still reporting the request', async () => {
  const number = new FakeNumber();
  const hang = applyThenHang(number);
  const report = await register('read-fails', number, async (id, params) => {
    number.readsFail = true; // from here on Graph refuses reads
    await hang(id, params);
  });
  assert.equal(report.ledger.entries.filter((e) => e.endpoint === 'register').length, 1);
  assert.equal(report.failure?.type, 'GraphPermissionDenied');
  assert.equal(number.registers, 1);
});
