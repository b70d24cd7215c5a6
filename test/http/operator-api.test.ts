// The operator routes of the HTTP API end to end on the dev server: fetch → API server → client library →
// lifecycle (or fleet) workflow → real activities → the Graph simulator. Cancel an operation (by its ID, or
// whatever runs), retry the last failed one with a corrected PIN, list numbers by state, and cancel a fleet
// together with its started operations; status and error codes, the OpenAPI document, no PIN in any answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  CancelFleetResult,
  CancelOperationResult,
  FleetStatus,
  LifecycleSnapshot,
  NumberListing,
  NumberPage,
  OperationSummary,
  OperationTicket,
} from '../../client';
import { createApiServer, type LifecycleApi } from '../../api/server';
import { LIST_QUERY_PARAMETERS } from '../../api/operator-requests';
import { hourlyRegisters, startLifecycleWithLedger } from '../helpers/lifecycle';
import { until } from '../helpers/poll';
import { seedVerified } from '../helpers/seed';
import type { TestStack } from '../helpers/stack';
import {
  assertApiError as assertError,
  createApiHarness,
  type Answer,
  readOpenApi,
  type Json,
} from './api-harness';

const KEY = 'operator-api-test-key';
/** The PIN the numbers have, the one a first register gets wrong, and one that is not 6 digits. */
const RIGHT_PIN = '654321';
const WRONG_PIN = '123456';
const BAD_PIN = '97531';
const secrets = [RIGHT_PIN, WRONG_PIN, BAD_PIN];

const harness = createApiHarness({ key: KEY });
const { call, responseTexts } = harness;
let stack: TestStack;

before(async () => {
  ({ stack } = await harness.start());
});
after(() => harness.stop());

/** A number whose register waits ~62 h for Meta's window (10 registers in the last 10 hours). */
async function registerWaitingForBudget(id: string, wabaId?: string): Promise<Answer<OperationTicket>> {
  await seedVerified(stack.sim, id, { pin: RIGHT_PIN, ...(wabaId ? { waba_id: wabaId } : {}) });
  await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
  const posted = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    body: { operation: 'register', pin: RIGHT_PIN, ...(wabaId ? { wabaId } : {}) },
  });
  assert.equal(posted.status, 202, posted.text);
  await waitingForBudget(id);
  return posted;
}

function waitingForBudget(id: string) {
  return until(`${id} waiting for Meta's window`, async () =>
    (await stack.client.getState(id))?.currentOperation?.activeState === 'waiting-for-rate-limit'
      ? true
      : undefined,
  );
}

async function registerRequests(prefix: string): Promise<number> {
  const sent = await stack.sim.requests({ endpoint: 'register' });
  return sent.filter((r) => r.phoneNumberId?.startsWith(prefix)).length;
}

test('cancel a register waiting for Meta budget by its ID → 200 cancel-requested; it ends failed Cancelled; again → 409', async () => {
  const id = '7910000001';
  const posted = await registerWaitingForBudget(id);
  const ticket = posted.json;
  const location = posted.headers.get('location')!;
  assert.equal(location, `/v1/phone-numbers/${id}/operations/${encodeURIComponent(ticket.operationId)}`);

  // Bad bodies and IDs: 400 naming the field, and nothing cancelled.
  assertError(
    await call('POST', `${location}/cancel`, { body: { requestedBy: 'ops', extra: 1 } }),
    400,
    'BAD_REQUEST',
    'extra',
  );
  assertError(
    await call('POST', `${location}/cancel`, { body: { requestedBy: 5 } }),
    400,
    'BAD_REQUEST',
    'requestedBy',
  );
  assertError(await call('POST', `${location}/cancel`, { body: ['ops'] }), 400, 'BAD_REQUEST');
  assertError(
    await call('POST', `/v1/phone-numbers/${id}/operations/${'x'.repeat(300)}/cancel`),
    400,
    'BAD_REQUEST',
    'operationId',
  );
  assertError(
    await call('POST', `/v1/phone-numbers/12ab/operations/x/cancel`),
    400,
    'BAD_REQUEST',
    'phoneNumberId',
  );
  const get = await call('GET', `${location}/cancel`);
  assertError(get, 405, 'METHOD_NOT_ALLOWED');
  assert.equal(get.headers.get('allow'), 'POST');
  assert.equal((await stack.client.getState(id))?.currentOperation?.cancelRequestedBy, undefined);

  const cancelled = await call<CancelOperationResult>('POST', `${location}/cancel`, {
    body: { requestedBy: 'ops' },
  });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.json.operationId, ticket.operationId);
  assert.equal(cancelled.json.status, 'cancel-requested');
  assert.match(cancelled.json.note, /safe point/);

  // Being cancelled already, or gone: refused either way.
  assertError(await call('POST', `${location}/cancel`), 409, 'OPERATION_REJECTED', 'operationId');

  const done = await call<OperationSummary>('GET', `${location}?wait=true`);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.status, 'failed');
  assert.equal(done.json.failure?.type, 'Cancelled');
  assert.equal(done.json.cancelRequestedBy, 'ops');

  const again = assertError(
    await call('POST', `${location}/cancel`, { body: { requestedBy: 'ops' } }),
    409,
    'OPERATION_REJECTED',
    'operationId',
  );
  assert.match(again.message, /not queued or running/);
  const number = await call<LifecycleSnapshot>('GET', `/v1/phone-numbers/${id}`);
  assert.equal(number.json.state, 'deregistered', 'the number is as it was');
  assert.equal(await registerRequests(id), 0, 'no register was sent');
});

