// platform/security/payload-codec.ts: AES-256-GCM round trips, no plaintext on the wire, key rotation,
// unknown keys, tampering, and payloads written before encryption was turned on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { EncryptionKeyring } from '../../../platform/security/encryption-keys';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
} from '../../../platform/security/payload-codec';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const K3 = randomBytes(32);

function keyring(encryptWith: string, keys: Record<string, Buffer>): EncryptionKeyring {
  return { encryptWith, keys: new Map(Object.entries(keys)), source: 'test' };
}

const ringA = keyring('k1', { k1: K1 });
const ringB = keyring('k2', { k1: K1, k2: K2 });

const PIN = '482913';
const values: unknown[] = [
  'plain string',
  '',
  { phoneNumberId: '1234567890', pin: PIN, region: 'DE' },
  { nested: { list: [1, 2, 3], pin: PIN }, ok: true },
  [],
  null,
  undefined,
];
const toPayload = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const latin1 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('latin1');
const meta = (p: Payload, key: string) => {
  const v = p.metadata?.[key];
  return v ? Buffer.from(v).toString('utf8') : undefined;
};

/** Compares two payloads by their metadata and data bytes (protobuf objects are class instances). */
function assertSamePayload(actual: Payload, expected: Payload) {
  const norm = (p: Payload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v ?? new Uint8Array()).toString('hex'),
      ]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('hex'),
  });
  assert.deepEqual(norm(actual), norm(expected));
}

async function rejection(promise: Promise<unknown>): Promise<Error & { type?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { type?: string };
  }
  assert.fail('expected a rejection');
}

test('encode then decode round-trips strings, objects with a PIN, empty and null payloads', async () => {
  const codec = new AesGcmPayloadCodec(ringA);
  const payloads = values.map(toPayload);
  const encoded = await codec.encode(payloads);
  assert.equal(encoded.length, payloads.length);
  const decoded = await codec.decode(encoded);
  assert.equal(decoded.length, payloads.length);
  decoded.forEach((p, i) => {
    assertSamePayload(p, payloads[i]!);
    assert.deepEqual(defaultPayloadConverter.fromPayload(p), values[i]);
  });
});

test('encode of an empty list and decode of an empty list give empty lists', async () => {
  const codec = new AesGcmPayloadCodec(ringA);
  assert.deepEqual(await codec.encode([]), []);
  assert.deepEqual(await codec.decode([]), []);
});

test('encoded bytes and metadata do not contain the plaintext', async () => {
  const codec = new AesGcmPayloadCodec(ringA);
  const plain = toPayload({ pin: PIN, note: 'very-visible-marker' });
  assert.ok(latin1(plain.data).includes(PIN), 'precondition: the plain payload holds the PIN');
  const [enc] = await codec.encode([plain]);
  assert.ok(enc);
  for (const secret of [PIN, 'very-visible-marker', 'json/plain']) {
    assert.ok(!latin1(enc.data).includes(secret), `data contains ${secret}`);
    for (const [k, v] of Object.entries(enc.metadata ?? {})) {
      assert.ok(!k.includes(secret) && !latin1(v).includes(secret), `metadata ${k} contains ${secret}`);
    }
  }
  // IV (12) + ciphertext (>= protobuf of the plain payload) + tag (16).
  assert.ok(enc.data!.length >= 12 + 16 + 10);
});

test('encoded metadata says binary/encrypted and names the key id, nothing else', async () => {
  const [enc] = await new AesGcmPayloadCodec(ringB).encode([toPayload('x')]);
  assert.ok(enc);
  assert.equal(meta(enc, 'encoding'), ENCRYPTED_ENCODING);
  assert.equal(meta(enc, KEY_ID_METADATA), 'k2');
  assert.deepEqual(Object.keys(enc.metadata ?? {}).sort(), ['encoding', KEY_ID_METADATA].sort());
});

test('two encodings of the same payload differ (random IV) and both decode', async () => {
  const codec = new AesGcmPayloadCodec(ringA);
  const plain = toPayload({ pin: PIN });
  const [a] = await codec.encode([plain]);
  const [b] = await codec.encode([plain]);
  assert.ok(a && b);
  assert.notEqual(latin1(a.data), latin1(b.data));
  assert.notEqual(latin1(a.data).slice(0, 12), latin1(b.data).slice(0, 12), 'IVs differ');
  const [da, db] = await codec.decode([a, b]);
  assertSamePayload(da!, plain);
  assertSamePayload(db!, plain);
});

