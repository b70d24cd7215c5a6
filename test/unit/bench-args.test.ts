// `npm run bench` argument parsing: which sections run, and bad flags named before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SECTIONS, parseArgs, SECTIONS } from '../../bench/lib/common';

test('no section named: the default sections (fleet and waiting only on request)', () => {
  assert.deepEqual(parseArgs([], {}).only, [...DEFAULT_SECTIONS]);
  assert.ok(!DEFAULT_SECTIONS.includes('fleet') && !DEFAULT_SECTIONS.includes('waiting'));
});

test('"all" runs every section in one run', () => {
  assert.deepEqual(parseArgs(['all'], {}).only, [...SECTIONS]);
});

test('bare names and --only lists add up, without repeats', () => {
  assert.deepEqual(parseArgs(['fleet', '--only', 'history,fleet'], {}).only, ['fleet', 'history']);
});

test('fleet settings from flags and from BENCH_* env', () => {
  const fromEnv = parseArgs([], { BENCH_FLEET_NUMBERS: '200', BENCH_FLEET_LEVELS: '10,50' });
  assert.equal(fromEnv.fleetNumbers, 200);
  assert.deepEqual(fromEnv.fleetLevels, [10, 50]);
  assert.deepEqual(parseArgs(['--fleet-levels', '5,20'], {}).fleetLevels, [5, 20]);
});

test('an unknown section or option is refused with its name', () => {
  assert.throws(() => parseArgs(['--only', 'speed'], {}), /unknown section speed/);
  assert.throws(() => parseArgs(['--fast'], {}), /unknown option --fast/);
  assert.throws(() => parseArgs(['--numbers', '-3'], {}), /--numbers must be a non-negative number/);
});

test('waiting: the worker cache size from --waiting-cache or BENCH_WAITING_CACHE (0: the SDK default)', () => {
  assert.equal(parseArgs([], {}).waitingCache, 0);
  assert.equal(parseArgs(['--waiting-cache', '300'], {}).waitingCache, 300);
  assert.equal(parseArgs([], { BENCH_WAITING_CACHE: '500' }).waitingCache, 500);
});

test('fleet: --no-fleet-configured with --fleet-raised-cap measures only the raised cap', () => {
  const args = parseArgs(['fleet', '--fleet-raised-cap', '1000', '--no-fleet-configured'], {});
  assert.equal(args.fleetConfigured, false);
  assert.equal(args.fleetRaisedCap, 1000);
  assert.equal(parseArgs([], {}).fleetConfigured, true);
});

test("the floor's dev-server dynamic config: repeatable KEY=VALUE, anything else refused", () => {
  const args = parseArgs(
    [
      '--floor-dynamic-config',
      'matching.numTaskqueueReadPartitions=1',
      '--floor-dynamic-config=matching.numTaskqueueWritePartitions=1',
    ],
    {},
  );
  assert.deepEqual(args.floorDynamicConfig, [
    'matching.numTaskqueueReadPartitions=1',
    'matching.numTaskqueueWritePartitions=1',
  ]);
  assert.deepEqual(parseArgs([], {}).floorDynamicConfig, []);
  assert.throws(() => parseArgs(['--floor-dynamic-config', 'partitions'], {}), /must be KEY=VALUE/);
});
