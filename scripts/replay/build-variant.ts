// A second build of the product in a temporary folder: workflows/ and worker/ copied (so the worker's
// `require.resolve('../workflows')` finds the copy), every other top-level entry linked to the checkout, and
// text edits applied to the copied workflow files. The replay proof test uses it for an incompatible change
// and the same change behind patched(); the upgrade drill runs a worker from it as "build B".
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const COPIED = new Set(['workflows', 'worker']);
const SKIPPED = new Set(['.git', '.tools']);

export interface WorkflowEdit {
  /** File under workflows/, e.g. 'lifecycle.ts'. */
  file: string;
  /** Text that must occur exactly once in it. */
  find: string;
  replace: string;
}

export interface BuildVariant {
  dir: string;
  /** Resolvable workflows path of the copy (for bundleWorkflowCode / Worker options). */
  workflowsPath: string;
  remove(): void;
}

export function makeBuildVariant(name: string, edits: WorkflowEdit[]): BuildVariant {
  const dir = mkdtempSync(path.join(os.tmpdir(), `wa-build-${name}-`));
  for (const entry of readdirSync(ROOT)) {
    if (SKIPPED.has(entry)) continue;
    const from = path.join(ROOT, entry);
    const to = path.join(dir, entry);
    if (COPIED.has(entry)) cpSync(from, to, { recursive: true });
    else symlinkSync(from, to);
  }
  for (const edit of edits) {
    const file = path.join(dir, 'workflows', edit.file);
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf(edit.find);
    if (at < 0 || text.indexOf(edit.find, at + 1) >= 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`build ${name}: "${edit.find}" must occur exactly once in workflows/${edit.file}`);
    }
    writeFileSync(file, text.slice(0, at) + edit.replace + text.slice(at + edit.find.length));
  }
  return {
    dir,
    workflowsPath: path.join(dir, 'workflows', 'index.ts'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
