// The compose file and Kubernetes manifests cannot be started here (no container engine, no cluster), so
// this checks what can go stale without anyone noticing: every command they run exists in the build, every
// variable they set is one the product reads, every probe hits a route the process serves on the port it
// listens on, and Temporal's images are the versions the tests run against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { configEnvVars, loadConfig } from '../../platform/config';
import { temporalCliExecutable } from '../../scripts/temporal-binaries';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const IMAGE = 'whatsapp-number-lifecycle:latest';

/** The variables settings name to read a secret from (`…Env`: WA_META_APP_SECRET, TEMPORAL_API_KEY, …). */
function namedVariables(node: unknown): string[] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key.endsWith('Env') && typeof value === 'string' ? [value] : namedVariables(value),
  );
}

/** Variables read outside temporal.yaml: the API process's own and the simulator's. */
function knownVariables(): Set<string> {
  const fromSource = (file: string, prefix: string) =>
    new Set(read(file).match(new RegExp(`\\b${prefix}[A-Z_]+`, 'g')) ?? []);
  return new Set([
    ...configEnvVars(),
    ...namedVariables(loadConfig({ file: path.join(ROOT, 'temporal.yaml'), env: {} })),
    ...fromSource('api/config.ts', 'WA_API_'),
    ...fromSource('simulator/main.ts', 'SIM_'),
  ]);
}

/** `node dist/worker/main.js` → its source worker/main.ts must exist; `node bin/wa-number.js` as is. */
function assertRunnable(command: string[], where: string): void {
  assert.equal(command[0], 'node', `${where}: plain node, no tsx`);
  const file = command[1]!;
  const source = file.startsWith('dist/') ? file.replace(/^dist\//, '').replace(/\.js$/, '.ts') : file;
  assert.ok(existsSync(path.join(ROOT, source)), `${where}: ${file} (from ${source})`);
  if (file.startsWith('dist/')) {
    const include = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
    assert.ok(include.includes(source.split('/')[0]!), `${where}: ${source} is compiled by npm run build`);
  }
}

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
}

const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
// Free-form YAML documents, navigated by the paths Kubernetes defines.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = Record<string, any>;
const manifests: Manifest[] = read('deploy/kubernetes/config.yaml')
  .concat('\n---\n', read('deploy/kubernetes/worker.yaml'), '\n---\n', read('deploy/kubernetes/api.yaml'))
  .split(/^---$/m)
  .flatMap((doc) => parseAllDocuments(doc).map((d) => d.toJS() as Manifest))
  .filter(Boolean);

test('compose: the product services run real commands from the build, with variables the product reads', () => {
  const known = knownVariables();
  const ours = Object.entries(compose.services).filter(([, s]) => s.image === IMAGE);
  assert.deepEqual(ours.map(([name]) => name).sort(), ['api', 'setup', 'simulator', 'worker']);
  for (const [name, service] of ours) {
    assertRunnable(service.command!, `compose ${name}`);
    for (const variable of Object.keys(service.environment ?? {})) {
      assert.ok(known.has(variable), `compose ${name}: ${variable} is read by nothing`);
    }
  }
  const worker = compose.services['worker']!;
  assert.match(
    worker.healthcheck!.test.join(' '),
    new RegExp(`:${worker.environment!['WA_HEALTH_WORKER_PORT']}/readyz`),
  );
  const api = compose.services['api']!;
  assert.match(api.healthcheck!.test.join(' '), new RegExp(`:${api.environment!['WA_API_PORT']}/readyz`));
});

