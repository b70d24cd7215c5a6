// platform/temporal-target.ts: one precedence for every connection setting (flags > WA_* env > Temporal
// profile with its TEMPORAL_* overrides > temporal.yaml > defaults), an API key never without TLS, TLS
// half-configured or unreadable named with its source, and gRPC metadata from every source.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../platform/config';
import {
  configOnlyTarget,
  describeTarget,
  targetFromEnvironment,
  TemporalTargetError,
  type GivenTarget,
  type ProfileChoice,
  type TemporalTarget,
} from '../../platform/temporal-target';

const tmp = mkdtempSync(path.join(tmpdir(), 'wa-target-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
/** Each file in a directory of its own, so its name is the one given (temporal.yaml in messages). */
function write(name: string, content: string): string {
  const dir = path.join(tmp, String(++counter));
  mkdirSync(dir);
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const shippedYaml = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
/** The shipped temporal.yaml with some `temporal:` lines replaced. */
function yamlWith(replacements: Record<string, string>): string {
  let text = shippedYaml;
  for (const [from, to] of Object.entries(replacements)) {
    assert.ok(text.includes(from), `the shipped temporal.yaml has "${from}"`);
    text = text.replace(from, to);
  }
  return write('temporal.yaml', text);
}

const CERT = write('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const KEY = write('client.key', '-----BEGIN PRIVATE KEY-----\nclient\n-----END PRIVATE KEY-----\n');
const CA = write('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const OTHER_CERT = write('other.pem', 'other certificate');
const OTHER_KEY = write('other.key', 'other key');
const API_KEY = 'tmprl-api-key-0123456789-secret';

interface Case {
  env?: Record<string, string>;
  yaml?: string;
  flags?: GivenTarget;
  profile?: ProfileChoice;
}

/** What the worker, API and CLI would connect to; never the developer's own profile (explicit env). */
function target({ env = {}, yaml = DEFAULT_CONFIG_FILE, flags, profile }: Case = {}): TemporalTarget {
  const fullEnv = { TEMPORAL_CONFIG_FILE: '', ...env };
  return targetFromEnvironment(loadConfig({ file: yaml, env: fullEnv }), {
    env: fullEnv,
    configFile: yaml,
    ...(flags ? { given: { kind: 'flag' as const, values: flags } } : {}),
    ...(profile ? { profile } : {}),
  });
}

function targetError(c: Case): TemporalTargetError {
  let caught: unknown;
  try {
    target(c);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof TemporalTargetError, `expected a TemporalTargetError, got ${String(caught)}`);
  assert.equal(caught.name, 'ConfigError', 'caught wherever a ConfigError is (exit 2)');
  assert.ok(!caught.message.includes(API_KEY), 'never the API key');
  return caught;
}

const PROFILES = write(
  'temporal.toml',
  `[profile.default]
address = "profile-default.example:7233"
namespace = "from-default-profile"

[profile.prod]
address = "profile-prod.example:7233"
namespace = "from-prod-profile"
api_key = "${API_KEY}"

[profile.prod.grpc_meta]
x-team = "prod-team"
x_route_key = "from-profile"

[profile.mtls]
address = "profile-mtls.example:7233"
[profile.mtls.tls]
client_cert_path = "${CERT}"
client_key_path = "${KEY}"
server_ca_cert_path = "${CA}"
server_name = "mtls.internal"

[profile.nokey]
address = "profile-nokey.example:7233"
[profile.nokey.tls]
client_cert_path = "${CERT}"

[profile.inline]
address = "profile-inline.example:7233"
[profile.inline.tls]
client_cert_data = "inline certificate"
client_key_data = "inline key"

[profile.missing-ca]
address = "profile-missing-ca.example:7233"
[profile.missing-ca.tls]
server_ca_cert_path = "${path.join(tmp, 'no-such-ca.pem')}"

[profile.tls-off]
address = "profile-tls-off.example:7233"
api_key = "${API_KEY}"
[profile.tls-off.tls]
disabled = true
`,
);

test('the issue: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY are honoured together, with TLS', () => {
  const t = target({
    env: {
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: API_KEY,
    },
  });
  assert.equal(t.connection.address, 'ns.acct.tmprl.cloud:7233');
  assert.equal(t.namespace, 'ns.acct');
  assert.equal(t.connection.apiKey, API_KEY);
  assert.deepEqual(t.connection.tls, {}, 'TLS on, with the system roots');
  const line = describeTarget(t);
  assert.equal(
    line,
    'ns.acct.tmprl.cloud:7233 (from env TEMPORAL_ADDRESS), namespace ns.acct (from env TEMPORAL_NAMESPACE), ' +
      'TLS (API key from env TEMPORAL_API_KEY)',
  );
  assert.ok(!line.includes(API_KEY));
});

test('nothing set: temporal.yaml, and the defaults where neither it nor anything else sets a value', () => {
  const t = target();
  assert.equal(t.connection.address, '127.0.0.1:7233');
  assert.equal(t.namespace, 'default');
  assert.equal(t.connection.tls, undefined);
  assert.equal(t.connection.apiKey, undefined);
  assert.equal(t.connection.metadata, undefined);
  assert.equal(t.origin.address, 'temporal.yaml');
  assert.match(describeTarget(t), /no TLS$/);
  const library = targetFromEnvironment(loadConfig({ file: DEFAULT_CONFIG_FILE, env: {} }), { env: {} });
  assert.equal(library.origin.namespace, 'temporal.yaml');
});

// Each source beats the next: the full stack of sources, then the top one removed at a time.
const addressSources: { name: string; origin: string; want: string; drop: (c: Case) => Case }[] = [
  { name: 'flag', origin: '--address', want: 'flag.example:1', drop: (c) => ({ ...c, flags: {} }) },
  {
    name: 'WA_* env',
    origin: 'env WA_TEMPORAL_ADDRESS',
    want: 'wa.example:2',
    drop: (c) => ({ ...c, env: without(c.env!, 'WA_TEMPORAL_ADDRESS') }),
  },
  {
    name: 'profile env override',
    origin: 'env TEMPORAL_ADDRESS',
    want: 'temporal-env.example:3',
    drop: (c) => ({ ...c, env: without(c.env!, 'TEMPORAL_ADDRESS') }),
  },
  {
    name: 'profile file',
    origin: 'profile prod',
    want: 'profile-prod.example:7233',
    drop: (c) => ({ ...c, profile: undefined, env: without(c.env!, 'TEMPORAL_PROFILE') }),
  },
  {
    // With no profile asked for, the file's `default` profile applies (as for the temporal CLI).
    name: 'default profile',
    origin: 'profile default',
    want: 'profile-default.example:7233',
    drop: (c) => ({ ...c, env: { ...c.env, TEMPORAL_CONFIG_FILE: '' } }),
  },
  {
    name: 'temporal.yaml',
    origin: 'temporal.yaml',
    want: 'yaml.example:5',
    drop: (c) => c,
  },
];

function without(env: Record<string, string>, key: string): Record<string, string> {
  const copy = { ...env };
  delete copy[key];
  return copy;
}

test('address: flag > WA_* env > TEMPORAL_ADDRESS > profile file > temporal.yaml', () => {
  let c: Case = {
    flags: { address: 'flag.example:1' },
    env: {
      WA_TEMPORAL_ADDRESS: 'wa.example:2',
      TEMPORAL_ADDRESS: 'temporal-env.example:3',
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_CONFIG_FILE: PROFILES,
      TEMPORAL_API_KEY: '',
    },
    yaml: yamlWith({ 'address: 127.0.0.1:7233': 'address: yaml.example:5' }),
  };
  for (const source of addressSources) {
    const t = target(c);
    assert.equal(t.connection.address, source.want, source.name);
    assert.equal(t.origin.address, source.origin, source.name);
    c = source.drop(c);
  }
});

test('namespace: flag > WA_* env > TEMPORAL_NAMESPACE > profile file > temporal.yaml > default', () => {
  const env = {
    WA_TEMPORAL_NAMESPACE: 'wa',
    TEMPORAL_NAMESPACE: 'temporal-env',
    TEMPORAL_CONFIG_FILE: PROFILES,
  };
  const yaml = yamlWith({ 'namespace: default': 'namespace: from-yaml' });
  const profile = { name: 'prod' };
  const seen = [
    target({ flags: { namespace: 'flag' }, env, yaml, profile }),
    target({ env, yaml, profile }),
    target({ env: without(env, 'WA_TEMPORAL_NAMESPACE'), yaml, profile }),
    target({ env: { TEMPORAL_CONFIG_FILE: PROFILES }, yaml, profile }),
    target({ yaml }),
  ].map((t) => `${t.namespace} (${t.origin.namespace})`);
  assert.deepEqual(seen, [
    'flag (--namespace)',
    'wa (env WA_TEMPORAL_NAMESPACE)',
    'temporal-env (env TEMPORAL_NAMESPACE)',
    'from-prod-profile (profile prod)',
    'from-yaml (temporal.yaml)',
  ]);
  // The client library has no temporal.yaml: the defaults are the last word.
  const library = targetFromEnvironment(loadConfig({ file: DEFAULT_CONFIG_FILE, env: {} }), { env: {} });
  assert.equal(library.namespace, 'default');
});

test('the profile: --profile > TEMPORAL_PROFILE > "default"; --config-file > TEMPORAL_CONFIG_FILE > the user config dir', () => {
  const other = write('other.toml', '[profile.prod]\naddress = "other-file.example:7233"\n');
  const env = { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'mtls' };
  assert.equal(target({ env, profile: { name: 'prod' } }).connection.address, 'profile-prod.example:7233');
  assert.equal(target({ env }).connection.address, 'profile-mtls.example:7233');
  assert.equal(
    target({ env, profile: { name: 'prod', file: other } }).connection.address,
    'other-file.example:7233',
  );
  // No TEMPORAL_CONFIG_FILE: $XDG_CONFIG_HOME/temporalio/temporal.toml, else $HOME/.config/temporalio/temporal.toml.
  const home = path.join(tmp, 'home');
  mkdirSync(path.join(home, '.config', 'temporalio'), { recursive: true });
  writeFileSync(
    path.join(home, '.config', 'temporalio', 'temporal.toml'),
    '[profile.default]\naddress = "home-default.example:7233"\n',
  );
  const fromHome = targetFromEnvironment(loadConfig({ file: DEFAULT_CONFIG_FILE, env: {} }), {
    env: { HOME: home },
  });
  assert.equal(fromHome.connection.address, 'home-default.example:7233');
  assert.deepEqual(fromHome.origin.profile, {
    name: 'default',
    file: path.join(home, '.config', 'temporalio', 'temporal.toml'),
  });
  assert.match(describeTarget(fromHome), /\(from profile default\).*Temporal profile default \(/);
  const xdg = targetFromEnvironment(loadConfig({ file: DEFAULT_CONFIG_FILE, env: {} }), {
    env: { HOME: home, XDG_CONFIG_HOME: path.join(tmp, 'empty-xdg') },
  });
  assert.equal(xdg.connection.address, '127.0.0.1:7233', 'XDG_CONFIG_HOME wins over HOME');
});

test('a profile that is not there is an error naming it, where it was asked for, and the file', () => {
  const named = targetError({ env: { TEMPORAL_CONFIG_FILE: PROFILES }, profile: { name: 'prd' } });
  assert.match(named.message, /Temporal profile: no profile "prd"/);
  assert.match(named.message, /only default, prod, mtls, nokey, inline, missing-ca, tls-off/);
  assert.ok(named.message.includes(PROFILES));
  assert.match(named.message, /set by --profile$/);
  const fromEnv = targetError({ env: { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'prd' } });
  assert.match(fromEnv.message, /set by env TEMPORAL_PROFILE$/);
  const missingFile = path.join(tmp, 'nowhere.toml');
  const noFile = targetError({ env: { TEMPORAL_CONFIG_FILE: missingFile }, profile: { name: 'prod' } });
  assert.ok(
    noFile.message.includes(`${missingFile} (env TEMPORAL_CONFIG_FILE) does not exist`),
    noFile.message,
  );
  // A file named by --config-file must exist; one TEMPORAL_CONFIG_FILE names need not (no profiles then).
  const flagged = targetError({ profile: { file: missingFile } });
  assert.equal(flagged.key, 'Temporal profile file');
  assert.equal(flagged.source, '--config-file');
  assert.ok(flagged.message.includes(missingFile));
  assert.equal(target({ env: { TEMPORAL_CONFIG_FILE: missingFile } }).origin.address, 'temporal.yaml');
  const dir = targetError({ profile: { file: tmp } });
  assert.match(dir.message, /cannot read .* \(EISDIR\)/);
});

test('a profile file without profiles (empty, comments only) is no profile, not a crash', () => {
  for (const content of ['', '# nothing yet\n']) {
    const file = write('empty.toml', content);
    assert.equal(target({ env: { TEMPORAL_CONFIG_FILE: file } }).origin.address, 'temporal.yaml');
    assert.match(
      targetError({ env: { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'x' } }).message,
      /no profiles/,
    );
  }
});

test('a profile file that is not TOML: the file, line and column, and none of its text (it may hold a key)', () => {
  const file = write('broken.toml', `[profile.default]\napi_key = ${API_KEY}\n`);
  const err = targetError({ env: { TEMPORAL_CONFIG_FILE: file } });
  assert.ok(err.message.includes(file), err.message);
  assert.match(err.message, /line 2, column \d+/);
});

test('an API key turns TLS on from any source; with TLS explicitly off it is an error naming both', () => {
  assert.deepEqual(
    target({ env: { TEMPORAL_CONFIG_FILE: PROFILES }, profile: { name: 'prod' } }).connection.tls,
    {},
  );
  const named = target({ env: { WA_TEMPORAL_API_KEY_ENV: 'MY_KEY', MY_KEY: API_KEY } });
  assert.equal(named.connection.apiKey, API_KEY);
  assert.equal(named.origin.apiKey, 'env MY_KEY (named by env WA_TEMPORAL_API_KEY_ENV)');
  const yamlOff = yamlWith({ '    enabled: auto\n': '    enabled: false\n' });
  const disabling: { c: Case; off: string; key: string }[] = [
    {
      c: { yaml: yamlOff, env: { TEMPORAL_API_KEY: API_KEY } },
      off: 'temporal.tls.enabled in temporal.yaml',
      key: 'env TEMPORAL_API_KEY',
    },
    {
      c: { env: { WA_TEMPORAL_TLS_ENABLED: 'false', TEMPORAL_API_KEY: API_KEY } },
      off: 'env WA_TEMPORAL_TLS_ENABLED',
      key: 'env TEMPORAL_API_KEY',
    },
    {
      c: { env: { TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: API_KEY } },
      off: 'env TEMPORAL_TLS',
      key: 'env TEMPORAL_API_KEY',
    },
    {
      c: { env: { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'tls-off' } },
      off: 'tls.disabled in profile tls-off',
      key: 'api_key in profile tls-off',
    },
  ];
  for (const { c, off, key } of disabling) {
    const err = targetError(c);
    assert.equal(err.key, 'TLS');
    assert.match(err.message, /an API key is never sent without TLS/);
    assert.ok(err.message.includes(`TLS is off (${off}`), err.message);
    assert.ok(err.message.includes(`API key is set (${key}`), err.message);
  }
  // A higher source turning TLS on beats a lower one turning it off.
  const on = target({ yaml: yamlOff, env: { WA_TEMPORAL_TLS_ENABLED: 'true', TEMPORAL_API_KEY: API_KEY } });
  assert.deepEqual(on.connection.tls, {});
  assert.match(
    describeTarget(on),
    /TLS \(on by env WA_TEMPORAL_TLS_ENABLED; API key from env TEMPORAL_API_KEY\)/,
  );
  // TLS explicitly off and no key: plain text, as asked.
  assert.equal(target({ yaml: yamlOff }).connection.tls, undefined);
});

test('a client certificate without its key (or a key without its certificate) names the missing key, in its source', () => {
  const cases: { c: Case; key: string; source: string; missing: string }[] = [
    {
      c: { yaml: yamlWith({ "clientCertPath: ''": `clientCertPath: ${CERT}` }) },
      key: 'TLS client certificate',
      source: 'temporal.tls.clientCertPath in temporal.yaml',
      missing: 'temporal.tls.clientKeyPath',
    },
    {
      c: { env: { WA_TEMPORAL_TLS_CLIENT_KEY_PATH: KEY } },
      key: 'TLS client key',
      source: 'env WA_TEMPORAL_TLS_CLIENT_KEY_PATH',
      missing: 'WA_TEMPORAL_TLS_CLIENT_CERT_PATH',
    },
    {
      c: { env: { TEMPORAL_CONFIG_FILE: PROFILES }, profile: { name: 'nokey' } },
      key: 'TLS client certificate',
      source: `tls.client_cert_path in profile nokey (${PROFILES})`,
      missing: 'tls.client_key_path',
    },
    {
      c: { env: { TEMPORAL_TLS_CLIENT_CERT_PATH: CERT } },
      key: 'TLS client certificate',
      source: 'env TEMPORAL_TLS_CLIENT_CERT_PATH',
      missing: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
    },
  ];
  for (const { c, key, source, missing } of cases) {
    const err = targetError(c);
    assert.equal(err.key, key);
    assert.equal(err.source, source);
    assert.ok(err.message.includes(`set ${missing}`) || err.message.includes(missing), err.message);
  }
});

test('a client certificate and its key come together from the highest source that gives either', () => {
  const t = target({
    env: {
      TEMPORAL_CONFIG_FILE: PROFILES,
      WA_TEMPORAL_TLS_CLIENT_CERT_PATH: OTHER_CERT,
      WA_TEMPORAL_TLS_CLIENT_KEY_PATH: OTHER_KEY,
    },
    profile: { name: 'mtls' },
  });
  assert.equal(t.connection.tls?.clientCertPair?.crt.toString(), 'other certificate');
  assert.equal(t.connection.tls?.clientCertPair?.key.toString(), 'other key');
  assert.equal(
    t.connection.tls?.serverNameOverride,
    'mtls.internal',
    'other TLS keys still come from the profile',
  );
  assert.equal(t.connection.tls?.serverRootCACertificate?.toString(), readFileSync(CA, 'utf8'));
  assert.match(
    describeTarget(t),
    /client certificate from env WA_TEMPORAL_TLS_CLIENT_CERT_PATH; server CA from profile mtls/,
  );

  const mtls = target({ env: { TEMPORAL_CONFIG_FILE: PROFILES }, profile: { name: 'mtls' } });
  assert.equal(mtls.connection.tls?.clientCertPair?.crt.toString(), readFileSync(CERT, 'utf8'));
  const inline = target({ env: { TEMPORAL_CONFIG_FILE: PROFILES }, profile: { name: 'inline' } });
  assert.equal(inline.connection.tls?.clientCertPair?.crt.toString(), 'inline certificate');
  assert.equal(inline.connection.tls?.clientCertPair?.key.toString(), 'inline key');
});

test('a TLS file that cannot be read names the setting, its source and the path', () => {
  const missing = path.join(tmp, 'no-such-key.pem');
  const fromEnv = targetError({
    env: { WA_TEMPORAL_TLS_CLIENT_CERT_PATH: CERT, WA_TEMPORAL_TLS_CLIENT_KEY_PATH: missing },
  });
  assert.equal(
    fromEnv.message,
    `TLS client key: cannot read ${missing} (ENOENT); set by env WA_TEMPORAL_TLS_CLIENT_KEY_PATH`,
  );
  const fromProfile = targetError({
    env: { TEMPORAL_CONFIG_FILE: PROFILES },
    profile: { name: 'missing-ca' },
  });
  assert.equal(fromProfile.key, 'TLS server CA');
  assert.equal(fromProfile.source, `tls.server_ca_cert_path in profile missing-ca (${PROFILES})`);
  assert.ok(fromProfile.message.includes(path.join(tmp, 'no-such-ca.pem')), fromProfile.message);
  const fromYaml = targetError({
    yaml: yamlWith({ "serverRootCaCertPath: ''": `serverRootCaCertPath: ${tmp}` }),
  });
  assert.match(
    fromYaml.message,
    /TLS server CA: cannot read .* \(EISDIR\); set by temporal\.tls\.serverRootCaCertPath in temporal\.yaml/,
  );
  const empty = write('empty.pem', '');
  assert.match(
    targetError({ env: { WA_TEMPORAL_TLS_SERVER_ROOT_CA_CERT_PATH: empty } }).message,
    /TLS server CA: .*empty\.pem is empty/,
  );
});

test('gRPC metadata from temporal.yaml, the profile, TEMPORAL_GRPC_META_*, WA_TEMPORAL_GRPC_META and settings, merged per header', () => {
  const yaml = yamlWith({ 'grpcMeta: {}': 'grpcMeta:\n    x-team: yaml-team\n    x-only-yaml: "1"' });
  const env = {
    TEMPORAL_CONFIG_FILE: PROFILES,
    TEMPORAL_PROFILE: 'prod',
    TEMPORAL_API_KEY: '',
    TEMPORAL_GRPC_META_X_TENANT_ID_NUMBER: '42',
  };
  const t = target({ yaml, env });
  assert.deepEqual(t.connection.metadata, {
    'x-team': 'prod-team', // the profile's beats temporal.yaml's
    'x-only-yaml': '1',
    'x-route-key': 'from-profile', // x_route_key in the profile: every '_' read as '-'
    'x-tenant-id-number': '42',
  });
  assert.deepEqual(t.origin.grpcMeta, {
    'x-team': 'profile prod',
    'x-only-yaml': 'temporal.yaml',
    'x-route-key': 'profile prod',
    'x-tenant-id-number': 'env TEMPORAL_GRPC_META_X_TENANT_ID_NUMBER',
  });
  const line = describeTarget(t);
  assert.match(line, /gRPC metadata x-team, x-only-yaml, x-route-key, x-tenant-id-number/);
  for (const value of ['prod-team', 'from-profile', 'yaml-team']) {
    assert.ok(!line.includes(value), 'header names, never values (they may be credentials)');
  }

  // WA_TEMPORAL_GRPC_META replaces temporal.grpcMeta (as every WA_* variable replaces its key) and beats
  // the profile per header; headers the caller gives beat all.
  const higher = target({
    yaml,
    env: { ...env, WA_TEMPORAL_GRPC_META: 'x-route-key=from-wa, X_Only_Wa=2' },
    flags: { grpcMeta: { 'x-team': 'given' } },
  });
  assert.deepEqual(higher.connection.metadata, {
    'x-team': 'given',
    'x-route-key': 'from-wa',
    'x-tenant-id-number': '42',
    'x-only-wa': '2',
  });
  assert.equal(higher.origin.grpcMeta['x-route-key'], 'env WA_TEMPORAL_GRPC_META');
});

test('gRPC metadata that cannot be sent is refused, naming the header and its source', () => {
  assert.match(
    targetError({ env: { WA_TEMPORAL_GRPC_META: 'bad header=1' } }).message,
    /gRPC metadata header "bad header": must be a text header name .*; set by bad header in env WA_TEMPORAL_GRPC_META/,
  );
  assert.throws(() => target({ env: { WA_TEMPORAL_GRPC_META: 'no-equals-sign' } }), /WA_TEMPORAL_GRPC_META/);
  const both = targetError({
    env: { TEMPORAL_API_KEY: API_KEY, TEMPORAL_GRPC_META_AUTHORIZATION: `Bearer ${API_KEY}` },
  });
  assert.match(both.message, /authorization: conflicts with the API key \(env TEMPORAL_API_KEY\)/);
});

test('bad values are named with their source: flags, WA_* env, the profile', () => {
  assert.equal(
    targetError({ flags: { address: 'nope' } }).message,
    'address: must be host:port, e.g. 127.0.0.1:7233 (got "nope"); set by --address',
  );
  assert.match(
    targetError({ flags: { namespace: ' ' } }).message,
    /^namespace: must not be empty; set by --namespace$/,
  );
  const badProfile = write('bad-address.toml', '[profile.default]\naddress = "no-port"\n');
  assert.equal(
    targetError({ env: { TEMPORAL_CONFIG_FILE: badProfile } }).message,
    `address: must be host:port, e.g. 127.0.0.1:7233 (got "no-port"); set by address in profile default (${badProfile})`,
  );
  assert.match(
    targetError({ profile: { name: '' } }).message,
    /Temporal profile: must not be empty; set by --profile/,
  );
});

test('configOnlyTarget: what temporal.yaml says, whatever the process environment holds (local stack, tests)', () => {
  const saved = { ...process.env };
  try {
    process.env.TEMPORAL_ADDRESS = 'somewhere-else.example:7233';
    process.env.WA_TEMPORAL_NAMESPACE = 'elsewhere';
    process.env.TEMPORAL_CONFIG_FILE = PROFILES;
    const config = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_TEMPORAL_ADDRESS: '127.0.0.1:17233' } });
    const t = configOnlyTarget(config);
    assert.equal(t.connection.address, '127.0.0.1:17233');
    assert.equal(t.namespace, 'default');
    assert.equal(t.origin.profile, undefined);
  } finally {
    for (const key of ['TEMPORAL_ADDRESS', 'WA_TEMPORAL_NAMESPACE', 'TEMPORAL_CONFIG_FILE']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
});
