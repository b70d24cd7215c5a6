// The runOperation Update in the lifecycle, with stand-in activities on the time-skipping server: callers
// are held until their operation ends, at most 5 at once (the server admits 10 Updates in flight per
// workflow, and cancel needs one); the rest get their ticket at once.
import { test } from 'node:test';
import { WorkflowUpdateStage } from '@temporalio/client';
import assert from 'node:assert/strict';
import type { PhoneNumberSnapshot } from '../../activities';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { runOperationUpdate, type OperationRun } from '../../workflows/messages';
import { runOnLifecycle, UNIT_POLICY, useWorkflowUnitEnv } from '../helpers/workflow-unit';

const suite = useWorkflowUnitEnv();

test('five callers are held until the register ends; the sixth and later get their ticket at once', async () => {
  let release!: () => void;
  const registered = new Promise<void>((resolve) => (release = resolve));
  let sent = 0;
  const held: Promise<OperationRun>[] = [];
  const report = await runOnLifecycle(suite.current, {
    taskQueue: 'run-operation-held',
    phoneNumberId: '951',
    request: { operation: 'register', pin: '123456' },
    policy: UNIT_POLICY,
    activities: {
      readPhoneNumber: async (id): Promise<PhoneNumberSnapshot> => ({
        phoneNumberId: id,
        registration: 'not-registered',
        verification: 'verified',
      }),
      async registerPhoneNumber() {
        sent++;
        await registered;
      },
    },
    async during(ticket) {
      const handle = suite.current.env.client.workflow.getHandle(lifecycleWorkflowId('951'));
      const run = () =>
        handle.executeUpdate(runOperationUpdate, { args: [{ operation: 'register', pin: '123456' }] });
      try {
        // Five callers, accepted (so held: the handler counts them as it accepts). Then two more.
        const five = await Promise.all(
          Array.from({ length: 5 }, () =>
            handle.startUpdate(runOperationUpdate, {
              args: [{ operation: 'register', pin: '123456' }],
              waitForStage: WorkflowUpdateStage.ACCEPTED,
            }),
          ),
        );
        held.push(...five.map((h) => h.result()));
        // Without the cap these would wait for the register, which waits for release() below: fail instead.
        const answeredSoon = (answer: Promise<OperationRun>) =>
          Promise.race([
            answer,
            new Promise<never>((_, reject) =>
              setTimeout(
                () => reject(new Error('a sixth caller was held, not answered at once')),
                15_000,
              ).unref(),
            ),
          ]);
        const early = [await answeredSoon(run()), await answeredSoon(run())];
        for (const answer of early) {
          assert.equal(answer.ticket.operationId, ticket.operationId, 'joined the running register');
          assert.equal(answer.finished, undefined, 'answered before the register ended');
        }
      } finally {
        release(); // the register ends (also when an assertion failed: the worker can then stop)
      }
      for (const answer of await Promise.all(held)) {
        assert.equal(answer.ticket.operationId, ticket.operationId);
        assert.equal(answer.finished?.status, 'completed');
      }
    },
  });
  assert.equal(report.outcome, 'completed');
  assert.equal(sent, 1, 'every caller joined the one register');
});
