// A register whose activity ends without a Graph answer (the worker died holding it, its completion was
// lost in a server outage, or it threw unclassified) may have reached Meta. The operation must read the
// number back rather than fail, and the request must stay in the ledger whatever happens next.
// Found by the kill-worker and restart-server drills (docs/drills.md). Workflow unit test: recording
// activities on the time-skipping server, which lets the 3-minute activity timeout pass at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import { emptyLedger } from '../../domain/ledger';
import type { OperationReport } from '../../domain/operations';
import { loadConfig, operationPolicy } from '../../worker/config';
import { registerOperation } from '../../workflows';
import { startWorkflowUnitEnv, type WorkflowUnitEnv } from '../helpers/workflow-unit';

let env: WorkflowUnitEnv['env'];
let workflowBundle: WorkflowUnitEnv['workflowBundle'];
const policy = { ...operationPolicy(loadConfig({ env: {} })), transientBackoffMs: 1000 };

before(async () => {
  ({ env, workflowBundle } = await startWorkflowUnitEnv());
});
after(async () => {
  await env?.teardown();
});

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

async function register(
  name: string,
  number: FakeNumber,
  sendRegister: Activities['registerPhoneNumber'],
): Promise<{ report?: OperationReport; failure?: ApplicationFailure }> {
  const activities: Partial<Activities> = {
    async readPhoneNumber(id) {
      number.reads++;
      if (number.readsFail) throw ApplicationFailure.nonRetryable('Graph says no', 'GraphPermissionDenied');
      return number.snapshot(id);
    },
    registerPhoneNumber: sendRegister,
  };
  const taskQueue = `silent-${name}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities,
  });
  const run = env.client.workflow.execute(registerOperation, {
    taskQueue,
    workflowId: `silent-${name}`,
    args: [
      {
        phoneNumberId: '1',
        operationId: `op-${name}`,
        request: { operation: 'register', pin: '123456' },
        ledger: emptyLedger(),
        policy,
      },
    ],
  });
  try {
    return { report: (await worker.runUntil(run)) as OperationReport };
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, `expected the operation to fail, got ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    return { failure: err.cause };
  }
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
    await env.sleep(4 * 60_000);
  };
}

test('a register that timed out after Meta applied it: read back, completed, the request in the ledger', async () => {
  const number = new FakeNumber();
  const { report, failure } = await register('timeout-applied', number, applyThenHang(number));
  assert.equal(failure, undefined, `operation failed: ${failure?.message}`);
  assert.equal(report!.outcome, 'completed');
  assert.equal(number.registers, 1, 'no second register: the read showed the first one took effect');
  assert.equal(report!.ledger.entries.filter((e) => e.endpoint === 'register').length, 1);
});

test('an unclassified error from the register activity: read back, sent again, both requests in the ledger', async () => {
  const number = new FakeNumber();
  const { report } = await register('unclassified', number, async () => {
    number.registers++;
    if (number.registers === 1) throw new TypeError('cannot read properties of undefined'); // a bug, not Graph
    number.registered = true;
  });
  assert.equal(report?.outcome, 'completed');
  assert.equal(number.registers, 2);
  assert.equal(report!.ledger.entries.filter((e) => e.endpoint === 'register').length, 2);
});

test('a register timed out and the read-back fails too: the operation fails, still reporting the request', async () => {
  const number = new FakeNumber();
  const hang = applyThenHang(number);
  const { report, failure } = await register('read-fails', number, async (id, params) => {
    number.readsFail = true; // from here on Graph refuses reads
    await hang(id, params);
  });
  assert.equal(report, undefined);
  const failed = failure!.details?.[0] as OperationReport;
  assert.equal(failed.ledger.entries.filter((e) => e.endpoint === 'register').length, 1);
  assert.equal(failed.failure?.type, 'GraphPermissionDenied');
  assert.equal(number.registers, 1);
});
