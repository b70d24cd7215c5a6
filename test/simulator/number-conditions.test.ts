// Per-number conditions set at seed or by PATCH /_sim/phone-numbers/{id}: registered statuses other than CONNECTED,
// a locked account (131031, health_status), an incomplete deregistration (133000), what deregister answers for a
// number that is not registered, regions a number cannot store data in; their validation and persistence.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SimulatorAdmin } from '../helpers/simulator-admin';
import {
  CONNECTED_ID,
  PENDING_ID,
  VERSION,
  admin,
  deregister,
  graph,
  launchSimulator,
  readFields,
  register,
  requestLog,
  simNumber,
  startTestSimulator,
  tempDir,
} from './helpers';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;

const DEFAULT_WABA = '102290129340398';

async function seed(sim: Sim, body: Record<string, unknown>) {
  const res = await admin(sim, 'POST', '/_sim/phone-numbers', body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function patch(sim: Sim, id: string, body: Record<string, unknown>) {
  const res = await admin(sim, 'PATCH', `/_sim/phone-numbers/${id}`, body);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

for (const status of ['FLAGGED', 'RESTRICTED', 'RATE_LIMITED'] as const) {
  void test(`a CLOUD_API number in ${status} is registered: register with its PIN is idempotent, deregister disconnects it (counted)`, async (t) => {
    const sim = await startTestSimulator(t);
    const id = '5551000';
    await seed(sim, { id, waba_id: DEFAULT_WABA, status, platform_type: 'CLOUD_API', pin: '121212' });
    const again = await register(sim, id, '121212');
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, { success: true });
    assert.deepEqual(await readFields(sim, id, ['status', 'platform_type']), {
      status,
      platform_type: 'CLOUD_API',
      id,
    });
    const dereg = await deregister(sim, id);
    assert.equal(dereg.status, 200);
    assert.deepEqual(await readFields(sim, id, ['status', 'platform_type']), {
      status: 'DISCONNECTED',
      platform_type: 'NOT_APPLICABLE',
      id,
    });
    const view = await simNumber(sim, id);
    assert.equal(view.rateLimits.register.callsInWindow, 1);
    assert.equal(view.rateLimits.deregister.callsInWindow, 1);
    assert.deepEqual(
      (await requestLog(sim, `?phone_number_id=${id}`))
        .filter((e) => e.endpoint !== 'get')
        .map((e) => [e.endpoint, e.status, e.counted, e.applied]),
      [
        ['register', 200, true, false],
        ['deregister', 200, true, true],
      ],
    );

    // The same status set by PATCH on the seeded CONNECTED number.
    await patch(sim, CONNECTED_ID, { status });
    assert.equal((await register(sim, CONNECTED_ID, '123456')).status, 200);
    assert.equal((await readFields(sim, CONNECTED_ID, ['status'])).status, status);
    assert.equal((await deregister(sim, CONNECTED_ID)).status, 200);
    assert.equal((await readFields(sim, CONNECTED_ID, ['status'])).status, 'DISCONNECTED');
  });
}

void test('account_locked: register and deregister answer 131031 (HTTP 403), counted; unlocking by PATCH restores them', async (t) => {
  const sim = await startTestSimulator(t);
  const view = await patch(sim, CONNECTED_ID, { account_locked: true });
  assert.equal(view.account_locked, true);
  for (const res of [await register(sim, CONNECTED_ID, '123456'), await deregister(sim, CONNECTED_ID)]) {
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.error.code, 131031);
    assert.equal(res.json.error.message, '(#131031) Account has been locked');
    assert.equal(res.json.error.error_data.messaging_product, 'whatsapp');
  }
  const state = await simNumber(sim, CONNECTED_ID);
  assert.equal(state.status, 'CONNECTED', 'nothing changed');
  assert.equal(state.rateLimits.register.callsInWindow, 1);
  assert.equal(state.rateLimits.deregister.callsInWindow, 1);
  assert.deepEqual(
    (await requestLog(sim)).map((e) => [e.endpoint, e.errorCode, e.counted, e.applied]),
    [
      ['register', 131031, true, false],
      ['deregister', 131031, true, false],
    ],
  );
  // A seeded locked number refuses register before anything else about the number.
  await seed(sim, { id: '5551100', account_locked: true, code_verification_status: 'NOT_VERIFIED' });
  assert.equal((await register(sim, '5551100', '111111')).json.error.code, 131031);

  await patch(sim, CONNECTED_ID, { account_locked: false });
  assert.equal((await deregister(sim, CONNECTED_ID)).status, 200);
});

void test('health_status: requestable, not a default field; BLOCKED with the 131031 error when locked, else AVAILABLE', async (t) => {
  const sim = await startTestSimulator(t);
  const plain = await graph(sim, 'GET', `/${VERSION}/${CONNECTED_ID}`);
  assert.equal('health_status' in plain.json, false);
  assert.deepEqual((await readFields(sim, CONNECTED_ID, ['health_status'])).health_status, {
    can_send_message: 'AVAILABLE',
    entities: [
      { entity_type: 'PHONE_NUMBER', id: CONNECTED_ID, can_send_message: 'AVAILABLE' },
      { entity_type: 'WABA', id: DEFAULT_WABA, can_send_message: 'AVAILABLE' },
    ],
  });

  await patch(sim, CONNECTED_ID, { account_locked: true });
  const locked = (await readFields(sim, CONNECTED_ID, ['health_status'])).health_status as {
    can_send_message: string;
    entities: Array<Record<string, unknown>>;
  };
  assert.equal(locked.can_send_message, 'BLOCKED');
  assert.deepEqual(locked.entities[0], {
    entity_type: 'PHONE_NUMBER',
    id: CONNECTED_ID,
    can_send_message: 'BLOCKED',
  });
  const waba = locked.entities[1] as { errors: Array<Record<string, unknown>> } & Record<string, unknown>;
  assert.deepEqual([waba.entity_type, waba.id, waba.can_send_message], ['WABA', DEFAULT_WABA, 'BLOCKED']);
  assert.equal(waba.errors.length, 1);
  assert.equal(waba.errors[0]?.error_code, 131031);
  assert.equal(waba.errors[0]?.error_description, 'Account has been locked');
  assert.equal(typeof waba.errors[0]?.possible_solution, 'string');

  // No WABA: only the number's entity.
  await seed(sim, { id: '5551200' });
  assert.deepEqual((await readFields(sim, '5551200', ['health_status'])).health_status, {
    can_send_message: 'AVAILABLE',
    entities: [{ entity_type: 'PHONE_NUMBER', id: '5551200', can_send_message: 'AVAILABLE' }],
  });
  // The WABA listing serves the field too.
  const listing = await graph(sim, 'GET', `/${VERSION}/${DEFAULT_WABA}/phone_numbers`, {
    query: { fields: 'health_status' },
  });
  const row = (listing.json.data as Array<Record<string, unknown>>).find((n) => n.id === CONNECTED_ID);
  assert.equal((row?.health_status as { can_send_message: string }).can_send_message, 'BLOCKED');
});

void test('deregistration_incomplete: register answers 133000 (HTTP 500, counted) until a deregister succeeds, even unregistered', async (t) => {
  const sim = await startTestSimulator(t);
  const created = await seed(sim, { id: '5551300', deregistration_incomplete: true, pin: '131313' });
  assert.equal(created.deregistration_incomplete, true);
  for (let i = 0; i < 2; i++) {
    const res = await register(sim, '5551300', '131313');
    assert.equal(res.status, 500, res.text);
    assert.equal(res.json.error.code, 133000);
    assert.equal(res.json.error.message, '(#133000) Incomplete deregistration');
    assert.match(res.json.error.error_data.details, /[Dd]eregister/);
  }
  const dereg = await deregister(sim, '5551300');
  assert.equal(dereg.status, 200);
  assert.deepEqual(dereg.json, { success: true });
  const view = await simNumber(sim, '5551300');
  assert.equal(view.deregistration_incomplete, false);
  assert.equal(view.status, 'PENDING', 'a number that was not registered stays as it was');
  assert.equal(view.rateLimits.register.callsInWindow, 2);
  assert.equal((await register(sim, '5551300', '131313')).status, 200);
  assert.deepEqual(
    (await requestLog(sim, '?phone_number_id=5551300')).map((e) => [
      e.endpoint,
      e.status,
      e.counted,
      e.applied,
    ]),
    [
      ['register', 500, true, false],
      ['register', 500, true, false],
      ['deregister', 200, true, true],
      ['register', 200, true, true],
    ],
  );

  // On a registered number the completing deregister also disconnects it.
  await patch(sim, CONNECTED_ID, { deregistration_incomplete: true });
  assert.equal((await register(sim, CONNECTED_ID, '123456')).json.error.code, 133000);
  assert.equal((await deregister(sim, CONNECTED_ID)).status, 200);
  assert.equal((await readFields(sim, CONNECTED_ID, ['status'])).status, 'DISCONNECTED');
});

void test('deregister_when_not_registered: success (default), 133010, or (#100) naming the cause; all counted', async (t) => {
  const sim = await startTestSimulator(t);
  assert.equal((await simNumber(sim, PENDING_ID)).deregister_when_not_registered, 'success');
  assert.equal((await deregister(sim, PENDING_ID)).status, 200);

  await patch(sim, PENDING_ID, { deregister_when_not_registered: '133010' });
  const notRegistered = await deregister(sim, PENDING_ID);
  assert.equal(notRegistered.status, 400);
  assert.equal(notRegistered.json.error.code, 133010);
  assert.equal(notRegistered.json.error.message, '(#133010) Account not registered');

  await patch(sim, PENDING_ID, { deregister_when_not_registered: 'invalid-parameter' });
  const invalid = await deregister(sim, PENDING_ID);
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json.error.code, 100);
  assert.equal(invalid.json.error.message, '(#100) Invalid parameter');
  assert.match(invalid.json.error.error_data.details, /not registered/);
  assert.equal((await simNumber(sim, PENDING_ID)).rateLimits.deregister.callsInWindow, 3);

  // A registered number is deregistered whatever the setting.
  await seed(sim, {
    id: '5551400',
    status: 'CONNECTED',
    platform_type: 'CLOUD_API',
    deregister_when_not_registered: '133010',
  });
  assert.equal((await deregister(sim, '5551400')).status, 200);
  assert.equal(
    (await deregister(sim, '5551400')).json.error.code,
    133010,
    'the second one finds it unregistered',
  );
});

