import 'server-only';
import { startLocalD1 } from './d1/local';
import { restExecutor } from './d1/rest';
import { withRetries } from './d1/retry';
import { readStoreConfig } from './env';
import { createJobStore, type JobStore } from './job-store';

// One store per server process. Kept on globalThis because `next dev` re-evaluates modules on
// every edit, and each evaluation would otherwise start another workerd.
const holder = globalThis as typeof globalThis & { __veoJobStore?: Promise<JobStore> | undefined };

/**
 * The process's job store, chosen from the environment (see `readStoreConfig`). The first call
 * validates the configuration and, for the local database, starts it and applies migrations.
 */
export function getJobStore(): Promise<JobStore> {
  holder.__veoJobStore ??= openJobStore().catch((error: unknown) => {
    // Let the next request try again (e.g. after the port workerd wanted was freed).
    holder.__veoJobStore = undefined;
    throw error;
  });
  return holder.__veoJobStore;
}

async function openJobStore(): Promise<JobStore> {
  const config = readStoreConfig();
  const options = config.ttlMs === undefined ? {} : { ttlMs: config.ttlMs };
  if (config.driver === 'rest') {
    const executor = restExecutor({
      accountId: config.accountId,
      databaseId: config.databaseId,
      apiToken: config.apiToken,
      ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    });
    return createJobStore(withRetries(executor), options);
  }
  const local = await startLocalD1(config.persistDir);
  return createJobStore(withRetries(local.executor), options);
}
