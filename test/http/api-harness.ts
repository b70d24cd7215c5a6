// One HTTP API under test for the API suites: a real stack (dev server, simulator, worker), the API server
// in front of its client library, a `call` that records every answer (so a suite can look for leaked
// secrets in them), and the assertion for the API's JSON error shape.
import assert from 'node:assert/strict';
import { createApiServer, type ApiServer } from '../../api/server';
import { startTestStack, type StackOptions, type TestStack } from '../helpers/stack';

export interface CallOptions {
  body?: unknown;
  /** Sent as is (invalid JSON, other content types). */
  rawBody?: string;
  /** Another key; null sends no key at all. */
  key?: string | null;
  headers?: Record<string, string>;
  /** Another server's base URL. */
  base?: string;
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

/** An error answer: RFC 9457 problem details with our stable code. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  field?: string;
  errors?: { field: string; message: string }[];
  requestId?: string;
}

/** What a test reads of an error: its code, message (the detail), field and every problem. */
export interface ApiErrorFields {
  code: string;
  message: string;
  field?: string;
  errors?: { field: string; message: string }[];
}

export interface ApiHarness {
  readonly stack: TestStack;
  readonly api: ApiServer;
  /** Every response body and header set seen so far. */
  readonly responseTexts: string[];
  start(): Promise<{ stack: TestStack; api: ApiServer }>;
  stop(): Promise<void>;
  call<T = unknown>(method: string, path: string, options?: CallOptions): Promise<Answer<T>>;
}

export function createApiHarness(options: {
  key: string;
  stackOptions?: StackOptions;
  log?: (line: string) => void;
}): ApiHarness {
  let stack: TestStack | undefined;
  let api: ApiServer | undefined;
  const responseTexts: string[] = [];
  const started = <T>(value: T | undefined, what: string): T => {
    if (!value) throw new Error(`the API harness has no ${what}: call start() in before()`);
    return value;
  };
  return {
    get stack() {
      return started(stack, 'stack');
    },
    get api() {
      return started(api, 'API server');
    },
    responseTexts,
    async start() {
      stack = await startTestStack(options.stackOptions);
      api = await createApiServer({
        lifecycle: stack.client,
        apiKeys: [options.key],
        host: '127.0.0.1',
        port: 0,
        log: options.log ?? (() => undefined),
      });
      return { stack, api };
    },
    async stop() {
      await api?.close();
      await stack?.stop();
    },
    async call<T = unknown>(method: string, path: string, call: CallOptions = {}): Promise<Answer<T>> {
      const key = call.key === undefined ? options.key : call.key;
      const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
      let body: string | undefined = call.rawBody;
      if (call.rawBody === undefined && call.body !== undefined) {
        body = JSON.stringify(call.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${call.base ?? started(api, 'API server').url}${path}`, {
        method,
        headers: { ...headers, ...call.headers },
        body,
      });
      const text = await res.text();
      responseTexts.push(text, JSON.stringify([...res.headers]));
      return {
        status: res.status,
        headers: res.headers,
        json: (text ? JSON.parse(text) : undefined) as T,
        text,
      };
    },
  };
}

/** The API's error answer: this status, this stable code, JSON, and (when given) the failing field. */
export function assertApiError(answer: Answer, status: number, code: string, field?: string): ApiErrorFields {
  const body = answer.json as ProblemBody;
  assert.equal(answer.status, status, answer.text);
  assert.equal(body.code, code, answer.text);
  assert.equal(typeof body.detail, 'string');
  if (field !== undefined) assert.equal(body.field, field, answer.text);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(body.status, status);
  assert.match(body.type, /^tag:whatsapp-number-lifecycle,2026:problem:[a-z-]+$/);
  assert.equal(body.requestId, answer.headers.get('x-request-id'));
  return {
    code: body.code,
    message: body.detail,
    ...(body.field !== undefined ? { field: body.field } : {}),
    ...(body.errors ? { errors: body.errors } : {}),
  };
}

export type Json = Record<string, unknown>;

export interface OpenApiDocument {
  doc: Json;
  paths: Record<string, Record<string, Json>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, Json>;
    securitySchemes: Record<string, Json>;
  };
  /** Follows a schema's `$ref` into components.schemas (asserting the target exists), until a schema with none. */
  resolve(schema: Json): Json;
}

/** GET /openapi.json (it needs no key), with a `$ref` resolver. */
export async function readOpenApi(call: ApiHarness['call']): Promise<OpenApiDocument> {
  const { json: doc } = await call<Json>('GET', '/openapi.json', { key: null });
  const components = doc.components as OpenApiDocument['components'];
  const resolve = (schema: Json): Json => {
    const ref = schema.$ref as string | undefined;
    if (!ref) return schema;
    const name = ref.replace('#/components/schemas/', '');
    assert.ok(components.schemas[name], `component ${name}`);
    return resolve(components.schemas[name]!);
  };
  return { doc, paths: doc.paths as OpenApiDocument['paths'], components, resolve };
}
