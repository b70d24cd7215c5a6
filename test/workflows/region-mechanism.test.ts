// Which Graph calls carry the data-localization region, by API version (reference §6): a workflow unit
// test with recording activities, on the time-skipping server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activities, PhoneNumberSnapshot } from '../../activities';
import type { RegionMechanism } from '../../domain/operations';
import { runOnLifecycle, UNIT_POLICY, useWorkflowUnitEnv } from '../helpers/workflow-unit';

const suite = useWorkflowUnitEnv();

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
  const report = await runOnLifecycle(suite.current, {
    taskQueue: `region-${mechanism}-${region}`,
    phoneNumberId: mechanism === 'settings' ? (region ? '101' : '102') : region ? '103' : '104',
    request: { operation: 'register', pin: '123456', region },
    policy: { ...UNIT_POLICY, regionMechanism: mechanism },
    activities,
  });
  return { calls, report };
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
