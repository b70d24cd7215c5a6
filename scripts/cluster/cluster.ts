// A real multi-service Temporal cluster for tests and people: temporal-server (frontend, history,
// matching and worker services in one process, ringpop membership between them) on its own
// PostgreSQL 15, in one folder. Creates no namespace: that is `wa-number setup`'s job.
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isPortFree, spawnLogged, startWatchdog, tail, terminate } from './processes';
import {
  initPostgres,
  isInitialised,
  PG_USER,
  psql,
  startPostgres,
  type PgSettings,
  type RunningPostgres,
} from './postgres';
import { ServerExitedError, waitUntilReady } from './readiness';
import { installSchema } from './schema';
import { writeServerConfig, type ServerPorts } from './server-config';
import { choosePorts, loadState, saveState, type ClusterState } from './state';
import { clusterTools, postgresAccount, type ClusterTools } from './tools';

export interface ClusterOptions {
  /** The cluster's folder. Default: a new temporary folder, removed by stop(). A folder holding a
   * cluster from an earlier start is started again with its data (same frontend port when free). */
  dir?: string;
  /** Frontend gRPC port, at most 32767. Default: the folder's previous port when free, else a free one. */
  frontendPort?: number;
  /** Fixed when the databases are created. Default 4. */
  numHistoryShards?: number;
  /** temporal-server log level (its log is `<dir>/temporal-server.log`). Default 'warn'. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra dynamic config, key → value (e.g. { 'limit.historyCount.suggestContinueAsNew': 300 }). */
  dynamicConfig?: Record<string, unknown>;
  /** How long the server may take to become ready. Default 120 s. */
  startTimeoutMs?: number;
}

/** How long each step of startCluster took (0 when skipped, as on a folder's second start). */
export interface StartupTimings {
  initdbMs: number;
  postgresMs: number;
  schemaMs: number;
  /** temporal-server spawned → frontend, system namespace and history answering. */
  serverMs: number;
}

