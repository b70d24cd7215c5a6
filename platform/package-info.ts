// This package's folder, name and version, from its package.json: found by walking up from this file, so
// it works from the sources (platform/) and from a build (dist/platform/) alike.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const NAME = 'whatsapp-number-lifecycle';

function findPackage(): { dir: string; version?: string } | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === NAME) return { dir, ...(pkg.version ? { version: pkg.version } : {}) };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

const found = findPackage();

/** The folder holding package.json and temporal.yaml (not dist/ when running from a build). */
export const PACKAGE_ROOT = found?.dir ?? path.resolve(__dirname, '..');

export function packageVersion(): string {
  return found?.version ?? '0.0.0-unknown';
}
