import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** End-to-end tests: the production build in Debian's Chromium (see tests/e2e). */
export default defineConfig({
  resolve: {
    alias: {
      '@': root('.'),
      // Some tests run server code (the D1 REST stand-in's Miniflare): see vitest.config.mts.
      'server-only': root('tests/support/server-only.ts'),
    },
  },
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['tests/e2e/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // One browser at a time: two cores, and service workers are per origin.
    fileParallelism: false,
  },
});
