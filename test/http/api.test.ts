// The HTTP API end to end on the dev server: fetch → API server → client library → lifecycle workflow →
// real activities → the Graph simulator. Also auth, validation errors, the OpenAPI document, and that
// no PIN or code leaks into a response or a log line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  NumberLifecycleClient,
  type CodeSubmissionResult,
  type LifecycleSnapshot,
  type OperationSummary,
  type OperationTicket,
} from '../../client';
import { createApiServer, type LifecycleApi } from '../../api/server';
import { OPERATION_KINDS } from '../../domain/operations';
import { TEST_ENCRYPTION_KEYS, type TestStack } from '../helpers/stack';
import {
  assertApiError as assertError,
  createApiHarness,
  type ProblemBody,
  type CallOptions,
  readOpenApi,
  type Json,
} from './api-harness';

const KEY = 'test-api-key';
/** Distinct values, so finding one in a response or log line is a leak, not a coincidence. */
const PIN_REGISTER = '246813';
const PIN_INVALID = '97531';
const PIN_EXTRA = '864202';
const PIN_FROM_DOC = '444444';
const PIN_QUERY = '731902';
const secrets: string[] = [PIN_REGISTER, PIN_INVALID, PIN_EXTRA, PIN_FROM_DOC, PIN_QUERY];

const logLines: string[] = [];
const harness = createApiHarness({ key: KEY, log: (line) => logLines.push(line) });
const { call, responseTexts } = harness;
let stack: TestStack;

before(async () => {
  ({ stack } = await harness.start());
});
after(() => harness.stop());

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function seed(id: string, extra: Record<string, unknown> = {}) {
  await stack.sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED', ...extra });
}

test('healthz and openapi.json need no key; other routes need a valid Bearer or X-Api-Key', async () => {
  assert.deepEqual((await call('GET', '/healthz', { key: null })).json, { ok: true });
  assert.equal((await call('GET', `/healthz?pin=${PIN_QUERY}`, { key: null })).status, 200);
  assert.equal((await call('GET', '/openapi.json', { key: null })).status, 200);

  const id = '7770000100';
  const none = await call('GET', `/v1/phone-numbers/${id}`, { key: null });
  assertError(none, 401, 'UNAUTHORIZED');
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assertError(await call('GET', `/v1/phone-numbers/${id}`, { key: 'wrong-key' }), 401, 'UNAUTHORIZED');
  assertError(
    await call('GET', `/v1/phone-numbers/${id}`, { key: null, headers: { 'x-api-key': 'test-api-kez' } }),
    401,
    'UNAUTHORIZED',
  );
  assertError(
    await call('GET', `/v1/phone-numbers/${id}`, { key: null, headers: { authorization: `Basic ${KEY}` } }),
    401,
    'UNAUTHORIZED',
  );
  // Unknown routes do not tell a caller without a key what exists.
  assertError(await call('GET', '/v1/nothing-here', { key: null }), 401, 'UNAUTHORIZED');
  // Authorized (X-Api-Key or Bearer): the number simply has no lifecycle yet.
  assertError(
    await call('GET', `/v1/phone-numbers/${id}`, { key: null, headers: { 'x-api-key': KEY } }),
    404,
    'NOT_FOUND',
  );
  assertError(await call('GET', `/v1/phone-numbers/${id}`), 404, 'NOT_FOUND');
  // A body is not even read without a key.
  assertError(
    await call('POST', `/v1/phone-numbers/${id}/operations`, {
      key: null,
      body: { operation: 'deregister' },
    }),
    401,
    'UNAUTHORIZED',
  );
});

