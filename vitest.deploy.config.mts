import { defineConfig } from 'vitest/config';
import { resolve } from './vitest.shared.config.mts';

/** The deployable artefacts, as built by the platforms' own tools (see tests/deploy). */
export default defineConfig({
  resolve,
  test: {
    include: ['tests/deploy/**/*.deploy.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
