// A fleet stores what its numbers' requests share once (Temporal's payload limit), and carries outcomes as
// tuples: both must come back exactly as they went in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compactOutcome,
  expandOutcome,
  MAX_FLEET_REASON,
  packMembers,
  packOutcomes,
  unpackMembers,
  unpackOutcomes,
  type FleetMember,
  type FleetNumberOutcome,
} from '../../domain/fleet';

const migrate = (id: string, pin: string, url: string): FleetMember => ({
  phoneNumberId: id,
  request: {
    operation: 'migrate',
    pin,
    onPrem: { url, username: 'admin', password: 'pw' },
    backupPassword: 'backup',
  },
});

test('packMembers stores shared fields once and unpackMembers restores every request exactly', () => {
  const members = [
    migrate('1', '111111', 'https://a:1'),
    migrate('2', '222222', 'https://b:1'),
    migrate('3', '111111', 'https://c:1'),
  ];
  const packed = packMembers(members);
  assert.deepEqual(packed.shared, {
    operation: 'migrate',
    'onPrem.username': 'admin',
    'onPrem.password': 'pw',
    backupPassword: 'backup',
  });
  assert.deepEqual(packed.numbers[1], ['2', { pin: '222222', 'onPrem.url': 'https://b:1' }]);
  assert.deepEqual(unpackMembers(packed), members);
});

test('a field only some numbers have stays with those numbers; null and arrays are kept as values', () => {
  const members: FleetMember[] = [
    { phoneNumberId: '1', request: { operation: 'change-region', region: null, pin: '123456' } },
    { phoneNumberId: '2', request: { operation: 'change-region', region: 'DE', pin: '123456', wabaId: '9' } },
  ];
  const packed = packMembers(members);
  assert.deepEqual(packed.shared, { operation: 'change-region', pin: '123456' });
  assert.deepEqual(unpackMembers(packed), members);
  assert.deepEqual(unpackMembers(packMembers([])), []);
});

test('packing 5,000 migrate requests takes a fraction of the unpacked size', () => {
  const members = Array.from({ length: 5000 }, (_, i) =>
    migrate(String(8_000_000_000 + i), String(100000 + i), `https://onprem-${i}.example.com:9090`),
  );
  const packedBytes = JSON.stringify(packMembers(members)).length;
  const plainBytes = JSON.stringify(members).length;
  assert.ok(packedBytes < plainBytes * 0.6, `${packedBytes} vs ${plainBytes}`);
});

test('compact outcomes expand back to the same outcome', () => {
  const outcomes: FleetNumberOutcome[] = [
    { phoneNumberId: '1', status: 'pending' },
    { phoneNumberId: '2', status: 'completed', operationId: 'phone-number:2:register:3' },
    {
      phoneNumberId: '3',
      status: 'failed',
      operationId: 'phone-number:3:register:1',
      reason: 'wrong PIN',
      failureType: 'PinMismatch',
    },
    { phoneNumberId: '4', status: 'failed', reason: 'refused', failureType: 'Rejected' },
  ];
  const roundTrip = outcomes.map((o) =>
    expandOutcome(JSON.parse(JSON.stringify(compactOutcome(o))), 'register'),
  );
  assert.deepEqual(roundTrip, outcomes);
});

test('packed outcomes come back exactly; each distinct reason is stored once, without the number in it', () => {
  const outcomes: FleetNumberOutcome[] = ['11', '12', '13'].map((id) => ({
    phoneNumberId: id,
    status: 'failed',
    operationId: `phone-number:${id}:register:1`,
    reason: `POST /${id}/register: (#133005) Two step verification PIN Mismatch`,
    failureType: 'GraphPinMismatch',
  }));
  outcomes.push({ phoneNumberId: '14', status: 'completed', operationId: 'phone-number:14:register:2' });
  const packed = JSON.parse(JSON.stringify(packOutcomes(outcomes))) as ReturnType<typeof packOutcomes>;
  assert.equal(packed.reasons.length, 1);
  assert.deepEqual(unpackOutcomes(packed, 'register'), outcomes);
});

test("a 10,000-number fleet where every number fails with Meta's longest text packs far below the 2 MB limit", () => {
  // Meta's error texts run to a few hundred characters (error_user_msg, error_data.details); take 2,000.
  const metaText =
    'The PIN in the request does not match the two-step verification PIN of this phone number. '.repeat(23);
  const outcomes: FleetNumberOutcome[] = Array.from({ length: 10_000 }, (_, i) => {
    const id = String(5_550_000_000 + i);
    return {
      phoneNumberId: id,
      status: 'failed',
      operationId: `phone-number:${id}:migrate:1`,
      // Each number's message names the number, and some carry a trace ID of their own.
      reason: `POST /${id}/register: (#133005) ${metaText} (fbtrace ${i % 7})`,
      failureType: 'GraphPinMismatch',
    };
  });
  const bytes = Buffer.byteLength(JSON.stringify(packOutcomes(outcomes)));
  assert.ok(bytes < 700_000, `packed outcomes take ${bytes} bytes`);
  const unpacked = unpackOutcomes(packOutcomes(outcomes), 'migrate');
  assert.ok(
    unpacked.every(
      (o, i) => o.reason!.length <= MAX_FLEET_REASON && o.reason!.includes(outcomes[i]!.phoneNumberId),
    ),
  );
});
