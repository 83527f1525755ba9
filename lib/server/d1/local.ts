import 'server-only';
import type { D1Database } from '@cloudflare/workers-types';
import { bindingExecutor } from './binding';
import type { D1Executor } from './executor';
import { applyMigrations, readMigrations } from './migrations';

export interface LocalD1 {
  readonly executor: D1Executor;
  /** Stops the embedded workerd process. */
  dispose(): Promise<void>;
}

/**
 * The embedded database for a machine without a Cloudflare account: Miniflare's real D1 through
 * wrangler's getPlatformProxy(), persisted on disk (under .wrangler/state/v3 by default, the same
 * place `wrangler d1 … --local` uses), with every pending migration applied before it is used.
 */
export async function startLocalD1(persistDir?: string): Promise<LocalD1> {
  // Loaded only when the local driver is chosen: a deployment on the REST API never starts it.
  const { getPlatformProxy } = await import('wrangler');
  const proxy = await getPlatformProxy<{ DB: D1Database }>({
    configPath: 'wrangler.toml',
    persist: persistDir === undefined ? true : { path: persistDir },
  });
  const executor = bindingExecutor(proxy.env.DB);
  await applyMigrations(executor, await readMigrations());
  return { executor, dispose: () => proxy.dispose() };
}
