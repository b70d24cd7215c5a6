// wa-number --api URL: every command goes through the HTTP API (HttpLifecycleClient), so an operator
// needs neither Temporal credentials nor the payload key. The API key comes from WA_API_KEY or a file,
// never from a flag's value (shell history, process listings), and is never printed.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { HttpLifecycleClient } from '../client/index';
import { InputError } from '../domain/validation';

export interface ApiFlags {
  api?: string;
  apiKeyFile?: string;
}

/** The global --api and --api-key-file options (env WA_API_URL, WA_API_KEY_FILE). */
export function addApiOptions(program: Command): Command {
  return program
    .addOption(
      new Option(
        '--api <url>',
        'go through the HTTP API at this URL instead of Temporal (key from WA_API_KEY or --api-key-file)',
      ).env('WA_API_URL'),
    )
    .addOption(
      new Option('--api-key-file <file>', 'file holding the HTTP API key (with --api)').env(
        'WA_API_KEY_FILE',
      ),
    );
}

/**
 * The HTTP client the flags ask for, or undefined without --api. The key: --api-key-file given on the
 * command line, else WA_API_KEY, else the file WA_API_KEY_FILE names; none at all for a keyless API.
 */
export function httpClientFrom(
  program: Command,
  env: NodeJS.ProcessEnv = process.env,
): HttpLifecycleClient | undefined {
  const flags = program.opts<ApiFlags>();
  if (flags.api === undefined || flags.api === '') return undefined;
  const fileFromFlag = program.getOptionValueSource('apiKeyFile') === 'cli';
  const envKey = env.WA_API_KEY === '' ? undefined : env.WA_API_KEY;
  let apiKey: string | undefined;
  if (flags.apiKeyFile !== undefined && (fileFromFlag || envKey === undefined)) {
    apiKey = keyFromFile(flags.apiKeyFile, fileFromFlag ? '--api-key-file' : 'WA_API_KEY_FILE');
  } else if (envKey !== undefined) {
    apiKey = envKey.trim();
    if (!/^\S+$/.test(apiKey)) throw new InputError('api-key', 'WA_API_KEY must be one word, no spaces');
  }
  try {
    return new HttpLifecycleClient({ baseUrl: flags.api, ...(apiKey !== undefined ? { apiKey } : {}) });
  } catch (err) {
    if (err instanceof InputError && err.field === 'baseUrl') {
      throw new InputError('api', `${err.rule} (--api or WA_API_URL)`);
    }
    throw err;
  }
}

function keyFromFile(file: string, from: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('api-key-file', `cannot read file ${file} (${from})`);
  }
  const key = text.trim();
  if (!/^\S+$/.test(key)) {
    throw new InputError('api-key-file', `${file} (${from}) must hold the key alone, on one line`);
  }
  return key;
}
