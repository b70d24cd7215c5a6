// wa-number: start, join and watch operations on WhatsApp Business phone numbers.
// Exit codes: 0 done (or started), 1 operation failed, 2 bad input (or an API key refused), 3 Temporal (or
// the HTTP API) unreachable.
import { Command, CommanderError, Option } from 'commander';
import { phoneNumberIdSchema, pinSchema } from '../domain/phone-number';
import { verificationCodeSchema } from '../domain/verification';
import { idempotencyKeySchema, operationRequestSchema } from '../domain/operations';
import { listFilterSchema, type ListFilter } from '../domain/number-listing';
import { parseInput, InputError } from '../domain/validation';
import { ConfigError, loadConfig, operationPolicy, type AppConfig } from '../platform/config';
import { targetFromEnvironment, type TemporalTarget } from '../platform/temporal-target';
import { packageVersion } from '../platform/package-info';
import {
  ApiKeyRefusedError,
  NumberLifecycleClient,
  OperationRejectedError,
  TemporalUnreachableError,
  type LifecycleOperations,
  type OperationRequestInput,
  type OperationTicket,
} from '../client/index';
import { addApiOptions, httpClientFrom } from './api-target';
import { renderOutcome, renderState, renderTicket } from './render';
import { addFleetCommands } from './fleet-commands';
import { addSetupCommand } from './setup-command';
import { addWebhookCommands, refuseOverApi } from './webhook-commands';
import { WebhookSubscriptionsClient } from '../client/webhook-subscriptions';
import { readSecret } from './secret-input';
import { EncryptionKeyError } from '../platform/security/encryption-keys';
import { redactText } from '../platform/security/redact';

export const EXIT = { ok: 0, failed: 1, badInput: 2, unreachable: 3 } as const;

/** The package's version, for --version. */
const PACKAGE_VERSION = packageVersion();

interface OutputOptions {
  json?: boolean;
  wait?: boolean;
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value) : text);
}

/** Global connection flags (temporal CLI style): --profile and --config-file pick a Temporal profile. */
interface ConnectionFlags {
  address?: string;
  namespace?: string;
  profile?: string;
  configFile?: string;
  config?: string;
}
let connectionFlags: ConnectionFlags = {};

/** temporal.yaml (or --config) with its WA_* overrides. */
export function cliConfig(flags: ConnectionFlags = connectionFlags, env: NodeJS.ProcessEnv = process.env) {
  return loadConfig({ ...(flags.config !== undefined ? { file: flags.config } : {}), env });
}

/** Where the CLI connects: its flags > WA_* env > the Temporal profile > temporal.yaml > defaults. */
export function cliTarget(
  config: AppConfig,
  flags: ConnectionFlags = connectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): TemporalTarget {
  return targetFromEnvironment(config, {
    env,
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
    given: { kind: 'flag', values: { address: flags.address, namespace: flags.namespace } },
    profile: { name: flags.profile, file: flags.configFile },
  });
}

/** Set before each command: the HTTP client when --api is given (then nothing connects to Temporal). */
let apiClient: LifecycleOperations | undefined;

