import 'server-only';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Miniflare as MiniflareType } from 'miniflare';
import type * as Wrangler from 'wrangler';
import { isBridgeLost, isProxyDesync, toD1Error } from './binding';
import { D1Error, type D1Executor, type StatementResult } from './executor';
import { applyMigrations, readMigrations } from './migrations';

type WranglerModule = typeof Wrangler;
type MiniflareModule = { Miniflare: typeof MiniflareType };

/** The package behind the embedded database (see startLocalD1). */
const EMBEDDED_DATABASE_MODULE: string = 'wrangler';

/** Where wrangler keeps local state (`wrangler d1 … --local`, getPlatformProxy) by default. */
const DEFAULT_PERSIST_DIR = '.wrangler/state/v3';

export interface LocalD1 {
  readonly executor: D1Executor;
  /** Stops the embedded workerd process. */
  dispose(): Promise<void>;
}

/** The header that proves a request to the bridge comes from this process. */
const BRIDGE_SECRET_HEADER = 'x-veo-bridge-secret';

/**
 * The worker that runs in workerd beside the database: one POST is one `DB.batch()` (one
 * transaction), answered as JSON. Only this process knows the secret, so another local process
 * that finds the port cannot send SQL through it.
 */
export const BRIDGE_WORKER = `export default {
  async fetch(request, env) {
    if (request.method !== 'POST' || request.headers.get('${BRIDGE_SECRET_HEADER}') !== env.BRIDGE_SECRET) {
      return new Response('not found', { status: 404 });
    }
    const statements = await request.json();
    try {
      const results = await env.DB.batch(
        statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)),
      );
      return Response.json(results.map((r) => ({
        rows: r.results,
        rowsRead: r.meta.rows_read,
        rowsWritten: r.meta.rows_written,
        changes: r.meta.changes,
      })));
    } catch (error) {
      const message = String((error && error.message) || error);
      const cause = error && error.cause && error.cause.message;
      return Response.json({ error: cause && cause !== message ? message + ' (' + cause + ')' : message }, { status: 500 });
    }
  },
};`;

/**
 * The embedded database for a machine without a Cloudflare account: Miniflare's real D1 (the
 * workerd that wrangler runs locally), on the files `wrangler d1 … --local` and getPlatformProxy()
 * use (.wrangler/state/v3 by default, the database of wrangler.toml's `DB` binding), with every
 * pending migration applied before it is used.
 *
 * A batch is one asynchronous HTTP request to a small worker inside workerd that runs it with
 * `DB.batch()`. Not getPlatformProxy()'s binding: through its proxy every `prepare` and `bind` is
 * a synchronous round trip that blocks this process's event loop (a ten-statement write made ten
 * of them, ~40 ms under load, during which no other request moved), and the proxy loses step with
 * workerd under load for good. Should workerd go away, a new one is opened on the same files;
 * the request that found it gone fails as "unavailable", which the store retries.
 */
export async function startLocalD1(persistDir?: string): Promise<LocalD1> {
  const open = async (): Promise<LocalD1> => {
    // Loaded only when the local driver is chosen: a deployment on the REST API never starts it.
    // Required from the project's own node_modules at run time, not imported: no bundler or
    // file tracer (Next's, Vercel's, OpenNext's) follows it, so none packs wrangler, Miniflare
    // and workerd (~140 MB) into a deployment.
    let wrangler: WranglerModule;
    let miniflare: MiniflareModule;
    try {
      const fromProject = createRequire(path.join(process.cwd(), 'package.json'));
      wrangler = fromProject(EMBEDDED_DATABASE_MODULE) as WranglerModule;
      // wrangler's own Miniflare, the one its getPlatformProxy() and `d1 --local` use.
      miniflare = createRequire(fromProject.resolve(EMBEDDED_DATABASE_MODULE))(
        'miniflare',
      ) as MiniflareModule;
    } catch (error) {
      // A deployment (Vercel) has no wrangler: it was meant to run on Cloudflare D1.
      throw new Error(
        'No Cloudflare D1 is configured and the embedded database (wrangler) is not installed here: set CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_D1_DATABASE_ID and CLOUDFLARE_D1_API_TOKEN',
        { cause: error },
      );
    }
    // The DB binding as wrangler reads it from wrangler.toml (its database id names the file).
    const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions('wrangler.toml');
    const d1Databases = workerOptions.d1Databases as Record<string, string> | undefined;
    if (!d1Databases?.DB) throw new Error('wrangler.toml has no D1 database bound as DB');
    const secret = randomBytes(24).toString('hex');
    const mf = new miniflare.Miniflare({
      modules: true,
      script: BRIDGE_WORKER,
      compatibilityDate: workerOptions.compatibilityDate ?? '2025-07-01',
      d1Databases: { DB: d1Databases.DB },
      bindings: { BRIDGE_SECRET: secret },
      d1Persist: path.join(persistDir ?? DEFAULT_PERSIST_DIR, 'd1'),
      // No request to Cloudflare for the `cf` object at start: nothing here reads it.
      cf: false,
    });
    await mf.ready;
    return {
      executor: miniflareBridge(mf, secret),
      dispose: () => mf.dispose(),
    };
  };
  const first = await open();
  await applyMigrations(first.executor, await readMigrations());
  return reopenOnDesync(first, open);
}

