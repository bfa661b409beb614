import { defineConfig } from 'vitest/config';

/** Tests against a real Secret Service; `npm test` runs them inside a private D-Bus session. */
export default defineConfig({
  test: {
    include: ['test/keychain/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
