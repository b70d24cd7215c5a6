// wa-number fleet start|status|retry|cancel: one operation over many numbers, watched with a progress bar
// on a terminal or as JSON lines for programs.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { FleetProgress } from '../domain/fleet';
import {
  FleetInputError,
  buildFleetRequests,
  parseCsv,
  parseJsonNumbers,
  parsePinFile,
  validateConcurrency,
  type FleetFileRow,
} from '../domain/fleet-input';
import { OPERATION_KINDS, type OperationKind } from '../domain/operations';
import { InputError } from '../domain/validation';
import type { FleetStatus, LifecycleOperations } from '../client/index';
import { progressLine, renderFleet } from './fleet-render';
import { readSecret, type SecretSource } from './secret-input';

type WithClient = <T>(fn: (client: LifecycleOperations) => Promise<T>) => Promise<T>;
const EXIT_OK = 0;
const EXIT_FAILED = 1;

interface WatchOptions {
  json?: boolean;
  detach?: boolean;
  interval?: string;
}

interface StartOptions extends WatchOptions {
  operation: string;
  file?: string;
  waba?: string;
  pinFile?: string;
  pinEnv?: string;
  concurrency: string;
  region?: string | false;
  fleetId?: string;
  requestedBy?: string;
  backupPasswordEnv?: string;
  backupPasswordFile?: string;
  onpremUserEnv?: string;
  onpremUserFile?: string;
  onpremPasswordEnv?: string;
  onpremPasswordFile?: string;
}

/** Bad rows in a numbers or pins file are bad input (exit 2), every problem listed with its line. */
class FleetFileError extends InputError {
  constructor(err: FleetInputError) {
    super('input', err.message);
    this.message = err.message;
  }
}

function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw err instanceof FleetInputError ? new FleetFileError(err) : err;
  }
}

function readRows(file: string): FleetFileRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('file', `cannot read ${file}`);
  }
  const name = file.split('/').pop() ?? file;
  return file.toLowerCase().endsWith('.json') ? parseJsonNumbers(text, name) : parseCsv(text, name);
}

const given = (s: SecretSource) => Boolean(s.env || s.file);

/** Parameters every number shares, from flags; secrets only from env or files. */
async function defaultsFrom(operation: OperationKind, o: StartOptions): Promise<Record<string, unknown>> {
  const defaults: Record<string, unknown> = {};
  if (o.requestedBy) defaults.requestedBy = o.requestedBy;
  if (o.region === false) defaults.region = null;
  else if (o.region !== undefined) defaults.region = o.region;
  if (o.pinEnv) defaults.pin = await readSecret('pin', { env: o.pinEnv });
  if (operation === 'migrate') {
    const backup = { env: o.backupPasswordEnv, file: o.backupPasswordFile };
    if (!given(backup))
      throw new InputError(
        'backup-password',
        'give --backup-password-env VAR or --backup-password-file FILE',
      );
    defaults.backupPassword = await readSecret('backup-password', backup);
    const user = { env: o.onpremUserEnv, file: o.onpremUserFile };
    const password = { env: o.onpremPasswordEnv, file: o.onpremPasswordFile };
    const onPrem: Record<string, string> = {};
    if (given(user)) onPrem.username = await readSecret('onprem-user', user);
    if (given(password)) onPrem.password = await readSecret('onprem-password', password);
    if (Object.keys(onPrem).length) defaults.onPrem = onPrem;
  }
  return defaults;
}

function operationOf(value: string): OperationKind {
  if (!(OPERATION_KINDS as readonly string[]).includes(value)) {
    throw new InputError('operation', `must be one of ${OPERATION_KINDS.join(', ')}`);
  }
  return value as OperationKind;
}

