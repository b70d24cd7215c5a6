// platform/security/encryption-keys.ts: the WA_ENCRYPTION_KEYS list, key files, and the local stack's
// generated key. Every error names the key id and never shows the key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EncryptionKeyError,
  ensureKeyFile,
  keyFileExists,
  parseKeyList,
  readKeyFile,
} from '../../../platform/security/encryption-keys';

const tmp = mkdtempSync(path.join(tmpdir(), 'wa-keys-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const WHERE = 'WA_ENCRYPTION_KEYS';
const K1 = randomBytes(32);
const K2 = randomBytes(32);
const b64 = (b: Buffer) => b.toString('base64');

let counter = 0;
function writeTemp(content: string): string {
  const file = path.join(tmp, `keys-${++counter}.json`);
  writeFileSync(file, content);
  return file;
}

/** Runs fn, asserts it throws an EncryptionKeyError without any of the secrets, returns its message. */
function keyErrorOf(fn: () => unknown, secrets: string[] = []): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof EncryptionKeyError, `expected an EncryptionKeyError, got ${String(caught)}`);
  assert.equal(caught.name, 'EncryptionKeyError');
  for (const secret of secrets) {
    assert.ok(!caught.message.includes(secret), `message "${caught.message}" shows key text "${secret}"`);
  }
  return caught.message;
}

test('a list of two keys: the first encrypts, both are loaded', () => {
  const ring = parseKeyList(`k2=${b64(K2)},k1=${b64(K1)}`, WHERE);
  assert.equal(ring.encryptWith, 'k2');
  assert.deepEqual([...ring.keys.keys()], ['k2', 'k1']);
  assert.ok(ring.keys.get('k1')!.equals(K1));
  assert.ok(ring.keys.get('k2')!.equals(K2));
  assert.equal(ring.source, WHERE);
});

test('a single key, and whitespace and empty entries around the list, are accepted', () => {
  const one = parseKeyList(`prod-2024.a_1=${b64(K1)}`, WHERE);
  assert.equal(one.encryptWith, 'prod-2024.a_1');
  assert.equal(one.keys.size, 1);
  const spaced = parseKeyList(`  k1=${b64(K1)}  , ,k2=${b64(K2)}, `, WHERE);
  assert.equal(spaced.encryptWith, 'k1');
  assert.deepEqual([...spaced.keys.keys()], ['k1', 'k2']);
  assert.ok(spaced.keys.get('k1')!.equals(K1));
});

test('a 16-byte key: the message names the id, 32 bytes and the actual length', () => {
  const short = b64(randomBytes(16));
  const message = keyErrorOf(() => parseKeyList(`k1=${b64(K1)},short=${short}`, WHERE), [short]);
  assert.match(message, /^WA_ENCRYPTION_KEYS: /);
  assert.match(message, /"short"/);
  assert.match(message, /32 bytes/);
  assert.match(message, /got 16 bytes/);
});

test('a 64-byte key is refused with its length', () => {
  const long = b64(randomBytes(64));
  const message = keyErrorOf(() => parseKeyList(`big=${long}`, WHERE), [long]);
  assert.match(message, /"big".*32 bytes.*got 64 bytes/);
});

test('a key that is not base64 is refused without showing it', () => {
  const message = keyErrorOf(() => parseKeyList('k1=%%%', WHERE), ['%%%']);
  assert.match(message, /"k1"/);
  assert.match(message, /base64/);
});

test('unpadded, url-safe or garbage key text is refused without showing it', () => {
  const unpadded = b64(K1).replace(/=+$/, '');
  const urlSafe = Buffer.alloc(32, 0xff).toString('base64url') + '='; // padded, but '_' for '/'
  const cases = [unpadded, urlSafe, 'not a key at all', 'A===', 'zz', `${b64(K1)}extra`];
  for (const text of cases) {
    const message = keyErrorOf(() => parseKeyList(`k1=${text}`, WHERE), [text]);
    assert.match(message, /"k1"/, text);
  }
  assert.match(urlSafe, /_/);
});

test('an empty list is refused with the expected format', () => {
  for (const text of ['', '   ', ',', ' , , ']) {
    const message = keyErrorOf(() => parseKeyList(text, WHERE));
    assert.match(message, /WA_ENCRYPTION_KEYS: no keys/);
    assert.match(message, /id=base64/);
  }
});

test('an entry without "=" or without an id is refused without showing it', () => {
  const secret = b64(K1);
  for (const text of [secret.replace(/=/g, ''), `=${secret}`, `k1=${b64(K2)},${secret.replace(/=/g, '')}`]) {
    const message = keyErrorOf(() => parseKeyList(text, WHERE), [secret.replace(/=/g, ''), b64(K2)]);
    assert.match(message, /id=base64/);
  }
});

test('a duplicate id is refused naming it', () => {
  const message = keyErrorOf(() => parseKeyList(`k1=${b64(K1)},k1=${b64(K2)}`, WHERE), [b64(K1), b64(K2)]);
  assert.match(message, /"k1" appears twice/);
});

