// The worker's process environment (worker/process-env.ts) is set by every launcher we ship: the image's
// runtime stage and `npm run start:worker`, each letting an operator's own value win.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseRuntimeStage, ROOT } from '../helpers/runtime-layout';
import { WORKER_PROCESS_ENV } from '../../worker/process-env';

const entries = Object.entries(WORKER_PROCESS_ENV);

test('the image sets the worker process environment in its runtime stage', () => {
  const stage = parseRuntimeStage(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  assert.ok(entries.length > 0);
  for (const [name, value] of entries) assert.equal(stage.env[name], value, `Dockerfile runtime ENV ${name}`);
});

test('npm run start:worker sets it too, unless the operator already did', () => {
  const script = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['start:worker'];
  // The script's prefix, run by sh as npm runs it, with `node …` replaced by printing what node would see.
  const prefix = script.replace(/\bnode dist\/worker\/main\.js$/, '');
  assert.notEqual(prefix, script, 'start:worker runs node dist/worker/main.js');
  const seen = (env: NodeJS.ProcessEnv) =>
    execFileSync('sh', ['-c', `${prefix} env`], { env: { PATH: process.env.PATH, ...env } }).toString();
  for (const [name, value] of entries) {
    assert.match(seen({}), new RegExp(`^${name}=${value}$`, 'm'));
    assert.match(seen({ [name]: '7' }), new RegExp(`^${name}=7$`, 'm'));
  }
});
