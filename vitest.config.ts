import { createRequire } from 'node:module';

import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node resolves `graphql` to its CommonJS build (the package has no exports map), and so do the CommonJS
    // libraries around it (@apollo/subgraph, composers). Vite would pick the ESM build for our own imports:
    // two copies of graphql whose types fail each other's instanceof checks. One copy, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Every test file fails if anything in it connects to a host off this machine (test/setup/network-guard.ts).
    setupFiles: ['test/setup/network-guard.ts'],
    // One throwaway PostgreSQL server for the run (test/helpers/postgres.ts): createTestDatabase() per file.
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
