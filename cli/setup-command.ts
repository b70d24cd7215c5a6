// wa-number setup: makes a namespace ready for the product, once per namespace and safe to run again.
// It needs Temporal's operator rights, so it connects to Temporal directly (never through --api), and it
// needs no payload key: it reads and writes no workflow payloads.
import { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { InputError } from '../domain/validation';
import type { AppConfig } from '../platform/config';
import type { TemporalTarget } from '../platform/temporal-target';
import { setUpNamespace } from '../platform/namespace-setup';
import { TemporalUnreachableError } from '../client/index';

interface SetupFlags {
  createNamespace?: boolean;
  retentionDays: string;
  json?: boolean;
}

export function addSetupCommand(
  program: Command,
  targetFor: () => { config: AppConfig; target: TemporalTarget },
  usesApi: () => boolean,
  setExit: (code: number) => void,
): void {
  program
    .command('setup')
    .description(
      'make the namespace ready: check it exists (create it with --create-namespace on a self-hosted ' +
        'cluster) and register our search attributes; safe to run again',
    )
    .option('--create-namespace', 'create the namespace when it does not exist (self-hosted clusters)')
    .option('--retention-days <days>', 'retention of closed workflows in a namespace created here', '30')
    .option('--json', 'print the result as JSON')
    .action(async (o: SetupFlags) => {
      if (usesApi()) {
        throw new InputError('api', 'setup talks to Temporal directly (operator rights): drop --api');
      }
      const retentionDays = Number(o.retentionDays);
      if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 3650) {
        throw new InputError(
          'retention-days',
          `must be a whole number of days, 1 to 3650 (got "${o.retentionDays}")`,
        );
      }
      const { config, target } = targetFor();
      const options = target.connection;
      const namespace = target.namespace;
      let connection: Connection;
      try {
        connection = await Connection.connect({
          ...options,
          connectTimeout: config.temporal.connectTimeoutMs,
        });
      } catch (err) {
        throw new TemporalUnreachableError(
          `Temporal is unreachable at ${options.address} (${(err as Error).message.split('\n')[0]})`,
        );
      }
      try {
        const result = await setUpNamespace(connection, namespace, {
          address: options.address,
          createNamespace: o.createNamespace === true,
          retentionDays,
          say: (line) => {
            if (!o.json) console.log(line);
          },
        });
        if (o.json) console.log(JSON.stringify({ namespace, ...result }));
        else if (result.ok) console.log(`namespace ${namespace} is ready`);
        else console.error(`wa-number: ${result.problem}`);
        setExit(result.ok ? 0 : 1);
      } finally {
        await connection.close();
      }
    });
}