void test('unavailable_regions: enabling local storage there answers (#100) naming the region; other regions work', async (t) => {
  const sim = await startTestSimulator(t);
  const view = await patch(sim, PENDING_ID, { unavailable_regions: ['DE', 'BR', 'DE'] });
  assert.deepEqual(view.unavailable_regions, ['DE', 'BR']);
  const settings = (region: string) =>
    graph(sim, 'POST', `/${VERSION}/${PENDING_ID}/settings`, {
      json: {
        storage_configuration: { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: region },
      },
    });
  const refused = await settings('DE');
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error.code, 100);
  assert.equal(refused.json.error.message, '(#100) Invalid parameter');
  assert.match(refused.json.error.error_data.details, /DE is not available for this phone number/);
  assert.equal((await simNumber(sim, PENDING_ID)).storage_configuration.status, 'DEFAULT');
  assert.equal((await settings('SG')).status, 200);
  assert.equal((await simNumber(sim, PENDING_ID)).data_localization_region, 'SG');
  // Turning storage off is never refused.
  const off = await graph(sim, 'POST', `/${VERSION}/${PENDING_ID}/settings`, {
    json: { storage_configuration: { status: 'IN_COUNTRY_STORAGE_DISABLED' } },
  });
  assert.equal(off.status, 200);
  // The same rule for a v20 register that enables local storage.
  const v20 = await graph(sim, 'POST', `/v20.0/${PENDING_ID}/register`, {
    json: { messaging_product: 'whatsapp', pin: '111111', data_localization_region: 'BR' },
  });
  assert.equal(v20.json.error.code, 100);
  assert.match(v20.json.error.error_data.details, /BR is not available/);
  assert.equal((await simNumber(sim, PENDING_ID)).status, 'PENDING');
});

