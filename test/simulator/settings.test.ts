import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunningSimulator } from '../../simulator/server';
import {
  CONNECTED_ID,
  PENDING_ID,
  VERSION,
  admin,
  deregister,
  graph,
  launchSimulator,
  register,
  requestLog,
  simNumber,
  startTestSimulator,
  tempDir,
  type GraphCall,
} from './helpers';

const DEFAULT_SIM_SETTINGS = {
  codeTtlMinutes: 10,
  codeRequestsPerHour: 5,
  backupRegisterDelayMs: 2000,
  legacySubcodes: false,
};

const ENABLED_BR = { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: 'BR' };

function postSettings(sim: RunningSimulator, id: string, storage: unknown, version = VERSION) {
  return graph(sim, 'POST', `/${version}/${id}/settings`, { json: { storage_configuration: storage } });
}

function postSettingsRaw(sim: RunningSimulator, id: string, call: GraphCall, version = VERSION) {
  return graph(sim, 'POST', `/${version}/${id}/settings`, call);
}

async function getStorage(sim: RunningSimulator, id: string) {
  const res = await graph(sim, 'GET', `/${VERSION}/${id}/settings`);
  assert.equal(res.status, 200, res.text);
  return res.json.storage_configuration as Record<string, unknown>;
}

function registerOn(sim: RunningSimulator, version: string, id: string, pin: string, extra = {}) {
  return graph(sim, 'POST', `/${version}/${id}/register`, {
    json: { messaging_product: 'whatsapp', pin, ...extra },
  });
}

void test('v25: settings while deregistered, then register keeps the region (GET settings and /_sim view)', async (t) => {
  const sim = await startTestSimulator(t);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });
  assert.equal((await simNumber(sim, PENDING_ID)).data_localization_region, null);

  const set = await postSettings(sim, PENDING_ID, ENABLED_BR);
  assert.equal(set.status, 200, set.text);
  assert.deepEqual(set.json, { success: true });
  assert.deepEqual(await getStorage(sim, PENDING_ID), ENABLED_BR);

  assert.equal((await register(sim, PENDING_ID, '111111')).status, 200);
  assert.deepEqual(await getStorage(sim, PENDING_ID), ENABLED_BR);
  const view = await simNumber(sim, PENDING_ID);
  assert.equal(view.status, 'CONNECTED');
  assert.deepEqual(view.storage_configuration, ENABLED_BR);
  assert.equal(view.data_localization_region, 'BR');

  const log = await requestLog(sim, '?endpoint=settings');
  assert.deepEqual(
    log.map((e) => [e.method, e.status, e.counted, e.applied, e.phoneNumberId]),
    [
      ['GET', 200, false, false, PENDING_ID],
      ['POST', 200, false, true, PENDING_ID],
      ['GET', 200, false, false, PENDING_ID],
      ['GET', 200, false, false, PENDING_ID],
    ],
  );
  assert.deepEqual((log[1]?.params as Record<string, unknown>).storage_configuration, ENABLED_BR);
});

void test('settings on a registered number → 400 code 100 "deregistered first"; after deregister it works', async (t) => {
  const sim = await startTestSimulator(t);
  const res = await postSettings(sim, CONNECTED_ID, ENABLED_BR);
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 100);
  assert.match(res.json.error.error_data.details, /only be changed while the phone number is deregistered/);
  assert.deepEqual(await getStorage(sim, CONNECTED_ID), { status: 'DEFAULT' });
  const [entry] = await requestLog(sim, `?endpoint=settings&phone_number_id=${CONNECTED_ID}`);
  assert.equal(entry?.applied, false);
  assert.equal(entry?.counted, false);

  assert.equal((await deregister(sim, CONNECTED_ID)).status, 200);
  assert.equal((await postSettings(sim, CONNECTED_ID, ENABLED_BR)).status, 200);
  assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200);
  assert.equal((await simNumber(sim, CONNECTED_ID)).data_localization_region, 'BR');
});

