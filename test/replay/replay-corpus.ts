// Replays corpus entries against a build of the workflow code and names each one that fails.
import { sharedWorkflowModules } from '../../worker/shared-workflow-modules';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { loadConfig } from '../../platform/config';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../../platform/security/data-converter';
import { CORPUS_ENCRYPTION_KEYS, replayInput, type CorpusEntry } from './corpus';

export interface ReplayFailure {
  name: string;
  error: string;
}

export interface ReplayRun {
  replayed: number;
  failures: ReplayFailure[];
  ms: number;
}

/** Bundles `workflowsPath` as the worker does (with the failure converter the corpus was written with). */
export function bundleForReplay(workflowsPath: string) {
  return bundleWorkflowCode({
    workflowsPath,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    preloadModules: sharedWorkflowModules(workflowsPath),
    logger: new DefaultLogger('WARN'),
  });
}

export async function replayCorpus(
  entries: CorpusEntry[],
  workflowBundle: Awaited<ReturnType<typeof bundleForReplay>>,
): Promise<ReplayRun> {
  const { dataConverter } = createDataConverter(loadConfig({ env: {} }), {
    WA_ENCRYPTION_KEYS: CORPUS_ENCRYPTION_KEYS,
  });
  const t0 = Date.now();
  const failures: ReplayFailure[] = [];
  let i = 0;
  const results = Worker.runReplayHistories(
    { workflowBundle, dataConverter, replayName: 'replay-corpus' },
    entries.map(replayInput),
  );
  for await (const result of results) {
    const entry = entries[i++]!;
    if (result.workflowId !== entry.workflowId) {
      throw new Error(`replay results out of order: ${result.workflowId} for ${entry.name}`);
    }
    if (result.error) {
      failures.push({ name: entry.name, error: `${result.error.name}: ${result.error.message}` });
    }
  }
  return { replayed: i, failures, ms: Date.now() - t0 };
}

export function describeFailures(failures: ReplayFailure[]): string {
  return failures.map((f) => `  ${f.name}: ${f.error.split('\n')[0]}`).join('\n');
}
