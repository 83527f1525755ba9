/**
 * The job cache, as the VEO app calls it: the original plan's function names, now async, over
 * the offline-first sync engine. Reads come from IndexedDB at once; writes are durable on the
 * device when their promise resolves and reach the server when the network allows.
 *
 * Browser-only: call these from effects and event handlers, not during server rendering.
 */
import type { CachedVeoJob, CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import { broadcastChannelTransport, type JobsChangedListener } from '@/lib/client/notifier';
import type { DownloadProgress } from '@/lib/client/api-client';
import { takeEarlyRead, type EarlyRead } from '@/lib/client/early-list';
import { createJobList, type JobList } from '@/lib/client/job-list';
import { createPromptSearch, type PromptSearch } from '@/lib/client/prompt-search';
import { listItems } from '@/lib/client/replica';
import type { JobListItem } from '@/lib/client/replica';
import type { ReplacedSummary } from '@/lib/client/replaced';
import {
  ChangeNotMadeError,
  InvalidJobError,
  JobNotSavedError,
  createSyncClient,
  type JobWrite,
  type ReadJobResult,
  type SyncClient,
  type SyncClientOptions,
  type SyncStatus,
} from '@/lib/client/sync-client';
import { requestPersistentStorage } from '@/lib/client/persistence';
import { importLegacyJobs } from './cache-local';
import {
  delegateDrainToServiceWorker,
  delegateReplicationToServiceWorker,
  startServiceWorker,
} from './service-worker';

export type { DownloadProgress, JobListItem, JobWrite, ReadJobResult, ReplacedSummary, SyncStatus };
// What the calls reject with: the app imports everything it needs from this one module.
export { ChangeNotMadeError, InvalidJobError, JobNotSavedError };

/** The job's data is not on this device and the server cannot be reached. */
export class JobUnavailableError extends Error {
  override readonly name = 'JobUnavailableError';
  constructor(
    readonly jobId: JobId,
    reason: string,
  ) {
    super(reason);
  }
}

let client: SyncClient | undefined;
let stopTriggers: (() => void) | undefined;
/** The history page's early read of the device (lib/client/early-list.ts), until it is used. */
let earlyRead: Promise<EarlyRead | undefined> | undefined;

/**
 * The page's sync client, made on first use with the browser's IndexedDB, fetch, Web Locks and
 * BroadcastChannel; it registers the service worker, starts syncing, and imports jobs an older
 * version left in localStorage.
 */
export function getSyncClient(): SyncClient {
  if (!client) {
    const transport = broadcastChannelTransport();
    earlyRead = takeEarlyRead();
    client = createSyncClient({
      indexedDB: globalThis.indexedDB,
      ...(earlyRead && {
        connection: earlyRead.then((early) =>
          early && !early.closed ? early.connection : undefined,
        ),
      }),
      fetch: globalThis.fetch.bind(globalThis),
      transports: transport ? [transport] : [],
      delegateDrain: delegateDrainToServiceWorker,
      delegateReplication: delegateReplicationToServiceWorker,
    });
    const started = client;
    stopTriggers = started.start();
    // The same functions on the console (and for the end-to-end tests): `await veoCache.getCachedJobList()`.
    (globalThis as { veoCache?: unknown }).veoCache = consoleApi;
    void startServiceWorker(started).catch((error: unknown) =>
      console.error(
        '[veo-sync] the service worker could not be registered; syncing from the page',
        error,
      ),
    );
    void requestPersistentStorage().catch(() => undefined);
    void importLegacyJobs((jobs) => started.importJobs(jobs)).catch((error: unknown) =>
      console.error('[veo-sync] importing jobs from localStorage failed; they stay there', error),
    );
  }
  return client;
}

/** Replaces the page's client (the service worker integration does, and tests). */
export async function configureSyncClient(
  options: SyncClientOptions | SyncClient | null,
): Promise<void> {
  stopTriggers?.();
  stopTriggers = undefined;
  await client?.close();
  client =
    options === null ? undefined : 'saveJob' in options ? options : createSyncClient(options);
}

/** Every job on this device, newest first, with its sync state. Never waits on the network. */
export function getCachedJobList(): Promise<JobListItem[]> {
  return getSyncClient().listJobs();
}

/**
 * A job with its data, or null when it does not exist. Rejects with {@link JobUnavailableError}
 * when its data is not on the device and the server cannot be reached. `onProgress` hears the
 * bytes of a download, when the job's data has to be fetched.
 */
export async function getCachedJob(
  jobId: JobId,
  options: { onProgress?: DownloadProgress } = {},
): Promise<CachedVeoJob | null> {
  const result = await getSyncClient().readJob(jobId, options);
  if (result.status === 'found') return result.job;
  if (result.status === 'missing') return null;
  throw new JobUnavailableError(jobId, result.reason);
}

/** Saves a job; resolves when it is durable on this device (online or not). */
export function setCachedJob(
  jobId: JobId,
  job: Omit<JobWrite, 'jobId'> & { jobId?: JobId },
): Promise<CachedVeoJobInfo> {
  if (job.jobId !== undefined && job.jobId !== jobId) {
    return Promise.reject(new Error(`setCachedJob: the job is ${job.jobId}, not ${jobId}`));
  }
  return getSyncClient().saveJob({ ...job, jobId });
}

/** Deletes a job everywhere; resolves when the delete is durable on this device. */
export function deleteCachedJob(jobId: JobId): Promise<void> {
  return getSyncClient().deleteJob(jobId);
}

/** Clears every job that exists now, on every device. */
export function clearAllJobs(): Promise<void> {
  return getSyncClient().clearAll();
}

let jobList: { client: SyncClient; list: JobList } | undefined;

/**
 * The history list as the page shows it (lib/client/job-list.ts): read from the device, kept up
 * to date with every change, saves shown as they begin. Made on first use, reading at once: call
 * it early (while the page hydrates) and the list is there when the page first renders.
 */
export function getJobList(): JobList {
  const current = getSyncClient();
  if (jobList?.client !== current) {
    jobList?.list.close();
    const initial = earlyRead?.then((early) =>
      early?.records && !early.closed ? listItems(early.records, Date.now()) : undefined,
    );
    earlyRead = undefined;
    jobList = { client: current, list: createJobList(current, initial ? { initial } : {}) };
  }
  return jobList.list;
}

let promptSearch: { client: SyncClient; search: PromptSearch } | undefined;

/**
 * The prompt-text index as the page searches it (lib/client/prompt-search.ts): what is indexed
 * of the jobs whose data is on this device, kept up to date once `activate()` is called (the
 * first text search). Nothing while signed out.
 */
export function getPromptSearch(): PromptSearch {
  const current = getSyncClient();
  if (promptSearch?.client !== current) {
    promptSearch?.search.close();
    promptSearch = { client: current, search: createPromptSearch(current) };
  }
  return promptSearch.search;
}

/** Calls `listener` once for every change, made here, in another tab, or pulled from the server. */
export function subscribe(listener: JobsChangedListener): () => void {
  return getSyncClient().subscribe(listener);
}

/** The sync status line and its changes. */
export const syncStatus = {
  get: (): SyncStatus => getSyncClient().getStatus(),
  subscribe: (listener: (status: SyncStatus) => void): (() => void) =>
    getSyncClient().subscribeStatus(listener),
};

/** Whether a write or delete of this job is still waiting to reach the server. */
export async function isJobPending(jobId: JobId): Promise<boolean> {
  return (await getSyncClient().getPendingJobIds()).has(jobId);
}

/** Sync now: send waiting writes, then pull. */
export function syncNow(): Promise<void> {
  return getSyncClient().sync();
}

const consoleApi = {
  getCachedJobList,
  getCachedJob,
  setCachedJob,
  deleteCachedJob,
  clearAllJobs,
  subscribe,
  syncStatus,
  syncNow,
};