async function withClient<T>(fn: (client: LifecycleOperations) => Promise<T>): Promise<T> {
  const client = apiClient ?? (await connectToTemporal());
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function connectToTemporal(): Promise<NumberLifecycleClient> {
  const config = cliConfig();
  return NumberLifecycleClient.connect({ config, target: cliTarget(config) });
}

/** Prints the ticket, or with --wait the operation's outcome; the exit code follows the outcome. */
async function reportTicket(
  client: LifecycleOperations,
  id: string,
  ticket: OperationTicket,
  opts: OutputOptions,
  hint = '',
): Promise<number> {
  if (!opts.wait) {
    print(opts.json, ticket, renderTicket(id, ticket) + hint);
    return EXIT.ok;
  }
  if (!opts.json) console.error(renderTicket(id, ticket) + hint + '; waiting for it to finish');
  const outcome = await client.waitForOperation(id, ticket.operationId);
  print(opts.json, outcome, renderOutcome(outcome));
  if (outcome.status === 'completed') return EXIT.ok;
  return BAD_INPUT_FAILURES.has(outcome.failure?.type ?? '') ? EXIT.badInput : EXIT.failed;
}

async function runOperation(
  phoneNumberId: string,
  request: OperationRequestInput,
  opts: OutputOptions & { idempotencyKey?: string },
  hint = '',
): Promise<number> {
  const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
  parseInput(operationRequestSchema(), request); // bad input fails here, before any connection
  const idempotencyKey =
    opts.idempotencyKey === undefined
      ? undefined
      : parseInput(idempotencyKeySchema(), opts.idempotencyKey, 'idempotency-key');
  return withClient(async (client) =>
    reportTicket(
      client,
      id,
      await client.requestOperation(id, request, idempotencyKey ? { idempotencyKey } : {}),
      opts,
      hint,
    ),
  );
}

interface OperationOptions extends OutputOptions {
  requestedBy?: string;
  waba?: string;
  idempotencyKey?: string;
}

/** Options every operation command takes. */
function withOperationOptions(command: Command): Command {
  const options = [
    new Option('--requested-by <name>', 'who asks, shown in the Temporal UI'),
    new Option('--waba <id>', 'the WhatsApp Business Account ID (searchable as WaWabaId)'),
    new Option(
      '--idempotency-key <key>',
      "run again with the same key: the first run's operation is returned, nothing new is queued",
    ),
    new Option('--wait', 'wait until the operation has finished and print its outcome'),
    new Option('--json', 'print JSON'),
  ];
  for (const option of options) command.addOption(option);
  return command;
}

function commonFields(o: OperationOptions): { requestedBy?: string; wabaId?: string } {
  return { ...(o.requestedBy ? { requestedBy: o.requestedBy } : {}), ...(o.waba ? { wabaId: o.waba } : {}) };
}

interface MigrateOptions {
  onpremUrl: string;
  onpremUserEnv?: string;
  onpremUserFile?: string;
  onpremPasswordEnv?: string;
  onpremPasswordFile?: string;
  backupPasswordEnv?: string;
  backupPasswordFile?: string;
}

/** Failures that mean the request made no sense for the number: reported like bad input. */
const BAD_INPUT_FAILURES = new Set(['AlreadyOnCloudApi', 'NotOnPremises']);

interface PinOptions {
  pinEnv?: string;
  pinFile?: string;
}

function withPinOptions(command: Command): Command {
  return command
    .option('--pin-env <var>', 'environment variable holding the 6-digit two-step PIN')
    .option('--pin-file <file>', 'file holding the PIN (otherwise it is read from standard input)');
}

async function pinFrom(o: PinOptions): Promise<string> {
  return parseInput(pinSchema(), await readSecret('pin', { env: o.pinEnv, file: o.pinFile }), 'pin');
}

interface VerificationOptions {
  method?: string;
  language?: string;
  voiceFallback: boolean;
}

function withVerificationOptions(command: Command): Command {
  return command
    .option('--method <method>', 'how Meta sends the code: SMS or VOICE (default SMS)')
    .option(
      '--language <code>',
      'locale of the message or call, language_COUNTRY: en_US (default), de_DE, ...',
    )
    .option('--no-voice-fallback', 'when an SMS code never arrives, resend by SMS instead of a voice call');
}

function verificationFields(o: VerificationOptions) {
  return {
    ...(o.method !== undefined ? { method: o.method } : {}),
    ...(o.language !== undefined ? { language: o.language } : {}),
    fallbackToVoice: o.voiceFallback,
  };
}

function submitHint(phoneNumberId: string): string {
  return `\nwhen the code arrives: wa-number submit-code ${phoneNumberId} <code>`;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('wa-number')
    .description('Durable lifecycle operations for WhatsApp Business (Cloud API) phone numbers')
    .version(PACKAGE_VERSION, '-v, --version', 'print the version')
    .option(
      '--address <host:port>',
      'Temporal frontend address (else env WA_TEMPORAL_ADDRESS, the profile, temporal.address)',
    )
    .option(
      '--namespace <name>',
      'Temporal namespace (else env WA_TEMPORAL_NAMESPACE, the profile, temporal.namespace)',
    )
    .option('--profile <name>', 'Temporal profile to connect with (env TEMPORAL_PROFILE; default: default)')
    .option(
      '--config-file <file>',
      'Temporal profile file, TOML (env TEMPORAL_CONFIG_FILE; default: ~/.config/temporalio/temporal.toml)',
    )
    .option('--config <file>', 'configuration file instead of temporal.yaml (env WA_CONFIG_FILE)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .hook('preAction', () => {
      connectionFlags = program.opts<ConnectionFlags>();
    });
  addApiOptions(program).hook('preAction', () => {
    apiClient = httpClientFrom(program);
    const temporalFlags = (['address', 'namespace', 'profile', 'configFile'] as const).filter(
      (flag) => connectionFlags[flag] !== undefined,
    );
    if (apiClient && temporalFlags.length) {
      throw new InputError(
        'api',
        'give either --api (the HTTP API) or --address/--namespace/--profile/--config-file (Temporal)',
      );
    }
  });

  withPinOptions(withOperationOptions(program.command('register')))
    .description('register the number for Cloud API (start, or join an identical queued/running request)')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--region <code>', "data-localization region, one of Meta's 14 codes (e.g. DE)")
    .action(async (phoneNumberId: string, o: OperationOptions & PinOptions & { region?: string }) => {
      parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
      const request = { operation: 'register', pin: await pinFrom(o), region: o.region, ...commonFields(o) };
      setExit(await runOperation(phoneNumberId, request as OperationRequestInput, o));
    });

  withOperationOptions(program.command('deregister'))
    .description('deregister the number from Cloud API')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .action(async (phoneNumberId: string, o: OperationOptions) => {
      setExit(await runOperation(phoneNumberId, { operation: 'deregister', ...commonFields(o) }, o));
    });

  withVerificationOptions(withOperationOptions(program.command('verify')))
    .description('prove ownership: Meta sends a code to the number; a person submits it with submit-code')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .action(async (phoneNumberId: string, o: OperationOptions & VerificationOptions) => {
      const request = { operation: 'verify', ...verificationFields(o), ...commonFields(o) };
      setExit(
        await runOperation(phoneNumberId, request as OperationRequestInput, o, submitHint(phoneNumberId)),
      );
    });

  program
    .command('submit-code')
    .description('give the running verification the code the number received; answers at once')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .argument('<code>', 'the code, e.g. 123830 or 123-830')
    .option('--json', 'print JSON')
    .action(async (phoneNumberId: string, code: string, o: OutputOptions) => {
      const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
      parseInput(verificationCodeSchema(), code, 'code');
      const result = await withClient((client) => client.submitVerificationCode(id, code));
      const text = result.accepted
        ? `code accepted: ${id} is verified`
        : `code rejected: ${result.reason ?? 'no reason given'} (${result.attemptsLeft} attempt(s) left)`;
      print(o.json, result, text);
      setExit(result.accepted ? EXIT.ok : EXIT.failed);
    });

  withPinOptions(withOperationOptions(program.command('set-pin')))
    .description('set or change the two-step verification PIN (the old PIN is not needed)')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .action(async (phoneNumberId: string, o: OperationOptions & PinOptions) => {
      parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
      const request = { operation: 'set-pin', pin: await pinFrom(o), ...commonFields(o) } as const;
      setExit(await runOperation(phoneNumberId, request, o));
    });

  withVerificationOptions(withPinOptions(withOperationOptions(program.command('onboard'))))
    .description('verify ownership if needed, wait for a usable display name, register: one operation')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--region <code>', "data-localization region, one of Meta's 14 codes (e.g. DE)")
    .action(
      async (
        phoneNumberId: string,
        o: OperationOptions & PinOptions & VerificationOptions & { region?: string },
      ) => {
        parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
        const request = {
          operation: 'onboard',
          pin: await pinFrom(o),
          region: o.region,
          ...verificationFields(o),
          ...commonFields(o),
        };
        setExit(
          await runOperation(phoneNumberId, request as OperationRequestInput, o, submitHint(phoneNumberId)),
        );
      },
    );

  withPinOptions(withOperationOptions(program.command('change-region')))
    .description('move local storage to another region (--region) or turn it off (--no-region)')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--region <code>', "the new data-localization region, one of Meta's 14 codes (e.g. CH)")
    .option('--no-region', 'turn local storage off')
    .action(async (phoneNumberId: string, o: OperationOptions & PinOptions & { region?: string | false }) => {
      parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
      const given = process.argv.filter(
        (a) => a === '--no-region' || a === '--region' || a.startsWith('--region='),
      );
      if (given.includes('--no-region') && given.length > 1) {
        throw new InputError('region', 'give either --region CODE or --no-region, not both');
      }
      if (o.region === undefined) {
        throw new InputError(
          'region',
          'give --region CODE (the new region) or --no-region (turn local storage off)',
        );
      }
      const request = {
        operation: 'change-region',
        region: o.region === false ? null : o.region,
        pin: await pinFrom(o),
        ...commonFields(o),
      };
      setExit(await runOperation(phoneNumberId, request as OperationRequestInput, o));
    });

  withPinOptions(withOperationOptions(program.command('migrate')))
    .description('migrate the number from the On-Premises API to Cloud API (backup, then register with it)')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .requiredOption('--onprem-url <url>', "the On-Prem client's base URL, e.g. https://onprem.example:9090")
    .option('--onprem-user-env <var>', 'environment variable holding the On-Prem admin user name')
    .option('--onprem-user-file <file>', 'file holding the On-Prem admin user name')
    .option('--onprem-password-env <var>', 'environment variable holding the On-Prem admin password')
    .option('--onprem-password-file <file>', 'file holding the On-Prem admin password')
    .option(
      '--backup-password-env <var>',
      'environment variable holding the password that encrypts the backup',
    )
    .option('--backup-password-file <file>', 'file holding the backup password')
    .action(async (phoneNumberId: string, o: OperationOptions & PinOptions & MigrateOptions) => {
      parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
      const sources = {
        pin: { env: o.pinEnv, file: o.pinFile },
        'onprem-user': { env: o.onpremUserEnv, file: o.onpremUserFile },
        'onprem-password': { env: o.onpremPasswordEnv, file: o.onpremPasswordFile },
        'backup-password': { env: o.backupPasswordEnv, file: o.backupPasswordFile },
      };
      const fromStdin = Object.entries(sources).filter(([, s]) => !s.env && !s.file);
      if (fromStdin.length > 1) {
        throw new InputError(
          fromStdin[0]![0],
          `only one secret can come from standard input; give --${fromStdin.map(([n]) => n).join('-env, --')}-env (or -file)`,
        );
      }
      const request = {
        operation: 'migrate',
        pin: await pinFrom(o),
        onPrem: {
          url: o.onpremUrl,
          username: await readSecret('onprem-user', sources['onprem-user']),
          password: await readSecret('onprem-password', sources['onprem-password']),
        },
        backupPassword: await readSecret('backup-password', sources['backup-password']),
        ...commonFields(o),
      };
      setExit(await runOperation(phoneNumberId, request as OperationRequestInput, o));
    });

  program
    .command('list')
    .description('numbers by lifecycle state, current operation and WABA (from search attributes)')
    .option('--state <state>', 'e.g. waiting-for-rate-limit, offline, failed, registered')
    .option('--operation <operation>', 'the operation running now, e.g. migrate')
    .option('--waba <id>', 'the WhatsApp Business Account ID')
    .option('--limit <n>', 'at most this many numbers (default 1000)')
    .option('--json', 'print one JSON object per line')
    .action(
      async (o: { state?: string; operation?: string; waba?: string; limit?: string; json?: boolean }) => {
        const filter = {
          ...(o.state ? { state: o.state } : {}),
          ...(o.operation ? { operation: o.operation } : {}),
          ...(o.waba ? { wabaId: o.waba } : {}),
          ...(o.limit !== undefined ? { limit: Number(o.limit) } : {}),
        } as ListFilter;
        parseInput(listFilterSchema(), filter); // bad input fails here, before any connection
        const rows = await withClient((client) => client.listNumbers(filter));
        for (const row of rows) {
          console.log(
            o.json
              ? JSON.stringify(row)
              : [
                  row.phoneNumberId,
                  row.state ?? '-',
                  row.operation ?? '-',
                  row.wabaId ?? '-',
                  row.nextAttemptAt ?? '',
                ]
                  .join('\t')
                  .trimEnd(),
          );
        }
        if (!o.json) console.error(`${rows.length} number(s)`);
        setExit(EXIT.ok);
      },
    );

  program
    .command('status')
    .description("the number's lifecycle state, request ledger and operations")
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--json', 'print JSON')
    .action(async (phoneNumberId: string, o: OutputOptions) => {
      const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
      await withClient(async (client) => {
        const state = await client.getState(id);
        if (!state) {
          print(
            o.json,
            { phoneNumberId: id, state: 'unknown', operations: 0 },
            `phone number ${id}: no operations yet`,
          );
          return;
        }
        print(o.json, state, renderState(state, operationPolicy(cliConfig()), Date.now()));
      });
      setExit(EXIT.ok);
    });

  program
    .command('retry')
    .description(
      "queue the number's last failed (or cancelled) operation again, with its original parameters",
    )
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option(
      '--pin-env <var>',
      'a corrected PIN from this environment variable (else the original PIN is used)',
    )
    .option('--pin-file <file>', 'a corrected PIN from this file')
    .option('--requested-by <name>', 'who asks, shown in the Temporal UI')
    .option('--wait', 'wait until the operation has finished and print its outcome')
    .option('--json', 'print JSON')
    .action(async (phoneNumberId: string, o: OutputOptions & PinOptions & { requestedBy?: string }) => {
      const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
      const pin = o.pinEnv || o.pinFile ? await pinFrom(o) : undefined;
      setExit(
        await withClient(async (client) => {
          const ticket = await client.retryOperation(id, {
            ...(pin ? { pin } : {}),
            ...(o.requestedBy ? { requestedBy: o.requestedBy } : {}),
          });
          return reportTicket(client, id, ticket, o);
        }),
      );
    });

  program
    .command('cancel')
    .description('cancel the queued operation, or stop the running one at its next safe point')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--operation-id <id>', 'the operation to cancel (default: the running one, else the last queued)')
    .option('--requested-by <name>', 'who cancels, shown in the Temporal UI')
    .option('--wait', 'wait until the operation has stopped and print its outcome')
    .option('--json', 'print JSON')
    .action(
      async (phoneNumberId: string, o: OutputOptions & { operationId?: string; requestedBy?: string }) => {
        const id = parseInput(phoneNumberIdSchema(), phoneNumberId, 'phone-number-id');
        setExit(
          await withClient(async (client) => {
            const result = await client.cancelOperation(id, {
              ...(o.operationId ? { operationId: o.operationId } : {}),
              ...(o.requestedBy ? { requestedBy: o.requestedBy } : {}),
            });
            if (!o.wait || result.status === 'cancelled') {
              print(o.json, result, `${result.operationId}: ${result.status} (${result.note})`);
              return EXIT.ok;
            }
            if (!o.json) console.error(`${result.operationId}: cancel requested; waiting for it to stop`);
            const outcome = await client.waitForOperation(id, result.operationId);
            print(o.json, outcome, renderOutcome(outcome));
            return EXIT.ok;
          }),
        );
      },
    );

  addFleetCommands(program, withClient, setExit);
  addWebhookCommands(
    program,
    async (fn) => {
      if (apiClient) refuseOverApi();
      const config = cliConfig();
      const client = await NumberLifecycleClient.connect({ config, target: cliTarget(config) });
      try {
        return await fn(new WebhookSubscriptionsClient(client.client, client.taskQueue, config.webhooks));
      } finally {
        await client.close();
      }
    },
    setExit,
    () => cliConfig().webhooks.allowedUrlPrefixes,
  );
  addSetupCommand(
    program,
    () => {
      const config = cliConfig();
      return { config, target: cliTarget(config) };
    },
    () => apiClient !== undefined,
    setExit,
  );
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (
      err instanceof InputError ||
      err instanceof ConfigError ||
      err instanceof EncryptionKeyError ||
      err instanceof OperationRejectedError ||
      err instanceof ApiKeyRefusedError
    ) {
      console.error(`wa-number: ${err.message}`);
      return EXIT.badInput;
    }
    if (err instanceof TemporalUnreachableError) {
      console.error(`wa-number: ${err.message}`);
      return EXIT.unreachable;
    }
    console.error(`wa-number: ${redactText(err instanceof Error ? err.message : String(err))}`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
