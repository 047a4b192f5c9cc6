import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * Import floors (docs/architecture.md §2, docs/style.md "Import floors"), enforced per package:
 *   core                                                   imports no other @kdp package
 *   services: queue-proxy, activator, autoscaler, router,  import only @kdp/core
 *             runtime, eventing, kube                      (the activator also @kdp/kube: the cluster layer)
 *   sample-app (the user's container)                      imports only @kdp/core
 *   composition: platform (the local platform), cli        any @kdp package; only cli imports fastify
 *   bench, test/                                           above everything
 * and nowhere does a file reach into another package's src/ or dist/ by a relative path: packages import each
 * other by name, through the package's `exports`. Only the end-to-end tests in test/ import sources by path, by
 * design (a testdata table, the control plane they drive in-process).
 */
const FASTIFY = {
  group: ['fastify', 'fastify/*', '@fastify/*'],
  message: 'fastify is the control API\'s alone (packages/cli): nothing on a request path loads it (docs/style.md "Import floors").',
};
const BY_PATH = {
  // `../../packages/cli/dist/…`, `../../router/src/…`: a path out of this package into another one's src/ or dist/.
  regex: '^(\\.\\./)+(packages/)?[^./][^/]*/(src|dist)(/|$)',
  message: 'Import another package by its name (@kdp/…) through its `exports`, not by a path into its src/ or dist/.',
};

/** `no-restricted-imports` options for a package that may import the @kdp packages in `allowed` (and itself). */
function floor(name, allowed, { fastify = false } = {}) {
  const ok = [name, ...allowed].map((p) => p.replace('@kdp/', '')).join('|');
  const patterns = [
    {
      regex: `^@kdp/(?!(${ok})(/|$))`,
      message: allowed.length === 0
        ? `${name} imports no other @kdp package (docs/architecture.md §2, floors).`
        : `${name} may import only ${allowed.join(', ')} of the @kdp packages (docs/architecture.md §2, floors).`,
    },
    BY_PATH,
  ];
  if (!fastify) patterns.push(FASTIFY);
  return ['error', { patterns }];
}

const SERVICES = ['queue-proxy', 'autoscaler', 'router', 'runtime', 'eventing', 'kube'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/dist-testing/**', '**/node_modules/**', 'bench/results/**', 'eslint.config.js', 'vitest.config.ts', 'packages/*/bin/**', 'packages/*/scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A warning, not an error: a file past 400 lines is a hint to split it along its seams (docs/style.md rule 1;
      // issue 11 allows no source file over 500). Counts every line, as `wc -l` does.
      'max-lines': ['warn', { max: 400, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },

  // Floors, one block per package (a later block's no-restricted-imports replaces an earlier one's).
  { files: ['packages/core/**/*.ts'], rules: { 'no-restricted-imports': floor('@kdp/core', []) } },
  ...SERVICES.map((p) => ({
    files: [`packages/${p}/**/*.ts`],
    rules: { 'no-restricted-imports': floor(`@kdp/${p}`, ['@kdp/core']) },
  })),
  {
    files: ['packages/activator/**/*.ts'],
    rules: { 'no-restricted-imports': floor('@kdp/activator', ['@kdp/core', '@kdp/kube']) },
  },
  {
    // The user's container: core's error lineage at most, never the platform it runs under.
    files: ['packages/sample-app/**/*.ts'],
    rules: { 'no-restricted-imports': floor('@kdp/sample-app', ['@kdp/core']) },
  },
  {
    // The local platform's composition: wires every service, but is no HTTP framework's.
    files: ['packages/platform/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [BY_PATH, FASTIFY] }] },
  },
  { files: ['packages/cli/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [BY_PATH] }] } },
  {
    files: ['bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [BY_PATH] }] },
  },
);
