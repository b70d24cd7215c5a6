// Numbers and clock offset, optionally persisted to a JSON file so a restarted simulator keeps its numbers,
// PINs (hashed), local-storage settings, register/deregister budgets, and the verification codes sent with
// their request history (codes in clear: they are test fixtures), and each number's On-Prem client (running
// flag, admin password and login tokens hashed, backups created). The request log and faults are not persisted.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SimClock } from './clock';
import {
  createPhoneNumber,
  defaultSeedInputs,
  PhoneNumberRecord,
  SeedPhoneNumberInput,
} from './phone-numbers';

export type SeedName = 'default' | 'none';

const STATE_FILE_FORMAT = 'whatsapp-graph-simulator-state';

const STATE_FILE_VERSION = 4;

/**
 * Version 1 kept only `data_localization_region` per number; version 2 keeps the whole
 * `storage_configuration`. A version-1 record is read as in-country storage with that region (or DEFAULT).
 * Version 3 adds `verification` (codes and request_code history); older records get an empty one.
 * Version 4 adds `onprem` (the On-Premises client); older records get null (no On-Prem client).
 */
function upgradeRecord(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || 'storage_configuration' in raw) return raw;
  const { data_localization_region: region, ...rest } = raw as Record<string, unknown>;
  return {
    ...rest,
    storage_configuration:
      region === null || region === undefined
        ? { status: 'DEFAULT' }
        : { status: 'IN_COUNTRY_STORAGE_ENABLED', data_localization_region: region },
  };
}

const StateFileContent = z.object({
  format: z.literal(STATE_FILE_FORMAT),
  version: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(STATE_FILE_VERSION)]),
  clockOffsetMs: z.number(),
  phoneNumbers: z.array(z.preprocess(upgradeRecord, PhoneNumberRecord)),
});

export class SimState {
  readonly clock = new SimClock();
  private numbers = new Map<string, PhoneNumberRecord>();

  constructor(private readonly stateFile?: string) {}

  /** Loads the state file if it has content; otherwise seeds. Invalid content is an error, never silently dropped. */
  init(seed: SeedName): void {
    const raw = this.readStateFile();
    if (raw === null) {
      this.reset(seed);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new Error(`simulator state file ${this.stateFile} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const parsed = StateFileContent.safeParse(json);
    if (!parsed.success) {
      throw new Error(
        `simulator state file ${this.stateFile} has an unexpected shape: ${parsed.error.message}`,
      );
    }
    this.clock.set(Date.now() + parsed.data.clockOffsetMs);
    this.numbers = new Map(parsed.data.phoneNumbers.map((n) => [n.id, n]));
  }

  reset(seed: SeedName): void {
    this.clock.reset();
    this.numbers.clear();
    if (seed === 'default') {
      for (const input of defaultSeedInputs()) this.upsert(input);
    }
    this.save();
  }

  get(id: string): PhoneNumberRecord | undefined {
    return this.numbers.get(id);
  }

  list(): PhoneNumberRecord[] {
    return [...this.numbers.values()];
  }

  /** Creates or replaces a number; replacing also forgets its request history and blocks. */
  upsert(input: SeedPhoneNumberInput): PhoneNumberRecord {
    const record = createPhoneNumber(SeedPhoneNumberInput.parse(input), this.clock.now());
    this.numbers.set(record.id, record);
    this.save();
    return record;
  }

  /** Rewrites the state file (atomically, via rename) after every change. */
  save(): void {
    if (this.stateFile === undefined) return;
    const content: z.infer<typeof StateFileContent> = {
      format: STATE_FILE_FORMAT,
      version: STATE_FILE_VERSION,
      clockOffsetMs: this.clock.offset,
      phoneNumbers: this.list(),
    };
    mkdirSync(dirname(this.stateFile), { recursive: true });
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(tmp, this.stateFile);
  }

  private readStateFile(): string | null {
    if (this.stateFile === undefined) return null;
    try {
      const raw = readFileSync(this.stateFile, 'utf8');
      return raw.trim() === '' ? null : raw;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}
