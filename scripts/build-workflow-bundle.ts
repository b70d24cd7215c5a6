// `npm run build`, last step: bundles the compiled workflows (dist/workflows) into dist/workflow-bundle.js,
// which a worker running from dist/ loads instead of bundling at every start. Made with the failure converter
// the worker's data converter names, as the SDK requires of a prebuilt bundle.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const DIST = path.resolve(__dirname, '..', 'dist');

async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(DIST, 'workflows', 'index.js'),
    failureConverterPath: path.join(DIST, 'platform', 'security', 'failure-converter.js'),
    logger: new DefaultLogger('WARN'),
  });
  const file = path.join(DIST, 'workflow-bundle.js');
  writeFileSync(file, code);
  const kib = Math.round(Buffer.byteLength(code) / 1024);
  console.log(
    `workflow bundle: ${path.relative(process.cwd(), file)} (${kib} KiB, ${Date.now() - started} ms)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