void test('settings on v20 and older does not exist: code 100 subcode 33, for POST and GET', async (t) => {
  const sim = await startTestSimulator(t);
  const post = await postSettings(sim, PENDING_ID, ENABLED_BR, 'v20.0');
  assert.equal(post.status, 400);
  assert.equal(post.json.error.code, 100);
  assert.equal(post.json.error.error_subcode, 33);
  assert.match(post.json.error.message, /^Unsupported post request/);
  const get = await graph(sim, 'GET', `/v19.0/${PENDING_ID}/settings`);
  assert.equal(get.json.error.code, 100);
  assert.match(get.json.error.message, /^Unsupported get request/);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });
  // v21.0 is the first version with the edge.
  assert.equal((await postSettings(sim, PENDING_ID, ENABLED_BR, 'v21.0')).status, 200);
  assert.equal((await requestLog(sim, '?endpoint=settings')).length, 4);
});

void test('settings checks the token and the id like the other endpoints', async (t) => {
  const sim = await startTestSimulator(t);
  const noToken = await postSettingsRaw(sim, PENDING_ID, {
    token: null,
    json: { storage_configuration: ENABLED_BR },
  });
  assert.equal(noToken.status, 401);
  assert.equal(noToken.json.error.code, 190);
  const unknown = await postSettings(sim, '999999', ENABLED_BR);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.error_subcode, 33);
  assert.equal((await graph(sim, 'GET', `/${VERSION}/999999/settings`)).json.error.error_subcode, 33);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });
});

void test('settings validation: region, status casing, required region, exclusive fields', async (t) => {
  const sim = await startTestSimulator(t);
  const cases: Array<[unknown, RegExp]> = [
    [
      { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: 'US' },
      /\[data_localization_region\] must be one of/,
    ],
    [{ status: 'IN_COUNTRY_STORAGE_ENABLED' }, /\[data_localization_region\] is required/],
    [{ status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: '' }, /is required/],
    [{ data_localization_region: 'BR' }, /storage_configuration\[status\] is required/],
    [{ status: 'LOCAL', data_localization_region: 'BR' }, /storage_configuration\[status\] must be one of/],
    [{ status: 'IN_COUNTRY_STORAGE_DISABLED', data_localization_region: 'BR' }, /cannot be used/],
    [{ status: 'NO_STORAGE_ENABLED' }, /retention_minutes\] must be 60/],
    [{ status: 'NO_STORAGE_ENABLED', retention_minutes: 30 }, /retention_minutes\] must be 60/],
    [
      { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: 'BR', retention_minutes: 60 },
      /cannot be used/,
    ],
    ['IN_COUNTRY_STORAGE_ENABLED', /must be a JSON object/],
    [null, /storage_configuration is required/],
  ];
  for (const [storage, message] of cases) {
    const res = await postSettings(sim, PENDING_ID, storage);
    assert.equal(res.status, 400, JSON.stringify(storage));
    assert.equal(res.json.error.code, 100, JSON.stringify(storage));
    assert.match(res.json.error.message, message, JSON.stringify(storage));
  }
  const empty = await postSettingsRaw(sim, PENDING_ID, { json: {} });
  assert.match(empty.json.error.message, /storage_configuration is required/);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });

  // Casing of status is not settled in Meta's docs: any casing is accepted, GET answers in uppercase.
  const lower = await postSettings(sim, PENDING_ID, {
    status: 'in_country_storage_enabled',
    data_localization_region: 'DE',
  });
  assert.equal(lower.status, 200, lower.text);
  assert.deepEqual(await getStorage(sim, PENDING_ID), {
    status: 'IN_COUNTRY_STORAGE_ENABLED',
    data_localization_region: 'DE',
  });

  const disabled = await postSettings(sim, PENDING_ID, { status: 'In_Country_Storage_Disabled' });
  assert.equal(disabled.status, 200, disabled.text);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });

  const noStorage = await postSettings(sim, PENDING_ID, {
    status: 'NO_STORAGE_ENABLED',
    retention_minutes: 60,
  });
  assert.equal(noStorage.status, 200, noStorage.text);
  assert.deepEqual(await getStorage(sim, PENDING_ID), {
    status: 'NO_STORAGE_ENABLED',
    retention_minutes: 60,
  });
  assert.equal((await simNumber(sim, PENDING_ID)).data_localization_region, null);
});

