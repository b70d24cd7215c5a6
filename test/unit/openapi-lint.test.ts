// The HTTP API's OpenAPI document passes Redocly's recommended rules with no error, with and without
// API keys and with the codec routes: what API tooling (generators, gateways, portals) expects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOpenApiDocument } from '../../api/app';

for (const options of [{ authRequired: true }, { authRequired: false, codecBasePath: '/codec' }]) {
  test(`Redocly recommended: no errors (${JSON.stringify(options)})`, async () => {
    // An ES module: imported dynamically from this CommonJS test.
    const { createConfig, lintFromString } = await import('@redocly/openapi-core');
    const document = await buildOpenApiDocument(options);
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: 'openapi.json',
      config,
    });
    const errors = problems.filter((p) => p.severity === 'error');
    assert.deepEqual(
      errors.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`),
      [],
    );
    const warnings = problems.filter((p) => p.severity === 'warn');
    assert.deepEqual(
      warnings.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`),
      [],
      'no warnings either',
    );
    const info = document.info as { license?: { name: string } };
    assert.equal(info.license?.name, 'MIT');
    assert.ok(Array.isArray(document.servers) && document.servers.length > 0);
  });
}
