// Readiness as the probes see it: each way Temporal can be unusable is its own failing check with the fix,
// a Temporal that hangs is "not ready" within the timeout, and results are reused for a few seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import type { TemporalServices } from '../../platform/namespace-setup';
import { temporalReadiness } from '../../platform/readiness';
import { workerReadiness } from '../../worker/health-server';
import { createApiServer } from '../../api/server';

const T = temporal.api.enums.v1.IndexedValueType;
const ALL = {
  WaPhoneNumberId: T.INDEXED_VALUE_TYPE_KEYWORD,
  WaWabaId: T.INDEXED_VALUE_TYPE_KEYWORD,
  WaLifecycleState: T.INDEXED_VALUE_TYPE_KEYWORD,
  WaOperation: T.INDEXED_VALUE_TYPE_KEYWORD,
  WaNextAttemptAt: T.INDEXED_VALUE_TYPE_DATETIME,
};

function services(behaviour: {
  describe?: () => Promise<unknown>;
  attributes?: Record<string, number>;
}): TemporalServices & { calls: number } {
  const s = {
    calls: 0,
    workflowService: {
      describeNamespace: async () => {
        s.calls++;
        return (behaviour.describe ?? (async () => ({})))();
      },
    },
    operatorService: {
      listSearchAttributes: async () => ({ customAttributes: behaviour.attributes ?? ALL }),
    },
  };
  return s as unknown as TemporalServices & { calls: number };
}

test('ready: Temporal answers, the namespace exists, every search attribute is there', async () => {
  const checks = await temporalReadiness(services({}), 'ns', '10.0.0.5:7233')();
  assert.deepEqual(checks, [
    { name: 'temporal', ok: true },
    { name: 'namespace', ok: true },
    { name: 'searchAttributes', ok: true },
  ]);
});

test('not ready, each with its own failing check and the fix', async () => {
  const missingNs = await temporalReadiness(
    services({
      describe: () => Promise.reject(Object.assign(new Error('Namespace ns is not found.'), { code: 5 })),
    }),
    'ns',
    '10.0.0.5:7233',
  )();
  assert.equal(missingNs.find((c) => c.name === 'namespace')?.ok, false);
  assert.match(missingNs.find((c) => c.name === 'namespace')!.detail!, /--create-namespace/);

  const { WaOperation: _dropped, ...fewer } = ALL;
  const missingAttribute = await temporalReadiness(services({ attributes: fewer }), 'ns', '10.0.0.5:7233')();
  assert.deepEqual(
    missingAttribute.find((c) => c.name === 'searchAttributes'),
    {
      name: 'searchAttributes',
      ok: false,
      detail: 'namespace ns lacks search attributes WaOperation: run `wa-number setup --namespace ns`',
    },
  );

  const down = await temporalReadiness(
    services({ describe: () => Promise.reject(new Error('14 UNAVAILABLE: connection refused\nmore')) }),
    'ns',
    '10.0.0.5:7233',
  )();
  assert.deepEqual(down, [
    { name: 'temporal', ok: false, detail: 'Temporal at 10.0.0.5:7233: 14 UNAVAILABLE: connection refused' },
  ]);
});

test('a Temporal that does not answer is not ready within the timeout', async () => {
  const checks = await temporalReadiness(
    services({ describe: () => new Promise(() => undefined) }),
    'ns',
    '10.0.0.5:7233',
    { timeoutMs: 200 },
  )();
  assert.match(checks[0]!.detail!, /no answer within 200 ms/);
});

test('results are reused within the cache time, then asked again', async () => {
  const s = services({});
  const check = temporalReadiness(s, 'ns', 'x:1', { cacheMs: 150 });
  await check();
  await check();
  assert.equal(s.calls, 1);
  await new Promise((r) => setTimeout(r, 200));
  await check();
  assert.equal(s.calls, 2);
});

test('a worker that is draining is not ready, whatever Temporal says', async () => {
  const checks = await workerReadiness({
    host: '127.0.0.1',
    port: 0,
    workerState: () => 'DRAINING',
    temporalChecks: async () => [{ name: 'temporal', ok: true }],
  });
  assert.deepEqual(checks, [
    { name: 'worker', ok: false, detail: 'worker DRAINING' },
    { name: 'temporal', ok: true },
  ]);
});

test('the API answers GET /readyz with 503 and the failing checks, without a key', async () => {
  const unused = () => assert.fail('no lifecycle call expected');
  const api = await createApiServer({
    lifecycle: new Proxy({}, { get: () => unused }) as never,
    apiKeys: ['readiness-test-key-0123456789'],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
    readiness: async () => [{ name: 'temporal', ok: false, detail: 'Temporal at x:1: refused' }],
  });
  try {
    const answer = await fetch(`${api.url}/readyz`);
    assert.equal(answer.status, 503);
    assert.deepEqual(await answer.json(), {
      ready: false,
      checks: [{ name: 'temporal', ok: false, detail: 'Temporal at x:1: refused' }],
    });
  } finally {
    await api.close();
  }
});
