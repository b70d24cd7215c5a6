// platform/config.ts: the shipped temporal.yaml, WA_* overrides, and the errors a bad value gives.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  DEFAULT_CONFIG_FILE,
  envVarFor,
  loadConfig,
  operationPolicy,
  readAccessToken,
} from '../../platform/config';

const HOUR = 3_600_000;
const tmp = mkdtempSync(path.join(tmpdir(), 'wa-config-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const shippedYaml = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
let fileCounter = 0;
function writeTemp(content: string, name = `config-${++fileCounter}.yaml`): string {
  const file = path.join(tmp, name);
  writeFileSync(file, content);
  return file;
}

/** Runs fn, asserts it throws a ConfigError, returns its message. */
function configErrorOf(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.name, 'ConfigError');
  return caught.message;
}

const shipped = () => loadConfig({ file: DEFAULT_CONFIG_FILE, env: {} });

/** The listed keys of obj, so new keys added elsewhere do not break these checks. */
function pick<T extends object>(obj: T, keys: (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, obj[k]])) as Partial<T>;
}

test('the shipped temporal.yaml parses with the documented defaults', () => {
  const config = shipped();
  const graphDefaults = {
    baseUrl: 'http://127.0.0.1:8780',
    apiVersion: 'v25.0',
    accessTokenEnv: 'WA_GRAPH_ACCESS_TOKEN',
    accessTokenFile: '',
    requestTimeoutMs: 30000,
    maxRequestsPerSecond: 10,
  };
  assert.deepEqual(
    pick(config.graph, Object.keys(graphDefaults) as (keyof typeof config.graph)[]),
    graphDefaults,
  );
  const policyDefaults = {
    windowHours: 72,
    requestsPerWindow: 10,
    blockHours: 72,
    safetyMarginSeconds: 60,
    maxLockoutWaits: 2,
    maxTransientRetries: 4,
    transientBackoffSeconds: 5,
  };
  assert.deepEqual(
    pick(config.policy, Object.keys(policyDefaults) as (keyof typeof config.policy)[]),
    policyDefaults,
  );
  assert.equal(config.temporal.address, '127.0.0.1:7233');
  assert.equal(config.temporal.namespace, 'default');
  assert.equal(config.temporal.taskQueue, 'whatsapp-number-lifecycle');
  assert.equal(config.temporal.tls.enabled, 'auto', 'TLS on with an API key or TLS files, else off');
  assert.equal(config.temporal.apiKeyEnv, 'TEMPORAL_API_KEY');
  assert.deepEqual(config.temporal.grpcMeta, {});
  assert.equal(config.temporal.connectTimeoutMs, 4000);
  assert.equal(config.temporal.maxCachedWorkflows, 0, "0: the SDK's default cache size");
  assert.equal(config.local.temporalPort, 7233);
  assert.equal(config.local.simulatorPort, 8780);
});

test('without a file option, loadConfig reads the shipped file; WA_CONFIG_FILE points elsewhere', () => {
  assert.deepEqual(loadConfig({ env: {} }), shipped());
  const other = writeTemp(shippedYaml.replace('namespace: default', 'namespace: from-wa-config-file'));
  assert.equal(loadConfig({ env: { WA_CONFIG_FILE: other } }).temporal.namespace, 'from-wa-config-file');
  // An explicit file option wins over WA_CONFIG_FILE.
  assert.equal(
    loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_CONFIG_FILE: other } }).temporal.namespace,
    'default',
  );
});

test('envVarFor: WA_ + the key path in upper snake case', () => {
  assert.equal(envVarFor(['graph', 'apiVersion']), 'WA_GRAPH_API_VERSION');
  assert.equal(envVarFor(['graph', 'requestTimeoutMs']), 'WA_GRAPH_REQUEST_TIMEOUT_MS');
  assert.equal(envVarFor(['temporal', 'tls', 'enabled']), 'WA_TEMPORAL_TLS_ENABLED');
  assert.equal(
    envVarFor(['temporal', 'tls', 'serverRootCaCertPath']),
    'WA_TEMPORAL_TLS_SERVER_ROOT_CA_CERT_PATH',
  );
  assert.equal(envVarFor(['policy', 'requestsPerWindow']), 'WA_POLICY_REQUESTS_PER_WINDOW');
});

