import 'server-only';
import type { D1Database } from '@cloudflare/workers-types';
import { bindingExecutor } from './d1/binding';
import { startLocalD1 } from './d1/local';
import { restExecutor } from './d1/rest';
import { withRetries } from './d1/retry';
import { readStoreConfig } from './env';
import { createJobStore, type JobStore } from './job-store';
import { createSessionStore, type SessionStore } from './auth/session-store';

interface OpenStore {
  readonly store: JobStore;
  readonly sessions: SessionStore;
  dispose(): Promise<void>;
}

// One store per server process. Kept on globalThis because `next dev` re-evaluates modules on
// every edit, and each evaluation would otherwise start another workerd.
const holder = globalThis as typeof globalThis & { __veoJobStore?: Promise<OpenStore> | undefined };

/**
 * The process's job store, chosen from the environment (see `readStoreConfig`). The first call
 * validates the configuration and, for the local database, starts it and applies migrations.
 */
export async function getJobStore(): Promise<JobStore> {
  return (await openOnce()).store;
}

/** The process's sign-in sessions, in the same database as the jobs. */
export async function getSessionStore(): Promise<SessionStore> {
  return (await openOnce()).sessions;
}

function openOnce(): Promise<OpenStore> {
  holder.__veoJobStore ??= openJobStore().catch((error: unknown) => {
    // Let the next request try again (e.g. after the configuration was fixed).
    holder.__veoJobStore = undefined;
    throw error;
  });
  return holder.__veoJobStore;
}

/** Closes the process's store (stops the embedded database). The next call opens it again. */
export async function closeJobStore(): Promise<void> {
  const open = holder.__veoJobStore;
  holder.__veoJobStore = undefined;
  if (open) await (await open).dispose();
}

/**
 * The `DB` binding when the app runs as a Cloudflare Worker (built with OpenNext, which keeps the
 * request's `env` under this symbol); undefined anywhere else.
 */
function workersBinding(): D1Database | undefined {
  const context = (globalThis as Record<symbol, { env?: { DB?: D1Database } } | undefined>)[
    Symbol.for('__cloudflare-context__')
  ];
  return context?.env?.DB;
}

async function openJobStore(): Promise<OpenStore> {
  const config = readStoreConfig();
  const options = config.ttlMs === undefined ? {} : { ttlMs: config.ttlMs };
  const binding = workersBinding();
  if (binding) {
    // Migrations are applied with `wrangler d1 migrations apply` (--local or --remote).
    console.log('veo-sync store: the D1 binding DB (Cloudflare Workers)');
    const retrying = withRetries(bindingExecutor(binding));
    return {
      store: createJobStore(retrying, options),
      sessions: createSessionStore(retrying),
      dispose: () => Promise.resolve(),
    };
  }
  if (config.driver === 'rest') {
    console.log(
      `veo-sync store: Cloudflare D1 over the REST API (database ${config.databaseId}${config.baseUrl ? ` at ${config.baseUrl}` : ''})`,
    );
    const executor = restExecutor({
      accountId: config.accountId,
      databaseId: config.databaseId,
      apiToken: config.apiToken,
      ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    });
    const retrying = withRetries(executor);
    return {
      store: createJobStore(retrying, options),
      sessions: createSessionStore(retrying),
      dispose: () => Promise.resolve(),
    };
  }
  console.log(
    `veo-sync store: the embedded local D1 (Miniflare, persisted in ${config.persistDir ?? '.wrangler/state/v3'}); set CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_D1_DATABASE_ID and CLOUDFLARE_D1_API_TOKEN to use Cloudflare D1`,
  );
  const local = await startLocalD1(config.persistDir);
  const retrying = withRetries(local.executor);
  return {
    store: createJobStore(retrying, options),
    sessions: createSessionStore(retrying),
    dispose: () => local.dispose(),
  };
}
