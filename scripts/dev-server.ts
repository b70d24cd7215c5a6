// Starts the Temporal CLI's dev server (SQLite-backed, Web UI) as a child process, for `npm start`,
// benchmarks and drills. Tests use @temporalio/testing's createLocal with the same binary instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { ensureSearchAttributes } from '../platform/search-attributes';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort?: number; // omitted: headless
  dbFile?: string; // omitted: in memory
  namespace: string;
  extraArgs?: string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface RunningDevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The `temporal server start-dev` arguments: loopback, our search attributes, no version check. */
export function devServerArgs(options: Omit<DevServerOptions, 'cliPath'>): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port)];
  args.push('--namespace', options.namespace, '--log-level', options.logLevel ?? 'error');
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    args.push('--search-attribute', `${key.name}=${key.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`);
  }
  // Offline: do not phone home for version checks.
  args.push(
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    ...(options.extraArgs ?? []),
  );
  return args;
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = devServerArgs(options);
  // Own process group: a terminal's Ctrl-C reaches us, and we stop the server last, after the worker.
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${options.port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      // A reused SQLite file keeps the search attributes it was created with: register ours anyway.
      await ensureSearchAttributes(connection, options.namespace);
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not start within 60 s: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', killOnExit);
    },
  };
}