test('register: POST → 202 with the ticket and Location; GET it with wait=true → completed; GET the number → registered', async () => {
  const id = '7770000001';
  await seed(id);
  const posted = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    body: { operation: 'register', pin: PIN_REGISTER, requestedBy: 'api-test' },
  });
  assert.equal(posted.status, 202, posted.text);
  const ticket = posted.json;
  assert.equal(ticket.operation, 'register');
  assert.equal(ticket.joined, false);
  assert.match(ticket.operationId, new RegExp(`^phone-number:${id}:register:`));
  const location = posted.headers.get('location');
  assert.equal(location, `/v1/phone-numbers/${id}/operations/${encodeURIComponent(ticket.operationId)}`);

  const done = await call<OperationSummary>('GET', `${location}?wait=true`);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.operationId, ticket.operationId);
  assert.equal(done.json.status, 'completed');
  assert.equal(done.json.requestedBy, 'api-test');

  const again = await call<OperationSummary>('GET', location!);
  assert.equal(again.status, 200);
  assert.equal(again.json.status, 'completed');

  const number = await call<LifecycleSnapshot>('GET', `/v1/phone-numbers/${id}`);
  assert.equal(number.status, 200, number.text);
  assert.equal(number.json.phoneNumberId, id);
  assert.equal(number.json.state, 'registered');
  assert.equal(number.json.registration, 'registered');
  assert.equal(number.json.pinSet, true);
  assert.ok(number.json.recentOperations.some((o) => o.operationId === ticket.operationId));
  assert.equal((await stack.sim.phoneNumber(id)).status, 'CONNECTED');

  const unknownOp = encodeURIComponent(`phone-number:${id}:register:999`);
  assertError(await call('GET', `/v1/phone-numbers/${id}/operations/${unknownOp}`), 404, 'NOT_FOUND');
  assertError(await call('GET', `/v1/phone-numbers/${id}/operations/x?wait=true`), 404, 'NOT_FOUND');
  assertError(await call('GET', `${location}?wait=soon`), 400, 'BAD_REQUEST', 'wait');
});

test('Idempotency-Key: a retried POST answers with the first ticket and queues nothing; a bad key is refused', async () => {
  const id = '7770000011';
  await seed(id);
  const post = (key: string | undefined, pin = PIN_REGISTER) =>
    call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
      body: { operation: 'register', pin },
      ...(key ? { headers: { 'idempotency-key': key } } : {}),
    });
  const first = await post('order-42:register');
  assert.equal(first.status, 202, first.text);
  // The same key with another body is still the same call, retried: the first ticket, nothing new queued.
  const retried = await post('order-42:register', PIN_EXTRA);
  assert.equal(retried.status, 202, retried.text);
  assert.deepEqual(retried.json, first.json);
  const state = await call<LifecycleSnapshot>('GET', `/v1/phone-numbers/${id}`);
  const ops = [state.json.currentOperation, ...state.json.queued, ...state.json.recentOperations].filter(
    Boolean,
  );
  assert.equal(ops.length, 1, 'one operation for two calls');
  assertError(await post('has spaces'), 400, 'BAD_REQUEST', 'Idempotency-Key');
});

