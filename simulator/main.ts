// CLI entry: `tsx simulator/main.ts`. Configured through SIM_* environment variables.
import { startSimulator } from './server';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function envPositive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function envSeed(): 'default' | 'none' {
  const raw = process.env.SIM_SEED;
  if (raw === undefined || raw === '') return 'default';
  if (raw === 'default' || raw === 'none') return raw;
  throw new Error(`SIM_SEED must be "default" or "none", got "${raw}"`);
}

function envBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be "true" or "false", got "${raw}"`);
}

async function main(): Promise<void> {
  const stateFile = process.env.SIM_STATE_FILE;
  const sim = await startSimulator({
    host: process.env.SIM_HOST || '127.0.0.1',
    port: envInt('SIM_PORT', 8780),
    accessToken: process.env.SIM_ACCESS_TOKEN || 'local-simulator-token',
    ...(stateFile ? { stateFile } : {}),
    seed: envSeed(),
    strictVersionRules: envBool('SIM_STRICT_VERSION_RULES', false),
    codeTtlMinutes: envPositive('SIM_CODE_TTL_MINUTES', 10),
    codeRequestsPerHour: envInt('SIM_CODE_REQUESTS_PER_HOUR', 5),
    backupRegisterDelayMs: envInt('SIM_BACKUP_REGISTER_DELAY_MS', 2000),
    legacySubcodes: envBool('SIM_LEGACY_SUBCODES', false),
    // Meta's webhooks to a callback (e.g. the HTTP API's /webhooks/meta): all three, or none.
    ...(process.env.SIM_WEBHOOK_URL
      ? {
          webhooks: {
            callbackUrl: process.env.SIM_WEBHOOK_URL,
            verifyToken: process.env.SIM_WEBHOOK_VERIFY_TOKEN ?? '',
            appSecret: process.env.SIM_WEBHOOK_APP_SECRET ?? '',
          },
        }
      : {}),
    log: (line) => console.log(line),
  });
  console.log(`simulator listening on ${sim.url}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('simulator: error while stopping', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