export interface RunningCluster {
  /** Frontend gRPC address, `127.0.0.1:<port>`. */
  readonly address: string;
  readonly dir: string;
  readonly postgres: {
    pid: number;
    port: number;
    dataDir: string;
    user: string;
    password: string;
    logFile: string;
  };
  readonly server: { pid: number; logFile: string; configFile: string; ports: ServerPorts };
  readonly tools: ClusterTools;
  readonly startup: StartupTimings;
  /** The last lines of the server's log. */
  logTail(lines?: number): string;
  /** SIGKILL to temporal-server (a crash drill); PostgreSQL keeps running. */
  killServer(): Promise<void>;
  /** Starts temporal-server again on the same data and ports (stops it first if it runs). */
  restartServer(): Promise<void>;
  /** Stops the server and PostgreSQL; removes the folder unless keepData (default: keep a folder you
   * passed as `dir`, remove a temporary one). Safe to call twice. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Starts a cluster; on any failure everything started is stopped and the error carries the log tail. */
export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const tools = clusterTools();
  const account = postgresAccount();
  const cluster = new Cluster(tools, account, options);
  try {
    await cluster.start();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

class Cluster implements RunningCluster {
  readonly dir: string;
  readonly startup: StartupTimings = { initdbMs: 0, postgresMs: 0, schemaMs: 0, serverMs: 0 };
  private readonly temporary: boolean;
  private readonly files: Record<'state' | 'serverPid' | 'serverLog' | 'serverConfig', string>;
  private readonly state: ClusterState;
  private readonly pg: PgSettings;
  private readonly watchdog: ChildProcess;
  private runningPostgres: RunningPostgres | undefined;
  private serverProcess: ChildProcess | undefined;
  private ports: ServerPorts | undefined;
  private stopped = false;

  constructor(
    readonly tools: ClusterTools,
    account: PgSettings['account'],
    private readonly options: ClusterOptions,
  ) {
    this.temporary = !options.dir;
    this.dir = options.dir ? path.resolve(options.dir) : mkdtempSync(path.join(os.tmpdir(), 'wa-cluster-'));
    mkdirSync(path.join(this.dir, 'config'), { recursive: true });
    chmodSync(this.dir, 0o755); // PostgreSQL's account must traverse it
    const file = (name: string) => path.join(this.dir, name);
    this.files = {
      state: file('cluster.json'),
      serverPid: file('temporal-server.pid'),
      serverLog: file('temporal-server.log'),
      serverConfig: file('config/cluster.yaml'),
    };
    this.state = loadState(this.files.state, options.numHistoryShards ?? 4);
    const dataDir = file('pgdata');
    this.pg = { binDir: tools.pgBinDir, dataDir, logFile: file('postgres.log'), ...this.state.pg, account };
    const postmasterPid = path.join(dataDir, 'postmaster.pid');
    this.watchdog = startWatchdog(
      { serverPid: this.files.serverPid, postmasterPid, dir: this.dir },
      this.temporary,
    );
  }

  get address() {
    return `127.0.0.1:${this.ports!.frontend}`;
  }

  get postgres() {
    const { port, dataDir, password, logFile } = this.pg;
    return { pid: this.runningPostgres!.process.pid!, port, dataDir, user: PG_USER, password, logFile };
  }

  get server() {
    const { serverLog: logFile, serverConfig: configFile } = this.files;
    return { pid: this.serverProcess!.pid!, logFile, configFile, ports: this.ports! };
  }

  logTail(lines?: number) {
    return tail(this.files.serverLog, lines);
  }

  async start() {
    if (!isInitialised(this.pg.dataDir)) await this.timed('initdbMs', () => initPostgres(this.pg));
    await this.timed('postgresMs', () => this.startPostgres());
    if (!this.state.schemaReady) {
      await this.timed('schemaMs', () => this.installSchema());
      this.state.schemaReady = true;
      saveState(this.files.state, this.state);
    }
    await this.timed('serverMs', () => this.launchServer());
  }

  async killServer() {
    if (this.serverProcess) await terminate(this.serverProcess, 'SIGKILL', 0);
  }

  async restartServer() {
    await this.stopServer();
    await this.launchServer();
  }

  async stop(options: { keepData?: boolean } = {}) {
    if (this.stopped) return;
    this.stopped = true;
    this.watchdog.kill('SIGKILL');
    await this.stopServer();
    await this.runningPostgres?.stop();
    if (!(options.keepData ?? !this.temporary)) rmSync(this.dir, { recursive: true, force: true });
  }

  private async timed(phase: keyof StartupTimings, fn: () => Promise<void>) {
    const t0 = performance.now();
    await fn();
    this.startup[phase] = Math.round(performance.now() - t0);
  }

  /** On the saved port when free, else another; a port taken between the check and the bind is retried. */
  private async startPostgres() {
    for (let attempt = 1; ; attempt++) {
      if (!(this.pg.port && (await isPortFree(this.pg.port)))) this.pg.port = await freePort();
      try {
        this.runningPostgres = await startPostgres(this.pg);
        break;
      } catch (err) {
        const taken = /could not bind|address already in use/i.test(tail(this.pg.logFile, 10));
        if (!taken || attempt >= 3) throw err;
        this.pg.port = 0;
      }
    }
    this.state.pg.port = this.pg.port;
    saveState(this.files.state, this.state);
  }

  private async installSchema() {
    // A first start that failed half-way may have left a database behind: begin again.
    for (const db of ['temporal', 'temporal_visibility']) {
      await psql(this.pg, 'postgres', `DROP DATABASE IF EXISTS ${db}`);
    }
    const { sqlTool, schemaDir } = this.tools;
    await installSchema({
      sqlTool,
      schemaDir,
      pgPort: this.pg.port,
      pgPassword: this.pg.password,
      cwd: this.dir,
    });
  }

  /** Writes the config, spawns the server, waits until ready; new ports if one was taken meanwhile. */
  private async launchServer() {
    // Ringpop bootstraps from the membership table; rows of a killed server would name dead ports.
    await psql(this.pg, 'temporal', 'DELETE FROM cluster_membership');
    for (let attempt = 1; ; attempt++) {
      const ports = await choosePorts(
        this.options.frontendPort,
        attempt === 1 ? this.state.ports : undefined,
      );
      writeServerConfig(path.dirname(this.files.serverConfig), {
        ports,
        pgPort: this.pg.port,
        pgPassword: this.pg.password,
        numHistoryShards: this.state.numHistoryShards,
        logLevel: this.options.logLevel ?? 'warn',
        dynamicConfig: this.options.dynamicConfig ?? {},
      });
      const args = ['--root', this.dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'];
      const server = spawnLogged(this.tools.server, args, this.files.serverLog, { cwd: this.dir });
      this.serverProcess = server;
      this.ports = ports;
      writeFileSync(this.files.serverPid, String(server.pid));
      try {
        await waitUntilReady(this.address, server, this.options.startTimeoutMs ?? 120_000);
        this.state.ports = ports;
        saveState(this.files.state, this.state);
        return;
      } catch (err) {
        await this.stopServer('SIGKILL');
        const portTaken = /address already in use/i.test(this.logTail(20));
        if (err instanceof ServerExitedError && portTaken && attempt < 3) continue;
        const log = this.logTail() || '(empty)';
        throw new Error(`${(err as Error).message}; the server's log ends with:\n${log}`, { cause: err });
      }
    }
  }

  private async stopServer(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.serverProcess) await terminate(this.serverProcess, signal, 15_000);
    rmSync(this.files.serverPid, { force: true });
  }
}
