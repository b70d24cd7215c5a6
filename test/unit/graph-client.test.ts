// activities/graph-client.ts: how GraphClient parses what comes back. A tiny local HTTP server answers
// canned responses; no simulator, no Temporal.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APP_USAGE_WAIT_MS,
  GraphCallError,
  GraphClient,
  type GraphClientOptions,
} from '../../activities/graph-client';
import { GraphErrorType } from '../../domain/graph-errors';

const TOKEN = 'EAAB-unit-test-secret-token';
const PIN = '482915';
const PHONE_ID = '123';
const HOUR = 3_600_000;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Handler = (req: Seen, res: http.ServerResponse) => void;

let server: http.Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[] = [];

const json =
  (status: number, body: unknown): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
  handler = json(200, { success: true });
});

function client(options: Partial<GraphClientOptions> = {}): GraphClient {
  return new GraphClient({
    baseUrl,
    apiVersion: 'v25.0',
    accessToken: TOKEN,
    timeoutMs: 2000,
    blockMs: 72 * HOUR,
    ...options,
  });
}

async function until(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Awaits p, asserts it rejects with a GraphCallError that leaks neither token nor PIN, returns it. */
async function callError(p: Promise<unknown>): Promise<GraphCallError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GraphCallError, `expected a GraphCallError, got ${String(caught)}`);
  for (const text of [
    String(caught),
    caught.message,
    JSON.stringify(caught.details),
    JSON.stringify(caught),
  ]) {
    assert.ok(!text.includes(TOKEN), `token leaked: ${text}`);
    assert.ok(!text.includes(PIN), `PIN leaked: ${text}`);
  }
  return caught;
}

test('register accepts {"success":true} and {"success":"true"}', async () => {
  for (const body of [{ success: true }, { success: 'true' }]) {
    handler = json(200, body);
    await client().register(PHONE_ID, { pin: PIN });
  }
  assert.equal(seen.length, 2);
});

test('register sends the token, the version in the path and a JSON body with the PIN', async () => {
  await client().register(PHONE_ID, { pin: PIN, data_localization_region: 'DE' });
  const [req] = seen;
  assert.ok(req);
  assert.equal(req.method, 'POST');
  assert.equal(req.url, `/v25.0/${PHONE_ID}/register`);
  assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
  assert.match(String(req.headers['content-type']), /application\/json/);
  assert.deepEqual(JSON.parse(req.body), {
    messaging_product: 'whatsapp',
    pin: PIN,
    data_localization_region: 'DE',
  });
});

test('a trailing slash on baseUrl does not double the slash', async () => {
  await client({ baseUrl: `${baseUrl}/`, apiVersion: 'v24.0' }).deregister(PHONE_ID);
  assert.equal(seen[0]?.url, `/v24.0/${PHONE_ID}/deregister`);
  assert.equal(seen[0]?.method, 'POST');
  assert.equal(seen[0]?.headers.authorization, `Bearer ${TOKEN}`);
});

test('getPhoneNumber asks for the lifecycle fields and returns the node', async () => {
  handler = json(200, { id: PHONE_ID, status: 'CONNECTED', platform_type: 'CLOUD_API', extra: 1 });
  const node = await client().getPhoneNumber(PHONE_ID);
  assert.equal(node.id, PHONE_ID);
  assert.equal(node.status, 'CONNECTED');
  const url = new URL(seen[0]?.url ?? '', baseUrl);
  assert.equal(url.pathname, `/v25.0/${PHONE_ID}`);
  assert.ok(url.searchParams.get('fields')?.split(',').includes('code_verification_status'));
  assert.equal(seen[0]?.method, 'GET');
});

test('a Graph error envelope becomes a classified GraphCallError (133005 → GraphPinMismatch)', async () => {
  handler = json(400, {
    error: {
      message: '(#133005) Two step verification PIN Mismatch',
      type: 'OAuthException',
      code: 133005,
      error_data: { messaging_product: 'whatsapp', details: 'PIN does not match' },
      fbtrace_id: 'trace-1',
    },
  });
  const err = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.PinMismatch);
  assert.equal(err.retryable, false);
  assert.equal(err.details.code, 133005);
  assert.equal(err.details.httpStatus, 400);
  assert.equal(err.details.fbtraceId, 'trace-1');
  assert.equal(err.details.details, 'PIN does not match');
  assert.match(err.message, /133005/);
});

test('133016 carries retryAfterMs = blockMs; a string code is coerced', async () => {
  handler = json(400, { error: { code: '133016', message: 'rate limited' } });
  const err = await callError(client({ blockMs: 5 * HOUR }).register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.RegistrationRateLimited);
  assert.equal(err.details.code, 133016);
  assert.equal(err.details.retryAfterMs, 5 * HOUR);
});