const overrides: {
  env: string;
  value: string;
  read: (c: ReturnType<typeof shipped>) => unknown;
  want: unknown;
}[] = [
  // strings
  { env: 'WA_GRAPH_API_VERSION', value: 'v24.0', read: (c) => c.graph.apiVersion, want: 'v24.0' },
  {
    env: 'WA_GRAPH_BASE_URL',
    value: 'https://graph.facebook.com',
    read: (c) => c.graph.baseUrl,
    want: 'https://graph.facebook.com',
  },
  {
    env: 'WA_TEMPORAL_ADDRESS',
    value: 'temporal.example:7233',
    read: (c) => c.temporal.address,
    want: 'temporal.example:7233',
  },
  { env: 'WA_TEMPORAL_NAMESPACE', value: 'prod', read: (c) => c.temporal.namespace, want: 'prod' },
  {
    env: 'WA_GRAPH_ACCESS_TOKEN_ENV',
    value: 'MY_TOKEN',
    read: (c) => c.graph.accessTokenEnv,
    want: 'MY_TOKEN',
  },
  // numbers (coerced from the env string)
  { env: 'WA_GRAPH_REQUEST_TIMEOUT_MS', value: '1500', read: (c) => c.graph.requestTimeoutMs, want: 1500 },
  {
    env: 'WA_GRAPH_MAX_REQUESTS_PER_SECOND',
    value: '2.5',
    read: (c) => c.graph.maxRequestsPerSecond,
    want: 2.5,
  },
  { env: 'WA_POLICY_WINDOW_HOURS', value: '24', read: (c) => c.policy.windowHours, want: 24 },
  { env: 'WA_POLICY_SAFETY_MARGIN_SECONDS', value: '0', read: (c) => c.policy.safetyMarginSeconds, want: 0 },
  { env: 'WA_LOCAL_SIMULATOR_PORT', value: '9999', read: (c) => c.local.simulatorPort, want: 9999 },
  {
    env: 'WA_TEMPORAL_MAX_CACHED_WORKFLOWS',
    value: '300',
    read: (c) => c.temporal.maxCachedWorkflows,
    want: 300,
  },
  // booleans and nested keys
  { env: 'WA_TEMPORAL_TLS_ENABLED', value: 'true', read: (c) => c.temporal.tls.enabled, want: true },
  {
    env: 'WA_TEMPORAL_TLS_SERVER_NAME',
    value: 'ns.tmprl.cloud',
    read: (c) => c.temporal.tls.serverName,
    want: 'ns.tmprl.cloud',
  },
  {
    env: 'WA_TEMPORAL_TLS_CLIENT_CERT_PATH',
    value: '/etc/certs/client.pem',
    read: (c) => c.temporal.tls.clientCertPath,
    want: '/etc/certs/client.pem',
  },
];

for (const { env, value, read, want } of overrides) {
  test(`env override ${env}=${value}`, () => {
    assert.notDeepEqual(read(shipped()), want, 'the override must change something');
    const config = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { [env]: value } });
    assert.deepEqual(read(config), want);
    assert.equal(typeof read(config), typeof want);
  });
}

test('WA_TEMPORAL_TLS_ENABLED=false overrides enabled: true in the file', () => {
  const file = writeTemp(shippedYaml.replace(/^ {4}enabled: auto$/m, '    enabled: true'));
  assert.equal(loadConfig({ file, env: {} }).temporal.tls.enabled, true);
  assert.equal(loadConfig({ file, env: { WA_TEMPORAL_TLS_ENABLED: 'false' } }).temporal.tls.enabled, false);
});

test('temporal.tls.enabled: true, false or auto (also the default when the file leaves it out)', () => {
  assert.equal(
    loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_TEMPORAL_TLS_ENABLED: 'auto' } }).temporal.tls.enabled,
    'auto',
  );
  const file = writeTemp(shippedYaml.replace(/^ {4}enabled: auto\n/m, ''));
  assert.notEqual(readFileSync(file, 'utf8'), shippedYaml);
  assert.equal(loadConfig({ file, env: {} }).temporal.tls.enabled, 'auto');
});

