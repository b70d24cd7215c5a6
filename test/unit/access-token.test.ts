// platform/access-token.ts: the worker's Graph token, from its env var or a file read again when it
// changes (a rotated token applies at the next call, no restart). Real files in a temporary folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { accessTokenSource } from '../../platform/access-token';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../../platform/config';

const OLD = 'EAAB-old-secret-token-1';
const NEW = 'EAAB-new-secret-token-2';

function tokenFile(t: TestContext, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wa-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'graph-token');
  writeFileSync(file, content);
  return file;
}

const withFile = (file: string) =>
  loadConfig({ file: DEFAULT_CONFIG_FILE, env: { WA_GRAPH_ACCESS_TOKEN_FILE: file } });

test('from the env var: the token, trimmed; the origin names the variable, never the token', () => {
  const source = accessTokenSource(loadConfig({ file: DEFAULT_CONFIG_FILE, env: {} }), {
    WA_GRAPH_ACCESS_TOKEN: ` ${OLD}\n`,
  });
  assert.equal(source.current(), OLD);
  assert.match(source.origin, /environment variable WA_GRAPH_ACCESS_TOKEN/);
  assert.doesNotMatch(source.origin, /EAAB/);
  assert.throws(() => accessTokenSource(loadConfig({ file: DEFAULT_CONFIG_FILE, env: {} }), {}), ConfigError);
});

test('from a file: rewritten in place, the next call reads the new token; onChange is told once', (t) => {
  const file = tokenFile(t, `${OLD}\n`);
  let changes = 0;
  const source = accessTokenSource(withFile(file), {}, () => changes++);
  assert.equal(source.current(), OLD);
  assert.equal(source.current(), OLD);
  assert.equal(changes, 0, 'same token, no change reported');
  writeFileSync(file, `${NEW}\n`);
  assert.equal(source.current(), NEW);
  assert.equal(source.current(), NEW);
  assert.equal(changes, 1);
  assert.match(source.origin, new RegExp(`the file ${file}`));
  assert.doesNotMatch(source.origin, /EAAB/);
});

test('from a file replaced by rename (how secret mounts rotate): the new token', (t) => {
  const file = tokenFile(t, OLD);
  const source = accessTokenSource(withFile(file), {});
  assert.equal(source.current(), OLD);
  const next = `${file}.next`;
  writeFileSync(next, NEW);
  renameSync(next, file);
  assert.equal(source.current(), NEW);
});

test('a file emptied or removed half-way through a rotation keeps the last token, then takes the new one', (t) => {
  const file = tokenFile(t, OLD);
  const source = accessTokenSource(withFile(file), {});
  writeFileSync(file, '');
  assert.equal(source.current(), OLD, 'empty: the writer is not done yet');
  rmSync(file);
  assert.equal(source.current(), OLD, 'gone for a moment');
  writeFileSync(file, NEW);
  assert.equal(source.current(), NEW);
});

test('a same-length token rewritten with the same mtime is still seen', (t) => {
  const file = tokenFile(t, OLD);
  const source = accessTokenSource(withFile(file), {});
  const stamp = new Date(Date.now() - 100);
  utimesSync(file, stamp, stamp);
  assert.equal(source.current(), OLD);
  writeFileSync(file, NEW); // same length as OLD
  utimesSync(file, stamp, stamp); // a coarse clock: the same mtime as before
  assert.equal(source.current(), NEW, 'size and mtime alone would have missed it');
});

test('a missing or empty file at start is a ConfigError naming the file, never a token', (t) => {
  const file = tokenFile(t, '  \n');
  for (const f of [file, `${file}.missing`]) {
    assert.throws(
      () => accessTokenSource(withFile(f), { WA_GRAPH_ACCESS_TOKEN: OLD }),
      (err: unknown) => err instanceof ConfigError && err.message.includes(f) && !err.message.includes(OLD),
    );
  }
});
