// The harness shared by the end-to-end CLI test files: each file starts its own stack (Temporal dev
// server, worker with the real activities, Graph simulator over HTTP), runs every command as its own
// `node bin/wa-number.js …` process against it, and keeps every command's output so that a last test can
// check that no secret was ever printed. The lifecycle is read back through `wa-number status --json`,
// as an operator would.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LifecycleSnapshot, OperationSummary } from '../../client';
import { until } from '../helpers/poll';
import { startTestStack, TEST_ENCRYPTION_KEYS, type StackOptions, type TestStack } from '../helpers/stack';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'wa-number.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** The command line, for assertion messages. */
  command: string;
}

export interface RunOptions {
  /** Extra env vars (or undefined to remove one) on top of the stack's Temporal address and task queue. */
  env?: Record<string, string | undefined>;
  /** Written to standard input, which is then closed. Without it, stdin is /dev/null (not a TTY). */
  input?: string;
  timeoutMs?: number;
}

/** `wa-number status <id> --json`: a snapshot, or this for a number without operations. */
export type StatusJson = LifecycleSnapshot | { phoneNumberId: string; state: 'unknown'; operations: 0 };

export interface CliHarnessOptions {
  /** Name prefix of the temporary directory the tests write PIN and password files into. */
  tmpPrefix: string;
  /** How this file's stack differs from the default one. */
  stack?: StackOptions;
  /** A command still running after this long is killed (RunOptions.timeoutMs overrides it per command). */
  commandTimeoutMs: number;
  /** How long statusUntil and finishedOperation poll `status --json` before they fail. */
  pollTimeoutMs: number;
  /** What the failure messages call a secret ('PIN' in a file where PINs are the only secrets). */
  secretLabel?: string;
  /**
   * A regex character class: a secret with one of these right before or after it is part of a longer
   * token, not a leak. Default digits, so a PIN inside an epoch-ms timestamp does not count.
   */
  secretBoundary?: string;
  /** Secrets every assertNoSecret call (and so every statusJson) checks, besides those it is given. */
  alwaysSecret?: string[];
}

