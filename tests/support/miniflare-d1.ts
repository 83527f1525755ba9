import type { D1Database } from '@cloudflare/workers-types';
import { Miniflare } from 'miniflare';
import { bindingExecutor } from '@/lib/server/d1/binding';
import type { D1Executor } from '@/lib/server/d1/executor';
import { applyMigrations, readMigrations } from '@/lib/server/d1/migrations';

export interface TestD1 {
  readonly db: D1Database;
  readonly executor: D1Executor;
  dispose(): Promise<void>;
}

/**
 * A fresh in-memory D1 database from Miniflare (the same workerd D1 that wrangler runs locally),
 * with this project's migrations applied.
 */
export async function createTestD1(): Promise<TestD1> {
  try {
    return await startTestD1();
  } catch (error) {
    // workerd occasionally fails to come up when two test files start it at the same moment on
    // a loaded machine; a second start succeeds. Log it so a real problem still shows.
    console.warn('[tests] Miniflare did not start; trying once more:', error);
    return startTestD1();
  }
}

async function startTestD1(): Promise<TestD1> {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
    d1Databases: ['DB'],
  });
  const db = await mf.getD1Database('DB');
  const executor = bindingExecutor(db, { reusePrepared: true });
  await applyMigrations(executor, await readMigrations());
  return { db, executor, dispose: () => mf.dispose() };
}