test('verification: POST verify, wait for waiting-for-code, a wrong code (200, not accepted), the code from the simulator (accepted)', async () => {
  const id = '7770000002';
  await stack.sim.seed({ id, code_verification_status: 'NOT_VERIFIED', name_status: 'APPROVED' });
  const posted = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    body: { operation: 'verify' },
  });
  assert.equal(posted.status, 202, posted.text);
  const location = posted.headers.get('location')!;
  await until('waiting-for-code', async () => {
    const s = await call<LifecycleSnapshot>('GET', `/v1/phone-numbers/${id}`);
    return s.status === 200 && s.json.state === 'waiting-for-code' ? s.json : undefined;
  });

  // wait=true gives up at the server's cap and answers with the operation as it is.
  const impatient = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [KEY],
    host: '127.0.0.1',
    port: 0,
    maxWaitMs: 500,
    log: (line) => logLines.push(line),
  });
  try {
    const started = Date.now();
    const pending = await call<OperationSummary>('GET', `${location}?wait=true`, { base: impatient.url });
    assert.equal(pending.status, 200, pending.text);
    assert.notEqual(pending.json.status, 'completed');
    assert.equal(pending.json.activeState, 'waiting-for-code');
    assert.ok(Date.now() - started < 10_000, 'the wait cap was honoured');
  } finally {
    await impatient.close();
  }

  const { code } = (await (await fetch(`${stack.simulator.url}/_sim/codes/${id}`)).json()) as {
    code: string;
  };
  secrets.push(code);
  const wrongCode = code === '999999' ? '888888' : '999999';
  secrets.push(wrongCode);

  assertError(
    await call('POST', `/v1/phone-numbers/${id}/verification-code`, { body: { code: '12ab' } }),
    400,
    'BAD_REQUEST',
    'code',
  );
  assertError(
    await call('POST', `/v1/phone-numbers/${id}/verification-code`, { body: { code, extra: true } }),
    400,
    'BAD_REQUEST',
    'extra',
  );
  assertError(
    await call('POST', `/v1/phone-numbers/${id}/verification-code`, { body: {} }),
    400,
    'BAD_REQUEST',
    'code',
  );

  const wrong = await call<CodeSubmissionResult>('POST', `/v1/phone-numbers/${id}/verification-code`, {
    body: { code: wrongCode },
  });
  assert.equal(wrong.status, 200, wrong.text);
  assert.equal(wrong.json.accepted, false);
  assert.equal(typeof wrong.json.attemptsLeft, 'number');

  const right = await call<CodeSubmissionResult>('POST', `/v1/phone-numbers/${id}/verification-code`, {
    body: { code: `${code.slice(0, 3)}-${code.slice(3)}` },
  });
  assert.equal(right.status, 200, right.text);
  assert.equal(right.json.accepted, true);

  const done = await call<OperationSummary>('GET', `${location}?wait=true`);
  assert.equal(done.json.status, 'completed', done.text);
  assert.equal(
    (await call<LifecycleSnapshot>('GET', `/v1/phone-numbers/${id}`)).json.verification,
    'verified',
  );
});

test('a code with nothing waiting for it → 409 OPERATION_REJECTED with the reason', async () => {
  const err = assertError(
    await call('POST', '/v1/phone-numbers/7770000009/verification-code', { body: { code: '123-830' } }),
    409,
    'OPERATION_REJECTED',
  );
  assert.match(err.message, /no verification is waiting for a code/);
});

test('deregister of a number known to be unregistered → 409 OPERATION_REJECTED', async () => {
  const id = '7770000003';
  await seed(id);
  const first = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, {
    body: { operation: 'deregister' },
  });
  assert.equal(first.status, 202, first.text);
  const done = await call<OperationSummary>('GET', `${first.headers.get('location')}?wait=true`);
  assert.equal(done.json.status, 'completed');
  assert.equal(done.json.outcome, 'already-done');

  const err = assertError(
    await call('POST', `/v1/phone-numbers/${id}/operations`, { body: { operation: 'deregister' } }),
    409,
    'OPERATION_REJECTED',
  );
  assert.match(err.message, /not registered/);
});