test('133008 details are read with the injected clock', async () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  handler = json(400, {
    error: { code: 133008, error_data: { details: 'Try again after 2026-03-01T12:20:00Z' } },
  });
  const err = await callError(client({ now: () => now }).register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.PinLockedOut);
  assert.equal(err.details.retryAfterMs, 20 * 60_000);
});

test('a Graph error envelope with HTTP 200 on a mutation → GraphUnknownOutcome (errors are classified only on non-2xx; read back)', async () => {
  handler = json(200, { error: { code: 133005 } });
  const err = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.UnknownOutcome);
});

test('131000 on a mutation → GraphUnknownOutcome; on a read → retryable GraphTransient', async () => {
  handler = json(500, { error: { code: 131000, message: 'Something went wrong' } });
  const m = await callError(client().deregister(PHONE_ID));
  assert.equal(m.type, GraphErrorType.UnknownOutcome);
  assert.equal(m.retryable, false);
  const r = await callError(client().getPhoneNumber(PHONE_ID));
  assert.equal(r.type, GraphErrorType.Transient);
  assert.equal(r.retryable, true);
});

const html502: Handler = (_req, res) => {
  res.writeHead(502, { 'content-type': 'text/html' });
  res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
};

test('a 502 HTML body on a mutation → GraphUnknownOutcome, not retryable', async () => {
  handler = html502;
  const err = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.UnknownOutcome);
  assert.equal(err.retryable, false);
  assert.equal(err.details.httpStatus, 502);
});

test('a 502 HTML body on a GET → retryable GraphTransient', async () => {
  handler = html502;
  const err = await callError(client().getPhoneNumber(PHONE_ID));
  assert.equal(err.type, GraphErrorType.Transient);
  assert.equal(err.retryable, true);
  assert.equal(err.details.httpStatus, 502);
});

test('a 4xx without a Graph envelope → GraphUnexpectedError', async () => {
  handler = (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  };
  const err = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.Unexpected);
  assert.equal(err.retryable, false);
  assert.equal(err.details.httpStatus, 404);
});

test('no answer within timeoutMs on register → GraphUnknownOutcome, no PIN or token in the error', async () => {
  handler = () => {
    // never answers; the connection is closed in after()
  };
  const started = Date.now();
  const err = await callError(client({ timeoutMs: 300 }).register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.UnknownOutcome);
  assert.equal(err.retryable, false);
  assert.match(err.message, /300 ms/);
  assert.ok(Date.now() - started < 5000);
  assert.equal(seen.length, 1, 'the request reached the server');
});

test('no answer within timeoutMs on a GET → retryable GraphTransient', async () => {
  handler = () => {};
  const err = await callError(client({ timeoutMs: 300 }).getPhoneNumber(PHONE_ID));
  assert.equal(err.type, GraphErrorType.Transient);
  assert.equal(err.retryable, true);
});

test('connection refused on register → GraphTransient (never sent, so not unknown)', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const err = await callError(
    client({ baseUrl: `http://127.0.0.1:${port}` }).register(PHONE_ID, { pin: PIN }),
  );
  assert.equal(err.type, GraphErrorType.Transient);
  assert.equal(err.retryable, false);
  assert.match(err.message, /ECONNREFUSED/);
});

test('a 2xx body a register/deregister cannot read → GraphUnknownOutcome (Meta may have applied it: read back)', async () => {
  handler = json(200, { ok: 1 });
  const err = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(err.type, GraphErrorType.UnknownOutcome);
  assert.equal(err.retryable, false);
  assert.equal(err.details.httpStatus, 200);
  for (const body of [{ success: false }, { success: 'yes' }, 'OK']) {
    handler = json(200, body);
    assert.equal((await callError(client().deregister(PHONE_ID))).type, GraphErrorType.UnknownOutcome);
  }
  for (const raw of ['{"success":tr', '', '<html>OK</html>']) {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(raw);
    };
    assert.equal(
      (await callError(client().register(PHONE_ID, { pin: PIN }))).type,
      GraphErrorType.UnknownOutcome,
      raw,
    );
    // A read of the same: cut off on the way, worth another try.
    const r = await callError(client().getPhoneNumber(PHONE_ID));
    assert.equal(r.type, GraphErrorType.Transient, raw);
    assert.equal(r.retryable, true);
  }
});

