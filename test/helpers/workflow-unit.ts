// Workflow unit tests: our workflow bundle on the time-skipping test server, run by workers with recording
// (stand-in) activities that each test builds.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import { ensureSearchAttributes } from '../../worker/search-attributes';
import { timeSkippingServerExecutable } from '../../scripts/temporal-binaries';

export interface WorkflowUnitEnv {
  env: TestWorkflowEnvironment;
  workflowBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
}

export async function startWorkflowUnitEnv(): Promise<WorkflowUnitEnv> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: timeSkippingServerExecutable() },
  });
  await ensureSearchAttributes(env.connection, 'default');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
  });
  return { env, workflowBundle };
}
