// Counts the zod schemas (and checks) built from the moment it is imported: import it before any module
// that builds one. zod itself, and the check workflows/shared-modules.ts runs, load first and are not
// counted (a worker runs them once, not per workflow). The hook is zod's internal one (`zod/compile`
// installs it): check that it still counts before trusting a count of 0.
import '../../workflows/shared-modules';

export const zodBuilds = { count: 0 };

const config = ((globalThis as { __zod_globalConfig?: Record<string, unknown> }).__zod_globalConfig ??= {});
config.postProcessor = () => void zodBuilds.count++;
