// Loaded once per worker, before any workflow, and shared by all of them (worker/shared-workflow-modules.ts).
// zod declares itself free of side effects, so the bundler would drop a bare preload of it; this module
// uses it, which keeps it. The SDK then freezes zod's state, and zod sets some of it lazily (its default
// locale at the first schema built, whether eval is allowed at the first object parsed): do both here.
import { z } from 'zod';

if (!z.object({ check: z.enum(['ok']) }).safeParse({ check: 'ok' }).success) {
  throw new Error('zod did not load');
}

// Every workflow module, ours and the SDK's they import: a workflow then evaluates none of them again.
// They keep no state at module level (lint forbids it in workflows/ and domain/); a workflow's state lives
// in the objects its function creates. Schemas are built on first use (lazySchema), after the SDK's freeze,
// so zod may still finish setting them up; every workflow then uses the one built.
import './index';