test('bad bodies → 400 BAD_REQUEST naming the field; wrong content type 415; too large 413', async () => {
  const id = '7770000004';
  const post = (options: CallOptions) => call('POST', `/v1/phone-numbers/${id}/operations`, options);

  const pin = assertError(
    await post({ body: { operation: 'register', pin: PIN_INVALID } }),
    400,
    'BAD_REQUEST',
    'pin',
  );
  assert.match(pin.message, /6 digits/);
  const extra = assertError(
    await post({ body: { operation: 'register', pin: PIN_EXTRA, colour: 'blue' } }),
    400,
    'BAD_REQUEST',
    'colour',
  );
  assert.match(extra.message, /unknown field colour/);
  assertError(
    await post({
      body: {
        operation: 'migrate',
        pin: PIN_EXTRA,
        onPrem: { url: 'https://onprem.example', username: 'admin', password: 'pw-not-echoed', x: 1 },
        backupPassword: 'backup-not-echoed',
      },
    }),
    400,
    'BAD_REQUEST',
    'onPrem.x',
  );
  secrets.push('pw-not-echoed', 'backup-not-echoed');
  const missing = assertError(await post({ body: { pin: PIN_EXTRA } }), 400, 'BAD_REQUEST', 'operation');
  assert.match(missing.message, /is required/);
  assertError(await post({ body: { operation: 'reboot' } }), 400, 'BAD_REQUEST', 'operation');
  assertError(await post({ body: { operation: 'register' } }), 400, 'BAD_REQUEST', 'pin');
  assertError(await post({ body: { operation: 'verify', method: 'FAX' } }), 400, 'BAD_REQUEST', 'method');
  const invalid = assertError(
    await post({
      rawBody: '{"operation": "register", "pin": ',
      headers: { 'content-type': 'application/json' },
    }),
    400,
    'BAD_REQUEST',
  );
  assert.equal(invalid.field, undefined);
  assertError(await post({ body: ['register'] }), 400, 'BAD_REQUEST');
  assertError(
    await post({ rawBody: '', headers: { 'content-type': 'application/json' } }),
    400,
    'BAD_REQUEST',
  );
  assertError(
    await post({
      rawBody: JSON.stringify({ operation: 'deregister' }),
      headers: { 'content-type': 'text/plain' },
    }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  const huge = JSON.stringify({ operation: 'deregister', requestedBy: 'x'.repeat(2 * 1024 * 1024) });
  assertError(
    await post({ rawBody: huge, headers: { 'content-type': 'application/json' } }),
    413,
    'PAYLOAD_TOO_LARGE',
  );
  // Without a Content-Length (chunked), the limit holds while reading.
  const small = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [KEY],
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024,
    log: (line) => logLines.push(line),
  });
  try {
    const { port } = new URL(small.url);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/v1/phone-numbers/${id}/operations`,
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(`{"operation":"deregister","requestedBy":"`);
      req.write('y'.repeat(2048));
      req.end('"}');
    });
    assert.equal(answer.status, 413, answer.text);
    assert.equal((JSON.parse(answer.text) as ProblemBody).code, 'PAYLOAD_TOO_LARGE');
  } finally {
    await small.close();
  }
  // Nothing reached Temporal: the number still has no lifecycle.
  assertError(await call('GET', `/v1/phone-numbers/${id}`), 404, 'NOT_FOUND');
});

test('a bad phone-number id → 400 with field phoneNumberId', async () => {
  assertError(await call('GET', '/v1/phone-numbers/12ab'), 400, 'BAD_REQUEST', 'phoneNumberId');
  assertError(
    await call('POST', '/v1/phone-numbers/12ab/operations', { body: { operation: 'deregister' } }),
    400,
    'BAD_REQUEST',
    'phoneNumberId',
  );
  assertError(await call('GET', '/v1/phone-numbers/12ab/operations/x'), 400, 'BAD_REQUEST', 'phoneNumberId');
  assertError(
    await call('POST', '/v1/phone-numbers/12ab/verification-code', { body: { code: '123830' } }),
    400,
    'BAD_REQUEST',
    'phoneNumberId',
  );
});

test('unknown route → 404 NOT_FOUND; wrong method → 405 METHOD_NOT_ALLOWED with Allow', async () => {
  assertError(await call('GET', '/v1/nothing-here'), 404, 'NOT_FOUND');
  assertError(await call('GET', '/v1/phone-numbers/7770000001/'), 404, 'NOT_FOUND');
  assertError(await call('GET', '/'), 404, 'NOT_FOUND');
  const get = await call('GET', '/v1/phone-numbers/7770000001/operations');
  assertError(get, 405, 'METHOD_NOT_ALLOWED');
  assert.equal(get.headers.get('allow'), 'POST');
  const del = await call('DELETE', '/v1/phone-numbers/7770000001');
  assertError(del, 405, 'METHOD_NOT_ALLOWED');
  assert.equal(del.headers.get('allow'), 'GET');
  assertError(await call('POST', '/healthz', { key: null, body: {} }), 405, 'METHOD_NOT_ALLOWED');
});

