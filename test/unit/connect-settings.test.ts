// client/connect-settings.ts: the installable library's connection follows the product's one precedence
// (settings passed > WA_* env > the consumer's Temporal profile > defaults) and never reads this package's
// folder; its TLS settings are checked like everyone's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveConnectSettings, type ConnectSettings } from '../../client/connect-settings';
import { TemporalTargetError } from '../../client';

const tmp = mkdtempSync(path.join(tmpdir(), 'wa-connect-settings-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const API_KEY = 'consumer-api-key-0123456789-secret';
const CERT = path.join(tmp, 'client.pem');
writeFileSync(CERT, 'certificate');

/** A consumer's home with a Temporal profile file where the SDKs and the temporal CLI look for it. */
const home = path.join(tmp, 'home');
const profileFile = path.join(home, '.config', 'temporalio', 'temporal.toml');
mkdirSync(path.dirname(profileFile), { recursive: true });
writeFileSync(
  profileFile,
  `[profile.default]
address = "home-default.example:7233"
namespace = "home-namespace"

[profile.cloud]
address = "acct.tmprl.cloud:7233"
namespace = "ns.acct"
api_key = "${API_KEY}"
[profile.cloud.grpc_meta]
x-team = "crm"

[profile.halfcert]
[profile.halfcert.tls]
client_cert_path = "${CERT}"
`,
);

const keys = { encryptionKeys: `k1=${Buffer.alloc(32, 7).toString('base64')}` };
const resolve = (settings: ConnectSettings, env: NodeJS.ProcessEnv) =>
  resolveConnectSettings({ ...keys, ...settings }, env).target;

test('the consumer’s default profile, found through HOME, when nothing else is set', () => {
  const t = resolve({}, { HOME: home });
  assert.equal(t.connection.address, 'home-default.example:7233');
  assert.equal(t.namespace, 'home-namespace');
  assert.equal(t.origin.address, 'profile default');
  assert.equal(t.connection.tls, undefined);
});

test('a profile chosen by the profile setting or TEMPORAL_PROFILE: address, namespace, API key (so TLS), gRPC metadata', () => {
  for (const [settings, env] of [
    [{ profile: 'cloud' }, { HOME: home }],
    [{}, { HOME: home, TEMPORAL_PROFILE: 'cloud' }],
    [{ profile: 'cloud', configFile: profileFile }, {}],
    [{}, { TEMPORAL_CONFIG_FILE: profileFile, TEMPORAL_PROFILE: 'cloud' }],
  ] as const) {
    const t = resolve(settings, env);
    assert.equal(t.connection.address, 'acct.tmprl.cloud:7233');
    assert.equal(t.namespace, 'ns.acct');
    assert.equal(t.connection.apiKey, API_KEY);
    assert.deepEqual(t.connection.tls, {});
    assert.deepEqual(t.connection.metadata, { 'x-team': 'crm' });
  }
});

test('settings passed > WA_* env > the profile (and its TEMPORAL_* variables) > defaults', () => {
  const env = {
    HOME: home,
    TEMPORAL_PROFILE: 'cloud',
    WA_TEMPORAL_ADDRESS: 'wa.example:7233',
    TEMPORAL_NAMESPACE: 'from-temporal-env',
  };
  const passed = resolve({ address: 'passed.example:7233', namespace: 'passed' }, env);
  assert.equal(passed.connection.address, 'passed.example:7233');
  assert.equal(passed.origin.address, 'connect({ address })');
  assert.equal(passed.namespace, 'passed');
  const fromEnv = resolve({}, env);
  assert.equal(fromEnv.connection.address, 'wa.example:7233');
  assert.equal(fromEnv.origin.address, 'env WA_TEMPORAL_ADDRESS');
  assert.equal(fromEnv.namespace, 'from-temporal-env');
  assert.equal(fromEnv.origin.namespace, 'env TEMPORAL_NAMESPACE');
  const defaults = resolve({}, {});
  assert.equal(defaults.connection.address, '127.0.0.1:7233');
  assert.equal(defaults.namespace, 'default');
  assert.equal(defaults.origin.address, 'default');
  // An API key passed wins over the profile's; TLS stays on.
  const key = resolve({ apiKey: 'passed-key' }, env);
  assert.equal(key.connection.apiKey, 'passed-key');
  assert.equal(key.origin.apiKey, 'connect({ apiKey })');
});

test('never the package folder: no temporal.yaml, even one WA_CONFIG_FILE names', () => {
  const yaml = path.join(tmp, 'temporal.yaml');
  writeFileSync(yaml, 'temporal:\n  address: from-yaml.example:7233\n  namespace: from-yaml\n');
  const t = resolve({}, { WA_CONFIG_FILE: yaml });
  assert.equal(t.connection.address, '127.0.0.1:7233');
  assert.equal(t.namespace, 'default');
});

test('a connection setting that cannot be used: TemporalTargetError naming it and its source, never the key', () => {
  const cases: { settings: ConnectSettings; env: NodeJS.ProcessEnv; message: RegExp }[] = [
    {
      settings: { apiKey: API_KEY, tls: false },
      env: {},
      message:
        /an API key is never sent without TLS: TLS is off \(connect\(\{ tls \}\)\) while an API key is set \(connect\(\{ apiKey \}\)\)/,
    },
    {
      settings: { tls: false },
      env: { TEMPORAL_API_KEY: API_KEY },
      message: /TLS is off \(connect\(\{ tls \}\)\) while an API key is set \(env TEMPORAL_API_KEY\)/,
    },
    {
      settings: { tls: { clientCertPath: CERT } },
      env: {},
      message:
        /^TLS client certificate: given without its key \(set connect\(\{ tls\.clientKeyPath \}\) too\); set by connect\(\{ tls\.clientCertPath \}\)$/,
    },
    {
      settings: { tls: { clientKeyPath: CERT } },
      env: {},
      message: /^TLS client key: given without its certificate/,
    },
    {
      settings: { profile: 'halfcert' },
      env: { HOME: home },
      message: /^TLS client certificate: given without its key \(set tls\.client_key_path/,
    },
    {
      settings: { tls: { serverRootCaCertPath: path.join(tmp, 'missing-ca.pem') } },
      env: {},
      message: new RegExp(
        `^TLS server CA: cannot read ${path.join(tmp, 'missing-ca.pem')} \\(ENOENT\\); set by connect\\(\\{ tls\\.serverRootCaCertPath \\}\\)$`,
      ),
    },
    {
      settings: { profile: 'prod' },
      env: { HOME: home },
      message:
        /^Temporal profile: no profile "prod": .*only default, cloud, halfcert; set by connect\(\{ profile \}\)$/,
    },
    {
      settings: { configFile: path.join(tmp, 'missing.toml') },
      env: {},
      message:
        /^Temporal profile file: cannot read .*missing\.toml \(ENOENT\); set by connect\(\{ configFile \}\)$/,
    },
  ];
  for (const { settings, env, message } of cases) {
    assert.throws(
      () => resolve(settings, env),
      (err: unknown) => {
        assert.ok(err instanceof TemporalTargetError, String(err));
        assert.match(err.message, message);
        assert.ok(!err.message.includes(API_KEY));
        return true;
      },
    );
  }
});
