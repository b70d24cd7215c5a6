// Loaded once per worker, before any workflow, and shared by all of them (worker/shared-workflow-modules.ts).
// zod declares itself free of side effects, so the bundler would drop a bare preload of it; this module
// uses it, which keeps it. The SDK then freezes zod's state, and zod sets some of it lazily (its default
// locale at the first schema built, whether eval is allowed at the first object parsed): do both here.
import { z } from 'zod';

if (!z.object({ check: z.enum(['ok']) }).safeParse({ check: 'ok' }).success) {
  throw new Error('zod did not load');
}
