// A 5,000-number migrate fleet on the dev server stays well inside Temporal's history and payload limits.
// The fleet workflow is real; its start activity is a stand-in that reports each number finished at once
// (by the same signal a lifecycle sends), so this measures the fleet itself, not Graph or the lifecycles.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import type { FleetStartResult } from '../../activities/fleet-activities';
import { fleetWorkflowId, packMembers, type FleetMember, type PackedMembers } from '../../domain/fleet';
import { fleetOperationFinishedSignal } from '../../workflows/fleet-messages';
import { startTestStack, workflowBundle, type TestStack } from '../helpers/stack';

const NUMBERS = 5_000;
/** Temporal's default per-execution history limit (events); each run must stay far below it. */
const HISTORY_LIMIT = 51_200;

let stack: TestStack;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `fleet-scale-${process.pid}`;

before(async () => {
  stack = await startTestStack();
  worker = await Worker.create({
    connection: stack.env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    dataConverter: stack.dataConverter,
    activities: {
      async startFleetOperations(fleet: string, members: FleetMember[]): Promise<FleetStartResult[]> {
        const handle = stack.env.client.workflow.getHandle(fleet);
        return Promise.all(
          members.map(async ({ phoneNumberId, request }) => {
            const operationId = `phone-number:${phoneNumberId}:${request.operation}:1`;
            // Every 10th number fails, so outcomes carry reasons across continue-as-new too.
            const failed = Number(phoneNumberId) % 10 === 3;
            await handle.signal(fleetOperationFinishedSignal, {
              phoneNumberId,
              operationId,
              status: failed ? 'failed' : 'completed',
              ...(failed ? { failure: { type: 'PinMismatch', message: 'wrong PIN (stand-in)' } } : {}),
            });
            return {
              phoneNumberId,
              ticket: {
                operationId,
                workflowId: operationId,
                operation: request.operation,
                joined: false,
                position: 0,
              },
            };
          }),
        );
      },
    },
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await stack?.stop();
});

test(`a ${NUMBERS}-number migrate fleet: every number accounted for, each run far inside the history limit`, async () => {
  const members: FleetMember[] = Array.from({ length: NUMBERS }, (_, i) => {
    const phoneNumberId = String(8_000_000_000 + i);
    return {
      phoneNumberId,
      request: {
        operation: 'migrate',
        pin: String(100000 + (i % 900000)),
        onPrem: {
          url: `https://onprem-${i}.example.com:9090`,
          username: 'admin',
          password: 'onprem-password-123',
        },
        backupPassword: 'backup-password-456',
        requestedBy: 'scale-test',
      },
    };
  });
  const fleetId = 'scale-5000';
  const started = Date.now();
  await stack.env.client.workflow.start('numberFleet', {
    workflowId: fleetWorkflowId(fleetId),
    taskQueue,
    args: [
      {
        spec: {
          fleetId,
          operation: 'migrate',
          concurrency: 200,
          source: { kind: 'list', members: packMembers(members) },
        },
      },
    ],
  });
  const result = (await stack.env.client.workflow.getHandle(fleetWorkflowId(fleetId)).result()) as {
    progress: {
      total: number;
      counts: Record<string, number>;
      numbers: { status: string; reason?: string }[];
    };
    retry: PackedMembers;
  };
  const elapsed = Date.now() - started;
  assert.equal(result.progress.total, NUMBERS);
  assert.equal(result.progress.counts.failed, NUMBERS / 10);
  assert.equal(result.progress.counts.completed, NUMBERS - NUMBERS / 10);
  assert.equal(
    result.retry.numbers.length,
    NUMBERS / 10,
    'the failed numbers keep their requests for a retry fleet',
  );
  assert.ok(
    result.progress.numbers
      .filter((n) => n.status === 'failed')
      .every((n) => n.reason === 'wrong PIN (stand-in)'),
  );

  const runs: { historyLength: number }[] = [];
  for await (const run of stack.env.client.workflow.list({
    query: `WorkflowId = "${fleetWorkflowId(fleetId)}"`,
  })) {
    runs.push({ historyLength: run.historyLength ?? 0 });
  }
  const longest = Math.max(...runs.map((r) => r.historyLength));
  console.log(
    `# fleet-scale: ${NUMBERS} numbers in ${(elapsed / 1000).toFixed(1)} s, ${runs.length} runs, ` +
      `longest history ${longest} events (limit ${HISTORY_LIMIT})`,
  );
  assert.ok(runs.length >= 2, `the fleet continued as new (${runs.length} runs)`);
  assert.ok(longest < HISTORY_LIMIT / 4, `longest run ${longest} events`);
});