test('temporal.grpcMeta: a mapping in the file, name=value pairs in WA_TEMPORAL_GRPC_META', () => {
  const file = writeTemp(shippedYaml.replace('grpcMeta: {}', 'grpcMeta:\n    x-team: lifecycle'));
  assert.deepEqual(loadConfig({ file, env: {} }).temporal.grpcMeta, { 'x-team': 'lifecycle' });
  assert.deepEqual(
    loadConfig({ file, env: { WA_TEMPORAL_GRPC_META: 'x-a=1, x-b = two ,' } }).temporal.grpcMeta,
    { 'x-a': '1', 'x-b': 'two' },
  );
  const message = configErrorOf(() =>
    loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_TEMPORAL_GRPC_META: 'x-a' } }),
  );
  assert.match(
    message,
    /temporal\.grpcMeta \(env WA_TEMPORAL_GRPC_META\): must map header names to text values/,
  );
});

test('env overrides only touch their own key', () => {
  const config = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_GRAPH_API_VERSION: 'v24.0' } });
  const base = shipped();
  assert.equal(config.graph.apiVersion, 'v24.0');
  assert.deepEqual({ ...config.graph, apiVersion: base.graph.apiVersion }, base.graph);
  assert.deepEqual(config.policy, base.policy);
  assert.deepEqual(config.temporal, base.temporal);
});

test('a key the file omits can come from its env var, and is reported with it when missing', () => {
  const withoutVersion = shippedYaml.replace(/^\s*apiVersion:.*$/m, '');
  assert.notEqual(withoutVersion, shippedYaml);
  const file = writeTemp(withoutVersion);
  assert.equal(loadConfig({ file, env: { WA_GRAPH_API_VERSION: 'v23.0' } }).graph.apiVersion, 'v23.0');
  const message = configErrorOf(() => loadConfig({ file, env: {} }));
  assert.match(message, /graph\.apiVersion/);
  assert.match(message, /WA_GRAPH_API_VERSION/);
});

const badValues: { env: string; value: string; key: string; rule: RegExp }[] = [
  {
    env: 'WA_GRAPH_REQUEST_TIMEOUT_MS',
    value: 'abc',
    key: 'graph.requestTimeoutMs',
    rule: /must be a number/,
  },
  {
    env: 'WA_GRAPH_REQUEST_TIMEOUT_MS',
    value: '1.5',
    key: 'graph.requestTimeoutMs',
    rule: /must be an integer/,
  },
  { env: 'WA_GRAPH_REQUEST_TIMEOUT_MS', value: '-5', key: 'graph.requestTimeoutMs', rule: /must be > 0/ },
  {
    env: 'WA_TEMPORAL_MAX_CACHED_WORKFLOWS',
    value: '-1',
    key: 'temporal.maxCachedWorkflows',
    rule: /must be >= 0/,
  },
  { env: 'WA_GRAPH_API_VERSION', value: '25', key: 'graph.apiVersion', rule: /must look like v25\.0/ },
  { env: 'WA_GRAPH_API_VERSION', value: 'v25', key: 'graph.apiVersion', rule: /must look like v25\.0/ },
  { env: 'WA_TEMPORAL_ADDRESS', value: 'nohost', key: 'temporal.address', rule: /must be host:port/ },
  { env: 'WA_TEMPORAL_ADDRESS', value: 'host:port', key: 'temporal.address', rule: /must be host:port/ },
  { env: 'WA_GRAPH_BASE_URL', value: 'not a url', key: 'graph.baseUrl', rule: /must be an http\(s\) URL/ },
  {
    env: 'WA_POLICY_REQUESTS_PER_WINDOW',
    value: '0',
    key: 'policy.requestsPerWindow',
    rule: /must be > 0/,
  },
  {
    env: 'WA_POLICY_SAFETY_MARGIN_SECONDS',
    value: '-1',
    key: 'policy.safetyMarginSeconds',
    rule: /must be >= 0/,
  },
  {
    env: 'WA_TEMPORAL_TLS_ENABLED',
    value: 'maybe',
    key: 'temporal.tls.enabled',
    rule: /must be true or false/,
  },
  {
    env: 'WA_TEMPORAL_TLS_ENABLED',
    value: 'yes',
    key: 'temporal.tls.enabled',
    rule: /must be true or false/,
  },
  {
    env: 'WA_GRAPH_ACCESS_TOKEN_ENV',
    value: '1-not-a-name',
    key: 'graph.accessTokenEnv',
    rule: /must be an environment variable name/,
  },
  { env: 'WA_TEMPORAL_NAMESPACE', value: '', key: 'temporal.namespace', rule: /must not be empty/ },
];

