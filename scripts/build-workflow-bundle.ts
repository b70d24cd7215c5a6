// `npm run build`, last step: bundles the compiled workflows (dist/workflows) into dist/workflow-bundle.js,
// which a worker running from dist/ loads instead of bundling at every start, and into
// dist/workflow-bundle-tracing.js, the same with the tracing workflow interceptors (the SDK takes interceptor
// modules only at bundling), loaded instead when tracing.enabled. Made with the failure converter the
// worker's data converter names, as the SDK requires of a prebuilt bundle.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTORS_MODULE } from '../platform/tracing';
import { sharedWorkflowModules } from '../worker/shared-workflow-modules';

const DIST = path.resolve(__dirname, '..', 'dist');

async function writeBundle(file: string, workflowInterceptorModules: string[]): Promise<void> {
  const started = Date.now();
  const workflowsPath = path.join(DIST, 'workflows', 'index.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    preloadModules: sharedWorkflowModules(workflowsPath),
    failureConverterPath: path.join(DIST, 'platform', 'security', 'failure-converter.js'),
    workflowInterceptorModules,
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(path.join(DIST, file), code);
  const kib = Math.round(Buffer.byteLength(code) / 1024);
  console.log(`workflow bundle: dist/${file} (${kib} KiB, ${Date.now() - started} ms)`);
}

async function main(): Promise<void> {
  await writeBundle('workflow-bundle.js', []);
  await writeBundle('workflow-bundle-tracing.js', [WORKFLOW_INTERCEPTORS_MODULE]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
