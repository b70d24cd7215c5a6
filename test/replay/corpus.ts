// The replay corpus: recorded histories of every workflow type and path that can be open at a deploy
// (test/replay/histories/*.json, written by `npm run replay:record`). Each file holds one workflow run's
// history with what the replay test needs to name it. Payloads in it are encrypted with CORPUS_ENCRYPTION_KEYS,
// a fixed key made for the corpus (never a real one): the replay worker decrypts with it as a worker would.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export const CORPUS_DIR = path.join(__dirname, 'histories');

/** WA_ENCRYPTION_KEYS format: the corpus's own fixed test key (32 bytes, base64). */
export const CORPUS_ENCRYPTION_KEYS = `replay-corpus-1=${Buffer.alloc(32, 0x5a).toString('base64')}`;

export interface CorpusEntry {
  /** File name without .json: `<scenario>--<workflow role>`, e.g. `register-plain--lifecycle`. */
  name: string;
  /** What the history shows, in a sentence (which path of which workflow, open or closed). */
  description: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  /** Whether the run was still open when it was recorded (what a deploy meets). */
  open: boolean;
  events: number;
  recordedAt: string;
  /** The history as `temporal workflow show --output json` writes it (historyToJSON). */
  history: unknown;
}

export function corpusFiles(dir = CORPUS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readCorpusEntry(file: string, dir = CORPUS_DIR): CorpusEntry {
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CorpusEntry;
}

/** Each entry in the shape Worker.runReplayHistories takes; results come back in this order. */
export function replayInput(entry: CorpusEntry): {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
} {
  return { workflowId: entry.workflowId, history: historyFromCorpusJSON(entry.history) };
}

export function readCorpus(dir = CORPUS_DIR): CorpusEntry[] {
  return corpusFiles(dir).map((file) => readCorpusEntry(file, dir));
}

/** The whole corpus, replay-ready, in file order. */
export function* corpusHistories(dir = CORPUS_DIR): Generator<ReturnType<typeof replayInput>> {
  for (const entry of readCorpus(dir)) yield replayInput(entry);
}

// The SDK's historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils) fail in this checkout with
// "type must be a Type": they take protobufjs's protojson from @temporalio/common's own copy of protobufjs,
// while the History type comes from @temporalio/proto's copy (npm nests a copy in each @temporalio package, as
// the root slot holds grpc's protobufjs 7), and protojson's `instanceof Type` check refuses a type of the other
// copy. These two do the same conversion with the protojson of the copy @temporalio/proto is built with.
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
const protojson = createRequire(require.resolve('@temporalio/proto'))(
  'protobufjs/ext/protojson',
) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** A history (as fetchHistory returns it) as proto JSON: what historyToJSON writes, already parsed. */
export function historyToCorpusJSON(history: temporal.api.history.v1.IHistory): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

/** A corpus entry's history (proto JSON) as the History message Worker.runReplayHistories takes. */
export function historyFromCorpusJSON(json: unknown): temporal.api.history.v1.IHistory {
  // Unknown fields (a history written by a newer server) are ignored, as historyFromJSON does.
  return protojson.fromJson(historyType, json, {
    ignoreUnknownFields: true,
  }) as temporal.api.history.v1.IHistory;
}
