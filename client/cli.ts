// wa-number: start, join and watch operations on WhatsApp Business phone numbers.
// Exit codes: 0 done (or started), 1 operation failed, 2 bad input, 3 Temporal unreachable.
import { Command, CommanderError, Option } from 'commander';
import { phoneNumberIdSchema, pinSchema } from '../domain/phone-number';
import { parseInput, InputError } from '../domain/validation';
import { ConfigError, loadConfig, operationPolicy } from '../worker/config';
import {
  NumberLifecycleClient,
  OperationRejectedError,
  TemporalUnreachableError,
  type OperationRequest,
} from './index';
import { renderOutcome, renderState, renderTicket } from './render';
import { readSecret } from './secret-input';
import { EncryptionKeyError } from '../worker/security/encryption-keys';
import { redactText } from '../worker/security/redact';

export const EXIT = { ok: 0, failed: 1, badInput: 2, unreachable: 3 } as const;

interface OutputOptions {
  json?: boolean;
  wait?: boolean;
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value) : text);
}

async function withClient<T>(fn: (client: NumberLifecycleClient) => Promise<T>): Promise<T> {
  const client = await NumberLifecycleClient.connect({ config: loadConfig() });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function runOperation(
  phoneNumberId: string,
  request: OperationRequest,
  opts: OutputOptions,
): Promise<number> {
  const id = parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
  return withClient(async (client) => {
    const ticket = await client.requestOperation(id, request);
    if (!opts.wait) {
      print(opts.json, ticket, renderTicket(id, ticket));
      return EXIT.ok;
    }
    if (!opts.json) console.error(renderTicket(id, ticket) + '; waiting for it to finish');
    const outcome = await client.waitForOperation(id, ticket.operationId);
    print(opts.json, outcome, renderOutcome(outcome));
    return outcome.status === 'completed' ? EXIT.ok : EXIT.failed;
  });
}

interface OperationOptions extends OutputOptions {
  requestedBy?: string;
  waba?: string;
}

/** Options every operation command takes. */
function withOperationOptions(command: Command): Command {
  const options = [
    new Option('--requested-by <name>', 'who asks, shown in the Temporal UI'),
    new Option('--waba <id>', 'the WhatsApp Business Account ID (searchable as WaWabaId)'),
    new Option('--wait', 'wait until the operation has finished and print its outcome'),
    new Option('--json', 'print JSON'),
  ];
  for (const option of options) command.addOption(option);
  return command;
}

function commonFields(o: OperationOptions): { requestedBy?: string; wabaId?: string } {
  return { ...(o.requestedBy ? { requestedBy: o.requestedBy } : {}), ...(o.waba ? { wabaId: o.waba } : {}) };
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('wa-number')
    .description('Durable lifecycle operations for WhatsApp Business (Cloud API) phone numbers')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  withOperationOptions(program.command('register'))
    .description('register the number for Cloud API (start, or join an identical queued/running request)')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--pin-env <var>', 'environment variable holding the 6-digit two-step PIN')
    .option('--pin-file <file>', 'file holding the PIN (otherwise it is read from standard input)')
    .option('--region <code>', "data-localization region, one of Meta's 14 codes (e.g. DE)")
    .action(
      async (
        phoneNumberId: string,
        o: OperationOptions & { pinEnv?: string; pinFile?: string; region?: string },
      ) => {
        parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
        const pin = parseInput(pinSchema, await readSecret('pin', { env: o.pinEnv, file: o.pinFile }), 'pin');
        const request: OperationRequest = { operation: 'register', pin, ...commonFields(o) };
        if (o.region !== undefined) request.region = o.region as typeof request.region;
        setExit(await runOperation(phoneNumberId, request, o));
      },
    );

  withOperationOptions(program.command('deregister'))
    .description('deregister the number from Cloud API')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .action(async (phoneNumberId: string, o: OperationOptions) => {
      setExit(await runOperation(phoneNumberId, { operation: 'deregister', ...commonFields(o) }, o));
    });

  program
    .command('status')
    .description("the number's lifecycle state, request ledger and operations")
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--json', 'print JSON')
    .action(async (phoneNumberId: string, o: OutputOptions) => {
      const id = parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
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
        print(o.json, state, renderState(state, operationPolicy(client.config), Date.now()));
      });
      setExit(EXIT.ok);
    });
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
      err instanceof OperationRejectedError
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
