// The README gives operators filter strings to paste into the Temporal UI. This runs those exact strings
// (read from the README) against the dev server's visibility store and checks each finds what it says.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fleetWorkflowId } from '../../domain/fleet';
import { lifecycleWorkflowId } from '../../domain/phone-number';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { until } from '../helpers/poll';
import { seedOnCloudApi, seedVerified } from '../helpers/seed';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;

before(async () => {
  stack = await startTestStack();
});
after(async () => {
  await stack?.stop();
});

/** The README's UI filter table: description → filter string. */
function readmeFilters(): Map<string, string> {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const block = /<!-- ui-filters -->([\s\S]*?)<!-- \/ui-filters -->/.exec(readme)?.[1];
  assert.ok(block, 'README has a ui-filters block');
  const filters = new Map<string, string>();
  for (const line of block.split('\n')) {
    const m = /^\|\s*([^|]+?)\s*\|\s*`([^`]+)`\s*\|$/.exec(line.trim());
    if (m) filters.set(m[1]!, m[2]!);
  }
  return filters;
}

async function workflowIds(query: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const wf of stack.env.client.workflow.list({ query })) ids.add(wf.workflowId);
  return ids;
}

test("the README's Temporal UI filters find numbers whose migration failed, lockout waits, failures, running fleets, a WABA", async () => {
  const filters = readmeFilters();
  assert.ok(filters.size >= 5, `found ${filters.size} filters`);
  const waba = '102290129340398';

  // A number at the edge of Meta's budget: its register waits out the window (a lockout wait).
  const waiting = '7700000001';
  await seedVerified(stack.sim, waiting, { pin: '123456' });
  await startLifecycleWithLedger(stack, waiting, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
  await stack.client.requestOperation(waiting, { operation: 'register', pin: '123456', wabaId: waba });

  // A failed migration: the number is already on Cloud API.
  const migrated = '7700000002';
  await seedOnCloudApi(stack.sim, migrated, '123456');
  const migrate = await stack.client.requestOperation(migrated, {
    operation: 'migrate',
    pin: '123456',
    onPrem: { url: `${stack.simulator.url}/onprem/${migrated}`, username: 'admin', password: 'x' },
    backupPassword: 'backup',
  });
  assert.equal((await stack.client.waitForOperation(migrated, migrate.operationId)).status, 'failed');

  // A migrate fleet that stays running: its one number is queued behind the waiting register.
  await stack.client.startFleet({
    fleetId: 'ui-filter-fleet',
    operation: 'migrate',
    concurrency: 1,
    members: [
      {
        phoneNumberId: waiting,
        request: {
          operation: 'migrate',
          pin: '123456',
          onPrem: { url: `${stack.simulator.url}/onprem/${waiting}`, username: 'admin', password: 'x' },
          backupPassword: 'backup',
        },
      },
    ],
  });

  const expected: Record<string, { includes: string[]; excludes: string[] }> = {
    'numbers whose migration failed': {
      includes: [lifecycleWorkflowId(migrated)],
      excludes: [lifecycleWorkflowId(waiting)],
    },
    'all numbers waiting out a lockout': {
      includes: [lifecycleWorkflowId(waiting)],
      excludes: [lifecycleWorkflowId(migrated)],
    },
    'numbers whose last operation failed': {
      includes: [lifecycleWorkflowId(migrated)],
      excludes: [lifecycleWorkflowId(waiting)],
    },
    'migrate fleets still running': { includes: [fleetWorkflowId('ui-filter-fleet')], excludes: [] },
    'everything of one WABA': {
      includes: [lifecycleWorkflowId(waiting)],
      excludes: [lifecycleWorkflowId(migrated)],
    },
  };
  for (const [what, { includes, excludes }] of Object.entries(expected)) {
    const query = filters.get(what);
    assert.ok(query, `README has a filter for "${what}"`);
    const found = await until(
      `"${what}" (${query}) to list ${includes.join(', ')}`,
      async () => {
        const ids = await workflowIds(query);
        return includes.every((id) => ids.has(id)) ? ids : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    for (const id of excludes) assert.ok(!found.has(id), `"${what}" must not list ${id}`);
  }

  await stack.client.cancelFleet('ui-filter-fleet', 'test');
  await stack.client.cancelOperation(waiting, { requestedBy: 'test' });
});
