import 'server-only';
import { startLocalD1 } from './d1/local';
import { restExecutor } from './d1/rest';
import { withRetries } from './d1/retry';
import { readStoreConfig } from './env';
import { createJobStore, type JobStore } from './job-store';

interface OpenStore {
  readonly store: JobStore;
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
  holder.__veoJobStore ??= openJobStore().catch((error: unknown) => {
    // Let the next request try again (e.g. after the configuration was fixed).
    holder.__veoJobStore = undefined;
    throw error;
  });
  return (await holder.__veoJobStore).store;
}

/** Closes the process's store (stops the embedded database). The next call opens it again. */
export async function closeJobStore(): Promise<void> {
  const open = holder.__veoJobStore;
  holder.__veoJobStore = undefined;
  if (open) await (await open).dispose();
}

async function openJobStore(): Promise<OpenStore> {
  const config = readStoreConfig();
  const options = config.ttlMs === undefined ? {} : { ttlMs: config.ttlMs };
  if (config.driver === 'rest') {
    const executor = restExecutor({
      accountId: config.accountId,
      databaseId: config.databaseId,
      apiToken: config.apiToken,
      ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    });
    return {
      store: createJobStore(withRetries(executor), options),
      dispose: () => Promise.resolve(),
    };
  }
  const local = await startLocalD1(config.persistDir);
  return {
    store: createJobStore(withRetries(local.executor), options),
    dispose: () => local.dispose(),
  };
}
