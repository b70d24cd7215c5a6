// One drill's stack, every part a real process on loopback: the Temporal CLI dev server (SQLite file in
// the drill's temp dir, so a restart keeps the workflows), the Graph simulator and the worker, plus the
// drill's own client. The worker and the client share a payload key generated for this run.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NumberLifecycleClient } from '../../client';
import { SimulatorAdmin } from '../../test/helpers/simulator-admin';
import { loadConfig, ROOT_DIR, type AppConfig } from '../../platform/config';
import { ensureSearchAttributes } from '../../platform/search-attributes';
import { createDataConverter } from '../../platform/security/data-converter';
import { devServerArgs } from '../dev-server';
import { temporalCliExecutable } from '../temporal-binaries';
import {
  freePort,
  logText,
  logTail,
  spawnManaged,
  stopProcess,
  waitFor,
  withTimeout,
  type ManagedProcess,
} from './processes';

export interface StackSettings {
  /** The drill's temp dir: SQLite file and process logs. */
  dir: string;
  graphTimeoutMs: number;
  transientBackoffSeconds: number;
  maxRequestsPerSecond: number;
  /** Timestamped progress lines. */
  note: (line: string) => void;
  /**
   * Worker Versioning on (temporal.workerVersioning): every worker polls as `deploymentName`.<its build ID>;
   * the stack's first worker runs `buildId`.
   */
  versioning?: { deploymentName: string; buildId: string };
  /** Extra dev-server flags (e.g. dynamic config). */
  devServerArgs?: string[];
}

/** One worker process: which build it runs, from which folder. */
export interface WorkerSpec {
  /** Worker Versioning build ID (only with StackSettings.versioning). */
  buildId?: string;
  /** Folder the worker runs from (its workflows/ are bundled): the checkout, or a build variant. */
  cwd?: string;
  /** Label for the log line and log file ("worker A"); default "worker #n". */
  label?: string;
}

const SIM_TOKEN = 'drill-simulator-token';

export class DrillStack {
  readonly taskQueue = `drill-${process.pid}`;
  /** WA_ENCRYPTION_KEYS format (id=base64 of 32 bytes), made for this run only. */
  readonly encryptionKeys = `drill-${randomBytes(3).toString('hex')}=${randomBytes(32).toString('base64')}`;
  readonly dbFile: string;
  devServer?: ManagedProcess;
  simulator?: ManagedProcess;
  /** The worker started last. */
  worker?: ManagedProcess;
  /** Every worker process started, in order (several run at once in the upgrade drill). */
  readonly workers: ManagedProcess[] = [];
  workerStarts = 0;
  devServerStarts = 0;
  config!: AppConfig;
  client!: NumberLifecycleClient;
  sim!: SimulatorAdmin;
  private connection?: Connection;

  private constructor(
    readonly settings: StackSettings,
    readonly temporalPort: number,
    readonly simPort: number,
  ) {
    this.dbFile = path.join(settings.dir, 'temporal.sqlite');
  }

  get address(): string {
    return `127.0.0.1:${this.temporalPort}`;
  }
  get simUrl(): string {
    return `http://127.0.0.1:${this.simPort}`;
  }

  static async start(settings: StackSettings): Promise<DrillStack> {
    const stack = new DrillStack(settings, await freePort(), await freePort());
    stack.config = loadConfig({
      env: {
        WA_TEMPORAL_ADDRESS: stack.address,
        WA_TEMPORAL_TASK_QUEUE: stack.taskQueue,
        WA_GRAPH_BASE_URL: stack.simUrl,
      },
    });
    await stack.startDevServer();
    await stack.startSimulator();
    await stack.startWorker(
      settings.versioning
        ? { buildId: settings.versioning.buildId, label: `worker ${settings.versioning.buildId}` }
        : {},
    );
    stack.connection = await Connection.connect({ address: stack.address, connectTimeout: 5000 });
    const { dataConverter } = createDataConverter(stack.config, { WA_ENCRYPTION_KEYS: stack.encryptionKeys });
    const client = new Client({
      connection: stack.connection,
      namespace: stack.config.temporal.namespace,
      dataConverter,
    });
    stack.client = await NumberLifecycleClient.connect({ config: stack.config, client });
    stack.sim = new SimulatorAdmin(stack.simUrl);
    return stack;
  }

  /** The Temporal CLI dev server, as scripts/dev-server.ts starts it, headless, on the drill's port and file. */
  async startDevServer(): Promise<ManagedProcess> {
    const cli = temporalCliExecutable();
    if (cli.type !== 'existing-path') {
      throw new Error('no Temporal CLI binary: run `npm run provision` or set TEMPORAL_CLI_PATH');
    }
    const n = ++this.devServerStarts;
    const args = devServerArgs({
      port: this.temporalPort,
      namespace: this.config.temporal.namespace,
      logLevel: 'warn',
      dbFile: this.dbFile,
      extraArgs: this.settings.devServerArgs,
    });
    const t0 = Date.now();
    const p = spawnManaged(`dev server #${n}`, cli.path, args, {
      cwd: ROOT_DIR,
      env: process.env,
      logFile: path.join(this.settings.dir, `dev-server-${n}.log`),
    });
    this.devServer = p;
    await waitFor(
      `the dev server on ${this.address}`,
      async () => {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
        try {
          // A reused SQLite file keeps its search attributes; register ours anyway, as dev-server.ts does.
          await ensureSearchAttributes(connection, this.config.temporal.namespace);
        } finally {
          await connection.close();
        }
        return true;
      },
      {
        timeoutMs: 60_000,
        abortIf: () => (p.exit ? `it exited (code ${p.exit.code})\n${logTail(p.logFile)}` : undefined),
      },
    );
    this.settings.note(
      `dev server #${n} up on ${this.address} (pid ${p.pid}, SQLite ${path.basename(this.dbFile)}) in ${ms(Date.now() - t0)}`,
    );
    return p;
  }

