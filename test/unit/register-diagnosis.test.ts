// activities/register-diagnosis.ts: the register refusals whose meaning Meta's answer alone does not give
// (131031, (#100) without its deprecated subcode) become what a read of the number shows. A tiny local
// HTTP server plays Graph: the register answer, then the phone-number node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphCallError, GraphClient } from '../../activities/graph-client';
import { explainRegisterRefusal } from '../../activities/register-diagnosis';
import { GraphErrorType } from '../../domain/graph-errors';

let server: http.Server;
let graph: GraphClient;
let registerAnswer: unknown;
/** The node GET answers; undefined answers 500 (the read fails). */
let node: Record<string, unknown> | undefined;

before(async () => {
  server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST') return send(req.url?.endsWith('/register') ? 403 : 404, registerAnswer);
    if (node === undefined) return send(500, { error: { code: 1, message: 'read failed' } });
    return send(200, { id: '123', ...node });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  graph = new GraphClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiVersion: 'v25.0',
    accessToken: 'unit-token',
    timeoutMs: 5_000,
    blockMs: 72 * 3_600_000,
  });
});
after(() => new Promise((resolve) => server.close(resolve)));

async function refusal(): Promise<GraphCallError> {
  const err = await graph.register('123', { pin: '482915' }).then(
    () => assert.fail('register should be refused'),
    (e: unknown) => e,
  );
  const explained = await explainRegisterRefusal(graph, '123', err);
  assert.ok(explained instanceof GraphCallError);
  return explained;
}

const LOCKED_131031 = { error: { code: 131031, message: '(#131031) Account has been locked' } };

test('131031 with health_status BLOCKED: the account is locked, its own terminal failure (no PIN wait)', async () => {
  registerAnswer = LOCKED_131031;
  node = {
    status: 'CONNECTED',
    health_status: {
      can_send_message: 'BLOCKED',
      entities: [
        { entity_type: 'PHONE_NUMBER', can_send_message: 'BLOCKED' },
        {
          entity_type: 'WABA',
          can_send_message: 'BLOCKED',
          errors: [{ error_description: 'Account has been locked' }],
        },
      ],
    },
  };
  const err = await refusal();
  assert.equal(err.type, GraphErrorType.AccountLocked);
  assert.match(err.message, /locked or restricted \(health_status BLOCKED \(.*WABA: Account has been locked/);
  assert.equal(err.details.code, 131031);
});

test('131031 on a BANNED number: locked', async () => {
  registerAnswer = LOCKED_131031;
  node = { status: 'BANNED' };
  assert.equal((await refusal()).type, GraphErrorType.AccountLocked);
});

test('131031 with the account AVAILABLE: a data mismatch, the two-step PIN', async () => {
  registerAnswer = LOCKED_131031;
  node = { status: 'PENDING', health_status: { can_send_message: 'AVAILABLE', entities: [] } };
  const err = await refusal();
  assert.equal(err.type, GraphErrorType.PinMismatch);
  assert.match(err.message, /not locked \(health_status AVAILABLE\)/);
  assert.doesNotMatch(err.message, /482915/);
});

test('131031 and the account cannot be read: a lock is not ruled out, so no PIN is asked for', async () => {
  registerAnswer = LOCKED_131031;
  node = undefined;
  const err = await refusal();
  assert.equal(err.type, GraphErrorType.AccountLocked);
  assert.match(err.message, /could not be read to rule out a lock/);
});

test('(#100) without subcode 2388001: name_status decides whether it was the display name', async () => {
  registerAnswer = { error: { code: 100, message: '(#100) Invalid parameter' } };
  for (const name of ['NONE', 'EXPIRED', 'PENDING_REVIEW', 'DECLINED']) {
    node = { name_status: name };
    const err = await refusal();
    assert.equal(err.type, GraphErrorType.DisplayNameNotReady, name);
    assert.match(err.message, new RegExp(`name_status is ${name}`));
  }
  for (const name of ['APPROVED', 'AVAILABLE_WITHOUT_REVIEW']) {
    node = { name_status: name };
    assert.equal((await refusal()).type, GraphErrorType.InvalidRequest, name);
  }
});
