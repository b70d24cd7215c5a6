// GET /metrics of the HTTP API: requests counted by the route's pattern (never the URL with its IDs) and
// status, and a latency histogram whose buckets are cumulative. The API runs in front of a stub lifecycle:
// what is measured is the HTTP layer, not Temporal.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApiServer, type ApiServer, type LifecycleApi } from '../../api/server';
import { LATENCY_BUCKETS_SECONDS } from '../../api/http-metrics';

const KEY = 'metrics-test-key-0123456789';
const NUMBER = '4915123456789';
let api: ApiServer;

before(async () => {
  // Every number is unknown: GET /v1/phone-numbers/{id} answers 404 without reaching Temporal.
  const lifecycle = new Proxy({}, { get: () => async () => undefined }) as LifecycleApi;
  api = await createApiServer({
    lifecycle,
    apiKeys: [KEY],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
  });
});
after(() => api?.close());

const get = (path: string, key: string | null = KEY) =>
  fetch(`${api.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

/** The sample lines of one metric: `name{labels} value`, parsed. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => {
      const match = /^[a-z_]+\{(.*)\} (\S+)$/.exec(line);
      assert.ok(match, `malformed sample: ${line}`);
      const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      return { labels, value: Number(match[2]) };
    });
}

test('requests by method, route pattern and status; latency buckets cumulative up to +Inf; no ID in any line', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await get(`/v1/phone-numbers/${NUMBER}${i}`)).status, 404);
  assert.equal((await get('/healthz', null)).status, 200);
  assert.equal((await get('/v1/caller', null)).status, 401);
  assert.equal((await get(`/no/such/${NUMBER}`)).status, 404);

  const res = await get('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.ok(!text.includes(NUMBER), 'no phone-number ID in the metrics');
  assert.ok(!text.includes(KEY), 'no API key in the metrics');
  assert.match(text, /^# TYPE wa_api_requests_total counter$/m);
  assert.match(text, /^# TYPE wa_api_request_duration_seconds histogram$/m);

  const requests = samples(text, 'wa_api_requests_total');
  const count = (route: string, status: string) =>
    requests.find((s) => s.labels.route === route && s.labels.status === status && s.labels.method === 'GET')
      ?.value;
  assert.equal(count('/v1/phone-numbers/:phoneNumberId', '404'), 3, 'the pattern, not three URLs');
  assert.equal(count('/healthz', '200'), 1);
  assert.equal(count('/v1/caller', '401'), 1);
  assert.equal(count('unmatched', '404'), 1, 'an unknown path is "unmatched", never its URL');

  const buckets = samples(text, 'wa_api_request_duration_seconds_bucket').filter(
    (s) => s.labels.route === '/v1/phone-numbers/:phoneNumberId',
  );
  assert.deepEqual(
    buckets.map((b) => b.labels.le),
    [...LATENCY_BUCKETS_SECONDS.map(String), '+Inf'],
  );
  for (let i = 1; i < buckets.length; i++)
    assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative');
  assert.equal(buckets.at(-1)!.value, 3);
  const [histCount] = samples(text, 'wa_api_request_duration_seconds_count').filter(
    (s) => s.labels.route === '/v1/phone-numbers/:phoneNumberId',
  );
  assert.equal(histCount?.value, 3);
  const [sum] = samples(text, 'wa_api_request_duration_seconds_sum').filter(
    (s) => s.labels.route === '/v1/phone-numbers/:phoneNumberId',
  );
  assert.ok(sum && sum.value > 0 && sum.value < 10, `sum in seconds: ${sum?.value}`);
});

test('GET /metrics needs a key with read scope when keys are configured', async () => {
  assert.equal((await get('/metrics', null)).status, 401);
  assert.equal((await get('/metrics', 'wrong-key-0123456789')).status, 401);
});