test('Kubernetes: commands, variables and probes match what the worker and the API serve', () => {
  const known = knownVariables();
  const config = manifests.find((m) => m['kind'] === 'ConfigMap')!;
  for (const variable of Object.keys(config['data']))
    assert.ok(known.has(variable), `ConfigMap: ${variable}`);
  const probes: Record<string, string[]> = { worker: ['/livez', '/readyz'], api: ['/healthz', '/readyz'] };
  const portVariable: Record<string, string> = { worker: 'WA_HEALTH_WORKER_PORT', api: 'WA_API_PORT' };
  for (const m of manifests.filter((x) => x['kind'] === 'Deployment' || x['kind'] === 'Job')) {
    const component = m['metadata']['labels']['app.kubernetes.io/component'] as string;
    const container = m['spec']['template']['spec']['containers'][0];
    assertRunnable(container.command, `${m['kind']} ${component}`);
    const env = Object.fromEntries(
      (container.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    for (const variable of Object.keys(env)) assert.ok(known.has(variable), `${component}: ${variable}`);
    assert.equal(m['spec']['template']['spec']['securityContext']['runAsNonRoot'], true);
    if (m['kind'] !== 'Deployment') continue;
    const ports = Object.fromEntries(
      container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
    );
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      assert.ok(probes[component]!.includes(probe.httpGet.path), `${component}: probe ${probe.httpGet.path}`);
      assert.equal(
        String(ports[probe.httpGet.port]),
        env[portVariable[component]!],
        `${component}: probe port`,
      );
    }
  }
});

test("compose runs Temporal's server and UI at the versions the tests run", () => {
  const cli = temporalCliExecutable();
  assert.equal(cli.type, 'existing-path');
  const version = execFileSync((cli as { path: string }).path, ['--version'], { encoding: 'utf8' });
  const [, server, ui] = /Server (\S+), UI (\S+)\)/.exec(version)!;
  assert.equal(compose.services['temporal']!.image, `temporalio/auto-setup:${server}`);
  assert.equal(compose.services['temporal-ui']!.image, `temporalio/ui:${ui}`);
});

test('Kubernetes: every Secret key a container reads (env secretKeyRef, mounted items) is in the Secret', () => {
  const secret = manifests.find((m) => m['kind'] === 'Secret')!;
  const keys = new Set(Object.keys(secret['stringData']));
  for (const m of manifests.filter((x) => x['kind'] === 'Deployment' || x['kind'] === 'Job')) {
    const component = m['metadata']['labels']['app.kubernetes.io/component'] as string;
    const spec = m['spec']['template']['spec'];
    for (const e of spec['containers'][0].env ?? []) {
      const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
      if (!ref) continue;
      assert.equal(ref.name, secret['metadata']['name'], `${component}: ${e.name}`);
      assert.ok(keys.has(ref.key), `${component}: ${e.name} reads ${ref.key}, not in the Secret`);
    }
    for (const volume of spec['volumes'] ?? []) {
      for (const item of volume.secret?.items ?? []) {
        assert.ok(keys.has(item.key), `${component}: mounts ${item.key}, not in the Secret`);
      }
    }
  }
});

test('the webhook settings the deploy files give load as a valid configuration (ConfigMap, API env, compose)', () => {
  const config = manifests.find((m) => m['kind'] === 'ConfigMap')!;
  const api = manifests.find(
    (m) => m['kind'] === 'Deployment' && m['metadata']['labels']['app.kubernetes.io/component'] === 'api',
  )!;
  const apiEnv = Object.fromEntries(
    (api['spec']['template']['spec']['containers'][0].env as { name: string; value?: string }[])
      .filter((e) => e.value !== undefined)
      .map((e) => [e.name, e.value]),
  );
  const k8s = loadConfig({ file: path.join(ROOT, 'temporal.yaml'), env: { ...config['data'], ...apiEnv } });
  assert.deepEqual(k8s.webhooks.allowedUrlPrefixes, ['https://']);
  assert.deepEqual(k8s.webhooks.subscriptions, []);
  assert.equal(k8s.metaWebhooks.enabled, false, 'off until the Secret holds the real values');
  assert.equal(k8s.metaWebhooks.verifyTokenEnv, 'WA_META_VERIFY_TOKEN', 'the variable api.yaml sets');
  assert.equal(k8s.metaWebhooks.appSecretEnv, 'WA_META_APP_SECRET', 'the variable api.yaml sets');

  // Compose: each ${VAR:-default} as it resolves with nothing set in the shell.
  const resolved = (environment: Record<string, string | number> = {}) =>
    Object.fromEntries(
      Object.entries(environment).map(([k, v]) => [
        k,
        String(v).replace(/\$\{\w+:-([^}]*)\}/g, (_m, fallback: string) => fallback),
      ]),
    );
  for (const name of ['worker', 'api']) {
    const c = loadConfig({
      file: path.join(ROOT, 'temporal.yaml'),
      env: resolved(compose.services[name]!.environment),
    });
    assert.deepEqual(c.webhooks.allowedUrlPrefixes, ['https://'], name);
    assert.equal(c.webhooks.maxDeliveryHours, 72, name);
  }
  assert.equal(
    loadConfig({
      file: path.join(ROOT, 'temporal.yaml'),
      env: resolved(compose.services['api']!.environment),
    }).metaWebhooks.enabled,
    false,
  );
});