test('a bad key id is refused naming the rule', () => {
  for (const id of ['k 1', 'k/1', 'ключ', 'x'.repeat(65)]) {
    const message = keyErrorOf(() => parseKeyList(`${id}=${b64(K1)}`, WHERE), [b64(K1)]);
    assert.match(message, /key id/, id);
    assert.match(message, /1-64/, id);
  }
  // 64 characters is still fine.
  assert.equal(parseKeyList(`${'x'.repeat(64)}=${b64(K1)}`, WHERE).keys.size, 1);
});

test('a valid key file: encryptWith picks the encrypting key, all keys load', () => {
  const file = writeTemp(JSON.stringify({ encryptWith: 'k2', keys: { k1: b64(K1), k2: b64(K2) } }));
  const ring = readKeyFile(file);
  assert.equal(ring.encryptWith, 'k2');
  assert.equal(ring.source, file);
  assert.ok(ring.keys.get('k1')!.equals(K1));
  assert.ok(ring.keys.get('k2')!.equals(K2));
});

test('a key file whose encryptWith is not among its keys is refused naming it', () => {
  const file = writeTemp(JSON.stringify({ encryptWith: 'k9', keys: { k1: b64(K1) } }));
  const message = keyErrorOf(() => readKeyFile(file), [b64(K1)]);
  assert.ok(message.startsWith(file));
  assert.match(message, /encryptWith "k9" is not one of its keys/);
});

test('a key file with a bad key names the id and the file, not the key', () => {
  const short = b64(randomBytes(16));
  const file = writeTemp(JSON.stringify({ encryptWith: 'k1', keys: { k1: short } }));
  const message = keyErrorOf(() => readKeyFile(file), [short]);
  assert.ok(message.startsWith(file));
  assert.match(message, /"k1".*got 16 bytes/);
});

test('a key file that is not JSON, or missing, is refused naming the file', () => {
  const bad = writeTemp('{ this is not json');
  assert.match(
    keyErrorOf(() => readKeyFile(bad)),
    /key file is not valid JSON/,
  );
  const missing = path.join(tmp, 'does-not-exist.json');
  const message = keyErrorOf(() => readKeyFile(missing));
  assert.ok(message.startsWith(missing));
  assert.match(message, /key file cannot be read/);
  assert.equal(keyFileExists(missing), false);
  assert.equal(keyFileExists(''), false);
  assert.equal(keyFileExists(bad), true);
});

test('a key file with an unquoted key does not echo the key in the JSON error', () => {
  // JSON.parse messages in Node 20 quote a window of the input around the error, so a hand-written file
  // that forgot the quotes around the key shows the first characters of the key in the start-up error.
  const key = b64(K1);
  const file = writeTemp(`{"encryptWith":"k1","keys":{"k1":${key}}}`);
  keyErrorOf(() => readKeyFile(file), [key.slice(0, 8)]);
});

test('a key file with an extra field, a wrong shape or non-string keys is refused naming the field', () => {
  const extra = writeTemp(JSON.stringify({ encryptWith: 'k1', keys: { k1: b64(K1) }, comment: 'x' }));
  assert.match(
    keyErrorOf(() => readKeyFile(extra), [b64(K1)]),
    /comment/,
  );
  const noKeys = writeTemp(JSON.stringify({ encryptWith: 'k1' }));
  assert.match(
    keyErrorOf(() => readKeyFile(noKeys)),
    /: keys: /,
  );
  const numeric = writeTemp(JSON.stringify({ encryptWith: 'k1', keys: { k1: 12345 } }));
  assert.match(
    keyErrorOf(() => readKeyFile(numeric), ['12345']),
    /keys\.k1/,
  );
  const array = writeTemp(JSON.stringify([b64(K1)]));
  assert.match(
    keyErrorOf(() => readKeyFile(array), [b64(K1)]),
    /\(root\)/,
  );
});

test('ensureKeyFile creates an owner-only file with a valid 32-byte key', () => {
  const file = path.join(tmp, 'nested', 'dir', 'encryption-key.json');
  assert.equal(ensureKeyFile(file), true);
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
  const ring = readKeyFile(file);
  assert.equal(ring.encryptWith, 'local-1');
  assert.equal(ring.keys.size, 1);
  assert.equal(ring.keys.get('local-1')!.length, 32);
  const json = JSON.parse(readFileSync(file, 'utf8')) as { keys: Record<string, string> };
  assert.deepEqual(Object.keys(json), ['encryptWith', 'keys']);

  const other = path.join(tmp, 'other-key.json');
  assert.equal(ensureKeyFile(other, 'custom'), true);
  assert.equal(readKeyFile(other).encryptWith, 'custom');
  assert.ok(!readKeyFile(other).keys.get('custom')!.equals(ring.keys.get('local-1')!), 'keys are random');
});

test('ensureKeyFile returns false and leaves an existing file unchanged', () => {
  const file = path.join(tmp, 'existing-key.json');
  assert.equal(ensureKeyFile(file), true);
  const before = readFileSync(file, 'utf8');
  assert.equal(ensureKeyFile(file), false);
  assert.equal(readFileSync(file, 'utf8'), before);

  const foreign = writeTemp('not even json');
  assert.equal(ensureKeyFile(foreign), false);
  assert.equal(readFileSync(foreign, 'utf8'), 'not even json');
});
