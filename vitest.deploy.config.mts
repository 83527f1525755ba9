import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The deployable artefacts, as built by the platforms' own tools (see tests/deploy). */
export default defineConfig({
  resolve: {
    alias: {
      '@': root('.'),
      'server-only': root('tests/support/server-only.ts'),
    },
  },
  test: {
    include: ['tests/deploy/**/*.deploy.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