test('cancel without an ID stops the running operation; a queued one is dropped by its ID; nothing left → 409', async () => {
  const id = '7910000002';
  const register = (await registerWaitingForBudget(id)).json;
  const setPin = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    body: { operation: 'set-pin', pin: RIGHT_PIN },
  });
  assert.equal(setPin.status, 202, setPin.text);
  assert.equal(setPin.json.position, 1);
  const setPinAt = setPin.headers.get('location')!;

  // No body at all is fine.
  const dropped = await call<CancelOperationResult>('POST', `${setPinAt}/cancel`);
  assert.equal(dropped.status, 200, dropped.text);
  assert.deepEqual(
    { operationId: dropped.json.operationId, status: dropped.json.status },
    { operationId: setPin.json.operationId, status: 'cancelled' },
  );
  const setPinSummary = await call<OperationSummary>('GET', setPinAt);
  assert.equal(setPinSummary.json.status, 'failed');
  assert.equal(setPinSummary.json.failure?.type, 'Cancelled');
  assert.match(setPinSummary.json.failure?.message ?? '', /before it started/);

  const stopped = await call<CancelOperationResult>('POST', `/v1/phone-numbers/${id}/cancel`, {
    body: { requestedBy: 'ops' },
  });
  assert.equal(stopped.status, 200, stopped.text);
  assert.equal(stopped.json.operationId, register.operationId);
  assert.equal(stopped.json.status, 'cancel-requested');
  const done = await call<OperationSummary>(
    'GET',
    `/v1/phone-numbers/${id}/operations/${encodeURIComponent(register.operationId)}?wait=true`,
  );
  assert.equal(done.json.status, 'failed', done.text);
  assert.equal(done.json.failure?.type, 'Cancelled');

  const nothing = assertError(
    await call('POST', `/v1/phone-numbers/${id}/cancel`),
    409,
    'OPERATION_REJECTED',
  );
  assert.match(nothing.message, /nothing to cancel/);
  assert.equal(await registerRequests(id), 0);

  // A number without a lifecycle; a bad phone-number ID; a body that is not JSON.
  const none = assertError(
    await call('POST', '/v1/phone-numbers/7919999999/cancel'),
    409,
    'OPERATION_REJECTED',
  );
  assert.match(none.message, /no lifecycle yet/);
  assertError(
    await call('POST', '/v1/phone-numbers/7919999999/operations/x/cancel'),
    409,
    'OPERATION_REJECTED',
    'operationId',
  );
  assertError(await call('POST', '/v1/phone-numbers/12ab/cancel'), 400, 'BAD_REQUEST', 'phoneNumberId');
  assertError(
    await call('POST', `/v1/phone-numbers/${id}/cancel`, {
      rawBody: '{"requestedBy":',
      headers: { 'content-type': 'application/json' },
    }),
    400,
    'BAD_REQUEST',
  );
});