/**
 * The executor over BRIDGE_WORKER running in `mf` with `secret` as its BRIDGE_SECRET binding
 * (the embedded database; the tests' worker-bridged D1 too).
 */
export function miniflareBridge(
  mf: Pick<MiniflareType, 'dispatchFetch'>,
  secret: string,
): D1Executor {
  return bridgeExecutor((body, signal) =>
    mf.dispatchFetch('http://d1.local/batch', {
      method: 'POST',
      signal,
      headers: {
        [BRIDGE_SECRET_HEADER]: secret,
        'content-type': 'application/json',
        // Otherwise workerd gzips every answer (undici asks for it) and this process inflates
        // it again: a list of 1,000 jobs compressed and inflated per call, on the same cores.
        'accept-encoding': 'identity',
      },
      body,
    }),
  );
}

/**
 * How long a batch may take on the bridge before it counts as hung (ms). The slowest batches
 * measured are ~4 s (a 20 MB job written under load); one that has not answered in 15 s will not:
 * the bridge is then replaced (reopenOnDesync), so that one stuck request in workerd does not
 * hold every later one of this server for good.
 */
export const BRIDGE_TIMEOUT_MS = 15_000;

/** A batch that got no answer from workerd in time (see BRIDGE_TIMEOUT_MS). */
export class BridgeHungError extends Error {
  override readonly name = 'BridgeHungError';
  constructor(timeoutMs: number, cause: unknown) {
    super(`no answer from workerd within ${timeoutMs} ms`, { cause });
  }
}

/** The bridge's answer, as the subset of `Response` this reads. */
interface BridgeResponse {
  readonly status: number;
  text(): Promise<string>;
}

/**
 * The executor over the bridge worker: `send` posts one batch (as JSON) and answers with the
 * worker's response. Failures become the store's errors (toD1Error): a dropped or refused
 * connection, D1's "Network connection lost"/"overloaded" are `unavailable` and retried.
 */
export function bridgeExecutor(
  send: (body: string, signal: AbortSignal) => Promise<BridgeResponse>,
  timeoutMs = BRIDGE_TIMEOUT_MS,
): D1Executor {
  return {
    async batch(statements) {
      if (statements.length === 0) return [];
      let status: number;
      let text: string;
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        // Raced, not only signalled: whether the transport honours the signal, the batch ends.
        const timedOut = new Promise<never>((_, reject) =>
          timeout.addEventListener('abort', () => reject(timeout.reason as Error), { once: true }),
        );
        const payload = JSON.stringify(statements.map((s) => ({ sql: s.sql, params: s.params })));
        const response = await Promise.race([send(payload, timeout), timedOut]);
        status = response.status;
        text = await Promise.race([response.text(), timedOut]);
      } catch (error) {
        if (timeout.aborted) {
          throw new D1Error('timeout', `the local database did not answer within ${timeoutMs} ms`, {
            cause: new BridgeHungError(timeoutMs, error),
          });
        }
        throw toD1Error(error);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new D1Error('unavailable', `the local database answered HTTP ${status}, not JSON`, {
          cause: error,
        });
      }
      if (status === 200 && Array.isArray(body) && body.length === statements.length) {
        return body as StatementResult[];
      }
      const message =
        typeof body === 'object' && body !== null && 'error' in body
          ? String(body.error)
          : `the local database answered HTTP ${status}`;
      throw toD1Error(new Error(message));
    },
  };
}

/**
 * `initial`, replaced by a fresh `open()` once a batch fails because its bridge to workerd is
 * gone for good: getPlatformProxy's proxy losing step (isProxyDesync), workerd no longer
 * listening (isBridgeLost), or a batch hung past BRIDGE_TIMEOUT_MS. Only the first failure of a given bridge replaces it; batches
 * already running on it fail and are retried by the store like any unavailable database; an
 * `open()` that fails is tried again on the next batch.
 */
export function reopenOnDesync(
  initial: LocalD1,
  open: () => Promise<LocalD1>,
  log: (message: string) => void = (message) => console.warn(message),
): LocalD1 {
  let live: LocalD1 | undefined = initial;
  let opening: Promise<LocalD1> | undefined;
  /** The replaced bridge stopping: the new one opens the same files after it. */
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
          const broken =
            error instanceof D1Error &&
            (isProxyDesync(error.cause) ||
              isBridgeLost(error.cause) ||
              error.cause instanceof BridgeHungError);
          if (broken && live === db) {
            log(
              '[veo-sync] the connection to the local database (workerd) failed; opening a new one',
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
