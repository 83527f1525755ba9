import 'server-only';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { D1Database } from '@cloudflare/workers-types';
import type * as Wrangler from 'wrangler';
import { bindingExecutor, isProxyDesync } from './binding';
import { D1Error, type D1Executor } from './executor';
import { applyMigrations, readMigrations } from './migrations';

type WranglerModule = typeof Wrangler;

/** The package behind the embedded database (see startLocalD1). */
const EMBEDDED_DATABASE_MODULE: string = 'wrangler';

export interface LocalD1 {
  readonly executor: D1Executor;
  /** Stops the embedded workerd process. */
  dispose(): Promise<void>;
}

/**
 * The embedded database for a machine without a Cloudflare account: Miniflare's real D1 through
 * wrangler's getPlatformProxy(), persisted on disk (under .wrangler/state/v3 by default, the same
 * place `wrangler d1 … --local` uses), with every pending migration applied before it is used.
 * Should the proxy's bridge to workerd lose step (see isProxyDesync), a new one is opened on the
 * same files; the request that hit it fails as "unavailable", which the store retries.
 */
export async function startLocalD1(persistDir?: string): Promise<LocalD1> {
  const open = async (): Promise<LocalD1> => {
    // Loaded only when the local driver is chosen: a deployment on the REST API never starts it.
    // Required from the project's own node_modules at run time, not imported: no bundler or
    // file tracer (Next's, Vercel's, OpenNext's) follows it, so none packs wrangler, Miniflare
    // and workerd (~140 MB) into a deployment.
    let wrangler: WranglerModule;
    try {
      wrangler = createRequire(path.join(process.cwd(), 'package.json'))(
        EMBEDDED_DATABASE_MODULE,
      ) as WranglerModule;
    } catch (error) {
      // A deployment (Vercel) has no wrangler: it was meant to run on Cloudflare D1.
      throw new Error(
        'No Cloudflare D1 is configured and the embedded database (wrangler) is not installed here: set CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_D1_DATABASE_ID and CLOUDFLARE_D1_API_TOKEN',
        { cause: error },
      );
    }
    const { getPlatformProxy } = wrangler;
    const proxy = await getPlatformProxy<{ DB: D1Database }>({
      configPath: 'wrangler.toml',
      persist: persistDir === undefined ? true : { path: persistDir },
    });
    return {
      executor: bindingExecutor(proxy.env.DB, { reusePrepared: true }),
      dispose: () => proxy.dispose(),
    };
  };
  const first = await open();
  await applyMigrations(first.executor, await readMigrations());
  return reopenOnDesync(first, open);
}

/**
 * `initial`, replaced by a fresh `open()` once a batch fails because its proxy lost step. Only
 * the first failure of a given proxy replaces it; batches already running on it fail and are
 * retried by the store like any unavailable database; an `open()` that fails is tried again on
 * the next batch.
 */
export function reopenOnDesync(
  initial: LocalD1,
  open: () => Promise<LocalD1>,
  log: (message: string) => void = (message) => console.warn(message),
): LocalD1 {
  let live: LocalD1 | undefined = initial;
  let opening: Promise<LocalD1> | undefined;
  /** The replaced proxy stopping: the new one opens the same files after it. */
  let retired: Promise<void> = Promise.resolve();
  const current = (): Promise<LocalD1> => {
    if (live) return Promise.resolve(live);
    opening ??= retired.then(open).then(
      (fresh) => {
        live = fresh;
        opening = undefined;
        return fresh;
      },
      (error: unknown) => {
        opening = undefined;
        throw new D1Error('unavailable', 'the local database could not be opened again', {
          cause: error,
        });
      },
    );
    return opening;
  };
  return {
    executor: {
      async batch(statements, signal) {
        const db = await current();
        try {
          return await db.executor.batch(statements, signal);
        } catch (error) {
          if (error instanceof D1Error && isProxyDesync(error.cause) && live === db) {
            log(
              '[veo-sync] the local database bridge (getPlatformProxy) failed; opening a new one',
            );
            live = undefined;
            retired = db.dispose().catch(() => undefined);
          }
          throw error;
        }
      },
    },
    async dispose() {
      const db = live ?? (await opening?.catch(() => undefined));
      await db?.dispose();
    },
  };
}
