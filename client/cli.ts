// wa-number: start, join and watch operations on WhatsApp Business phone numbers.
// Exit codes: 0 done (or started), 1 operation failed, 2 bad input, 3 Temporal unreachable.
import { Command, CommanderError, Option } from 'commander';
import { phoneNumberIdSchema, pinSchema } from '../domain/phone-number';
import { verificationCodeSchema } from '../domain/verification';
import { parseInput, InputError } from '../domain/validation';
import { ConfigError, loadConfig, operationPolicy } from '../worker/config';
import {
  NumberLifecycleClient,
  OperationRejectedError,
  TemporalUnreachableError,
  type OperationRequestInput,
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
  request: OperationRequestInput,
  opts: OutputOptions,
  hint = '',
): Promise<number> {
  const id = parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
  return withClient(async (client) => {
    const ticket = await client.requestOperation(id, request);
    if (!opts.wait) {
      print(opts.json, ticket, renderTicket(id, ticket) + hint);
      return EXIT.ok;
    }
    if (!opts.json) console.error(renderTicket(id, ticket) + hint + '; waiting for it to finish');
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
  return parseInput(pinSchema, await readSecret('pin', { env: o.pinEnv, file: o.pinFile }), 'pin');
}

interface VerificationOptions {
  method?: string;
  language?: string;
  voiceFallback: boolean;
}

function withVerificationOptions(command: Command): Command {
  return command
    .option('--method <method>', 'how Meta sends the code: SMS or VOICE (default SMS)')
    .option('--language <code>', 'language of the message or call, e.g. en_US (default) or de')
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
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  withPinOptions(withOperationOptions(program.command('register')))
    .description('register the number for Cloud API (start, or join an identical queued/running request)')
    .argument('<phone-number-id>', 'Graph phone-number ID (digits)')
    .option('--region <code>', "data-localization region, one of Meta's 14 codes (e.g. DE)")
    .action(async (phoneNumberId: string, o: OperationOptions & PinOptions & { region?: string }) => {
      parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
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
      const id = parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
      parseInput(verificationCodeSchema, code, 'code');
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
      parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
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
        parseInput(phoneNumberIdSchema, phoneNumberId, 'phone-number-id');
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
