import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `kdp-test`: the export condition under which packages expose their test helpers from source (core's
  // `./http1/*.test-util`, the activator's and kube's `./testing`); the build leaves them out of dist/. tsc sees
  // the same condition through `customConditions` in test/tsconfig.json and packages/*/tsconfig.test.json.
  // The rest are Vite's default server conditions, which this list replaces.
  ssr: { resolve: { conditions: ['kdp-test', 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests spawn real processes; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
