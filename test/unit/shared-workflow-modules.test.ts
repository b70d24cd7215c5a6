// The workflow bundle preloads zod and every workflow module once per worker (worker/shared-workflow-modules.ts)
// instead of once per cached workflow. zod says it has no side effects, so a careless preload is dropped by the
// bundler without a word: check that the bundle the worker makes really loads both in its preload step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import { sharedWorkflowModules } from '../../worker/shared-workflow-modules';

test('the workflow bundle loads zod and the workflow modules in its preload step, before any workflow', async () => {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: sharedWorkflowModules(WORKFLOWS_PATH),
    logger: new DefaultLogger('WARN'),
  });
  const preload = /function preloadModules\(\) \{([^}]*)\}/.exec(code);
  assert.ok(preload, 'the bundle has a preload step');
  assert.match(preload[1]!, /__webpack_require__\([^)]*"\.\/workflows\/shared-modules\.ts"\)/);
  // The shared module itself pulls zod in (by the id the workflows' own imports use).
  const shared = code.indexOf('"./workflows/shared-modules.ts"\n');
  assert.ok(shared > 0, 'the shared module is in the bundle');
  assert.match(
    code.slice(shared, shared + 2_000),
    /__webpack_require__\(\/\*! zod \*\/ "\.\/node_modules\/zod\//,
  );
  // And the workflows' entry, so the lifecycle, the fleet and every module they import are shared too.
  assert.match(code.slice(shared, shared + 2_000), /__webpack_require__\([^)]*"\.\/workflows\/index\.ts"\)/);
});
