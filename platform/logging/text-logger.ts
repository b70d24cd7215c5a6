// logging.format text: the Temporal Runtime logger as one readable line per entry,
// `ISO-time [LEVEL] message { attributes }`, redacted before it is written.
import { inspect } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import { redactText, redactValue } from '../security/redact';

/** A Temporal Runtime logger that redacts messages and metadata before writing them (to stderr by default). */
export function createRedactingLogger(
  level: LogLevel = 'INFO',
  write: (line: string) => void = console.error,
) {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    const meta =
      entry.meta && Object.keys(entry.meta).length
        ? ' ' + inspect(redactValue(entry.meta), { depth: 4, breakLength: Infinity })
        : '';
    write(`${at} [${entry.level}] ${redactText(entry.message)}${meta}`);
  });
}