void test('seed and PATCH validate the condition fields, naming the field and the rule', async (t) => {
  const sim = await startTestSimulator(t);
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ account_locked: 'yes' }, 'account_locked', /must be a boolean/],
    [{ pin_mismatch_code: 133006 }, 'pin_mismatch_code', /must be 133005 or 131031/],
    [{ pin_guess_limit: 0 }, 'pin_guess_limit', /integer ≥ 1\) or null/],
    [{ pin_guess_limit: 2.5 }, 'pin_guess_limit', /integer ≥ 1\) or null/],
    [{ pin_lockout_minutes: 0 }, 'pin_lockout_minutes', /integer ≥ 1/],
    [{ pin_lockout_minutes: null }, 'pin_lockout_minutes', /minutes/],
    [{ pin_min_interval_seconds: -3 }, 'pin_min_interval_seconds', /integer ≥ 1\) or null/],
    [{ deregistration_incomplete: 1 }, 'deregistration_incomplete', /must be a boolean/],
    [
      { deregister_when_not_registered: 'fail' },
      'deregister_when_not_registered',
      /success, 133010, invalid-parameter/,
    ],
    [{ unavailable_regions: 'DE' }, 'unavailable_regions', /array of local-storage region codes/],
    [{ unavailable_regions: ['US'] }, 'unavailable_regions.0', /AU|DE/],
  ];
  for (const [body, field, message] of cases) {
    for (const [method, path, payload] of [
      ['POST', '/_sim/phone-numbers', { id: '5551500', ...body }],
      ['PATCH', `/_sim/phone-numbers/${PENDING_ID}`, body],
    ] as const) {
      const res = await admin(sim, method, path, payload);
      assert.equal(res.status, 400, `${method} ${JSON.stringify(body)}`);
      assert.equal(res.json.error.field, field, JSON.stringify(res.json));
      assert.match(res.json.error.message, message, JSON.stringify(res.json));
    }
  }
  assert.equal((await admin(sim, 'GET', '/_sim/phone-numbers/5551500')).status, 404, 'nothing seeded');

  // The defaults, as GET /_sim/phone-numbers/{id} shows them.
  const fresh = await simNumber(sim, PENDING_ID);
  assert.deepEqual(
    {
      account_locked: fresh.account_locked,
      pin_mismatch_code: fresh.pin_mismatch_code,
      pin_guess_limit: fresh.pin_guess_limit,
      pin_lockout_minutes: fresh.pin_lockout_minutes,
      pin_min_interval_seconds: fresh.pin_min_interval_seconds,
      deregistration_incomplete: fresh.deregistration_incomplete,
      deregister_when_not_registered: fresh.deregister_when_not_registered,
      unavailable_regions: fresh.unavailable_regions,
      pinGuesses: fresh.pinGuesses,
    },
    {
      account_locked: false,
      pin_mismatch_code: 133005,
      pin_guess_limit: null,
      pin_lockout_minutes: 60,
      pin_min_interval_seconds: null,
      deregistration_incomplete: false,
      deregister_when_not_registered: 'success',
      unavailable_regions: [],
      pinGuesses: { wrongGuesses: 0, lockedUntil: null, lastAttemptAt: null },
    },
  );
});

