// Where the Temporal servers come from, in the same order as scripts/provision-temporal.sh:
// an explicit env var, the project's .tools/ cache, a `temporal` on PATH, else the SDK's own download.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

const root = path.resolve(__dirname, '..');
export const CLI_VERSION = '1.5.1';
export const TEST_SERVER_VERSION = '1.38.0';

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function temporalCliExecutable(): ServerExecutable {
  const candidates = [
    process.env.TEMPORAL_CLI_PATH,
    path.join(root, '.tools', `temporal-cli-${CLI_VERSION}`, 'temporal'),
    onPath('temporal'),
  ];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  return found ? { type: 'existing-path', path: found } : { type: 'cached-download' };
}

export function timeSkippingServerExecutable(): ServerExecutable {
  const candidates = [
    process.env.TEMPORAL_TEST_SERVER_PATH,
    path.join(root, '.tools', `temporal-test-server-${TEST_SERVER_VERSION}`, 'temporal-test-server'),
  ];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  return found ? { type: 'existing-path', path: found } : { type: 'cached-download' };
}