export interface CliHarness {
  /** Starts the stack and makes the temporary directory; call it from `before`. */
  start(): Promise<{ stack: TestStack; tmpDir: string }>;
  /** Kills commands still running (a failed test may leave one waiting), stops the stack, removes tmpDir. */
  stop(): Promise<void>;
  /** `node <args>` in the project root with the stack's environment; resolves when it has exited. */
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  /** `wa-number <args>` as a child process; resolves when it has exited (killed after the timeout). */
  cli(args: string[], options?: RunOptions): Promise<RunResult>;
  /** `wa-number status <id> --json`, parsed. */
  statusJson(id: string): Promise<StatusJson>;
  /** Polls `status --json` (a CLI process each time) until `accept` says yes; returns that snapshot. */
  statusUntil(
    id: string,
    what: string,
    accept: (s: LifecycleSnapshot) => boolean,
  ): Promise<LifecycleSnapshot>;
  /** Polls `status --json` until the operation shows up as finished. */
  finishedOperation(id: string, operationId: string): Promise<OperationSummary>;
  /** How many requests to `endpoint` the simulator received for the number. */
  requestCount(id: string, endpoint: string): Promise<number>;
  /** A secret as a token of its own (see CliHarnessOptions.secretBoundary). */
  secretPattern(secret: string): RegExp;
  /** Asserts that the command printed none of the secrets, and remembers them for the transcript check. */
  assertNoSecret(r: RunResult, ...secrets: string[]): void;
  /** Asserts that no secret remembered so far appears in the output of any command this file ran. */
  assertNoSecretInTranscript(): void;
  /** Every command this file ran, with its output. */
  readonly transcript: readonly RunResult[];
  /** The secrets the transcript check looks for. */
  readonly secretsUsed: Set<string>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createCliHarness(options: CliHarnessOptions): CliHarness {
  const secretLabel = options.secretLabel ?? 'secret';
  const boundary = options.secretBoundary ?? '\\d';
  const alwaysSecret = options.alwaysSecret ?? [];
  const transcript: RunResult[] = [];
  const secretsUsed = new Set<string>(alwaysSecret);
  /** Children still running, killed in stop() should a test fail while one waits in the background. */
  const running = new Set<ChildProcess>();
  let stack: TestStack | undefined;
  let tmpDir: string | undefined;

  function started(): TestStack {
    if (!stack) throw new Error('the CLI harness is not started (call start() in before)');
    return stack;
  }

  /**
   * The environment of a spawned process: ours minus any WA_* and TEMPORAL_* settings, plus the stack's
   * Temporal. TEMPORAL_CONFIG_FILE names a file that does not exist, so a developer's own Temporal profile
   * (~/.config/temporalio/temporal.toml) cannot point a command elsewhere.
   */
  function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('WA_') && !k.startsWith('TEMPORAL_')) env[k] = v;
    }
    env.TEMPORAL_CONFIG_FILE = path.join(tmpDir ?? os.tmpdir(), 'no-temporal-profile', 'temporal.toml');
    env.WA_TEMPORAL_ADDRESS = started().config.temporal.address;
    env.WA_TEMPORAL_TASK_QUEUE = started().config.temporal.taskQueue;
    env.WA_ENCRYPTION_KEYS = TEST_ENCRYPTION_KEYS;
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  function run(args: string[], runOptions: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const startedAt = Date.now();
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: childEnv(runOptions.env),
        stdio: [runOptions.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      running.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      if (runOptions.input !== undefined) child.stdin!.end(runOptions.input);
      const timer = setTimeout(() => child.kill('SIGKILL'), runOptions.timeoutMs ?? options.commandTimeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        running.delete(child);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        const result: RunResult = {
          code,
          signal,
          stdout,
          stderr,
          elapsedMs: Date.now() - startedAt,
          command: args.map((a) => (a === CLI ? 'wa-number' : a)).join(' '),
        };
        transcript.push(result);
        resolve(result);
      });
    });
  }

  function cli(args: string[], runOptions: RunOptions = {}): Promise<RunResult> {
    return run([CLI, ...args], runOptions);
  }

  function secretPattern(secret: string): RegExp {
    return new RegExp(`(?<!${boundary})${escapeRegExp(secret)}(?!${boundary})`);
  }

  function assertNoSecret(r: RunResult, ...secrets: string[]): void {
    for (const secret of [...alwaysSecret, ...secrets]) {
      secretsUsed.add(secret);
      assert.doesNotMatch(r.stdout, secretPattern(secret), `${r.command}: ${secretLabel} in stdout`);
      assert.doesNotMatch(r.stderr, secretPattern(secret), `${r.command}: ${secretLabel} in stderr`);
    }
  }

  async function statusJson(id: string): Promise<StatusJson> {
    const r = await cli(['status', id, '--json']);
    assertExit(r, 0);
    assertNoSecret(r);
    return JSON.parse(r.stdout) as StatusJson;
  }

  function statusUntil(
    id: string,
    what: string,
    accept: (s: LifecycleSnapshot) => boolean,
  ): Promise<LifecycleSnapshot> {
    let last: StatusJson | undefined;
    return until(
      () => `${id}: ${what} (seen through wa-number status --json); last status: ${JSON.stringify(last)}`,
      async () => {
        last = await statusJson(id);
        return 'recentOperations' in last && accept(last) ? last : undefined;
      },
      { timeoutMs: options.pollTimeoutMs, intervalMs: 250 },
    );
  }

  return {
    async start() {
      stack = await startTestStack(options.stack);
      tmpDir = mkdtempSync(path.join(os.tmpdir(), options.tmpPrefix));
      return { stack, tmpDir };
    },
    async stop() {
      for (const child of running) child.kill('SIGKILL');
      await stack?.stop();
      if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
    },
    run,
    cli,
    statusJson,
    statusUntil,
    async finishedOperation(id, operationId) {
      const s = await statusUntil(id, `${operationId} to finish`, (x) =>
        x.recentOperations.some((o) => o.operationId === operationId),
      );
      return s.recentOperations.find((o) => o.operationId === operationId)!;
    },
    async requestCount(id, endpoint) {
      return (await started().sim.requests({ phoneNumberId: id, endpoint })).length;
    },
    secretPattern,
    assertNoSecret,
    assertNoSecretInTranscript() {
      for (const r of transcript) {
        for (const secret of secretsUsed) {
          assert.doesNotMatch(
            r.stdout + r.stderr,
            secretPattern(secret),
            `${r.command}: a ${secretLabel} (${'*'.repeat(secret.length)}) in the output`,
          );
        }
      }
    },
    transcript,
    secretsUsed,
  };
}

/** Asserts the exit code, showing the command and its outputs when it differs. */
export function assertExit(r: RunResult, code: number): void {
  assert.equal(
    r.code,
    code,
    `${r.command}: expected exit ${code}, got ${r.code ?? r.signal} after ${r.elapsedMs} ms\n` +
      `stdout: ${r.stdout}\nstderr: ${r.stderr}`,
  );
}

/** A TCP port nothing listens on (bound, then released), for "Temporal is unreachable". */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
