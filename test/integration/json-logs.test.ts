// logging.format json end to end: the real worker process (worker/main.ts) and the real API process
// (api/main.ts) with WA_LOGGING_FORMAT=json, on a task queue of their own against a test stack. A number
// is registered through the API with a wrong PIN, then the right one. Every stdout line must be one JSON
// object; activity lines carry the SDK's activity attributes; request lines carry the request ID the
// client got back; no PIN, token or key appears anywhere in either process's output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT_DIR } from '../../platform/config';
import { startProcess, type RunningProcess } from '../helpers/processes';
import { startTestStack, TEST_ENCRYPTION_KEYS, TEST_TOKEN, type TestStack } from '../helpers/stack';

const PIN = '246813';
const WRONG_PIN = '975310';
const API_KEY = 'json-logs-api-key-7f3a9c';
const NUMBER = '7770000901';

type LogLine = Record<string, unknown> & { level: string; time: string; message: string };

let stack: TestStack;
let worker: RunningProcess;
let api: RunningProcess;
let apiUrl: string;

/** The stack's settings without any WA_* of the test's own environment or a developer's Temporal profile. */
function processEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WA_')));
  return {
    ...env,
    TEMPORAL_CONFIG_FILE: '',
    WA_LOGGING_FORMAT: 'json',
    WA_LOGGING_LEVEL: 'debug', // the SDK's per-activity lines are at debug
    WA_TEMPORAL_ADDRESS: stack.config.temporal.address,
    WA_TEMPORAL_TASK_QUEUE: `json-logs-${process.pid}`, // never takes the stack worker's tasks
    WA_GRAPH_BASE_URL: stack.simulator.url,
    WA_GRAPH_ACCESS_TOKEN: TEST_TOKEN,
    WA_GRAPH_REQUEST_TIMEOUT_MS: '2000',
    WA_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    WA_WORKER_SHUTDOWN_GRACE_SECONDS: '0',
    WA_API_KEYS: API_KEY,
    WA_API_PORT: '0',
  };
}

