// JSON lines for log collectors (logging.format: json): one object per line with level, time, message and
// the attributes the SDK or our code attached. It implements the SDK's Logger, so one instance serves as
// the Temporal Runtime logger and as the worker's and API's own log. pino writes whatever it is given, so
// every message and attribute passes the same redaction as the text logger first.
import { pino, destination as pinoDestination, type DestinationStream } from 'pino';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { redactText, redactValue } from '../security/redact';

const SEVERITIES: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
// The SDK passes the time a line was emitted under this symbol: core lines reach us in batches, later.
const LOG_TIMESTAMP = Symbol.for('log_timestamp');
// Keys the line itself uses; an attribute of the same name is renamed rather than written twice.
const RESERVED = new Set(['level', 'time', 'message']);

export interface JsonLoggerOptions {
  level: LogLevel;
  /** Where lines go (default: stdout, written synchronously so none is lost when the process exits). */
  destination?: DestinationStream;
}

export class JsonLogger implements Logger {
  private readonly minimum: number;
  private readonly out: ReturnType<typeof pino>;

  constructor(options: JsonLoggerOptions) {
    this.minimum = SEVERITIES.indexOf(options.level);
    this.out = pino(
      {
        level: 'trace', // filtered above, by the SDK's level names
        base: null, // no pid or hostname: the collector knows where a line came from
        timestamp: false, // the line's own time is set from the entry (see LOG_TIMESTAMP)
        messageKey: 'message',
        formatters: { level: (label) => ({ level: label }) },
      },
      options.destination ?? pinoDestination({ dest: 1, sync: true }),
    );
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (SEVERITIES.indexOf(level) < this.minimum) return;
    const nanos: unknown = meta?.[LOG_TIMESTAMP];
    const time = new Date(typeof nanos === 'bigint' ? Number(nanos / 1_000_000n) : Date.now()).toISOString();
    const method = level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    this.out[method]({ time, ...attributes(meta) }, redactText(message));
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** The entry's attributes, redacted, errors as plain objects, reserved names prefixed with "attr.". */
function attributes(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  // Object.entries skips symbol keys (the SDK's timestamp); redactValue works on the plain copy.
  const plain = redactValue(toPlain(meta)) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(plain).map(([k, v]) => [RESERVED.has(k) ? `attr.${k}` : k, v]));
}

/**
 * Errors become { name, message, type, stack, cause } (JSON.stringify would write {}), before redaction so
 * their text is redacted like any other. The SDK logs failed activities with their error this way.
 */
function toPlain(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const failureType = (value as { type?: unknown }).type;
    return {
      name: value.name,
      message: value.message,
      ...(typeof failureType === 'string' ? { type: failureType } : {}),
      ...(value.stack ? { stack: value.stack } : {}),
      ...(value.cause !== undefined ? { cause: toPlain(value.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => toPlain(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v, depth + 1)]));
  }
  return value;
}
