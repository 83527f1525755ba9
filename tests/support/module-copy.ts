import { vi } from 'vitest';

/**
 * The server's store modules as another copy of them: in production the job store is opened by
 * instrumentation.ts, which Next.js bundles apart from the route handlers, so what the store
 * throws is an instance of another copy of its error classes than the one the routes' error
 * mapping imports. A fresh module graph (vi.resetModules) is that second copy.
 */
export async function storeModulesCopy() {
  vi.resetModules();
  const [store, executor, env] = await Promise.all([
    import('@/lib/server/job-store'),
    import('@/lib/server/d1/executor'),
    import('@/lib/server/env'),
  ]);
  vi.resetModules();
  return { ...store, ...executor, ...env };
}
