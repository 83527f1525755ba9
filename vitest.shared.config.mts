import { fileURLToPath } from 'node:url';

const root = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** How every test run (unit, e2e, deploy) resolves the project's imports. */
export const resolve = {
  alias: {
    '@': root('.'),
    // `server-only` throws outside a React Server Components bundle; under vitest the server
    // code runs in plain Node, where the marker has nothing to guard.
    'server-only': root('tests/support/server-only.ts'),
  },
};
