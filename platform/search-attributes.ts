// Registers our search attributes on a namespace. The dev server registers --search-attribute flags only
// when it creates its database, so a reused database (or a cluster) needs this at every start.
import type { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { temporal } from '@temporalio/proto';

const indexedValueType: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService
    .listSearchAttributes({ namespace })
    .then((r) => new Set(Object.keys(r.customAttributes ?? {})))
    .catch(() => new Set<string>()); // the time-skipping test server does not implement list
  const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !existing.has(k.name));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedValueType[k.type]!])),
    });
  } catch (err) {
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}
