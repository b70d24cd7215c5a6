// This package's name and version, from its package.json: found by walking up from this file, so it works
// from the sources and from a build in dist/ alike.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const NAME = 'whatsapp-number-lifecycle';

export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === NAME && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return '0.0.0-unknown';
  }
}
