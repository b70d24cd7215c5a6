// Numbers and clock offset, optionally persisted to a JSON file so a restarted simulator keeps its numbers,
// PINs (hashed), local-storage settings, register/deregister budgets, and the verification codes sent with
// their request history (codes in clear: they are test fixtures), and each number's On-Prem client (running
// flag, admin password and login tokens hashed, backups created), and the known WABAs. The request log and faults
// are not persisted.
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

const STATE_FILE_VERSION = 5;

/**
 * Version 1 kept only `data_localization_region` per number; version 2 keeps the whole
 * `storage_configuration`. A version-1 record is read as in-country storage with that region (or DEFAULT).
 * Version 3 adds `verification` (codes and request_code history); older records get an empty one.
 * Version 4 adds `onprem` (the On-Premises client); older records get null (no On-Prem client).
 * Version 5 adds the Meta-side conditions of number-conditions.ts (account_locked, the PIN guessing rules and
 * count, ...); older records get their defaults.
 * `wabas` (the known WhatsApp Business Accounts) is optional, so it needed no new version: a file without it
 * knows the WABAs of its numbers.
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
  version: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(STATE_FILE_VERSION)]),
  clockOffsetMs: z.number(),
  wabas: z.array(z.string().regex(/^\d+$/)).optional(),
  phoneNumbers: z.array(z.preprocess(upgradeRecord, PhoneNumberRecord)),
});

/** Graph ids are digit strings: numeric order, then the string itself (a leading zero) as the tie-break. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class SimState {
  readonly clock = new SimClock();
  private numbers = new Map<string, PhoneNumberRecord>();
  /**
   * WhatsApp Business Accounts that exist: every waba_id a number was seeded with, plus the ones created
   * empty (POST /_sim/wabas). A WABA stays known when its numbers move away; only a reset forgets it.
   */
  private wabas = new Set<string>();

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
    this.wabas = new Set(parsed.data.wabas ?? []);
    for (const n of this.numbers.values()) if (n.waba_id !== null) this.wabas.add(n.waba_id);
  }

  reset(seed: SeedName): void {
    this.clock.reset();
    this.numbers.clear();
    this.wabas.clear();
    if (seed === 'default') this.upsertMany(defaultSeedInputs());
    else this.save();
  }

  get(id: string): PhoneNumberRecord | undefined {
    return this.numbers.get(id);
  }

  list(): PhoneNumberRecord[] {
    return [...this.numbers.values()];
  }

  /** Creates or replaces a number; replacing also forgets its request history and blocks. */
  upsert(input: SeedPhoneNumberInput): PhoneNumberRecord {
    const [record] = this.upsertMany([input]);
    if (record === undefined) throw new Error('upsertMany returned nothing');
    return record;
  }

  /**
   * upsert for many numbers, all or nothing: every input is validated and built before any is stored, and the
   * state file is written once. Throws (changing nothing) on an invalid input.
   */
  upsertMany(inputs: readonly SeedPhoneNumberInput[]): PhoneNumberRecord[] {
    const now = this.clock.now();
    const records = inputs.map((input) => createPhoneNumber(SeedPhoneNumberInput.parse(input), now));
    for (const record of records) {
      this.numbers.set(record.id, record);
      if (record.waba_id !== null) this.wabas.add(record.waba_id);
    }
    this.save();
    return records;
  }

  isWaba(id: string): boolean {
    return this.wabas.has(id);
  }

  /** Makes a WABA known (possibly without numbers); false when it already was. */
  addWaba(id: string): boolean {
    if (this.wabas.has(id)) return false;
    this.wabas.add(id);
    this.save();
    return true;
  }

  /** Known WABAs in id order. */
  listWabas(): string[] {
    return [...this.wabas].sort(compareIds);
  }

  /** The numbers of a WABA in id order. */
  numbersOfWaba(wabaId: string): PhoneNumberRecord[] {
    return this.list()
      .filter((n) => n.waba_id === wabaId)
      .sort((a, b) => compareIds(a.id, b.id));
  }

  /** Rewrites the state file (atomically, via rename) after every change. */
  save(): void {
    if (this.stateFile === undefined) return;
    const content: z.infer<typeof StateFileContent> = {
      format: STATE_FILE_FORMAT,
      version: STATE_FILE_VERSION,
      clockOffsetMs: this.clock.offset,
      wabas: this.listWabas(),
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