test('the envelope never loses the code: string error_data, code only in the message, extra fields', async () => {
  handler = json(400, {
    error: {
      code: 133005,
      message: '(#133005) Two step verification PIN Mismatch',
      error_data: JSON.stringify({ messaging_product: 'whatsapp', details: 'PIN does not match' }),
    },
  });
  const a = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(a.type, GraphErrorType.PinMismatch);
  assert.equal(a.details.details, 'PIN does not match');
  handler = json(400, { error: { message: '(#133016) Too many requests' } });
  const b = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(b.details.code, 133016);
  assert.equal(b.type, GraphErrorType.RegistrationRateLimited);
  handler = json(400, {
    error: {
      code: '133010',
      error_user_title: 'Not registered',
      error_user_msg: 'The number is not registered',
      is_transient: false,
      x_unknown: { nested: true },
      error_data: 'Account not registered',
    },
  });
  const c = await callError(client().deregister(PHONE_ID));
  assert.equal(c.type, GraphErrorType.NotRegistered);
  assert.equal(c.details.details, 'Account not registered');
});

test('is_transient or a 5xx envelope on a mutation → unknown outcome; throttling waits come from the usage headers', async () => {
  handler = json(400, { error: { code: 42, message: 'whatever', is_transient: true } });
  assert.equal(
    (await callError(client().register(PHONE_ID, { pin: PIN }))).type,
    GraphErrorType.UnknownOutcome,
  );
  handler = json(503, { error: { code: 2, message: 'Service temporarily unavailable', is_transient: true } });
  assert.equal((await callError(client().deregister(PHONE_ID))).type, GraphErrorType.UnknownOutcome);
  handler = (_req, res) => {
    res.writeHead(400, {
      'content-type': 'application/json',
      'x-business-use-case-usage': JSON.stringify({
        '102290129340398': [
          {
            type: 'whatsapp_business_management',
            call_count: 100,
            total_cputime: 3,
            total_time: 4,
            estimated_time_to_regain_access: 17,
          },
        ],
      }),
    });
    res.end(JSON.stringify({ error: { code: 80007, message: '(#80007) Rate limit issues' } }));
  };
  const t = await callError(client().register(PHONE_ID, { pin: PIN }));
  assert.equal(t.type, GraphErrorType.Transient);
  assert.equal(t.details.retryAfterMs, 17 * 60_000);
  handler = (_req, res) => {
    res.writeHead(400, {
      'content-type': 'application/json',
      'x-app-usage': JSON.stringify({ call_count: 100, total_cputime: 20, total_time: 30 }),
    });
    res.end(JSON.stringify({ error: { code: 4, message: '(#4) Application request limit reached' } }));
  };
  const app = await callError(client().getPhoneNumber(PHONE_ID));
  assert.equal(app.type, GraphErrorType.Transient);
  assert.equal(app.details.retryAfterMs, APP_USAGE_WAIT_MS);
});

test('a node without an id → GraphUnexpectedError', async () => {
  handler = json(200, { status: 'CONNECTED' });
  const err = await callError(client().getPhoneNumber(PHONE_ID));
  assert.equal(err.type, GraphErrorType.Unexpected);
});

test("190 → GraphAccessTokenInvalid, not retryable; the message keeps Graph's text and says where to fix the token", async () => {
  handler = json(401, { error: { code: 190, message: 'Error validating access token' } });
  const err = await callError(
    client({ accessTokenOrigin: 'the file /run/secrets/graph-token' }).register(PHONE_ID, { pin: PIN }),
  );
  assert.equal(err.type, GraphErrorType.AccessTokenInvalid);
  assert.equal(err.retryable, false);
  assert.match(err.message, /^POST \/123\/register: Error validating access token\. /);
  assert.match(
    err.message,
    /fix or rotate it in the file \/run\/secrets\/graph-token, then retry the operation/,
  );
  assert.equal(err.name, 'GraphCallError');
  assert.equal(err.details.code, 190);
});

test('a 190 that quotes the token (a malformed-token answer) has the token cut out', async () => {
  handler = json(400, { error: { code: 190, message: `Malformed access token ${TOKEN}` } });
  const err = await callError(client().getPhoneNumber(PHONE_ID)); // callError: no token in any form
  assert.match(err.message, /Malformed access token \[redacted\]/);
});

test('code 0 (AuthException) is a refused token too; 102 and 104 stay GraphAuthError', async () => {
  handler = json(401, { error: { code: 0, message: 'AuthException' } });
  assert.equal((await callError(client().getPhoneNumber(PHONE_ID))).type, GraphErrorType.AccessTokenInvalid);
  handler = json(400, { error: { code: 104, message: 'An access token is required' } });
  assert.equal((await callError(client().getPhoneNumber(PHONE_ID))).type, GraphErrorType.Auth);
});

test('a token given as a function is read at every call: a rotated token goes out with the next request', async () => {
  let token = TOKEN;
  const graph = client({ accessToken: () => token });
  await graph.setPin(PHONE_ID, PIN);
  token = 'EAAB-rotated-token';
  await graph.setPin(PHONE_ID, PIN);
  assert.deepEqual(
    seen.map((r) => r.headers.authorization),
    [`Bearer ${TOKEN}`, 'Bearer EAAB-rotated-token'],
  );
});

