// Settings of `npm run api` from the environment: where API keys come from, and the loopback-only rule
// without them. No servers needed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiConfigError, loadApiSettings } from '../../api/config';
import { isLoopbackHost } from '../../api/server';

const KEY_A = 'key-aaaaaaaaaaaaaaaa';
const KEY_B = 'key-bbbbbbbbbbbbbbbb';
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wa-api-config-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('defaults: no keys, 127.0.0.1:8781', () => {
  assert.deepEqual(loadApiSettings({}), {
    apiKeys: [],
    keySources: [],
    host: '127.0.0.1',
    port: 8781,
    rateLimitPerMinute: 600,
  });
});

test('WA_API_KEYS is comma-separated; WA_API_KEYS_FILE one key a line (comments and blank lines skipped); both add up', () => {
  const file = path.join(dir, 'keys');
  writeFileSync(file, `# rotated 2025-01\n${KEY_B}\n\n  ${KEY_A}  \n`);
  const settings = loadApiSettings({
    WA_API_KEYS: ` ${KEY_A} , `,
    WA_API_KEYS_FILE: file,
    WA_API_HOST: '0.0.0.0',
    WA_API_PORT: '9000',
  });
  assert.deepEqual(settings.apiKeys, [KEY_A, KEY_B]);
  assert.deepEqual(settings.keySources, ['WA_API_KEYS', `WA_API_KEYS_FILE (${file})`]);
  assert.equal(settings.host, '0.0.0.0');
  assert.equal(settings.port, 9000);
});

test('without keys a non-loopback host is refused; loopback hosts are fine', () => {
  assert.throws(() => loadApiSettings({ WA_API_HOST: '0.0.0.0' }), ApiConfigError);
  assert.throws(() => loadApiSettings({ WA_API_HOST: '10.0.0.5' }), /refusing to listen/);
  for (const host of ['127.0.0.1', '::1', 'localhost', '[::1]']) {
    assert.equal(loadApiSettings({ WA_API_HOST: host }).host, host);
  }
  assert.equal(isLoopbackHost('127.0.0.2'), true);
  assert.equal(isLoopbackHost('::'), false);
  assert.equal(isLoopbackHost('localhost.example.com'), false);
});

test('a key source that holds no key, an unreadable file, a short key or a bad port is an error (auth never silently off)', () => {
  assert.throws(() => loadApiSettings({ WA_API_KEYS: ' , ,' }), /WA_API_KEYS: holds no key/);
  const empty = path.join(dir, 'empty');
  writeFileSync(empty, '# nothing yet\n\n');
  assert.throws(() => loadApiSettings({ WA_API_KEYS_FILE: empty }), /holds no key/);
  assert.throws(
    () => loadApiSettings({ WA_API_KEYS_FILE: path.join(dir, 'missing') }),
    /cannot read .*ENOENT/,
  );
  const err = (() => {
    try {
      loadApiSettings({ WA_API_KEYS: 'short-secret' });
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  assert.ok(err instanceof ApiConfigError);
  assert.match(err.message, /key #1 must be at least 16/);
  assert.ok(!err.message.includes('short-secret'), 'the key is not echoed');
  assert.throws(() => loadApiSettings({ WA_API_PORT: 'http' }), /WA_API_PORT/);
  assert.throws(() => loadApiSettings({ WA_API_PORT: '70000' }), /WA_API_PORT/);
});

test('a YAML or JSON key file names its keys and scopes; a key may be given as its SHA-256; mistakes name the entry', () => {
  const yamlFile = path.join(dir, 'keys.yaml');
  const digest = 'ab'.repeat(32);
  writeFileSync(
    yamlFile,
    `keys:\n  - name: ops-portal\n    scopes: [read, operate]\n    key: ${KEY_A}\n  - name: auditor\n    scopes: [read]\n    sha256: ${digest.toUpperCase()}\n`,
  );
  const settings = loadApiSettings({ WA_API_KEYS_FILE: yamlFile, WA_API_KEYS: KEY_B });
  assert.deepEqual(settings.apiKeys, [
    KEY_B,
    { name: 'ops-portal', scopes: ['read', 'operate'], key: KEY_A },
    { name: 'auditor', scopes: ['read'], sha256: digest },
  ]);
  const jsonFile = path.join(dir, 'keys.json');
  writeFileSync(jsonFile, JSON.stringify({ keys: [{ name: 'svc', scopes: ['admin'], key: KEY_B }] }));
  assert.deepEqual(loadApiSettings({ WA_API_KEYS_FILE: jsonFile }).apiKeys, [
    { name: 'svc', scopes: ['admin'], key: KEY_B },
  ]);

  const refused = (content: string, rule: RegExp) => {
    writeFileSync(yamlFile, content);
    assert.throws(
      () => loadApiSettings({ WA_API_KEYS_FILE: yamlFile }),
      (err: Error) => err instanceof ApiConfigError && rule.test(err.message) && !err.message.includes(KEY_A),
    );
  };
  refused(`keys:\n  - name: x\n    scopes: [write]\n    key: ${KEY_A}\n`, /keys\.0\.scopes\.0: /);
  refused(`keys:\n  - name: x\n    scopes: [read]\n`, /keys\.0: give either key or sha256/);
  refused(`keys:\n  - name: x y\n    scopes: [read]\n    key: ${KEY_A}\n`, /keys\.0\.name: must be 1 to 40/);
  refused(
    `keys:\n  - name: x\n    scopes: [read]\n    key: short\n`,
    /keys\.0 \(x\): key #1 must be at least 16/,
  );
  refused(
    `keys:\n  - {name: x, scopes: [read], key: ${KEY_A}}\n  - {name: x, scopes: [read], key: ${KEY_B}}\n`,
    /name x is used twice/,
  );
  refused('keys: []\n', /keys: holds no key/);
  refused('keys: [\n', /not valid YAML or JSON/);
});

test('WA_API_RATE_LIMIT_PER_MINUTE (0: off) and WA_API_PUBLIC_URL are checked', () => {
  assert.equal(loadApiSettings({ WA_API_RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute, 0);
  assert.equal(loadApiSettings({ WA_API_RATE_LIMIT_PER_MINUTE: '120' }).rateLimitPerMinute, 120);
  assert.throws(
    () => loadApiSettings({ WA_API_RATE_LIMIT_PER_MINUTE: 'lots' }),
    /WA_API_RATE_LIMIT_PER_MINUTE/,
  );
  assert.equal(
    loadApiSettings({ WA_API_PUBLIC_URL: 'https://wa-api.example.com' }).publicUrl,
    'https://wa-api.example.com',
  );
  assert.throws(() => loadApiSettings({ WA_API_PUBLIC_URL: 'wa-api.example.com' }), /WA_API_PUBLIC_URL/);
});