for (const { env, value, key, rule } of badValues) {
  test(`bad value ${env}=${JSON.stringify(value)} names ${key}, ${env} and the rule`, () => {
    const message = configErrorOf(() => loadConfig({ file: DEFAULT_CONFIG_FILE, env: { [env]: value } }));
    assert.ok(message.includes(key), message);
    assert.ok(message.includes(env), message);
    assert.match(message, rule);
    assert.ok(message.includes('temporal.yaml'), message);
  });
}

test('WA_GRAPH_BASE_URL=ftp://example.com is refused: must be an http(s) URL', () => {
  const message = configErrorOf(() =>
    loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_GRAPH_BASE_URL: 'ftp://example.com' } }),
  );
  assert.match(message, /graph\.baseUrl.*WA_GRAPH_BASE_URL.*http\(s\)/);
});

test('a bad value in the YAML file names the key and the env var', () => {
  const file = writeTemp(shippedYaml.replace('requestsPerWindow: 10', 'requestsPerWindow: ten'));
  const message = configErrorOf(() => loadConfig({ file, env: {} }));
  assert.match(message, /policy\.requestsPerWindow \(env WA_POLICY_REQUESTS_PER_WINDOW\): must be a number/);
  assert.ok(message.startsWith(path.basename(file)), message);
});

test('an unknown key in the YAML file is rejected, naming it', () => {
  const nested = writeTemp(shippedYaml.replace('graph:\n', 'graph:\n  retryBudget: 3\n'));
  const nestedMessage = configErrorOf(() => loadConfig({ file: nested, env: {} }));
  assert.match(nestedMessage, /graph/);
  assert.match(nestedMessage, /unknown key\(s\) retryBudget/);

  const topLevel = writeTemp(`${shippedYaml}\nprofiling:\n  enabled: true\n`);
  const topMessage = configErrorOf(() => loadConfig({ file: topLevel, env: {} }));
  assert.match(topMessage, /unknown key\(s\) profiling/);

  const deep = writeTemp(shippedYaml.replace('  tls:\n', '  tls:\n    insecure: true\n'));
  assert.match(
    configErrorOf(() => loadConfig({ file: deep, env: {} })),
    /temporal\.tls: unknown key\(s\) insecure/,
  );
});

test('invalid YAML is a ConfigError that names the file', () => {
  const file = writeTemp('graph: [unclosed\n  apiVersion: v25.0\n', 'broken.yaml');
  const message = configErrorOf(() => loadConfig({ file, env: {} }));
  assert.match(message, /not valid YAML/);
  assert.ok(message.includes('broken.yaml'), message);
});

test('a missing explicit file (option or WA_CONFIG_FILE) is a ConfigError naming it', () => {
  const missing = path.join(tmp, 'does-not-exist.yaml');
  assert.match(
    configErrorOf(() => loadConfig({ file: missing, env: {} })),
    /config file not found: .*does-not-exist\.yaml/,
  );
  assert.match(
    configErrorOf(() => loadConfig({ env: { WA_CONFIG_FILE: missing } })),
    /config file not found: .*does-not-exist\.yaml/,
  );
});

test('a YAML file whose root is not a mapping is a ConfigError', () => {
  const file = writeTemp('just a string\n');
  assert.match(
    configErrorOf(() => loadConfig({ file, env: {} })),
    /\(root\)/,
  );
});

test('a YAML file whose root is a scalar, plus any WA_* override, gives a ConfigError', () => {
  const file = writeTemp('just a string\n');
  configErrorOf(() => loadConfig({ file, env: { WA_GRAPH_API_VERSION: 'v25.0' } }));
});

