import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/keychain/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most tests wait on child processes and sockets, not on the CPU: by default vitest runs one file at a time on a
    // 2-core machine (cores - 1); four at once keep both cores busy.
    maxWorkers: 4,
    // Every exchange with the emulator is checked against Wise's OpenAPI contract (test/contract/).
    setupFiles: ['test/setup/contract.ts'],
    globalSetup: ['test/setup/contract-summary.ts'],
  },
});
