// The lint rules that keep workflows/ deterministic actually fire: a probe file with each forbidden
// thing is linted with the project's own ESLint config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { ROOT_DIR } from '../../worker/config';

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
