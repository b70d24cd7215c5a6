// Process plumbing for the cluster: free ports, long-lived children logging to files, one-shot tools
// whose failure carries their output, and a watchdog that cleans up if this process dies first.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, existsSync } from 'node:fs';
import net from 'node:net';

/** A port that was free on 127.0.0.1 a moment ago (the caller retries if someone takes it meanwhile). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port in [20000, 32767]: below Linux's ephemeral range (so no outgoing connection holds it when a
 * restarted server wants it back), and within PostgreSQL's SMALLINT, the type of the membership table's
 * rpc_port column: temporal-server dies at start ("out of range for type smallint") on a port above 32767.
 */
export async function freeServerPort(exclude: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (!exclude.has(port) && (await isPortFree(port))) return port;
  }
  throw new Error('no free port in 20000-32767 after 200 tries');
}

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The last `lines` lines of a log file ('' when there is none), each cut at 600 characters (stack traces). */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd();
  const cut = (line: string) => (line.length > 600 ? `${line.slice(0, 600)}…` : line);
  return text.split('\n').slice(-lines).map(cut).join('\n');
}

export interface Account {
  uid: number;
  gid: number;
}

/**
 * Starts a long-lived process with stdout and stderr appended to `logFile`. Detached: a terminal's
 * Ctrl-C reaches only us, and we stop the children in order.
 */
export function spawnLogged(
  command: string,
  args: string[],
  logFile: string,
  options: { cwd: string; account?: Account | undefined; env?: NodeJS.ProcessEnv },
): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
      ...(options.account ?? {}),
    });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Resolves with the exit code (or signal name) once the child has exited; at once if it already has. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** Signals a child and waits for it, escalating to SIGKILL after `graceMs`. */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref(); // the children are unref'd: without this, node could exit before their exit is seen
  const done = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** Runs a one-shot tool; a failure's message carries the command line and its output. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; account?: Account | undefined; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  redact: string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(options.account ?? {}),
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const hide = (s: string) => redact.reduce((acc, secret) => acc.split(secret).join('***'), s);
        const output = hide(`${stdout}${stderr}`.trim().split('\n').slice(-30).join('\n'));
        reject(
          new Error(
            `${hide([command, ...args].join(' '))} failed (${err.message.split('\n')[0]}):\n${output}`,
          ),
        );
      },
    );
  });
}

/**
 * A detached shell that waits for this process to end and, if it ends without stop() (a crash, a
 * test runner's kill), kills the Temporal server and shuts PostgreSQL down immediately, then removes
 * the folder when it was ours. stop() kills the watchdog first. Reads the pids from files, because
 * the server's pid changes when it is restarted.
 */
export function startWatchdog(
  files: { serverPid: string; postmasterPid: string; dir: string },
  removeDir: boolean,
) {
  const script = `
    parent=$1 server_pid_file=$2 postmaster_pid_file=$3 dir=$4 remove=$5
    trap '' INT HUP
    while kill -0 "$parent" 2>/dev/null; do sleep 1; done
    if [ -f "$server_pid_file" ]; then kill -9 "$(cat "$server_pid_file")" 2>/dev/null; fi
    if [ -f "$postmaster_pid_file" ]; then
      pm=$(head -n 1 "$postmaster_pid_file")
      kill -QUIT "$pm" 2>/dev/null
      # PostgreSQL removes its pid file on exit (a zombie would still answer kill -0)
      for _ in $(seq 1 50); do [ -f "$postmaster_pid_file" ] && kill -0 "$pm" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pm" 2>/dev/null
    fi
    if [ "$remove" = 1 ]; then rm -rf "$dir"; fi`;
  const child = spawn(
    'bash',
    [
      '-c',
      script,
      'wa-cluster-watchdog',
      String(process.pid),
      files.serverPid,
      files.postmasterPid,
      files.dir,
      removeDir ? '1' : '0',
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  return child;
}