/** Every stdout line as JSON (throws, naming the line, on one that is not a JSON object). */
function jsonLines(process: RunningProcess): LogLine[] {
  return process
    .stdout()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      let parsed: unknown;
      assert.doesNotThrow(() => (parsed = JSON.parse(line)), `not JSON: ${line}`);
      assert.ok(parsed && typeof parsed === 'object' && !Array.isArray(parsed), `not an object: ${line}`);
      const entry = parsed as LogLine;
      assert.match(entry.level, /^(trace|debug|info|warn|error)$/, line);
      assert.ok(!Number.isNaN(Date.parse(entry.time)), `time: ${line}`);
      assert.equal(typeof entry.message, 'string', line);
      return entry;
    });
}

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(`${apiUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { response, json: (await response.json()) as Record<string, unknown> };
}

/** Registers through the API and waits for the operation's outcome. */
async function register(pin: string) {
  const posted = await call('POST', `/v1/phone-numbers/${NUMBER}/operations`, { operation: 'register', pin });
  assert.equal(posted.response.status, 202, JSON.stringify(posted.json));
  let done = await call('GET', `${posted.response.headers.get('location')}?wait=true`);
  while (done.json.status === 'queued' || done.json.status === 'running') {
    done = await call('GET', `${posted.response.headers.get('location')}?wait=true`);
  }
  return done.json;
}

before(async () => {
  stack = await startTestStack();
  await stack.sim.seed({
    id: NUMBER,
    code_verification_status: 'VERIFIED',
    name_status: 'APPROVED',
    pin: PIN,
  });
  worker = startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'worker/main.ts')], {
    cwd: ROOT_DIR,
    env: processEnv(),
  });
  api = startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'api/main.ts')], {
    cwd: ROOT_DIR,
    env: processEnv(),
  });
  await worker.waitFor(/polling task queue/, 120_000);
  apiUrl = (await api.waitFor(/"url":"(http:\/\/[^"]+)"/, 60_000))[1]!;
});
after(async () => {
  await worker?.stop();
  await api?.stop();
  await stack?.stop();
});

test('worker and API in JSON mode: a wrong PIN, then the right one; JSON lines, activity and request attributes, no secret', async () => {
  const refused = await register(WRONG_PIN);
  assert.equal(refused.status, 'failed', JSON.stringify(refused));
  const registered = await register(PIN);
  assert.equal(registered.status, 'completed', JSON.stringify(registered));
  assert.equal((await stack.sim.phoneNumber(NUMBER)).status, 'CONNECTED');
  const lookup = await call('GET', `/v1/phone-numbers/${NUMBER}`);
  assert.equal(lookup.response.status, 200);
  const missing = await call('GET', '/v1/nothing-here');
  assert.equal(missing.response.status, 404);

  // Stopped first, so every line (the SDK forwards core lines in batches) has been written.
  assert.equal(await worker.stop(), 0, worker.output());
  assert.equal(await api.stop(), 0, api.output());

  const workerLines = jsonLines(worker);
  const started = workerLines.find((l) => /^polling task queue /.test(l.message));
  assert.ok(started, 'the start-up line is JSON');
  assert.equal(started.service, 'worker');
  assert.equal(started.taskQueue, `json-logs-${process.pid}`);

  // The SDK's activity logger adds the activity's identity (it calls the run ID workflowRunId).
  const activityLines = workerLines.filter((l) => l.activityId !== undefined);
  assert.ok(activityLines.length >= 4, `activity lines: ${activityLines.length}`);
  for (const line of activityLines) {
    assert.match(String(line.workflowId), /\S/, JSON.stringify(line));
    assert.match(String(line.workflowRunId), /^[0-9a-f-]{36}$/, JSON.stringify(line));
    assert.match(String(line.activityType), /\S/, JSON.stringify(line));
  }
  assert.ok(
    activityLines.some((l) => l.message === 'Activity completed' && typeof l.durationMs === 'number'),
    'a completed activity with its duration',
  );
  // Workflow lines carry the workflow's identity under the SDK's names (runId here).
  const workflowLine = workerLines.find((l) => l.message === 'Workflow started');
  assert.equal(workflowLine?.workflowId, `phone-number:${NUMBER}`);
  assert.match(String(workflowLine.runId), /^[0-9a-f-]{36}$/);

  // Request lines: the request ID is the one the client got back.
  const apiLines = jsonLines(api);
  assert.ok(apiLines.some((l) => /^listening on /.test(l.message) && l.service === 'api'));
  const requestLine = (response: Response) =>
    apiLines.find((l) => l.requestId === response.headers.get('x-request-id'));
  const lookupLine = requestLine(lookup.response);
  assert.ok(lookupLine, 'the lookup has a request line with its x-request-id');
  assert.equal(lookupLine.method, 'GET');
  assert.equal(lookupLine.route, '/v1/phone-numbers/:phoneNumberId');
  assert.equal(lookupLine.path, `/v1/phone-numbers/${NUMBER}`);
  assert.equal(lookupLine.status, 200);
  assert.equal(typeof lookupLine.durationMs, 'number');
  assert.equal(lookupLine.level, 'info');
  const missingLine = requestLine(missing.response);
  assert.equal(missingLine?.status, 404);
  assert.equal(missingLine.route, undefined, 'no route matched');
  assert.equal(apiLines.filter((l) => l.method === 'POST').length, 2, 'both registrations logged');

  // What a collector receives, for the reader of the test output.
  console.log(JSON.stringify(activityLines.find((l) => l.level === 'warn') ?? activityLines[0]));
  console.log(JSON.stringify(lookupLine));

  const everything = worker.output() + api.output();
  const secrets = { PIN, WRONG_PIN, API_KEY, TEST_TOKEN, key: TEST_ENCRYPTION_KEYS.split('=')[1]! };
  for (const [name, secret] of Object.entries(secrets)) {
    assert.ok(!everything.includes(secret), `${name} is in a log line`);
  }
});