test('rotation: payloads from keyring A (k1) decode with keyring B (k2 encrypts, k1+k2 decrypt)', async () => {
  const oldCodec = new AesGcmPayloadCodec(ringA);
  const newCodec = new AesGcmPayloadCodec(ringB);
  const plain = values.map(toPayload);
  const old = await oldCodec.encode(plain);
  old.forEach((p) => assert.equal(meta(p, KEY_ID_METADATA), 'k1'));
  const decoded = await newCodec.decode(old);
  decoded.forEach((p, i) => assertSamePayload(p, plain[i]!));

  const fresh = await newCodec.encode(plain);
  fresh.forEach((p) => assert.equal(meta(p, KEY_ID_METADATA), 'k2'));
  (await newCodec.decode(fresh)).forEach((p, i) => assertSamePayload(p, plain[i]!));
  // The old keyring no longer reads what the new one writes.
  const err = await rejection(oldCodec.decode(fresh));
  assert.equal(err.type, 'UnknownEncryptionKey');
});

test('a payload with an unknown key id fails naming the id, without key material', async () => {
  const foreign = new AesGcmPayloadCodec(keyring('k3-retired', { 'k3-retired': K3 }));
  const [enc] = await foreign.encode([toPayload({ pin: PIN })]);
  const err = await rejection(new AesGcmPayloadCodec(ringB).decode([enc!]));
  assert.equal(err.type, 'UnknownEncryptionKey');
  assert.match(err.message, /"k3-retired"/);
  for (const key of [K1, K2, K3]) {
    assert.ok(!err.message.includes(key.toString('base64')), 'message holds a base64 key');
    assert.ok(!err.message.includes(key.toString('hex')), 'message holds a hex key');
  }
  assert.ok(!err.message.includes(PIN));
});

test('an encrypted payload without a key id fails as UnknownEncryptionKey', async () => {
  const [enc] = await new AesGcmPayloadCodec(ringA).encode([toPayload('x')]);
  const stripped: Payload = { metadata: { encoding: enc!.metadata!.encoding! }, data: enc!.data! };
  const err = await rejection(new AesGcmPayloadCodec(ringA).decode([stripped]));
  assert.equal(err.type, 'UnknownEncryptionKey');
});

test('a tampered ciphertext, IV or tag is rejected', async () => {
  const codec = new AesGcmPayloadCodec(ringA);
  const [enc] = await codec.encode([toPayload({ pin: PIN })]);
  const data = Buffer.from(enc!.data!);
  for (const index of [0, 12, Math.floor(data.length / 2), data.length - 1]) {
    const flipped = Buffer.from(data);
    flipped[index] = flipped[index]! ^ 0x01;
    await assert.rejects(codec.decode([{ metadata: enc!.metadata!, data: flipped }]), `byte ${index}`);
  }
  // A different key under the same id is also rejected.
  const impostor = new AesGcmPayloadCodec(keyring('k1', { k1: K2 }));
  await assert.rejects(impostor.decode([enc!]));
  // The untouched payload still decodes.
  assert.equal((await codec.decode([enc!])).length, 1);
});

test('a truncated ciphertext is rejected', async () => {
  const codec = new AesGcmPayloadCodec(ringA);
  const [enc] = await codec.encode([toPayload('hello')]);
  await assert.rejects(codec.decode([{ metadata: enc!.metadata!, data: enc!.data!.subarray(0, 20) }]));
  await assert.rejects(codec.decode([{ metadata: enc!.metadata!, data: new Uint8Array() }]));
});

test('a plain (unencrypted) payload passes through decode unchanged', async () => {
  const codec = new AesGcmPayloadCodec(ringA);
  const plain = toPayload({ pin: PIN });
  const [out] = await codec.decode([plain]);
  assert.equal(out, plain);
  assert.deepEqual(defaultPayloadConverter.fromPayload(out!), { pin: PIN });
  const noMeta: Payload = { data: Buffer.from('raw') };
  assert.equal((await codec.decode([noMeta]))[0], noMeta);
});

test('a batch mixing plain and encrypted payloads decodes each one', async () => {
  const codec = new AesGcmPayloadCodec(ringB);
  const plain = toPayload('legacy');
  const [enc] = await codec.encode([toPayload('new')]);
  const out = await codec.decode([plain, enc!]);
  assert.deepEqual(
    out.map((p) => defaultPayloadConverter.fromPayload(p)),
    ['legacy', 'new'],
  );
});
