import { defineConfig } from 'vitest/config';
import { resolve } from './vitest.shared.config.mts';

/** End-to-end tests: the production build in Debian's Chromium (see tests/e2e). */
export default defineConfig({
  resolve,
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