test('readAccessToken reads the env var the config names, trimmed', () => {
  const config = shipped();
  assert.equal(
    readAccessToken(config, { WA_GRAPH_ACCESS_TOKEN: '  EAAB-token-value\n' }),
    'EAAB-token-value',
  );
  const custom = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_GRAPH_ACCESS_TOKEN_ENV: 'MY_TOKEN' } });
  assert.equal(
    readAccessToken(custom, { MY_TOKEN: 'custom-token', WA_GRAPH_ACCESS_TOKEN: 'other' }),
    'custom-token',
  );
});

test('readAccessToken with the variable unset or blank names the variable and never a token', () => {
  const secret = 'EAAB-super-secret-token-123';
  const custom = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_GRAPH_ACCESS_TOKEN_ENV: 'MY_TOKEN' } });
  for (const env of [{ WA_GRAPH_ACCESS_TOKEN: secret }, { WA_GRAPH_ACCESS_TOKEN: secret, MY_TOKEN: '   ' }]) {
    const message = configErrorOf(() => readAccessToken(custom, env));
    assert.match(message, /MY_TOKEN/);
    assert.ok(!message.includes(secret), message);
  }
  assert.match(
    configErrorOf(() => readAccessToken(shipped(), {})),
    /WA_GRAPH_ACCESS_TOKEN/,
  );
});

test('readAccessToken reads graph.accessTokenFile when set, in preference to the env var', () => {
  const tokenFile = writeTemp('file-token-value\n', 'token.txt');
  const config = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_GRAPH_ACCESS_TOKEN_FILE: tokenFile } });
  assert.equal(readAccessToken(config, { WA_GRAPH_ACCESS_TOKEN: 'env-token' }), 'file-token-value');
});

test('readAccessToken with a missing or empty token file names the file, never a token', () => {
  const secret = 'EAAB-env-secret';
  for (const tokenFile of [path.join(tmp, 'no-token.txt'), writeTemp('  \n', 'empty-token.txt')]) {
    const config = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_GRAPH_ACCESS_TOKEN_FILE: tokenFile } });
    const message = configErrorOf(() => readAccessToken(config, { WA_GRAPH_ACCESS_TOKEN: secret }));
    assert.ok(message.includes(tokenFile), message);
    assert.ok(!message.includes(secret), message);
  }
});

test('operationPolicy converts hours and seconds to milliseconds', () => {
  const policy = operationPolicy(shipped());
  assert.equal(policy.windowMs, 72 * HOUR);
  assert.equal(policy.requestsPerWindow, 10);
  assert.equal(policy.blockMs, 72 * HOUR);
  assert.equal(policy.safetyMarginMs, 60_000);
  assert.equal(policy.maxLockoutWaits, 2);
  assert.equal(policy.maxTransientRetries, 4);
  assert.equal(policy.transientBackoffMs, 5_000);
  const custom = loadConfig({
    file: DEFAULT_CONFIG_FILE,
    env: {
      WA_POLICY_WINDOW_HOURS: '24',
      WA_POLICY_BLOCK_HOURS: '48',
      WA_POLICY_SAFETY_MARGIN_SECONDS: '5',
      WA_POLICY_TRANSIENT_BACKOFF_SECONDS: '0.5',
    },
  });
  const customPolicy = operationPolicy(custom);
  assert.equal(customPolicy.windowMs, 24 * HOUR);
  assert.equal(customPolicy.blockMs, 48 * HOUR);
  assert.equal(customPolicy.safetyMarginMs, 5_000);
  assert.equal(customPolicy.transientBackoffMs, 500);
});

