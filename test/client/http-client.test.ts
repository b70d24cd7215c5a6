// HttpLifecycleClient without a stack: error bodies of both API generations read back into the library's
// errors, and the transport's manners (Retry-After, Idempotency-Key, page tokens, the wait loop) against a
// tiny node:http server that answers what each test scripts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiKeyRefusedError,
  HttpApiError,
  HttpLifecycleClient,
  InputError,
  OperationRejectedError,
  TemporalUnreachableError,
} from '../../client';
import { parseErrorBody, retryAfterMs, toLibraryError } from '../../client/http-errors';

const KEY = 'unit-test-key-5c2f91';
const context = { apiUrl: 'http://api.test', keyGiven: true };

test('parseErrorBody: the current shape, {"error": {code, message, field, errors}}', () => {
  const body = {
    error: {
      code: 'BAD_REQUEST',
      message: 'numbers[1].pin: must be exactly 6 digits',
      field: 'numbers[1].pin',
      errors: [{ field: 'numbers[1].pin', message: 'must be exactly 6 digits' }],
    },
  };
  assert.deepEqual(parseErrorBody(400, JSON.stringify(body)), {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'numbers[1].pin: must be exactly 6 digits',
    field: 'numbers[1].pin',
    errors: [{ field: 'numbers[1].pin', message: 'must be exactly 6 digits' }],
  });
});

test('parseErrorBody: RFC 9457 problem details (code beside the standard members, detail as message)', () => {
  const body = {
    type: 'https://errors.example/bad-request',
    title: 'Bad Request',
    status: 400,
    detail: 'pin: must be exactly 6 digits',
    code: 'BAD_REQUEST',
    field: 'pin',
    errors: [{ field: 'pin', message: 'must be exactly 6 digits' }],
    requestId: 'req-42',
  };
  assert.deepEqual(parseErrorBody(400, JSON.stringify(body)), {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'pin: must be exactly 6 digits',
    field: 'pin',
    errors: [{ field: 'pin', message: 'must be exactly 6 digits' }],
    requestId: 'req-42',
  });
  // No detail: the title; unknown JSON keeps its message; not JSON at all: just the status.
  assert.equal(parseErrorBody(409, JSON.stringify({ title: 'Conflict', status: 409 })).message, 'Conflict');
  assert.deepEqual(
    parseErrorBody(429, '{"statusCode":429,"error":"Too Many Requests","message":"slow down"}'),
    {
      status: 429,
      message: 'slow down',
    },
  );
  assert.deepEqual(parseErrorBody(502, '<html>Bad gateway</html>'), { status: 502, message: 'HTTP 502' });
});

test('toLibraryError: both shapes of one error become the same library error', () => {
  const legacy = parseErrorBody(
    400,
    JSON.stringify({
      error: { code: 'BAD_REQUEST', message: 'pin: must be exactly 6 digits', field: 'pin' },
    }),
  );
  const problem = parseErrorBody(
    400,
    JSON.stringify({
      title: 'Bad Request',
      status: 400,
      detail: 'pin: must be exactly 6 digits',
      code: 'BAD_REQUEST',
      field: 'pin',
    }),
  );
  for (const p of [legacy, problem]) {
    const err = toLibraryError(p, context);
    assert.ok(err instanceof InputError);
    assert.equal(err.field, 'pin');
    assert.equal(err.rule, 'must be exactly 6 digits');
    assert.equal(err.message, 'pin: must be exactly 6 digits');
  }
});

