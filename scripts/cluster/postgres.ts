// The cluster's PostgreSQL: its own data folder, TCP on 127.0.0.1 only (no Unix socket), a password
// login for the `temporal` superuser, run as an unprivileged account when we are root.
import { type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exited, run, spawnLogged, tail, terminate } from './processes';
import type { PgAccount } from './tools';

export const PG_USER = 'temporal';

export interface PgSettings {
  binDir: string;
  dataDir: string;
  logFile: string;
  port: number;
  password: string;
  account: PgAccount | undefined;
}

export interface RunningPostgres {
  process: ChildProcess;
  stop(): Promise<void>;
}

function owned(target: string, account: PgAccount | undefined) {
  if (account) chownSync(target, account.uid, account.gid);
}

/** initdb into an empty data folder (created here, owned by the PostgreSQL account). */
export async function initPostgres(s: PgSettings): Promise<void> {
  mkdirSync(s.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(s.dataDir, 0o700);
  owned(s.dataDir, s.account);
  const cwd = path.dirname(s.dataDir);
  // The account must reach the folder: a cluster under /root (mode 700) cannot work.
  await run('test', ['-w', s.dataDir, '-a', '-x', s.dataDir], { cwd: '/', account: s.account }).catch(() => {
    throw new Error(
      `PostgreSQL's account ${s.account?.name ?? '(current user)'} cannot reach ${s.dataDir}: ` +
        'put the cluster in a folder every user can traverse (e.g. under /tmp).',
    );
  });
  const pwFile = path.join(cwd, '.pg-password');
  writeFileSync(pwFile, `${s.password}\n`, { mode: 0o600 });
  owned(pwFile, s.account);
  try {
    const args = ['-D', s.dataDir, '-U', PG_USER, `--pwfile=${pwFile}`, '--auth=scram-sha-256'];
    await run(path.join(s.binDir, 'initdb'), [...args, '-E', 'UTF8', '--locale=C', '--no-sync'], {
      cwd,
      account: s.account,
      timeoutMs: 120_000,
    });
  } finally {
    rmSync(pwFile, { force: true });
  }
}

/** Starts the postmaster and waits until it accepts connections. */
export async function startPostgres(s: PgSettings, timeoutMs = 60_000): Promise<RunningPostgres> {
  const args = ['-D', s.dataDir, '-p', String(s.port), '-c', 'listen_addresses=127.0.0.1'];
  // No Unix socket (its path would depend on a system folder); enough connections for 4 services' pools.
  args.push('-c', 'unix_socket_directories=', '-c', 'max_connections=200');
  const child = spawnLogged(path.join(s.binDir, 'postgres'), args, s.logFile, {
    cwd: path.dirname(s.dataDir),
    account: s.account,
  });
  const ended = exited(child);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await Promise.race([ended.then((code) => ({ code })), ready(s).then((ok) => ({ ok }))]);
    if ('code' in state) {
      throw new Error(
        `PostgreSQL exited (${state.code}) while starting; its log ends with:\n${tail(s.logFile) || '(empty)'}`,
      );
    }
    if (state.ok) break;
    if (Date.now() > deadline) {
      await terminate(child, 'SIGQUIT', 5_000);
      throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms:\n${tail(s.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, stop: () => stopPostgres(s, child) };
}

async function ready(s: PgSettings): Promise<boolean> {
  const args = ['-h', '127.0.0.1', '-p', String(s.port), '-U', PG_USER, '-d', 'postgres', '-t', '2'];
  return run(path.join(s.binDir, 'pg_isready'), args, { cwd: '/' }).then(
    () => true,
    () => false,
  );
}

/** `pg_ctl stop -m fast`, as the account that owns the data; SIGQUIT (immediate) if that fails. */
async function stopPostgres(s: PgSettings, child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref(); // unref'd while running; node must not exit before the exit is seen
  const done = exited(child);
  try {
    await run(path.join(s.binDir, 'pg_ctl'), ['stop', '-D', s.dataDir, '-m', 'fast', '-w', '-t', '30'], {
      cwd: path.dirname(s.dataDir),
      account: s.account,
      timeoutMs: 40_000,
    });
  } catch {
    await terminate(child, 'SIGQUIT', 5_000);
  }
  await done;
}

/** Runs SQL through psql as the `temporal` superuser. */
export async function psql(s: PgSettings, database: string, sql: string): Promise<string> {
  const args = ['-h', '127.0.0.1', '-p', String(s.port), '-U', PG_USER, '-d', database];
  return run(path.join(s.binDir, 'psql'), [...args, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], {
    cwd: '/',
    env: { ...process.env, PGPASSWORD: s.password },
  });
}

export function isInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'PG_VERSION'));
}
