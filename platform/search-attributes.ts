// Registers our search attributes on a namespace. The dev server registers --search-attribute flags only
// when it creates its database, so a reused database (or a cluster) needs this at every start.
import type { Connection } from '@temporalio/client';
import { REQUIRED_SEARCH_ATTRIBUTES } from './namespace-setup';

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService
    .listSearchAttributes({ namespace })
    .then((r) => new Set(Object.keys(r.customAttributes ?? {})))
    .catch(() => new Set<string>()); // the time-skipping test server does not implement list
  const missing = REQUIRED_SEARCH_ATTRIBUTES.filter((a) => !existing.has(a.name));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, a.indexedValueType])),
    });
  } catch (err) {
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}
