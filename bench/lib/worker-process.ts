// The worker as its own process, as in production, for the benchmarks that measure it apart from the client.
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT_DIR } from '../../platform/config';
import { WORKER_PROCESS_ENV } from '../../worker/process-env';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output: () => string;
}

/**
 * Starts `node <args>` in the project root, with the environment a shipped launcher gives the worker (`env`
 * wins); resolves once the worker says it polls.
 */
export async function startWorkerProcess(args: string[], env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT_DIR,
    env: { ...WORKER_PROCESS_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/worker: polling /.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited ${code}:\n${output.slice(-4000)}`)));
  });
  child.removeAllListeners('exit');
  return { child, output: () => output };
}