test('retry a register refused for its PIN with a corrected PIN → 202 + Location; it completes with retryOf; again → 409', async () => {
  const id = '7910000003';
  await seedVerified(stack.sim, id, { pin: RIGHT_PIN });
  const noLifecycle = assertError(
    await call('POST', `/v1/phone-numbers/${id}/retry`),
    409,
    'OPERATION_REJECTED',
  );
  assert.match(noLifecycle.message, /no lifecycle yet/);

  const first = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    body: { operation: 'register', pin: WRONG_PIN, requestedBy: 'alice' },
  });
  assert.equal(first.status, 202, first.text);
  const failed = await call<OperationSummary>('GET', `${first.headers.get('location')}?wait=true`);
  assert.equal(failed.json.status, 'failed', failed.text);

  // Bad bodies: 400 naming the field, the value never echoed, nothing queued.
  const badPin = assertError(
    await call('POST', `/v1/phone-numbers/${id}/retry`, { body: { pin: BAD_PIN } }),
    400,
    'BAD_REQUEST',
    'pin',
  );
  assert.match(badPin.message, /6 digits/);
  assertError(
    await call('POST', `/v1/phone-numbers/${id}/retry`, { body: { pin: Number(RIGHT_PIN) } }),
    400,
    'BAD_REQUEST',
    'pin',
  );
  const extra = assertError(
    await call('POST', `/v1/phone-numbers/${id}/retry`, { body: { pin: RIGHT_PIN, colour: 'blue' } }),
    400,
    'BAD_REQUEST',
    'colour',
  );
  assert.match(extra.message, /unknown field colour/);
  assertError(
    await call('POST', `/v1/phone-numbers/${id}/retry`, {
      rawBody: JSON.stringify({ pin: RIGHT_PIN }),
      headers: { 'content-type': 'text/plain' },
    }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  const between = await stack.client.getState(id);
  assert.equal(between?.currentOperation, undefined);
  assert.equal(between?.queued.length, 0);

  const retried = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/retry`, {
    body: { pin: RIGHT_PIN, requestedBy: 'bob' },
  });
  assert.equal(retried.status, 202, retried.text);
  assert.equal(retried.json.operation, 'register');
  assert.equal(retried.json.joined, false);
  assert.notEqual(retried.json.operationId, first.json.operationId);
  const location = retried.headers.get('location');
  assert.equal(
    location,
    `/v1/phone-numbers/${id}/operations/${encodeURIComponent(retried.json.operationId)}`,
  );
  const done = await call<OperationSummary>('GET', `${location}?wait=true`);
  assert.equal(done.json.status, 'completed', done.text);
  assert.equal(done.json.retryOf, first.json.operationId);
  assert.equal(done.json.requestedBy, 'bob');
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');

  const again = assertError(
    await call('POST', `/v1/phone-numbers/${id}/retry`, { body: {} }),
    409,
    'OPERATION_REJECTED',
  );
  assert.match(again.message, /nothing to retry/);
  assertError(await call('POST', '/v1/phone-numbers/12ab/retry'), 400, 'BAD_REQUEST', 'phoneNumberId');
});

test('GET /v1/phone-numbers lists numbers by state, operation and WABA; a bad filter → 400 naming it', async () => {
  const id = '7910000004';
  const waba = '990000000004';
  await registerWaitingForBudget(id, waba);

  const listed = await until('the waiting number in the list', async () => {
    const answer = await call<{ numbers: NumberListing[] }>(
      'GET',
      `/v1/phone-numbers?state=waiting-for-rate-limit&wabaId=${waba}`,
    );
    assert.equal(answer.status, 200, answer.text);
    return answer.json.numbers.length > 0 ? answer.json.numbers : undefined;
  });
  assert.deepEqual(
    listed.map((n) => n.phoneNumberId),
    [id],
  );
  assert.equal(listed[0]!.state, 'waiting-for-rate-limit');
  assert.equal(listed[0]!.operation, 'register');
  assert.equal(listed[0]!.wabaId, waba);
  assert.ok(Date.parse(listed[0]!.nextAttemptAt ?? '') > Date.now() + 60 * 3_600_000, 'waits ~62 h');

  const byOperation = await call<{ numbers: NumberListing[] }>(
    'GET',
    `/v1/phone-numbers?operation=register&wabaId=${waba}&limit=5`,
  );
  assert.deepEqual(
    byOperation.json.numbers.map((n) => n.phoneNumberId),
    [id],
  );
  const otherState = await call<{ numbers: NumberListing[] }>(
    'GET',
    `/v1/phone-numbers?state=registered&wabaId=${waba}`,
  );
  assert.deepEqual(otherState.json, { numbers: [] });
  const one = await call<{ numbers: NumberListing[] }>('GET', '/v1/phone-numbers?limit=1');
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.numbers.length, 1);

  for (const [query, field, rule] of [
    ['state=sleeping', 'state', /must be one of .*waiting-for-rate-limit/],
    ['state=', 'state', /must be one of/],
    ['operation=reboot', 'operation', /must be one of .*register/],
    ['wabaId=abc', 'wabaId', /digits/],
    ['limit=0', 'limit', /at least 1/],
    ['limit=10001', 'limit', /at most 10000/],
    ['limit=ten', 'limit', /whole number/],
    ['limit=-1', 'limit', /whole number/],
    ['state=registered&state=offline', 'state', /at most once/],
    ['colour=blue', 'colour', /unknown query parameter colour/],
  ] as const) {
    const error = assertError(await call('GET', `/v1/phone-numbers?${query}`), 400, 'BAD_REQUEST', field);
    assert.match(error.message, rule, query);
  }
  const post = await call('POST', '/v1/phone-numbers', { body: {} });
  assertError(post, 405, 'METHOD_NOT_ALLOWED');
  assert.equal(post.headers.get('allow'), 'GET');

  await stack.client.cancelOperation(id); // tidy: nothing of this file waits 62 h
});

test('fleet cancel with cancelRunning: both numbers waiting for budget are asked to stop → cancelRequested 2, nothing sent', async () => {
  const numbers = ['7920000000', '7920000001'];
  for (const id of numbers) {
    await seedVerified(stack.sim, id, { pin: RIGHT_PIN });
    await startLifecycleWithLedger(stack, id, hourlyRegisters(Date.now(), 10, 10), 'not-registered');
  }
  const location = '/v1/fleets/http-cancel-running';
  const posted = await call('POST', '/v1/fleets', {
    body: {
      operation: 'register',
      concurrency: 2,
      fleetId: 'http-cancel-running',
      numbers: numbers.map((phoneNumberId) => ({ phoneNumberId, pin: RIGHT_PIN })),
    },
  });
  assert.equal(posted.status, 202, posted.text);
  for (const id of numbers) await waitingForBudget(id);
  await until('the fleet to count both numbers running', async () => {
    const now = await call<FleetStatus>('GET', location);
    return now.json.progress?.counts.running === 2 ? true : undefined;
  });

  assertError(
    await call('POST', `${location}/cancel`, { body: { cancelRunning: 'yes' } }),
    400,
    'BAD_REQUEST',
    'cancelRunning',
  );
  const answer = await call<CancelFleetResult>('POST', `${location}/cancel`, {
    body: { requestedBy: 'ops', cancelRunning: true },
  });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { notStarted: 0, stillRunning: 2, cancelRequested: 2 });

  const done = await until('the fleet to finish', async () => {
    const now = await call<FleetStatus>('GET', location);
    return now.json.status === 'RUNNING' ? undefined : now.json;
  });
  assert.equal(done.status, 'COMPLETED');
  assert.equal(done.progress?.phase, 'cancelled');
  assert.equal(done.progress?.counts.failed, 2, JSON.stringify(done.progress?.counts));
  for (const n of done.progress?.numbers ?? []) assert.equal(n.failureType, 'Cancelled');
  assert.equal(await registerRequests('792000000'), 0, 'no register was sent');
  assertError(await call('POST', `${location}/cancel`), 409, 'CONFLICT', 'fleetId');
});

test('the routes hand the client exactly what was asked (a recording stand-in)', async () => {
  const calls: [string, ...unknown[]][] = [];
  const record =
    <T>(name: string, answer: T) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
      return Promise.resolve(answer);
    };
  const ticket: OperationTicket = {
    operationId: 'phone-number:7930000001:register:2',
    workflowId: 'phone-number:7930000001:register:2',
    operation: 'register',
    joined: false,
    position: 0,
  };
  const unused = () => Promise.reject(new Error('unused'));
  const standIn: LifecycleApi = {
    getState: unused,
    requestOperation: unused,
    waitForOperation: unused,
    submitVerificationCode: unused,
    cancelOperation: record<CancelOperationResult>('cancelOperation', {
      operationId: 'op',
      status: 'cancelled',
      note: 'n',
    }),
    retryOperation: record('retryOperation', ticket),
    listNumbersPage: record<NumberPage>('listNumbersPage', { numbers: [] }),
    startFleet: unused,
    describeFleet: unused,
    cancelFleet: record<CancelFleetResult>('cancelFleet', {
      notStarted: 1,
      stillRunning: 0,
      cancelRequested: 0,
    }),
    retryFleet: unused,
  };
  const server = await createApiServer({
    lifecycle: standIn,
    apiKeys: [KEY],
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
  });
  try {
    const base = server.url;
    const op = encodeURIComponent('phone-number:7930000001:register:1');
    assert.equal(
      (await call('POST', `/v1/phone-numbers/7930000001/operations/${op}/cancel`, { base })).status,
      200,
    );
    await call('POST', '/v1/phone-numbers/7930000001/cancel', { base, body: { requestedBy: 'ops' } });
    const retried = await call('POST', '/v1/phone-numbers/7930000001/retry', {
      base,
      body: { pin: RIGHT_PIN },
    });
    assert.equal(retried.status, 202);
    assert.equal(
      retried.headers.get('location'),
      `/v1/phone-numbers/7930000001/operations/${encodeURIComponent(ticket.operationId)}`,
    );
    await call('POST', '/v1/phone-numbers/7930000001/retry', { base });
    await call('GET', '/v1/phone-numbers?state=offline&wabaId=42', { base });
    await call('POST', '/v1/fleets/f-1/cancel', { base });
    await call('POST', '/v1/fleets/f-1/cancel', { base, body: { requestedBy: 'ops', cancelRunning: true } });
    await call('POST', '/v1/fleets/f-1/cancel', { base, body: { cancelRunning: false } });
  } finally {
    await server.close();
  }
  assert.deepEqual(calls, [
    ['cancelOperation', '7930000001', { operationId: 'phone-number:7930000001:register:1' }],
    ['cancelOperation', '7930000001', { requestedBy: 'ops' }],
    ['retryOperation', '7930000001', { pin: RIGHT_PIN }],
    ['retryOperation', '7930000001', {}],
    ['listNumbersPage', { state: 'offline', wabaId: '42' }, undefined],
    ['cancelFleet', 'f-1', undefined, { cancelRunning: false }],
    ['cancelFleet', 'f-1', 'ops', { cancelRunning: true }],
    ['cancelFleet', 'f-1', undefined, { cancelRunning: false }],
  ]);
});

test('the OpenAPI document has the operator routes, their bodies and answers', async () => {
  const { paths, components } = await readOpenApi(call);
  const expected: [string, string, string[]][] = [
    ['/v1/phone-numbers', 'get', ['200', '400', '401', '503']],
    ['/v1/phone-numbers/{phoneNumberId}/cancel', 'post', ['200', '400', '401', '409', '503']],
    [
      '/v1/phone-numbers/{phoneNumberId}/operations/{operationId}/cancel',
      'post',
      ['200', '400', '401', '409', '503'],
    ],
    ['/v1/phone-numbers/{phoneNumberId}/retry', 'post', ['202', '400', '401', '409', '503']],
  ];
  for (const [p, method, statuses] of expected) {
    const op = paths[p]?.[method];
    assert.ok(op, `${method} ${p}`);
    for (const status of statuses) {
      assert.ok((op.responses as Json)[status], `${method} ${p} documents ${status}`);
    }
  }
  const retry = paths['/v1/phone-numbers/{phoneNumberId}/retry']!.post!;
  assert.ok(((retry.responses as Record<string, Json>)['202']!.headers as Json).Location);

  const list = paths['/v1/phone-numbers']!.get!;
  const parameters = list.parameters as { name: string; in: string; schema: Json }[];
  assert.deepEqual(
    parameters.map((p) => p.name),
    [...LIST_QUERY_PARAMETERS],
  );
  assert.ok(parameters.every((p) => p.in === 'query'));
  assert.ok((parameters[0]!.schema.enum as string[]).includes('waiting-for-rate-limit'));
  assert.equal(parameters[3]!.schema.maximum, 10_000);

  const schema = (name: string) => {
    assert.ok(components.schemas[name], `schema ${name}`);
    return components.schemas[name]!;
  };
  const props = (name: string) => schema(name).properties as Record<string, Json>;
  assert.equal(schema('RetryOperationRequest').additionalProperties, false);
  assert.match(String(props('RetryOperationRequest').pin!.pattern), /\\d\{6\}/);
  assert.equal(schema('CancelOperationRequest').additionalProperties, false);
  assert.deepEqual(Object.keys(props('CancelOperationRequest')), ['requestedBy']);
  assert.deepEqual(props('CancelOperationResult').status!.enum, ['cancelled', 'cancel-requested']);
  assert.ok(props('OperationSummary').retryOf && props('OperationSummary').cancelRequestedBy);
  assert.ok(props('NumberList').numbers);
  assert.ok(props('NumberListing').nextAttemptAt);
  assert.equal(props('FleetCancelRequest').cancelRunning!.type, 'boolean');
});

test('no PIN in any answer', () => {
  assert.ok(responseTexts.length > 40);
  for (const secret of secrets) {
    const pattern = new RegExp(`(?<![0-9])${secret}(?![0-9])`);
    for (const text of responseTexts) {
      assert.doesNotMatch(text, pattern, `secret found in: ${text.slice(0, 200)}`);
    }
  }
});
