// Lint rules. The override for workflows/ keeps workflow code deterministic: Temporal replays it,
// so it must not reach the network, the file system, the clock or randomness directly.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

/**
 * The layout's boundaries (README "How it works"): a folder may not import the folders named here. Relative
 * imports only: `@temporalio/client` is not our client/.
 */
const boundary = (folder, forbidden, why) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [{ regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`, message: why }] },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'bench/results/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() returns a promise the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'describe', 'it'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'object-shorthand': 'error',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['bin/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  boundary(
    'platform',
    ['worker', 'client', 'cli', 'api', 'activities', 'workflows', 'simulator'],
    'platform/ is plumbing shared by workers, clients, the CLI and the API: it imports domain/ only.',
  ),
  boundary(
    'client',
    ['worker', 'cli', 'api', 'activities', 'simulator'],
    'client/ is the library other services install: domain/, workflow message types and platform/ only.',
  ),
  boundary(
    'cli',
    ['worker', 'api', 'activities', 'simulator'],
    'The CLI drives the product through client/.',
  ),
  boundary(
    'api',
    ['worker', 'cli', 'activities', 'simulator'],
    'The HTTP API drives the product through client/.',
  ),
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Workflow code runs in a deterministic sandbox.',
            })),
            { name: 'axios', message: 'Network calls belong in activities/.' },
          ],
          patterns: [
            {
              group: ['**/activities/*', '**/activities'],
              allowTypeImports: true,
              message: 'Import only activity types.',
            },
            {
              group: [
                '**/worker/*',
                '**/client/*',
                '**/platform/*',
                '**/cli/*',
                '**/api/*',
                '**/simulator/*',
              ],
              message: 'Not sandbox-safe.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop.' },
        { name: 'process', message: 'Workflows must not read the environment.' },
        { name: 'fetch', message: 'Network calls belong in activities/.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() or deterministic input.' },
        {
          object: 'Date',
          property: 'now',
          message: 'Use workflow time via Date in the sandbox, or pass time in.',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'No direct clock reads.',
        },
        // Every workflow of a worker shares these modules (workflows/shared-modules.ts): state kept at
        // module level would leak from one number's workflow into another's.
        ...[
          "Program > VariableDeclaration[kind!='const']",
          "Program > ExportNamedDeclaration > VariableDeclaration[kind!='const']",
          'Program > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|WeakMap)$/]',
        ].map((selector) => ({
          selector,
          message:
            'Workflow modules are shared by every workflow of a worker: no module-level mutable state.',
        })),
      ],
    },
  },
);
