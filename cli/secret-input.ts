// Secrets reach the CLI only from an environment variable, a file or standard input: never as a plain
// argument, which would land in shell history and process listings.
import { readFileSync } from 'node:fs';
import { InputError } from '../domain/validation';

export interface SecretSource {
  env?: string;
  file?: string;
}

export async function readSecret(
  name: string,
  source: SecretSource,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  if (source.env && source.file)
    throw new InputError(name, `give either --${name}-env or --${name}-file, not both`);
  if (source.env) {
    const value = process.env[source.env];
    if (value === undefined || value.trim() === '') {
      throw new InputError(name, `environment variable ${source.env} (--${name}-env) is not set or empty`);
    }
    return value.trim();
  }
  if (source.file) {
    try {
      return readFileSync(source.file, 'utf8').trim();
    } catch {
      throw new InputError(name, `cannot read file ${source.file} (--${name}-file)`);
    }
  }
  if ((stdin as NodeJS.ReadStream).isTTY) {
    throw new InputError(name, `give --${name}-env VAR, --${name}-file FILE, or pipe it on standard input`);
  }
  let text = '';
  for await (const chunk of stdin) text += chunk.toString();
  return text.trim();
}
