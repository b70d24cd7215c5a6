// The one function that decides whether Meta's phone-number node says "registered", over every documented
// status × platform_type, plus missing and undocumented values (never guessed: unknown).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NUMBER_STATUSES, PLATFORM_TYPES, registrationOf } from '../../domain/registration';

const EXPECTED_ON_CLOUD: Record<(typeof NUMBER_STATUSES)[number], string> = {
  CONNECTED: 'registered',
  FLAGGED: 'registered',
  RESTRICTED: 'registered',
  RATE_LIMITED: 'registered',
  PENDING: 'not-registered',
  DISCONNECTED: 'not-registered',
  UNVERIFIED: 'not-registered',
  MIGRATED: 'not-registered',
  DELETED: 'not-registered',
  BANNED: 'unknown',
  UNKNOWN: 'unknown',
};

test('every documented status × platform_type has one answer', () => {
  const table: string[] = [];
  for (const platform of PLATFORM_TYPES) {
    for (const status of NUMBER_STATUSES) {
      const expected = platform === 'CLOUD_API' ? EXPECTED_ON_CLOUD[status] : 'not-registered';
      const got = registrationOf(status, platform);
      table.push(`${platform} ${status}: ${got}`);
      assert.equal(got, expected, `${platform} × ${status}`);
    }
  }
  assert.equal(table.length, PLATFORM_TYPES.length * NUMBER_STATUSES.length);
});

test('quality and limit states of a Cloud API number are registered (deregister must send)', () => {
  for (const status of ['FLAGGED', 'RESTRICTED', 'RATE_LIMITED'])
    assert.equal(registrationOf(status, 'CLOUD_API'), 'registered');
});

test('missing or undocumented values are unknown, never guessed', () => {
  assert.equal(registrationOf(undefined, undefined), 'unknown');
  assert.equal(registrationOf('CONNECTED', undefined), 'unknown');
  assert.equal(registrationOf(undefined, 'CLOUD_API'), 'unknown');
  assert.equal(registrationOf('CONNECTED_SOMEHOW', 'CLOUD_API'), 'unknown');
  assert.equal(registrationOf('CONNECTED', 'CLOUD_API_V2'), 'unknown');
  assert.equal(
    registrationOf('connected', 'CLOUD_API'),
    'unknown',
    'Meta sends upper case; another casing is undocumented',
  );
});
