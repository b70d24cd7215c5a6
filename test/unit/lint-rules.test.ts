// The lint rules actually fire: the ones that keep workflows/ deterministic, and the layout's boundaries
// between folders. A probe file with each forbidden thing is linted with the project's own ESLint config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { ROOT_DIR } from '../../platform/config';

const probe = `import { readFileSync } from 'node:fs';
import axios from 'axios';
export function probe(): number {
  setTimeout(() => undefined, 1);
  void readFileSync;
  void axios;
  void process.env.X;
  return Math.random() + Date.now() + new Date().getTime();
}
`;

test('workflow code may not use Node built-ins, axios, timers, process, randomness or the clock', async () => {
  const file = path.join(ROOT_DIR, 'workflows', `lint-probe-${process.pid}.ts`);
  writeFileSync(file, probe);
  try {
    const [result] = await new ESLint({ cwd: ROOT_DIR }).lintFiles([file]);
    const rules = (result?.messages ?? []).map((m) => `${m.line}:${m.ruleId}`).sort();
    assert.deepEqual(rules, [
      '1:no-restricted-imports',
      '2:no-restricted-imports',
      '4:no-restricted-globals',
      '7:no-restricted-globals',
      '8:no-restricted-properties',
      '8:no-restricted-properties',
      '8:no-restricted-syntax',
    ]);
  } finally {
    rmSync(file, { force: true });
  }
});

test('the same code outside workflows/ is allowed', async () => {
  const file = path.join(ROOT_DIR, 'activities', `lint-probe-${process.pid}.ts`);
  writeFileSync(file, probe);
  try {
    const [result] = await new ESLint({ cwd: ROOT_DIR }).lintFiles([file]);
    assert.deepEqual(
      result?.messages.map((m) => m.ruleId),
      [],
    );
  } finally {
    rmSync(file, { force: true });
  }
});

/** The rule IDs ESLint reports for `source` written as a probe file in `folder`. */
async function lintProbe(folder: string, source: string): Promise<string[]> {
  const file = path.join(ROOT_DIR, folder, `lint-probe-${process.pid}.ts`);
  writeFileSync(file, source);
  try {
    const [result] = await new ESLint({ cwd: ROOT_DIR }).lintFiles([file]);
    return (result?.messages ?? []).map((m) => `${m.line}:${m.ruleId}:${m.message.split(':')[0]}`);
  } finally {
    rmSync(file, { force: true });
  }
}

test('the layout boundaries: plumbing, the client library, the CLI and the API import only what they may', async () => {
  const imports = (...specs: string[]) =>
    specs.map((s, i) => `import * as m${i} from '${s}';\nvoid m${i};`).join('\n') + '\n';
  const platform = await lintProbe(
    'platform',
    imports('../worker/create-worker', '../client', '../domain/ledger'),
  );
  assert.equal(platform.length, 2, platform.join('\n'));
  assert.ok(platform.every((m) => m.includes('platform/ is plumbing shared')));
  const client = await lintProbe('client', imports('../cli/program', '../api/server', '../platform/config'));
  assert.equal(client.length, 2, client.join('\n'));
  const cli = await lintProbe(
    'cli',
    imports('../api/server', '../worker/main', '../client', '@temporalio/client'),
  );
  assert.equal(cli.length, 2, cli.join('\n'));
  const api = await lintProbe('api', imports('../cli/program', '../activities', '../client'));
  assert.equal(api.length, 2, api.join('\n'));
  const workflow = await lintProbe('workflows', imports('../platform/config'));
  assert.deepEqual(
    workflow.map((m) => m.split(':').slice(0, 2).join(':')),
    ['1:no-restricted-imports'],
  );
});