test('readTokenOwner: GET /me?fields=id,name, the cheapest authenticated read', async () => {
  handler = json(200, { name: 'Ops System User', id: '61550000000001' });
  assert.deepEqual(await client().readTokenOwner(), { name: 'Ops System User', id: '61550000000001' });
  const url = new URL(seen[0]?.url ?? '', baseUrl);
  assert.equal(seen[0]?.method, 'GET');
  assert.equal(url.pathname, '/v25.0/me');
  assert.equal(url.searchParams.get('fields'), 'id,name');
  assert.equal(seen[0]?.headers.authorization, `Bearer ${TOKEN}`);
});

test('listWabaPhoneNumbers asks for 100 numbers with the lifecycle fields and the after cursor', async () => {
  handler = json(200, {
    data: [{ id: '1' }, { id: '2' }],
    paging: { cursors: { before: 'b1', after: 'a2' }, next: 'https://graph.example/next' },
  });
  const page = await client().listWabaPhoneNumbers('987', 'cursor-1');
  assert.deepEqual(page, { numbers: [{ id: '1' }, { id: '2' }], after: 'a2' });
  const url = new URL(seen[0]?.url ?? '', baseUrl);
  assert.equal(seen[0]?.method, 'GET');
  assert.equal(url.pathname, '/v25.0/987/phone_numbers');
  assert.equal(url.searchParams.get('limit'), '100');
  assert.equal(url.searchParams.get('after'), 'cursor-1');
  assert.ok(url.searchParams.get('fields')?.split(',').includes('platform_type'));

  // The last page: a cursor but no next → no after.
  handler = json(200, { data: [{ id: '3' }], paging: { cursors: { before: 'b3', after: 'a3' } } });
  assert.deepEqual(await client().listWabaPhoneNumbers('987'), { numbers: [{ id: '3' }] });
  assert.equal(new URL(seen[1]?.url ?? '', baseUrl).searchParams.has('after'), false);
});

test('listWabaPhoneNumbers: a next page without an after cursor, or no data array, is Unexpected', async () => {
  for (const body of [
    { data: [{ id: '1' }], paging: { next: 'https://graph.example/next' } },
    { numbers: [] },
  ]) {
    handler = json(200, body);
    const err = await callError(client().listWabaPhoneNumbers('987'));
    assert.equal(err.type, GraphErrorType.Unexpected);
    assert.equal(err.retryable, false);
  }
});

test('a register in flight is aborted when its activity is cancelled: the cancellation, not a network error, and no token', async () => {
  handler = () => undefined; // Meta never answers within the test
  const controller = new AbortController();
  const started = Date.now();
  let closedAfterMs: number | undefined;
  server.once('request', (_req: http.IncomingMessage, res: http.ServerResponse) =>
    res.once('close', () => (closedAfterMs = Date.now() - started)),
  );
  const pending = client({ timeoutMs: 10_000, abortSignal: () => controller.signal }).register(PHONE_ID, {
    pin: PIN,
  });
  const reason = new Error("CANCELLED (the activity's CancelledFailure)");
  setTimeout(() => controller.abort(reason), 100);
  await assert.rejects(pending, (err: unknown) => err === reason);
  assert.ok(Date.now() - started < 5_000, 'aborted, not timed out');
  await until(() => closedAfterMs !== undefined);
  assert.ok(closedAfterMs! < 5_000, `the server saw the connection closed after ${closedAfterMs} ms`);
});

test('a call made with a signal already aborted never leaves', async () => {
  const controller = new AbortController();
  controller.abort(new Error('WORKER_SHUTDOWN'));
  await assert.rejects(
    client({ abortSignal: () => controller.signal }).deregister(PHONE_ID),
    /WORKER_SHUTDOWN/,
  );
  assert.equal(seen.length, 0);
});

test("/settings: storage_configuration.status in the guide's upper case by default, lower case by switch; answers read in either", async () => {
  await client().setLocalStorage(PHONE_ID, 'DE');
  await client({ storageStatusCase: 'lower' }).setLocalStorage(PHONE_ID, undefined);
  assert.deepEqual(
    seen.map((r) => JSON.parse(r.body) as unknown),
    [
      { storage_configuration: { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: 'DE' } },
      { storage_configuration: { status: 'in_country_storage_disabled' } },
    ],
  );
  handler = json(200, {
    storage_configuration: { status: 'in_country_storage_enabled', data_localization_region: 'de' },
  });
  assert.deepEqual(await client().getLocalStorage(PHONE_ID), { enabled: true, region: 'DE' });
});
