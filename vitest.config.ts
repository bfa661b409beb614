import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/keychain/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Every exchange with the emulator is checked against Wise's OpenAPI contract (test/contract/).
    setupFiles: ['test/setup/contract.ts'],
    globalSetup: ['test/setup/contract-summary.ts'],
  },
});
