// The logging: section applied: the JSON logger (when asked for), whether the SDK core's own lines are
// forwarded to the Runtime's logger, and the log the worker and the API write their own lines with.
// Nothing here loads the SDK's worker package: the API uses it too (the text logger is text-logger.ts).
import type { Logger, LogLevel } from '@temporalio/common';
import type { RuntimeOptions } from '@temporalio/worker';
import type { AppConfig } from '../config';
import { JsonLogger } from './json-logger';

export type LoggingSettings = AppConfig['logging'];

/** logging.level as the SDK spells it. */
export function sdkLevel(settings: LoggingSettings): LogLevel {
  return settings.level.toUpperCase() as LogLevel;
}

/** JSON lines on stdout in JSON mode; undefined in text mode. */
export function jsonLoggerFor(settings: LoggingSettings): JsonLogger | undefined {
  return settings.format === 'json' ? new JsonLogger({ level: sdkLevel(settings) }) : undefined;
}

/**
 * Runtime.install's telemetryOptions.logging. In JSON mode the core's lines are forwarded to our logger:
 * printed by the core itself they would be plain text among the JSON. The core stays at WARN (ERROR when
 * asked): its INFO and DEBUG lines are per poll and per task.
 */
export function coreLogging(
  settings: LoggingSettings,
): NonNullable<RuntimeOptions['telemetryOptions']>['logging'] {
  if (settings.format !== 'json') return undefined;
  return { forward: {}, filter: { core: settings.level === 'error' ? 'ERROR' : 'WARN', other: 'ERROR' } };
}

/** A line of the worker's or the API's own (start-up, shutdown). */
export type ProcessLog = (message: string, attributes?: Record<string, unknown>) => void;

/** Text mode: `service: message` on stdout, as always. JSON mode: an info entry with `service` set. */
export function createProcessLog(service: 'worker' | 'api', jsonLogger: Logger | undefined): ProcessLog {
  if (!jsonLogger) return (message) => console.log(`${service}: ${message}`);
  return (message, attributes) => jsonLogger.info(message, { service, ...attributes });
}
