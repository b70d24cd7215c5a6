// What a namespace needs before a worker or client can use it: to exist, and to have our search attributes
// with their types. Shared by `wa-number setup` (which fixes what it can) and the worker's start-up check
// (which refuses to run and says how to fix it). The dev server gets both from `npm start`; a self-hosted
// cluster or Temporal Cloud needs them once per namespace.
import { msNumberToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

type WorkflowService = temporal.api.workflowservice.v1.WorkflowService;
type OperatorService = temporal.api.operatorservice.v1.OperatorService;

/** The two gRPC services both `Connection` (client) and `NativeConnection` (worker) expose. */
export interface TemporalServices {
  workflowService: Pick<WorkflowService, 'describeNamespace' | 'registerNamespace'>;
  operatorService: Pick<OperatorService, 'listSearchAttributes' | 'addSearchAttributes'>;
}

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** Our attributes as Temporal names their types (Keyword, Datetime), the words its CLI and tcld take. */
export const REQUIRED_SEARCH_ATTRIBUTES = ALL_SEARCH_ATTRIBUTES.map((key) => ({
  name: key.name,
  type: key.type === 'DATETIME' ? 'Datetime' : 'Keyword',
  indexedValueType:
    key.type === 'DATETIME'
      ? IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
      : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
}));

export type AttributeStatus =
  | { name: string; type: string; status: 'present' | 'missing' }
  | { name: string; type: string; status: 'wrong-type'; actualType: string };

export interface NamespaceReport {
  namespace: string;
  exists: boolean;
  /** Undefined when the server would not list them (a permission or an unimplemented call). */
  attributes?: AttributeStatus[];
  listError?: string;
}

const GRPC_NOT_FOUND = 5;

function isNotFound(err: unknown): boolean {
  const e = err as { code?: number; message?: string };
  return e.code === GRPC_NOT_FOUND || /not ?found/i.test(e.message ?? '');
}

/** `INDEXED_VALUE_TYPE_TEXT` → `Text`. */
function typeName(value: number): string {
  const raw = IndexedValueType[value] ?? `type ${value}`;
  const word = raw.replace(/^INDEXED_VALUE_TYPE_/, '').toLowerCase();
  return word.replace(/(^|_)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
}

/** Reads, never writes: whether the namespace exists and which of our attributes it has. */
export async function inspectNamespace(
  services: TemporalServices,
  namespace: string,
): Promise<NamespaceReport> {
  try {
    await services.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (isNotFound(err)) return { namespace, exists: false };
    throw err;
  }
  let custom: Record<string, number>;
  try {
    const listed = await services.operatorService.listSearchAttributes({ namespace });
    custom = (listed.customAttributes ?? {}) as Record<string, number>;
  } catch (err) {
    return { namespace, exists: true, listError: (err as Error).message };
  }
  const attributes = REQUIRED_SEARCH_ATTRIBUTES.map((want): AttributeStatus => {
    const actual = custom[want.name];
    if (actual === undefined) return { name: want.name, type: want.type, status: 'missing' };
    if (actual !== want.indexedValueType) {
      return { name: want.name, type: want.type, status: 'wrong-type', actualType: typeName(actual) };
    }
    return { name: want.name, type: want.type, status: 'present' };
  });
  return { namespace, exists: true, attributes };
}

/** Temporal Cloud's endpoints: namespaces and search attributes are managed there with tcld or its UI. */
export function isTemporalCloud(address: string): boolean {
  const host = address.replace(/:\d+$/, '').toLowerCase();
  return host.endsWith('.tmprl.cloud') || host.endsWith('.api.temporal.io');
}

/** The tcld command that adds these attributes to a Temporal Cloud namespace. */
export function cloudSearchAttributeCommand(namespace: string, names: readonly string[]): string {
  const flags = REQUIRED_SEARCH_ATTRIBUTES.filter((a) => names.includes(a.name)).map(
    (a) => `--search-attribute "${a.name}=${a.type}"`,
  );
  return `tcld namespace search-attributes add --namespace ${namespace} ${flags.join(' ')}`;
}

/** What is wrong with the namespace and how to fix it, in one message; undefined when it is ready. */
export function namespaceProblem(report: NamespaceReport, address: string): string | undefined {
  const cloud = isTemporalCloud(address);
  const ns = report.namespace;
  if (!report.exists) {
    return cloud
      ? `namespace ${ns} does not exist on ${address}: create it in Temporal Cloud (tcld namespace create), then run \`wa-number setup\``
      : `namespace ${ns} does not exist on ${address}: run \`wa-number setup --namespace ${ns} --create-namespace\``;
  }
  if (!report.attributes) return undefined; // could not list: the first visibility query will say more
  const wrong = report.attributes.filter((a) => a.status === 'wrong-type');
  if (wrong.length > 0) {
    const list = wrong
      .map((a) => `${a.name} is ${a.status === 'wrong-type' ? a.actualType : ''}, not ${a.type}`)
      .join('; ');
    return (
      `namespace ${ns} has search attributes of another type: ${list}. A search attribute's type cannot ` +
      `be changed: use another namespace, or remove them (temporal operator search-attribute remove) if ` +
      `nothing else uses them, then run \`wa-number setup\``
    );
  }
  const missing = report.attributes.filter((a) => a.status === 'missing').map((a) => a.name);
  if (missing.length === 0) return undefined;
  return cloud
    ? `namespace ${ns} lacks search attributes ${missing.join(', ')}: ${cloudSearchAttributeCommand(ns, missing)}`
    : `namespace ${ns} lacks search attributes ${missing.join(', ')}: run \`wa-number setup --namespace ${ns}\``;
}

export interface SetupOptions {
  address: string;
  createNamespace: boolean;
  /** Retention of closed workflow histories for a namespace we create. */
  retentionDays: number;
  /** Progress lines, e.g. console.log. */
  say: (line: string) => void;
}

export interface SetupResult {
  ok: boolean;
  /** The remaining problem, with its fix, when not ok. */
  problem?: string;
  createdNamespace: boolean;
  registered: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the namespace ready, idempotently: creates it when asked (self-hosted only), registers missing
 * search attributes, and reports what it cannot fix (another type, Temporal Cloud) with the fix.
 */
export async function setUpNamespace(
  services: TemporalServices,
  namespace: string,
  options: SetupOptions,
): Promise<SetupResult> {
  const cloud = isTemporalCloud(options.address);
  let report = await inspectNamespace(services, namespace);
  let createdNamespace = false;
  if (!report.exists && options.createNamespace && !cloud) {
    await services.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msNumberToTs(options.retentionDays * 86_400_000),
      description: 'whatsapp-number-lifecycle',
    });
    createdNamespace = true;
    options.say(`namespace ${namespace}: created (retention ${options.retentionDays} days)`);
    report = await untilListed(services, namespace);
  } else if (report.exists) {
    options.say(`namespace ${namespace}: exists`);
  }
  const notReady = (problem: string): SetupResult => ({
    ok: false,
    problem,
    createdNamespace,
    registered: [],
  });
  if (!report.exists) return notReady(namespaceProblem(report, options.address)!);
  if (!report.attributes) {
    return notReady(`could not list the search attributes of ${namespace}: ${report.listError}`);
  }
  for (const a of report.attributes) {
    if (a.status === 'present') options.say(`search attribute ${a.name} (${a.type}): registered already`);
  }
  const missing = report.attributes.filter((a) => a.status === 'missing').map((a) => a.name);
  const wrongType = report.attributes.some((a) => a.status === 'wrong-type');
  if (missing.length === 0 || wrongType || cloud) {
    const problem = namespaceProblem(report, options.address);
    return problem ? notReady(problem) : { ok: true, createdNamespace, registered: [] };
  }
  await addWithRetry(services, namespace, missing);
  for (const name of missing) {
    const type = REQUIRED_SEARCH_ATTRIBUTES.find((a) => a.name === name)!.type;
    options.say(`search attribute ${name} (${type}): registered`);
  }
  const problem = namespaceProblem(await inspectNamespace(services, namespace), options.address);
  return problem
    ? { ok: false, problem, createdNamespace, registered: missing }
    : { ok: true, createdNamespace, registered: missing };
}

/** A namespace just created reaches every service's cache within seconds: until then, "not found". */
async function untilListed(services: TemporalServices, namespace: string): Promise<NamespaceReport> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const report = await inspectNamespace(services, namespace);
    if (report.attributes || !/not ?found/i.test(report.listError ?? '') || Date.now() > deadline)
      return report;
    await sleep(500);
  }
}

/** Likewise for adding attributes to a namespace just created. */
async function addWithRetry(services: TemporalServices, namespace: string, names: string[]): Promise<void> {
  const searchAttributes = Object.fromEntries(
    REQUIRED_SEARCH_ATTRIBUTES.filter((a) => names.includes(a.name)).map((a) => [a.name, a.indexedValueType]),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await services.operatorService.addSearchAttributes({ namespace, searchAttributes });
      return;
    } catch (err) {
      if (/already exists/i.test((err as Error).message)) return; // another setup raced us
      if (!isNotFound(err) || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}