void test('settings parameters as a form body (JSON-encoded object) and as bracketed query keys', async (t) => {
  const sim = await startTestSimulator(t);
  const form = await postSettingsRaw(sim, PENDING_ID, {
    form: {
      storage_configuration: JSON.stringify({
        status: 'IN_COUNTRY_STORAGE_ENABLED',
        data_localization_region: 'JP',
      }),
    },
  });
  assert.equal(form.status, 200, form.text);
  assert.equal((await getStorage(sim, PENDING_ID)).data_localization_region, 'JP');

  const query = await postSettingsRaw(sim, PENDING_ID, {
    query: {
      'storage_configuration[status]': 'IN_COUNTRY_STORAGE_ENABLED',
      'storage_configuration[data_localization_region]': 'CA',
    },
  });
  assert.equal(query.status, 200, query.text);
  assert.equal((await getStorage(sim, PENDING_ID)).data_localization_region, 'CA');

  const broken = await postSettingsRaw(sim, PENDING_ID, { rawJson: '{"storage_configuration":' });
  assert.equal(broken.status, 400);
  assert.equal(broken.json.error.code, 100);
});

void test('v20 register: data_localization_region sets the region; register without it turns local storage off', async (t) => {
  const sim = await startTestSimulator(t);
  assert.equal(
    (await registerOn(sim, 'v20.0', PENDING_ID, '111111', { data_localization_region: 'IN' })).status,
    200,
  );
  assert.deepEqual(await getStorage(sim, PENDING_ID), {
    status: 'IN_COUNTRY_STORAGE_ENABLED',
    data_localization_region: 'IN',
  });

  // Even a region configured through v25 settings is dropped by a v20 register without the field.
  await deregister(sim, PENDING_ID);
  assert.equal((await postSettings(sim, PENDING_ID, ENABLED_BR)).status, 200);
  assert.equal((await registerOn(sim, 'v20.0', PENDING_ID, '111111')).status, 200);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });
  assert.equal((await simNumber(sim, PENDING_ID)).data_localization_region, null);

  // v20 No Storage: meta_store_retention_minutes=60 on register; it cannot be combined with a region.
  await deregister(sim, PENDING_ID);
  const both = await registerOn(sim, 'v20.0', PENDING_ID, '111111', {
    data_localization_region: 'IN',
    meta_store_retention_minutes: 60,
  });
  assert.equal(both.json.error.code, 100);
  const noStorage = await registerOn(sim, 'v20.0', PENDING_ID, '111111', {
    meta_store_retention_minutes: 60,
  });
  assert.equal(noStorage.status, 200, noStorage.text);
  assert.deepEqual(await getStorage(sim, PENDING_ID), {
    status: 'NO_STORAGE_ENABLED',
    retention_minutes: 60,
  });
});

void test('lenient (default): v25 register with data_localization_region is accepted and applied like v20', async (t) => {
  const sim = await startTestSimulator(t);
  assert.deepEqual((await admin(sim, 'GET', '/_sim/settings')).json, {
    ...DEFAULT_SIM_SETTINGS,
    strictVersionRules: false,
  });
  await postSettings(sim, PENDING_ID, ENABLED_BR);
  const res = await register(sim, PENDING_ID, '111111', { data_localization_region: 'SG' });
  assert.equal(res.status, 200, res.text);
  assert.equal((await simNumber(sim, PENDING_ID)).data_localization_region, 'SG');
});

