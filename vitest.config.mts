import { defineConfig } from 'vitest/config';
import { resolve } from './vitest.shared.config.mts';

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: [
            'tests/unit/**/*.test.ts',
            'tests/integration/**/*.test.ts',
            'tests/simulation/**/*.test.ts',
          ],
        },
      },
      {
        // The sync tests and the simulation again on an IndexedDB that refuses Blobs, as WebKit's
        // ephemeral sessions (Safari's private browsing) do: job data is then stored as ArrayBuffers.
        extends: true,
        test: {
          name: 'no-blobs',
          include: ['tests/integration/sync/**/*.test.ts', 'tests/simulation/**/*.test.ts'],
          setupFiles: ['tests/support/setup-blobless.ts'],
          // Other schedules than the `node` project's 40, fewer of them: the storage form is
          // what differs here.
          env: { VEO_TEST_STORED_FORM: 'arraybuffer', SIM_RUNS: '12', SIM_SEED: '20261202' },
        },
      },
    ],
    environment: 'node',
    setupFiles: ['tests/support/setup-indexeddb.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each integration file starts its own Miniflare (workerd); two cores run two at a time.
    maxWorkers: 2,
  },
});