test('without API keys: createApiServer refuses a non-loopback host; on loopback it needs no key but a local Host', async () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
    assert.throws(
      () => createApiServer({ lifecycle: stack.client, apiKeys: [], host, port: 0, log: () => undefined }),
      /loopback/,
    );
  }
  const open = await createApiServer({
    lifecycle: stack.client,
    apiKeys: [],
    host: '127.0.0.1',
    port: 0,
    log: (line) => logLines.push(line),
  });
  try {
    assertError(
      await call('GET', '/v1/phone-numbers/7770000200', { key: null, base: open.url }),
      404,
      'NOT_FOUND',
    );
    const openApi = await call<{ security?: unknown }>('GET', '/openapi.json', { key: null, base: open.url });
    assert.equal(openApi.json.security, undefined);
    // A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) is refused.
    const { port } = new URL(open.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/phone-numbers/7770000200',
          headers: { host: `evil.example:${port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  } finally {
    await open.close();
  }
});

test('Temporal unreachable → 503 TEMPORAL_UNAVAILABLE; an unexpected error → 500 INTERNAL without internals', async () => {
  // A client whose server is gone (no retries, so the test is quick).
  const connection = Connection.lazy({ address: '127.0.0.1:1', interceptors: [] });
  const unreachable = await NumberLifecycleClient.connect({
    config: stack.config,
    client: new Client({ connection, dataConverter: stack.dataConverter }),
  });
  const broken: LifecycleApi = {
    getState: () => Promise.reject(new Error(`disk on fire at /var/lib/secret pin=${PIN_REGISTER}`)),
    requestOperation: () => Promise.reject(new TypeError('cannot read properties of undefined')),
    waitForOperation: () => Promise.reject(new Error('unused')),
    submitVerificationCode: () => Promise.reject(new Error('unused')),
    cancelOperation: () => Promise.reject(new Error('unused')),
    retryOperation: () => Promise.reject(new Error('unused')),
    listNumbersPage: () => Promise.reject(new Error(`index on fire pin=${PIN_REGISTER}`)),
    startFleet: () => Promise.reject(new Error('unused')),
    describeFleet: () => Promise.reject(new Error('unused')),
    cancelFleet: () => Promise.reject(new Error('unused')),
    retryFleet: () => Promise.reject(new Error('unused')),
  };
  const lines: string[] = [];
  const down = await createApiServer({
    lifecycle: unreachable,
    apiKeys: [KEY],
    host: '127.0.0.1',
    port: 0,
    log: (l) => lines.push(l),
  });
  const failing = await createApiServer({
    lifecycle: broken,
    apiKeys: [KEY],
    host: '127.0.0.1',
    port: 0,
    log: (l) => lines.push(l),
  });
  try {
    const unavailable = await call('GET', '/v1/phone-numbers/7770000300', { base: down.url });
    assertError(unavailable, 503, 'TEMPORAL_UNAVAILABLE');
    assert.ok(unavailable.headers.get('retry-after'));
    assertError(
      await call('POST', '/v1/phone-numbers/7770000300/operations', {
        base: down.url,
        body: { operation: 'deregister' },
      }),
      503,
      'TEMPORAL_UNAVAILABLE',
    );

    const internal = assertError(
      await call('GET', '/v1/phone-numbers/7770000300', { base: failing.url }),
      500,
      'INTERNAL',
    );
    assert.doesNotMatch(internal.message, /disk|secret|fire/);
    assertError(
      await call('POST', '/v1/phone-numbers/7770000300/operations', {
        base: failing.url,
        body: { operation: 'deregister' },
      }),
      500,
      'INTERNAL',
    );
    assertError(await call('GET', '/v1/phone-numbers?state=offline', { base: failing.url }), 500, 'INTERNAL');
    // The log says what went wrong, without the PIN.
    const logged = lines.find((l) => l.startsWith('GET /v1/phone-numbers/7770000300 500'));
    assert.match(logged ?? '', /error=Error: disk on fire/);
    assert.doesNotMatch(logged ?? '', new RegExp(PIN_REGISTER));
    logLines.push(...lines);
  } finally {
    await down.close();
    await failing.close();
    await connection.close();
  }
});

test('the OpenAPI document: 3.1, every route, the seven operations, security schemes; a body built from it is accepted', async () => {
  const { doc, paths, components, resolve } = await readOpenApi(call);
  assert.match(String(doc.openapi), /^3\.1/);
  for (const p of [
    '/v1/phone-numbers/{phoneNumberId}/operations',
    '/v1/phone-numbers/{phoneNumberId}',
    '/v1/phone-numbers/{phoneNumberId}/operations/{operationId}',
    '/v1/phone-numbers/{phoneNumberId}/verification-code',
    '/openapi.json',
    '/healthz',
  ]) {
    assert.ok(paths[p], `path ${p}`);
  }
  assert.deepEqual(components.securitySchemes.bearerAuth, {
    type: 'http',
    scheme: 'bearer',
    description: 'Authorization: Bearer <API key>',
  });
  assert.equal(components.securitySchemes.ApiKey?.in, 'header');
  assert.equal(components.securitySchemes.ApiKey?.name, 'X-Api-Key');
  assert.deepEqual(doc.security, [{ bearerAuth: [] }, { ApiKey: [] }]);
  assert.deepEqual(paths['/healthz']?.get?.security, []);

  const post = paths['/v1/phone-numbers/{phoneNumberId}/operations']!.post!;
  const content = (post.requestBody as Json).content as Record<string, { schema: Json }>;
  const requestSchema = resolve(content['application/json']!.schema);
  const variants = ((requestSchema.oneOf ?? requestSchema.anyOf) as Json[]).map(resolve);
  const kinds = variants.map((v) => ((v.properties as Record<string, Json>).operation as Json).const);
  assert.deepEqual([...kinds].sort(), [...OPERATION_KINDS].sort());
  for (const status of ['202', '400', '401', '409', '503']) {
    assert.ok((post.responses as Json)[status], `POST operations documents ${status}`);
  }
  assert.ok(((post.responses as Record<string, Json>)['202']!.headers as Json).Location);
  for (const [p, method] of [
    ['/v1/phone-numbers/{phoneNumberId}', 'get'],
    ['/v1/phone-numbers/{phoneNumberId}/operations/{operationId}', 'get'],
  ] as const) {
    for (const status of ['200', '400', '401', '404', '503']) {
      assert.ok((paths[p]![method]!.responses as Json)[status], `${method} ${p} documents ${status}`);
    }
  }
  const codeResponses = paths['/v1/phone-numbers/{phoneNumberId}/verification-code']!.post!.responses as Json;
  for (const status of ['200', '400', '401', '409', '503']) assert.ok(codeResponses[status]);

  // A register body built only from the document: its required properties, from const, enum and pattern.
  const register = variants.find(
    (v) => (v.properties as Record<string, Json>).operation?.const === 'register',
  )!;
  const body: Json = {};
  for (const name of register.required as string[]) {
    const prop = (register.properties as Record<string, Json>)[name]!;
    if (prop.const !== undefined) body[name] = prop.const;
    else if (Array.isArray(prop.enum)) body[name] = prop.enum[0];
    else {
      const digits = /^\^\\d\{(\d+)\}\$$/.exec(String(prop.pattern));
      assert.ok(digits, `can build ${name} from ${JSON.stringify(prop)}`);
      body[name] = '4'.repeat(Number(digits[1]));
    }
  }
  assert.deepEqual(body, { operation: 'register', pin: PIN_FROM_DOC });
  const id = '7770000005';
  await seed(id);
  const posted = await call<OperationTicket>('POST', `/v1/phone-numbers/${id}/operations`, { body });
  assert.equal(posted.status, 202, posted.text);
  const done = await call<OperationSummary>('GET', `${posted.headers.get('location')}?wait=true`);
  assert.equal(done.json.status, 'completed');
});

const MAIN = path.resolve(__dirname, '..', '..', 'api', 'main.ts');

/** Runs `api/main.ts` (what `npm run api` runs); resolves with its URL once it listens, or its exit. */
function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    // TEMPORAL_CONFIG_FILE: no file, so a developer's own Temporal profile cannot point the API elsewhere.
    env: {
      ...process.env,
      WA_API_KEYS: '',
      WA_API_KEYS_FILE: '',
      WA_API_HOST: '',
      TEMPORAL_CONFIG_FILE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /listening on (http:\/\/\S+?)[ ;(]/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then(() => resolve(undefined));
  });
  return { child, listening, exited, output: () => stdout + stderr };
}

test('npm run api (api/main.ts): keys from the environment, the API and the codec on one port; no key and a public host → exit 2', async () => {
  const key = 'main-test-api-key-0123456789';
  const env = {
    WA_TEMPORAL_ADDRESS: stack.config.temporal.address,
    WA_TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
  };
  const refused = startMain({ ...env, WA_API_HOST: '0.0.0.0' });
  assert.equal(await refused.exited, 2, refused.output());
  assert.match(refused.output(), /without API keys/);

  const main = startMain({ ...env, WA_API_KEYS: key, WA_API_PORT: '0' });
  try {
    const url = await main.listening;
    assert.ok(url, main.output());
    assert.match(main.output(), /API key required \(1 key\(s\) from WA_API_KEYS\)/);
    // The start-up line says where the Temporal target came from.
    assert.ok(
      main
        .output()
        .includes(
          `(Temporal ${stack.config.temporal.address} (from env WA_TEMPORAL_ADDRESS), namespace default (from temporal.yaml), no TLS)`,
        ),
      main.output(),
    );
    assert.ok(!main.output().includes(key));
    assertError(await call('GET', '/v1/phone-numbers/7770000400', { base: url }), 401, 'UNAUTHORIZED');
    const registered = await call<LifecycleSnapshot>('GET', '/v1/phone-numbers/7770000001', {
      base: url,
      key,
    });
    assert.equal(registered.status, 200, registered.text);
    assert.equal(registered.json.state, 'registered');
    // The codec endpoint (loopback caller: no token needed), encrypting with the configured key.
    const encoded = await call<{ payloads: unknown[] }>('POST', '/codec/encode', {
      base: url,
      key: null,
      body: {
        payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: '' }],
      },
    });
    assert.equal(encoded.status, 200, encoded.text);
    assert.equal(encoded.json.payloads.length, 1);
    assert.match(main.output(), /api: GET \/v1\/phone-numbers\/7770000001 200 \d+ms/);
  } finally {
    main.child.kill('SIGTERM');
    assert.equal(await main.exited, 0, main.output());
  }
});

test('one log line per request (method, path without query, status, ms); no PIN, code or password in any response or log line', () => {
  assert.ok(logLines.length > 20);
  for (const line of logLines) {
    assert.match(line, /^(GET|POST|DELETE) \/\S* \d{3} \d+ms( error=.*)?$/, line);
    assert.ok(!line.includes('?'), `no query string in ${line}`);
  }
  assert.ok(logLines.some((l) => l.startsWith('GET /healthz 200 ')));
  assert.ok(secrets.length >= 7);
  for (const secret of secrets) {
    const pattern = new RegExp(`(?<![0-9])${secret}(?![0-9])`);
    for (const text of [...responseTexts, ...logLines]) {
      assert.doesNotMatch(text, pattern, `secret found in: ${text.slice(0, 200)}`);
    }
  }
  // The API key either.
  for (const text of logLines) assert.ok(!text.includes(KEY));
});