void test('state file: the conditions survive a restart; a version-4 file without them loads with the defaults', async (t) => {
  const stateFile = join(tempDir(t, 'graph-sim-'), 'sim-state.json');
  const first = await launchSimulator({ stateFile });
  try {
    await admin(first, 'POST', '/_sim/phone-numbers', {
      id: '5551600',
      account_locked: true,
      pin_mismatch_code: 131031,
      pin_guess_limit: 3,
      pin_lockout_minutes: 15,
      pin_min_interval_seconds: 20,
      deregistration_incomplete: true,
      deregister_when_not_registered: 'invalid-parameter',
      unavailable_regions: ['IN'],
    });
    await register(first, CONNECTED_ID, '000000'); // one wrong PIN, counted in pinGuesses
  } finally {
    await first.close();
  }
  const content = readFileSync(stateFile, 'utf8');
  const saved = JSON.parse(content) as { version: number; phoneNumbers: Array<Record<string, unknown>> };
  assert.equal(saved.version, 5);

  const second = await launchSimulator({ stateFile });
  try {
    const kept = await simNumber(second, '5551600');
    assert.deepEqual(
      [
        kept.account_locked,
        kept.pin_mismatch_code,
        kept.pin_guess_limit,
        kept.pin_lockout_minutes,
        kept.pin_min_interval_seconds,
        kept.deregistration_incomplete,
        kept.deregister_when_not_registered,
        kept.unavailable_regions,
      ],
      [true, 131031, 3, 15, 20, true, 'invalid-parameter', ['IN']],
    );
    assert.equal((await simNumber(second, CONNECTED_ID)).pinGuesses.wrongGuesses, 1);
  } finally {
    await second.close();
  }

  // A version-4 file (written before the conditions existed) loads with their defaults.
  const legacy = JSON.parse(content) as { version: number; phoneNumbers: Array<Record<string, unknown>> };
  legacy.version = 4;
  const conditionKeys = [
    'account_locked',
    'pin_mismatch_code',
    'pin_guess_limit',
    'pin_lockout_minutes',
    'pin_min_interval_seconds',
    'deregistration_incomplete',
    'deregister_when_not_registered',
    'unavailable_regions',
    'pin_guesses',
  ];
  legacy.phoneNumbers = legacy.phoneNumbers.map((n) =>
    Object.fromEntries(Object.entries(n).filter(([k]) => !conditionKeys.includes(k))),
  );
  writeFileSync(stateFile, JSON.stringify(legacy));
  const third = await startTestSimulator(t, { stateFile });
  const upgraded = await simNumber(third, '5551600');
  assert.equal(upgraded.account_locked, false);
  assert.equal(upgraded.pin_mismatch_code, 133005);
  assert.equal(upgraded.pin_lockout_minutes, 60);
  assert.deepEqual(upgraded.unavailable_regions, []);
  assert.deepEqual(upgraded.pinGuesses, { wrongGuesses: 0, lockedUntil: null, lastAttemptAt: null });
  assert.equal((await register(third, CONNECTED_ID, '123456')).status, 200);
});

void test('SimulatorAdmin typed helpers: patchPhoneNumber, getSettings, updateSettings', async (t) => {
  const sim = await startTestSimulator(t);
  const client = new SimulatorAdmin(sim.url);
  const patched = await client.patchPhoneNumber(PENDING_ID, {
    account_locked: true,
    pin_guess_limit: 5,
    unavailable_regions: ['JP'],
  });
  assert.deepEqual(
    [patched.account_locked, patched.pin_guess_limit, patched.unavailable_regions],
    [true, 5, ['JP']],
  );
  assert.equal((await client.getSettings()).legacySubcodes, false);
  const updated = await client.updateSettings({ legacySubcodes: true });
  assert.equal(updated.legacySubcodes, true);
  assert.equal(updated.strictVersionRules, false, 'the other switches stay');
  await assert.rejects(client.patchPhoneNumber(PENDING_ID, { pin_lockout_minutes: 0 }), /HTTP 400/);
});