/** Follows the fleet until it finishes: a bar redrawn in place on a TTY, otherwise a JSON line per change. */
async function watch(client: LifecycleOperations, fleetId: string, o: WatchOptions): Promise<number> {
  const tty = !o.json && process.stdout.isTTY;
  // Not a terminal: JSON lines throughout, the final report included, so a program can read every line.
  const json = !tty;
  const intervalMs = Math.max(200, Number(o.interval ?? 1000));
  let last = '';
  for (;;) {
    const status = await client.describeFleet(fleetId, 'none');
    const p = status.progress;
    if (p) {
      const line = tty ? progressLine(p) : JSON.stringify(compact(status.fleetId, p));
      if (line !== last) {
        if (tty) process.stdout.write(`\r\x1b[2K${line}`);
        else console.log(line);
        last = line;
      }
    }
    if (status.status !== 'RUNNING') {
      if (tty) process.stdout.write('\n');
      return finalReport(client, fleetId, json);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function compact(fleetId: string, p: FleetProgress) {
  return { fleetId, phase: p.phase, total: p.total, counts: p.counts };
}

async function finalReport(client: LifecycleOperations, fleetId: string, json: boolean): Promise<number> {
  const status = await client.describeFleet(fleetId, 'problems');
  if (status.failure) throw new InputError('fleet', `fleet ${fleetId} failed: ${status.failure.message}`);
  const p = status.progress;
  if (!p) return EXIT_FAILED;
  console.log(json ? JSON.stringify({ status: status.status, ...p }) : renderFleet(p, status.status));
  return p.counts.failed + p.counts['not-started'] > 0 ? EXIT_FAILED : EXIT_OK;
}

function startedText(status: FleetStatus): string {
  return `fleet ${status.fleetId} started (workflow ${status.workflowId}); follow it: wa-number fleet status ${status.fleetId}`;
}

async function afterStart(
  client: LifecycleOperations,
  status: FleetStatus,
  o: WatchOptions,
): Promise<number> {
  if (o.detach) {
    console.log(
      o.json
        ? JSON.stringify({ fleetId: status.fleetId, workflowId: status.workflowId })
        : startedText(status),
    );
    return EXIT_OK;
  }
  if (!o.json) console.error(startedText(status));
  return watch(client, status.fleetId, o);
}

function withWatchOptions(command: Command): Command {
  return command
    .option('--detach', 'start and return; do not follow the progress')
    .option('--json', 'JSON lines instead of a progress bar')
    .addOption(new Option('--interval <ms>', 'how often progress is read').default('1000').hideHelp());
}

export function addFleetCommands(
  program: Command,
  withClient: WithClient,
  setExit: (code: number) => void,
): void {
  const fleet = program
    .command('fleet')
    .description('one operation over many numbers, each through its own lifecycle');

  withWatchOptions(fleet.command('start'))
    .description('start a fleet from a CSV/JSON file of numbers or every number of a WABA')
    .requiredOption('--operation <operation>', OPERATION_KINDS.join(', '))
    .option('--file <file>', 'numbers.csv or numbers.json: a phone_number_id column, plus per-number columns')
    .option('--waba <id>', 'every number of this WhatsApp Business Account (Graph, page by page)')
    .option('--pin-file <file>', "CSV with phone_number_id,pin: each number's two-step PIN")
    .option('--pin-env <var>', 'environment variable holding one PIN for every number')
    .option('--concurrency <n>', 'numbers in progress at once (1-500)', '10')
    .option('--region <code>', 'data-localization region for register/onboard/change-region')
    .option('--no-region', 'change-region: turn local storage off')
    .option('--fleet-id <id>', 'the fleet ID (default: generated)')
    .option('--requested-by <name>', 'who asks, shown in the Temporal UI')
    .option('--backup-password-env <var>', 'migrate: environment variable holding the backup password')
    .option('--backup-password-file <file>', 'migrate: file holding the backup password')
    .option('--onprem-user-env <var>', 'migrate: On-Prem admin user name for every number')
    .option('--onprem-user-file <file>', 'migrate: file holding the On-Prem admin user name')
    .option('--onprem-password-env <var>', 'migrate: On-Prem admin password for every number')
    .option('--onprem-password-file <file>', 'migrate: file holding the On-Prem admin password')
    .action(async (o: StartOptions) => {
      const operation = operationOf(o.operation);
      const concurrency = validateConcurrency(Number(o.concurrency));
      if (Boolean(o.file) === Boolean(o.waba))
        throw new InputError('file', 'give either --file FILE or --waba ID');
      if (o.waba !== undefined && !/^\d{1,32}$/.test(o.waba))
        throw new InputError('waba', 'must be all digits (the WABA ID)');
      if (o.pinFile && o.pinEnv) throw new InputError('pin', 'give either --pin-file or --pin-env, not both');
      const pinsSource = o.pinFile ? (o.pinFile.split('/').pop() ?? o.pinFile) : undefined;
      const pins = o.pinFile ? checked(() => parsePinFile(readRows(o.pinFile!), pinsSource!)) : undefined;
      const defaults = await defaultsFrom(operation, o);
      // Every row is checked before anything is sent: one bad row anywhere starts nothing.
      const file = o.file;
      const members = file
        ? checked(() =>
            buildFleetRequests({
              operation,
              rows: readRows(file),
              source: file.split('/').pop() ?? file,
              defaults,
              pins,
              pinsSource,
            }),
          )
        : undefined;
      setExit(
        await withClient(async (client) => {
          const status = await client.startFleet({
            fleetId: o.fleetId,
            operation,
            concurrency,
            requestedBy: o.requestedBy,
            ...(members ? { members } : { wabaId: o.waba, defaults, pins: Object.fromEntries(pins ?? []) }),
          });
          return afterStart(client, status, o);
        }),
      );
    });

  fleet
    .command('status')
    .description('counts by state and every failure with its reason')
    .argument('<fleet-id>')
    .option('--json', 'print JSON')
    .action(async (fleetId: string, o: { json?: boolean }) => {
      setExit(
        await withClient(async (client) => {
          const status = await client.describeFleet(fleetId, 'problems');
          if (o.json) console.log(JSON.stringify(status));
          else if (status.failure) console.log(`fleet ${fleetId} failed: ${status.failure.message}`);
          else if (status.progress) console.log(renderFleet(status.progress, status.status));
          else console.log(`fleet ${fleetId}: ${status.status}, no progress yet`);
          return EXIT_OK;
        }),
      );
    });

  withWatchOptions(fleet.command('retry'))
    .description('a new fleet over the failed and never-started numbers, with their original requests')
    .argument('<fleet-id>')
    .option('--concurrency <n>', "numbers in progress at once (default: the original fleet's)")
    .option('--fleet-id <id>', "the new fleet's ID (default: generated)")
    .option('--requested-by <name>', 'who asks, shown in the Temporal UI')
    .action(
      async (
        fleetId: string,
        o: WatchOptions & { concurrency?: string; fleetId?: string; requestedBy?: string },
      ) => {
        const concurrency =
          o.concurrency === undefined ? undefined : validateConcurrency(Number(o.concurrency));
        setExit(
          await withClient(async (client) => {
            const status = await client.retryFleet(fleetId, {
              fleetId: o.fleetId,
              concurrency,
              requestedBy: o.requestedBy,
            });
            return afterStart(client, status, o);
          }),
        );
      },
    );

  fleet
    .command('cancel')
    .description('stop starting new numbers; numbers already started finish')
    .argument('<fleet-id>')
    .option('--requested-by <name>', 'who cancels, shown in the fleet')
    .option('--running', "also ask started numbers' operations to stop at their next safe point")
    .option('--json', 'print JSON')
    .action(async (fleetId: string, o: { requestedBy?: string; running?: boolean; json?: boolean }) => {
      const result = await withClient((client) =>
        client.cancelFleet(fleetId, o.requestedBy, { cancelRunning: o.running }),
      );
      console.log(
        o.json
          ? JSON.stringify(result)
          : `fleet ${fleetId} cancelled: ${result.notStarted} number(s) will not be started, ` +
              (result.cancelRequested
                ? `${result.cancelRequested} of ${result.stillRunning} running asked to stop at a safe point`
                : `${result.stillRunning} still running will finish`),
      );
      setExit(EXIT_OK);
    });
}