void test('strict: v25 register with data_localization_region → (#12), counted; v20 still takes it; reset restores', async (t) => {
  const sim = await startTestSimulator(t);
  const on = await admin(sim, 'POST', '/_sim/settings', { strictVersionRules: true });
  assert.equal(on.status, 200);
  assert.deepEqual(on.json, { ...DEFAULT_SIM_SETTINGS, strictVersionRules: true });
  assert.deepEqual((await admin(sim, 'GET', '/_sim/settings')).json, {
    ...DEFAULT_SIM_SETTINGS,
    strictVersionRules: true,
  });

  const res = await register(sim, PENDING_ID, '111111', { data_localization_region: 'BR' });
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 12);
  assert.equal(res.json.error.message, '(#12) Deprecated for versions v21.0 or higher');
  const retention = await register(sim, PENDING_ID, '111111', { meta_store_retention_minutes: '60' });
  assert.equal(retention.json.error.code, 12);
  const view = await simNumber(sim, PENDING_ID);
  assert.equal(view.status, 'PENDING');
  assert.equal(view.is_pin_enabled, false);
  assert.equal(view.rateLimits.register.callsInWindow, 2, 'every register call counts');
  const log = await requestLog(sim, '?endpoint=register');
  assert.deepEqual(
    log.map((e) => [e.status, e.errorCode, e.counted, e.applied]),
    [
      [400, 12, true, false],
      [400, 12, true, false],
    ],
  );

  // The settings route is the v21+ way; v20 register still takes the field in strict mode.
  assert.equal((await postSettings(sim, PENDING_ID, ENABLED_BR)).status, 200);
  assert.equal((await register(sim, PENDING_ID, '111111')).status, 200);
  assert.equal((await simNumber(sim, PENDING_ID)).data_localization_region, 'BR');
  await admin(sim, 'POST', '/_sim/phone-numbers', { id: '5550100' });
  assert.equal(
    (await registerOn(sim, 'v20.0', '5550100', '111111', { data_localization_region: 'AU' })).status,
    200,
  );
  assert.equal((await simNumber(sim, '5550100')).data_localization_region, 'AU');

  assert.equal((await admin(sim, 'POST', '/_sim/settings', { strictVersionRules: 'yes' })).status, 400);
  assert.equal((await admin(sim, 'POST', '/_sim/settings', { strict: true })).status, 400);
  await admin(sim, 'POST', '/_sim/reset');
  assert.deepEqual((await admin(sim, 'GET', '/_sim/settings')).json, {
    ...DEFAULT_SIM_SETTINGS,
    strictVersionRules: false,
  });
});

void test('strictVersionRules startup option applies and survives /_sim/reset', async (t) => {
  const sim = await startTestSimulator(t, { strictVersionRules: true });
  assert.equal(
    (await register(sim, PENDING_ID, '111111', { data_localization_region: 'BR' })).json.error.code,
    12,
  );
  await admin(sim, 'POST', '/_sim/settings', { strictVersionRules: false });
  await admin(sim, 'POST', '/_sim/reset');
  assert.deepEqual((await admin(sim, 'GET', '/_sim/settings')).json, {
    ...DEFAULT_SIM_SETTINGS,
    strictVersionRules: true,
  });
});

void test('deregister clears the storage configuration', async (t) => {
  const sim = await startTestSimulator(t);
  await postSettings(sim, PENDING_ID, ENABLED_BR);
  await register(sim, PENDING_ID, '111111');
  assert.equal((await deregister(sim, PENDING_ID)).status, 200);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });
  const view = await simNumber(sim, PENDING_ID);
  assert.deepEqual(view.storage_configuration, { status: 'DEFAULT' });
  assert.equal(view.data_localization_region, null);
  // Deregistering an unregistered number changes nothing, so a pending setting stays.
  await postSettings(sim, PENDING_ID, ENABLED_BR);
  await deregister(sim, PENDING_ID);
  assert.deepEqual(await getStorage(sim, PENDING_ID), ENABLED_BR);
});

void test('settings calls are not counted toward the register/deregister budget', async (t) => {
  const sim = await startTestSimulator(t, { requestsPerWindow: 2 });
  for (let i = 0; i < 12; i++) {
    const storage = i % 2 === 0 ? ENABLED_BR : { status: 'IN_COUNTRY_STORAGE_DISABLED' };
    assert.equal((await postSettings(sim, PENDING_ID, storage)).status, 200);
    assert.equal((await postSettings(sim, CONNECTED_ID, storage)).status, 400); // registered: rejected
    await getStorage(sim, PENDING_ID);
  }
  const view = await simNumber(sim, PENDING_ID);
  assert.deepEqual(view.rateLimits, {
    register: { callsInWindow: 0, blockedUntil: null },
    deregister: { callsInWindow: 0, blockedUntil: null },
  });
  assert.equal((await simNumber(sim, CONNECTED_ID)).rateLimits.register.callsInWindow, 0);
  assert.ok((await requestLog(sim, '?endpoint=settings')).every((e) => e.counted === false));
  assert.equal((await register(sim, PENDING_ID, '111111')).status, 200);
});