test('Worker Versioning: off by default; on, it needs a build ID without a dot', () => {
  const shipped = loadConfig({ env: {} }).temporal.workerVersioning;
  assert.deepEqual(shipped, { enabled: false, deploymentName: 'whatsapp-number-lifecycle', buildId: '' });
  const on = loadConfig({
    env: {
      WA_TEMPORAL_WORKER_VERSIONING_ENABLED: 'true',
      WA_TEMPORAL_WORKER_VERSIONING_BUILD_ID: 'git-3f2a9c1',
    },
  }).temporal.workerVersioning;
  assert.deepEqual(on, {
    enabled: true,
    deploymentName: 'whatsapp-number-lifecycle',
    buildId: 'git-3f2a9c1',
  });
  assert.equal(
    configErrorOf(() => loadConfig({ env: { WA_TEMPORAL_WORKER_VERSIONING_ENABLED: 'true' } })),
    'temporal.yaml: temporal.workerVersioning.buildId (env WA_TEMPORAL_WORKER_VERSIONING_BUILD_ID): ' +
      'must be set when workerVersioning.enabled is true (for example the git commit)',
  );
  assert.match(
    configErrorOf(() => loadConfig({ env: { WA_TEMPORAL_WORKER_VERSIONING_BUILD_ID: '1.2.3' } })),
    /temporal\.workerVersioning\.buildId .*: must not contain '\.'/,
  );
});

test('logging: text at info by default (also when the file has no logging: section); WA_LOGGING_* override; a bad value is named', () => {
  assert.deepEqual(shipped().logging, { format: 'text', level: 'info' });
  const withoutSection = writeTemp(shippedYaml.replace(/^logging:\n(?: {2}.*\n|\n)*/m, ''));
  assert.ok(!readFileSync(withoutSection, 'utf8').includes('logging:'));
  assert.deepEqual(loadConfig({ file: withoutSection, env: {} }).logging, { format: 'text', level: 'info' });
  assert.deepEqual(
    loadConfig({ file: withoutSection, env: { WA_LOGGING_FORMAT: 'json', WA_LOGGING_LEVEL: 'debug' } })
      .logging,
    { format: 'json', level: 'debug' },
  );
  assert.match(
    configErrorOf(() => loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_LOGGING_FORMAT: 'yaml' } })),
    /logging\.format \(env WA_LOGGING_FORMAT\): must be text or json/,
  );
  assert.match(
    configErrorOf(() => loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_LOGGING_LEVEL: 'verbose' } })),
    /logging\.level \(env WA_LOGGING_LEVEL\): must be one of trace, debug, info, warn, error/,
  );
});

test("metrics: off by default; WA_METRICS_WORKER_PORT and WA_METRICS_HOST set the worker's Prometheus endpoint", () => {
  assert.equal(loadConfig({ env: {} }).metrics.workerPort, 0);
  const on = loadConfig({ env: { WA_METRICS_WORKER_PORT: '9464', WA_METRICS_HOST: '127.0.0.1' } });
  assert.deepEqual(on.metrics, { host: '127.0.0.1', workerPort: 9464, offlineRefreshSeconds: 60 });
  assert.match(
    configErrorOf(() => loadConfig({ env: { WA_METRICS_WORKER_PORT: '70000' } })),
    /metrics\.workerPort \(env WA_METRICS_WORKER_PORT\): must be a port number/,
  );
});

test('tracing: off by default (also without a tracing: section); WA_TRACING_* turn it on; a bad endpoint is named', () => {
  const off = {
    enabled: false,
    otlpEndpoint: 'http://127.0.0.1:4318/v1/traces',
    serviceName: 'whatsapp-number-lifecycle',
  };
  assert.deepEqual(shipped().tracing, off);
  const withoutSection = writeTemp(shippedYaml.replace(/^tracing:\n(?: {2}.*\n|\n)*/m, ''));
  assert.ok(!readFileSync(withoutSection, 'utf8').includes('tracing:'));
  assert.deepEqual(loadConfig({ file: withoutSection, env: {} }).tracing, off);
  const env = {
    WA_TRACING_ENABLED: 'true',
    WA_TRACING_OTLP_ENDPOINT: 'http://collector:4318/v1/traces',
    WA_TRACING_SERVICE_NAME: 'wa-worker',
  };
  assert.deepEqual(loadConfig({ file: withoutSection, env }).tracing, {
    enabled: true,
    otlpEndpoint: 'http://collector:4318/v1/traces',
    serviceName: 'wa-worker',
  });
  assert.match(
    configErrorOf(() =>
      loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_TRACING_OTLP_ENDPOINT: 'collector:4318' } }),
    ),
    /tracing\.otlpEndpoint \(env WA_TRACING_OTLP_ENDPOINT\): must be an http\(s\) URL/,
  );
});