  async stopDevServer(signal: NodeJS.Signals = 'SIGTERM') {
    if (!this.devServer) throw new Error('no dev server');
    return stopProcess(this.devServer, signal, 15_000);
  }

  async startSimulator(): Promise<ManagedProcess> {
    const t0 = Date.now();
    const p = spawnManaged('simulator', process.execPath, ['--import', 'tsx', 'simulator/main.ts'], {
      cwd: ROOT_DIR,
      env: {
        ...hermeticEnv(),
        SIM_HOST: '127.0.0.1',
        SIM_PORT: String(this.simPort),
        SIM_ACCESS_TOKEN: SIM_TOKEN,
        SIM_SEED: 'none',
      },
      logFile: path.join(this.settings.dir, 'simulator.log'),
    });
    this.simulator = p;
    await waitFor(
      `the simulator on ${this.simUrl}`,
      async () => ((await fetch(`${this.simUrl}/_sim/wabas`)).ok ? true : undefined),
      {
        timeoutMs: 60_000,
        abortIf: () => (p.exit ? `it exited (code ${p.exit.code})\n${logTail(p.logFile)}` : undefined),
      },
    );
    this.settings.note(`simulator up on ${this.simUrl} (pid ${p.pid}) in ${ms(Date.now() - t0)}`);
    return p;
  }

  /** The env the worker process runs with: only what the drill sets, plus PATH and the like. */
  workerEnv(buildId?: string): NodeJS.ProcessEnv {
    const versioning = this.settings.versioning;
    return {
      ...hermeticEnv(),
      WA_TEMPORAL_ADDRESS: this.address,
      WA_TEMPORAL_TASK_QUEUE: this.taskQueue,
      WA_GRAPH_BASE_URL: this.simUrl,
      WA_ENCRYPTION_KEYS: this.encryptionKeys,
      [this.config.graph.accessTokenEnv]: SIM_TOKEN,
      WA_GRAPH_REQUEST_TIMEOUT_MS: String(this.settings.graphTimeoutMs),
      WA_POLICY_TRANSIENT_BACKOFF_SECONDS: String(this.settings.transientBackoffSeconds),
      WA_GRAPH_MAX_REQUESTS_PER_SECOND: String(this.settings.maxRequestsPerSecond),
      ...(versioning
        ? {
            WA_TEMPORAL_WORKER_VERSIONING_ENABLED: 'true',
            WA_TEMPORAL_WORKER_VERSIONING_DEPLOYMENT_NAME: versioning.deploymentName,
            WA_TEMPORAL_WORKER_VERSIONING_BUILD_ID: buildId ?? versioning.buildId,
          }
        : {}),
    };
  }

  /**
   * `node --import tsx worker/main.ts` in `spec.cwd` (default the checkout); ready once it logs that it polls
   * (it bundles the workflows first).
   */
  async startWorker(spec: WorkerSpec = {}): Promise<ManagedProcess> {
    const n = ++this.workerStarts;
    const label = spec.label ?? `worker #${n}`;
    const t0 = Date.now();
    const p = spawnManaged(label, process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: spec.cwd ?? ROOT_DIR,
      env: this.workerEnv(spec.buildId),
      logFile: path.join(this.settings.dir, `worker-${n}.log`),
    });
    this.worker = p;
    this.workers.push(p);
    await waitFor(`${label} to poll`, async () => /worker: polling/.test(logText(p.logFile)) || undefined, {
      timeoutMs: 180_000,
      intervalMs: 500,
      abortIf: () => (p.exit ? `it exited (code ${p.exit.code})\n${logTail(p.logFile)}` : undefined),
    });
    this.settings.note(`${label} polling (pid ${p.pid}) after ${ms(Date.now() - t0)}`);
    return p;
  }

  /** Every child, worker first (it would only log errors once the server is gone). */
  async stop(): Promise<void> {
    if (this.client)
      await withTimeout('closing the client', this.client.close(), 5000).catch(() => undefined);
    if (this.connection)
      await withTimeout('closing the connection', this.connection.close(), 5000).catch(() => undefined);
    for (const p of [...this.workers, this.simulator, this.devServer]) {
      if (p && !p.exit) await stopProcess(p, 'SIGTERM', 5000);
    }
  }
}

/**
 * The drill's environment minus anything that could point a child elsewhere (WA_*, SIM_*, TEMPORAL_*), and
 * no Temporal profile file (TEMPORAL_CONFIG_FILE empty: a developer's own profile must not apply).
 */
function hermeticEnv(): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('WA_') && !k.startsWith('SIM_') && !k.startsWith('TEMPORAL_'),
      ),
    ),
    TEMPORAL_CONFIG_FILE: '',
  };
}

export function ms(value: number): string {
  return value < 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value / 1000)} s`;
}