test('toLibraryError: rejected, fleet not found, Temporal down, key refused, anything else', () => {
  const rejected = toLibraryError(
    { status: 409, code: 'OPERATION_REJECTED', message: 'nothing to retry' },
    context,
  );
  assert.ok(rejected instanceof OperationRejectedError);
  assert.equal(rejected.message, 'nothing to retry');

  const noFleet = {
    status: 404,
    code: 'NOT_FOUND',
    message: 'fleetId: no fleet with ID f1',
    field: 'fleetId',
  };
  const fleetErr = toLibraryError(noFleet, { ...context, fleet: true });
  assert.ok(fleetErr instanceof InputError && fleetErr.field === 'fleetId');
  assert.equal(fleetErr.rule, 'no fleet with ID f1');
  const numberNotFound = toLibraryError({ status: 404, code: 'NOT_FOUND', message: 'no lifecycle' }, context);
  assert.ok(numberNotFound instanceof HttpApiError && numberNotFound.status === 404);

  const down = toLibraryError(
    { status: 503, code: 'TEMPORAL_UNAVAILABLE', message: 'try again later' },
    context,
  );
  assert.ok(down instanceof TemporalUnreachableError);

  const refused = toLibraryError(
    { status: 401, code: 'UNAUTHORIZED', message: 'send a valid API key' },
    context,
  );
  assert.ok(refused instanceof ApiKeyRefusedError);
  assert.match(refused.message, /refused the API key/);
  const missing = toLibraryError({ status: 401, message: 'HTTP 401' }, { ...context, keyGiven: false });
  assert.match(missing.message, /wants an API key \(HTTP 401\): set WA_API_KEY/);

  const internal = toLibraryError(
    { status: 500, code: 'INTERNAL', message: 'see the log', requestId: 'r-1' },
    context,
  );
  assert.ok(internal instanceof HttpApiError);
  assert.match(internal.message, /500 INTERNAL: see the log \(request r-1\)/);

  // Several problems without a leading field: the server's message is kept whole.
  const many = toLibraryError(
    {
      status: 400,
      code: 'BAD_REQUEST',
      message: '2 problems in the fleet (see errors): numbers[0].pin: x; numbers[1].pin: y',
      field: 'numbers[0].pin',
    },
    context,
  );
  assert.ok(many instanceof InputError && many.field === 'numbers[0].pin');
  assert.match(many.message, /^2 problems in the fleet/);
});