void test('fault rules can target settings, and register/deregister rules leave settings alone', async (t) => {
  const sim = await startTestSimulator(t);
  const set = await admin(sim, 'POST', '/_sim/faults', {
    faults: [
      { endpoint: 'register', kind: 'throttle' },
      { endpoint: 'settings', kind: 'error-131000', count: 1 },
    ],
  });
  assert.equal(set.status, 200, set.text);
  const failed = await postSettings(sim, PENDING_ID, ENABLED_BR);
  assert.equal(failed.status, 500);
  assert.equal(failed.json.error.code, 131000);
  assert.deepEqual(await getStorage(sim, PENDING_ID), { status: 'DEFAULT' });
  assert.equal((await postSettings(sim, PENDING_ID, ENABLED_BR)).status, 200);
  const [first] = await requestLog(sim, '?endpoint=settings');
  assert.equal(first?.fault, 'error-131000');
  assert.equal(first?.applied, false);
});

void test('state file keeps the storage configuration across a restart; version-1 files are upgraded', async (t) => {
  const dir = tempDir(t, 'graph-sim-settings-');
  const stateFile = join(dir, 'sim-state.json');
  const first = await launchSimulator({ stateFile });
  try {
    assert.equal((await postSettings(first, PENDING_ID, ENABLED_BR)).status, 200);
    await admin(first, 'POST', '/_sim/phone-numbers', { id: '5550200' });
    await postSettings(first, '5550200', { status: 'NO_STORAGE_ENABLED', retention_minutes: 60 });
  } finally {
    await first.close();
  }
  const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    version: number;
    phoneNumbers: Array<{ id: string; storage_configuration: unknown }>;
  };
  assert.equal(saved.version, 5);
  assert.deepEqual(saved.phoneNumbers.find((n) => n.id === PENDING_ID)?.storage_configuration, ENABLED_BR);

  const second = await launchSimulator({ stateFile });
  try {
    assert.deepEqual(await getStorage(second, PENDING_ID), ENABLED_BR);
    assert.deepEqual(await getStorage(second, '5550200'), {
      status: 'NO_STORAGE_ENABLED',
      retention_minutes: 60,
    });
    assert.equal((await register(second, PENDING_ID, '111111')).status, 200);
    assert.equal((await simNumber(second, PENDING_ID)).data_localization_region, 'BR');
  } finally {
    await second.close();
  }

  // A file written before storage_configuration existed carries only data_localization_region.
  const legacy = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown> & {
    phoneNumbers: Array<Record<string, unknown>>;
  };
  legacy.version = 1;
  legacy.phoneNumbers = legacy.phoneNumbers.map(({ storage_configuration: _drop, ...rest }) => ({
    ...rest,
    data_localization_region: rest.id === PENDING_ID ? 'ZA' : null,
  }));
  const legacyFile = join(dir, 'legacy.json');
  writeFileSync(legacyFile, JSON.stringify(legacy));
  const third = await startTestSimulator(t, { stateFile: legacyFile });
  assert.deepEqual(await getStorage(third, PENDING_ID), {
    status: 'IN_COUNTRY_STORAGE_ENABLED',
    data_localization_region: 'ZA',
  });
  assert.deepEqual(await getStorage(third, CONNECTED_ID), { status: 'DEFAULT' });
});

void test('seeding accepts storage_configuration (or the data_localization_region shorthand), not both', async (t) => {
  const sim = await startTestSimulator(t);
  const seeded = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '5550300',
    storage_configuration: { status: 'NO_STORAGE_ENABLED', retention_minutes: 60 },
  });
  assert.equal(seeded.status, 201, seeded.text);
  assert.deepEqual(seeded.json.storage_configuration, {
    status: 'NO_STORAGE_ENABLED',
    retention_minutes: 60,
  });
  const shorthand = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '5550301',
    data_localization_region: 'GB',
  });
  assert.deepEqual(shorthand.json.storage_configuration, {
    status: 'IN_COUNTRY_STORAGE_ENABLED',
    data_localization_region: 'GB',
  });
  const both = await admin(sim, 'POST', '/_sim/phone-numbers', {
    id: '5550302',
    data_localization_region: 'GB',
    storage_configuration: { status: 'DEFAULT' },
  });
  assert.equal(both.status, 400);
  assert.equal(both.json.error.field, 'storage_configuration');
});
