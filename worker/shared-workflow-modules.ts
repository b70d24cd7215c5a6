// Modules every workflow shares instead of evaluating its own copy. In the SDK's reusable V8 context each
// workflow gets a fresh module cache, so module scope runs once per cached workflow: zod's set-up, then our
// own ~50 workflow and domain modules, were most of what a waiting lifecycle held (bench/workflow-heap.ts).
// Preloaded modules run once, before any workflow, and the SDK deep-freezes their exports. That is safe for
// modules with no module-level state, which lint enforces for workflows/ and domain/ (eslint.config.mjs).
import path from 'node:path';

/** BundleOptions.preloadModules for the workflows at `workflowsPath` (workflows/shared-modules.ts). */
export function sharedWorkflowModules(workflowsPath: string): string[] {
  return [path.join(path.dirname(workflowsPath), 'shared-modules')];
}
