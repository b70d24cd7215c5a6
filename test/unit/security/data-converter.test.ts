// platform/security/data-converter.ts: where the payload keys come from (env, key file, the local stack's
// key), which wins, and the refusal to run without a key unless allowUnencrypted says so.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../../../platform/config';
import { createDataConverter, loadKeyring, localKeyFile } from '../../../platform/security/data-converter';
import { EncryptionKeyError, ensureKeyFile } from '../../../platform/security/encryption-keys';
import { AesGcmPayloadCodec, KEY_ID_METADATA } from '../../../platform/security/payload-codec';

const tmp = mkdtempSync(path.join(tmpdir(), 'wa-dataconv-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const b64 = (b: Buffer) => b.toString('base64');

let counter = 0;
/** A fresh, empty local data dir, so the repository's own .data never leaks into a test. */
function emptyDataDir(): string {
  return mkdtempSync(path.join(tmp, `data-${++counter}-`));
}
function writeKeyFile(encryptWith: string, keys: Record<string, Buffer>): string {
  const file = path.join(tmp, `keys-${++counter}.json`);
  const json = { encryptWith, keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, b64(v)])) };
  writeFileSync(file, JSON.stringify(json));
  return file;
}
const config = (env: Record<string, string>) =>
  loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_LOCAL_DATA_DIR: emptyDataDir(), ...env } });

/** The one codec of a choice, and the key id it encrypts with (read back from an encoded payload). */
async function encryptingKeyId(choice: ReturnType<typeof createDataConverter>): Promise<string> {
  const codecs = choice.dataConverter.payloadCodecs ?? [];
  assert.equal(codecs.length, 1);
  assert.ok(codecs[0] instanceof AesGcmPayloadCodec);
  const [enc] = await codecs[0].encode([defaultPayloadConverter.toPayload({ pin: '123456' })]);
  const [dec] = await codecs[0].decode([enc!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(dec!), { pin: '123456' });
  return Buffer.from(enc!.metadata![KEY_ID_METADATA]!).toString('utf8');
}

test('WA_ENCRYPTION_KEYS in the env passed in gives one AES-GCM codec with the first key encrypting', async () => {
  const choice = createDataConverter(config({}), { WA_ENCRYPTION_KEYS: `k2=${b64(K2)},k1=${b64(K1)}` });
  assert.equal(choice.keyring?.encryptWith, 'k2');
  assert.equal(choice.keyring?.source, 'WA_ENCRYPTION_KEYS');
  assert.equal(choice.keyring?.keys.size, 2);
  assert.equal(await encryptingKeyId(choice), 'k2');
});

test('a key file via WA_SECURITY_ENCRYPTION_KEY_FILE gives one codec with its encryptWith key', async () => {
  const file = writeKeyFile('k1', { k1: K1, k2: K2 });
  const choice = createDataConverter(config({ WA_SECURITY_ENCRYPTION_KEY_FILE: file }), {});
  assert.equal(choice.keyring?.source, file);
  assert.equal(choice.keyring?.encryptWith, 'k1');
  assert.equal(await encryptingKeyId(choice), 'k1');
});

test('without any key the data converter is refused naming WA_ENCRYPTION_KEYS and allowUnencrypted', () => {
  const cfg = config({});
  assert.equal(loadKeyring(cfg, {}), undefined);
  assert.throws(
    () => createDataConverter(cfg, {}),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /WA_ENCRYPTION_KEYS/);
      assert.match(err.message, /allowUnencrypted/);
      assert.match(err.message, /WA_SECURITY_ALLOW_UNENCRYPTED/);
      return true;
    },
  );
});

test('an empty or blank WA_ENCRYPTION_KEYS counts as no key', () => {
  for (const value of ['', '   ']) {
    assert.throws(() => createDataConverter(config({}), { WA_ENCRYPTION_KEYS: value }), ConfigError);
  }
});

test('the key env var is the one security.encryptionKeysEnv names', async () => {
  const cfg = config({ WA_SECURITY_ENCRYPTION_KEYS_ENV: 'MY_KEYS' });
  assert.throws(() => createDataConverter(cfg, { WA_ENCRYPTION_KEYS: `k1=${b64(K1)}` }), /MY_KEYS/);
  const choice = createDataConverter(cfg, { MY_KEYS: `mine=${b64(K1)}` });
  assert.equal(choice.keyring?.source, 'MY_KEYS');
  assert.equal(await encryptingKeyId(choice), 'mine');
});

test('WA_SECURITY_ALLOW_UNENCRYPTED=true without a key gives no codecs', () => {
  const choice = createDataConverter(config({ WA_SECURITY_ALLOW_UNENCRYPTED: 'true' }), {});
  assert.equal(choice.keyring, undefined);
  assert.equal(choice.dataConverter.payloadCodecs?.length ?? 0, 0);
});

test('allowUnencrypted does not turn encryption off when a key is configured', async () => {
  const choice = createDataConverter(config({ WA_SECURITY_ALLOW_UNENCRYPTED: 'true' }), {
    WA_ENCRYPTION_KEYS: `k1=${b64(K1)}`,
  });
  assert.equal(await encryptingKeyId(choice), 'k1');
});

test("the local stack's key file in <WA_LOCAL_DATA_DIR>/encryption-key.json is used when nothing else is", async () => {
  const dataDir = emptyDataDir();
  const cfg = loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_LOCAL_DATA_DIR: dataDir } });
  const file = localKeyFile(cfg);
  assert.equal(file, path.join(dataDir, 'encryption-key.json'));
  assert.throws(() => createDataConverter(cfg, {}), ConfigError);
  assert.equal(ensureKeyFile(file), true);
  const choice = createDataConverter(cfg, {});
  assert.equal(choice.keyring?.source, file);
  assert.equal(await encryptingKeyId(choice), 'local-1');
});

test('the env var beats the key file, and the key file beats the local key', async () => {
  const dataDir = emptyDataDir();
  ensureKeyFile(path.join(dataDir, 'encryption-key.json'));
  const file = writeKeyFile('from-file', { 'from-file': K2 });
  const cfg = loadConfig({
    file: DEFAULT_CONFIG_FILE,
    env: { WA_LOCAL_DATA_DIR: dataDir, WA_SECURITY_ENCRYPTION_KEY_FILE: file },
  });
  const fromEnv = createDataConverter(cfg, { WA_ENCRYPTION_KEYS: `from-env=${b64(K1)}` });
  assert.equal(fromEnv.keyring?.source, 'WA_ENCRYPTION_KEYS');
  assert.equal(await encryptingKeyId(fromEnv), 'from-env');
  assert.equal(fromEnv.keyring?.keys.has('from-file'), false);

  const fromFile = createDataConverter(cfg, {});
  assert.equal(fromFile.keyring?.source, file);
  assert.equal(await encryptingKeyId(fromFile), 'from-file');
});

test('a malformed key in the env or a missing configured key file stops start-up', () => {
  const short = b64(randomBytes(16));
  assert.throws(
    () => createDataConverter(config({}), { WA_ENCRYPTION_KEYS: `k1=${short}` }),
    (err: unknown) =>
      err instanceof EncryptionKeyError && /"k1"/.test(err.message) && !err.message.includes(short),
  );
  const missing = path.join(tmp, 'no-such-key-file.json');
  assert.throws(
    () => createDataConverter(config({ WA_SECURITY_ENCRYPTION_KEY_FILE: missing }), {}),
    (err: unknown) => err instanceof EncryptionKeyError && err.message.includes(missing),
  );
});
