// Modules every workflow shares instead of evaluating its own copy. In the SDK's reusable V8 context each
// workflow gets a fresh module cache, so module scope runs once per cached workflow: zod's own set-up was
// a large part of what a waiting lifecycle held (bench/workflow-heap.ts). Preloaded modules run once,
// before any workflow, and the SDK deep-freezes their exports; zod keeps no per-workflow state and works
// frozen. Our domain/ schemas do not: zod builds a schema's methods and derived internals on the instance
// at first use, which a frozen schema refuses; so they stay per workflow, built only when a workflow first
// validates with them (lazySchema, domain/validation.ts).
import path from 'node:path';

/** BundleOptions.preloadModules for the workflows at `workflowsPath` (workflows/shared-modules.ts). */
export function sharedWorkflowModules(workflowsPath: string): string[] {
  return [path.join(path.dirname(workflowsPath), 'shared-modules')];
}
