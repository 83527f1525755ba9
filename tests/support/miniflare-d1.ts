import type { D1Database } from '@cloudflare/workers-types';
import { Miniflare } from 'miniflare';
import { randomBytes } from 'node:crypto';
import { bindingExecutor } from '@/lib/server/d1/binding';
import type { D1Executor } from '@/lib/server/d1/executor';
import { BRIDGE_WORKER, miniflareBridge } from '@/lib/server/d1/local';
import { applyMigrations, readMigrations } from '@/lib/server/d1/migrations';

export interface TestD1 {
  readonly db: D1Database;
  readonly executor: D1Executor;
  dispose(): Promise<void>;
}

/**
 * A fresh in-memory D1 database from Miniflare (the same workerd D1 that wrangler runs locally),
 * with this project's migrations applied. Its executor is the binding driver on Miniflare's proxy
 * (what the embedded database used to use), unless `bridge: 'worker'`: then every batch runs
 * inside workerd through the embedded database's own bridge worker (lib/server/d1/local.ts). The proxy's synchronous calls (`prepare`, `bind`) lose step
 * with workerd after many thousands of them in one process (Miniflare 3's
 * `assert(message?.id === id)`; the embedded database reopens its proxy, lib/server/d1/local.ts),
 * so the long-running simulation, which keeps one database for thousands of schedules, uses the
 * worker, whose requests are all asynchronous.
 */
export async function createTestD1(options: { bridge?: 'proxy' | 'worker' } = {}): Promise<TestD1> {
  try {
    return await startTestD1(options.bridge ?? 'proxy');
  } catch (error) {
    // workerd occasionally fails to come up when two test files start it at the same moment on
    // a loaded machine; a second start succeeds. Log it so a real problem still shows.
    console.warn('[tests] Miniflare did not start; trying once more:', error);
    return startTestD1(options.bridge ?? 'proxy');
  }
}

async function startTestD1(bridge: 'proxy' | 'worker'): Promise<TestD1> {
  const secret = randomBytes(16).toString('hex');
  const mf = new Miniflare({
    modules: true,
    script: BRIDGE_WORKER,
    d1Databases: ['DB'],
    bindings: { BRIDGE_SECRET: secret },
  });
  const db = await mf.getD1Database('DB');
  const executor =
    bridge === 'proxy' ? bindingExecutor(db, { reusePrepared: true }) : miniflareBridge(mf, secret);
  await applyMigrations(executor, await readMigrations());
  return { db, executor, dispose: () => mf.dispose() };
}
