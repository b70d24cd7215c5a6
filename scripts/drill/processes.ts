// Child processes of the drills (dev server, simulator, worker): each in its own process group with its
// output in a log file, tracked so that every one of them is killed when the drill ends, fails, or is
// interrupted (Ctrl-C), and so that a drill can tell an exit it caused from one it did not.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface ManagedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  startedAt: number;
  /** Set once the process has exited. */
  exit?: ExitInfo;
  exited: Promise<ExitInfo>;
  /** True once the drill itself stopped or killed it (an exit is then not a surprise). */
  stopRequested: boolean;
}

const live = new Set<ManagedProcess>();

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): ManagedProcess {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    // Own process group: the terminal's Ctrl-C reaches only us, and we kill the whole group ourselves.
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let resolveExit!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => (resolveExit = resolve));
  const managed: ManagedProcess = {
    name,
    pid: child.pid,
    child,
    logFile: options.logFile,
    startedAt: Date.now(),
    exited,
    stopRequested: false,
  };
  child.once('exit', (code, signal) => {
    managed.exit = { code, signal, at: Date.now() };
    live.delete(managed);
    resolveExit(managed.exit);
  });
  live.add(managed);
  return managed;
}

function signalGroup(p: ManagedProcess, signal: NodeJS.Signals): void {
  if (p.exit) return;
  try {
    process.kill(-p.pid, signal);
  } catch {
    try {
      p.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Sends `signal` (the drill's own doing), without waiting. */
export function signalProcess(p: ManagedProcess, signal: NodeJS.Signals): void {
  p.stopRequested = true;
  signalGroup(p, signal);
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; says how it ended and whether it had to be forced. */
export async function stopProcess(
  p: ManagedProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<ExitInfo & { forced: boolean; tookMs: number }> {
  const t0 = Date.now();
  if (p.exit) return { ...p.exit, forced: false, tookMs: 0 };
  signalProcess(p, signal);
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    signalGroup(p, 'SIGKILL');
  }, graceMs);
  const info = await p.exited;
  clearTimeout(timer);
  return { ...info, forced, tookMs: Date.now() - t0 };
}

/** Kills every child still running (SIGTERM, then SIGKILL after a short grace). */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((p) => stopProcess(p, 'SIGTERM', graceMs)));
}

let handlersInstalled = false;
/** On exit, Ctrl-C or SIGTERM: no child outlives the drill. */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const p of live) signalGroup(p, 'SIGKILL');
  });
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\ndrill: ${signal}: stopping ${live.size} child process(es)`);
    for (const p of live) signalGroup(p, 'SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function liveProcesses(): ManagedProcess[] {
  return [...live];
}

/** A port free on the loopback interface right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class DrillTimeoutError extends Error {
  override readonly name = 'DrillTimeoutError';
}

/**
 * Calls `probe` until it returns something other than undefined. Fails with a message naming what never
 * came after `timeoutMs`, or at once when `abortIf` says why waiting longer is pointless.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; abortIf?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  for (;;) {
    const abort = options.abortIf?.();
    if (abort) throw new Error(`${what}: ${abort}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = (err as Error).message.split('\n')[0] ?? '';
    }
    if (Date.now() > deadline) {
      throw new DrillTimeoutError(
        `timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** Resolves with the promise's value, or rejects after `ms` (the promise is left to settle on its own). */
export function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DrillTimeoutError(`${what}: no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // a late rejection must not become unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function logText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** The last lines of a log file, indented, for failure messages. */
export function logTail(file: string, lines = 15): string {
  return logText(file)
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => `      | ${l}`)
    .join('\n');
}