test('retryAfterMs: seconds, an HTTP date, or nothing usable', () => {
  assert.equal(retryAfterMs('2'), 2000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(retryAfterMs(null), undefined);
  assert.equal(retryAfterMs('soon'), undefined);
});

// --- against a scripted server -------------------------------------------------------------------

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Script = (req: Seen, res: ServerResponse, n: number) => void;

let server: Server;
let baseUrl: string;
let script: Script = (_req, res) => res.end();
const seen: Seen[] = [];

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function scripted(next: Script): HttpLifecycleClient {
  seen.length = 0;
  script = next;
  return new HttpLifecycleClient({ baseUrl, apiKey: KEY });
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      script(s, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const TICKET = {
  operationId: 'phone-number:1:register:1',
  workflowId: 'w',
  operation: 'register',
  joined: false,
  position: 0,
};

test('a 429 with Retry-After is waited out and the request sent again, with the same Idempotency-Key', async () => {
  const client = scripted((req, res, n) =>
    n === 1
      ? json(
          res,
          429,
          { type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'RATE_LIMITED' },
          { 'retry-after': '1' },
        )
      : json(res, 202, TICKET),
  );
  const started = Date.now();
  const ticket = await client.requestOperation('1', { operation: 'register', pin: '123456' });
  assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
  assert.deepEqual(ticket, TICKET);
  assert.equal(seen.length, 2);
  const [first, second] = seen;
  assert.equal(first!.method, 'POST');
  assert.equal(first!.url, '/v1/phone-numbers/1/operations');
  assert.equal(first!.headers.authorization, `Bearer ${KEY}`);
  assert.match(String(first!.headers['idempotency-key']), /^[0-9a-f-]{36}$/, 'a key is generated');
  assert.equal(second!.headers['idempotency-key'], first!.headers['idempotency-key']);
  assert.deepEqual(JSON.parse(second!.body), { operation: 'register', pin: '123456' });

  const mine = scripted((_req, res) => json(res, 202, TICKET));
  await mine.requestOperation('1', { operation: 'deregister' }, { idempotencyKey: 'my-key-1' });
  assert.equal(seen[0]!.headers['idempotency-key'], 'my-key-1');
});

test('a GET is retried after a 429; a POST without an Idempotency-Key is not, and says when to try again', async () => {
  const reads = scripted((_req, res, n) =>
    n === 1
      ? json(res, 429, { error: { code: 'RATE_LIMITED', message: 'slow' } }, { 'retry-after': '0' })
      : json(res, 404, { error: { code: 'NOT_FOUND', message: 'none' } }),
  );
  assert.equal(await reads.getState('1'), undefined, '404: no lifecycle yet');
  assert.equal(seen.length, 2);

  const cancel = scripted((_req, res) =>
    json(res, 429, { error: { code: 'RATE_LIMITED', message: 'slow' } }, { 'retry-after': '7' }),
  );
  await assert.rejects(cancel.cancelOperation('1'), (err: Error) => {
    assert.ok(err instanceof HttpApiError && err.status === 429);
    assert.match(err.message, /try again in 7 s/);
    return true;
  });
  assert.equal(seen.length, 1, 'sent once');

  const stubborn = scripted((_req, res) => json(res, 429, {}, { 'retry-after': '0' }));
  await assert.rejects(stubborn.describeFleet('f1'), /HTTP 429/);
  assert.equal(seen.length, 4, 'first try and 3 retries');
});

test('listNumbers follows nextPageToken until the limit, and works with a server that sends none', async () => {
  const row = (id: string) => ({ phoneNumberId: id, state: 'registered' });
  const paged = scripted((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!url.searchParams.has('pageToken'))
      json(res, 200, { numbers: [row('3'), row('1')], nextPageToken: 'p2' });
    else json(res, 200, { numbers: [row('2')], nextPageToken: 'p3' });
  });
  const rows = await paged.listNumbers({ state: 'registered', limit: 3 });
  assert.deepEqual(
    rows.map((r) => r.phoneNumberId),
    ['1', '2', '3'],
  );
  assert.equal(seen.length, 2, 'stops at the limit although a token came');
  assert.equal(seen[0]!.url, '/v1/phone-numbers?state=registered&limit=3');
  assert.equal(seen[1]!.url, '/v1/phone-numbers?state=registered&limit=1&pageToken=p2');

  const old = scripted((_req, res) => json(res, 200, { numbers: [row('9')] }));
  assert.deepEqual(
    (await old.listNumbers()).map((r) => r.phoneNumberId),
    ['9'],
  );
  assert.equal(seen[0]!.url, '/v1/phone-numbers?limit=1000');
});

test('waitForOperation asks with ?wait=true until the operation has finished', async () => {
  const summary = (status: string) => ({ operationId: 'op:1', status });
  const client = scripted((_req, res, n) => json(res, 200, summary(n < 3 ? 'running' : 'completed')));
  const done = await client.waitForOperation('1', 'op:1', { pollIntervalMs: 10 });
  assert.equal(done.status, 'completed');
  assert.deepEqual(
    seen.map((s) => s.url),
    Array(3).fill('/v1/phone-numbers/1/operations/op%3A1?wait=true'),
  );
});

test('runOperation posts the request, tells onAccepted, then holds reads until the operation has finished', async () => {
  const client = scripted((req, res, n) =>
    req.method === 'POST'
      ? json(res, 202, TICKET)
      : json(res, 200, { operationId: TICKET.operationId, status: n < 3 ? 'running' : 'completed' }),
  );
  let accepted = 0;
  const done = await client.runOperation(
    '1',
    { operation: 'deregister' },
    { idempotencyKey: 'run-key-1', pollIntervalMs: 10, onAccepted: () => accepted++ },
  );
  assert.equal(done.status, 'completed');
  assert.equal(accepted, 1);
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    [
      'POST /v1/phone-numbers/1/operations',
      'GET /v1/phone-numbers/1/operations/phone-number%3A1%3Aregister%3A1?wait=true',
      'GET /v1/phone-numbers/1/operations/phone-number%3A1%3Aregister%3A1?wait=true',
    ],
  );
  assert.equal(seen[0]!.headers['idempotency-key'], 'run-key-1');
});

test('no API listening: TemporalUnreachableError naming the URL; the key is in no message', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const client = new HttpLifecycleClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY });
  await assert.rejects(client.getState('1'), (err: Error) => {
    assert.ok(err instanceof TemporalUnreachableError);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\)`));
    assert.doesNotMatch(err.message, new RegExp(KEY));
    return true;
  });
  const refused = scripted((_req, res) =>
    json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'send a valid API key' } }),
  );
  await assert.rejects(refused.listNumbers(), (err: Error) => {
    assert.ok(err instanceof ApiKeyRefusedError);
    assert.doesNotMatch(err.message, new RegExp(KEY));
    return true;
  });
});

test('bad input and bad base URLs fail before anything is sent', async () => {
  const client = scripted((_req, res) => json(res, 500, {}));
  await assert.rejects(
    client.requestOperation('1', { operation: 'register', pin: '12' } as never),
    (err: Error) => err instanceof InputError && err.field === 'pin',
  );
  await assert.rejects(
    client.describeFleet('bad id!'),
    (err: Error) => err instanceof InputError && err.field === 'fleetId',
  );
  assert.equal(seen.length, 0);
  assert.throws(() => new HttpLifecycleClient({ baseUrl: 'ftp://x' }), /baseUrl: must be an http\(s\) URL/);
  assert.throws(() => new HttpLifecycleClient({ baseUrl: 'http://u:p@x' }), /must not hold credentials/);
  assert.equal(new HttpLifecycleClient({ baseUrl: 'http://x/prefix/' }).baseUrl, 'http://x/prefix');
});
