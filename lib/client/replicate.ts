/**
 * Background replication: the device holds every listed job's data, not only what it opened.
 * After a pull, the data of each live job the device lacks — or holds only an older version of —
 * is fetched, newest first, several jobs per request (a job bundle: lib/shared/api-types.ts), and
 * stored as the server sent it: the gzip of the job's document, inflated only when opened. Each
 * bundle is fetched and stored under the sync lock, so drains go on between bundles; a pass stops
 * offline, on a failure, or when storage is nearly full, and the next pass resumes from what is
 * still missing (the replica itself is the bookmark).
 */
import { JOB_BUNDLE_MAX_IDS } from '@/lib/shared/api-types';
import type { JobBundle } from '@/lib/shared/job-bundle';
import type { CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import type { ApiClient, DownloadProgress, SyncFailure } from './api-client';
import { hasCurrentData, REPLICA_STORES, type VeoDb } from './db';
import { committed, isQuotaError, liveInfo, mergeWrite } from './replica';
import { storedFromBlob, withStoredDataFallback, type StoredData } from './stored-data';

/** What the browser says of this origin's storage (`navigator.storage.estimate()`). */
export interface StorageEstimate {
  readonly usage: number;
  readonly quota: number;
}

/**
 * Room kept free for the user's own saves and the rest of the app: replication stops while less
 * than this fraction of the quota, or this many bytes, is left.
 */
export const STORAGE_MARGIN = { fraction: 0.1, minBytes: 64 * 1024 * 1024 } as const;

export interface ReplicateContext {
  readonly db: VeoDb;
  readonly api: ApiClient;
  readonly now: () => number;
  readonly isOnline: () => boolean;
  /** Runs one step under the lock the drain takes (sync rule 7). */
  readonly exclusive: <T>(task: () => Promise<T>, signal?: AbortSignal) => Promise<T>;
  /** This origin's storage use and quota; undefined where the browser does not say. */
  readonly estimate: () => Promise<StorageEstimate | undefined>;
  /** Jobs whose data was just stored. */
  readonly onStored: (jobIds: JobId[]) => void;
}

export interface ReplicateResult {
  /** Jobs whose data this pass stored. */
  readonly stored: number;
  /** Requests this pass made. */
  readonly requests: number;
  /** Live jobs whose current data is still not on the device. */
  readonly remaining: number;
  /** Why the pass ended with jobs still missing. */
  readonly stopped?: 'offline' | 'storage' | 'failed';
  readonly failure?: SyncFailure;
}

/** Whether storing `more` bytes would eat into the margin. */
export function outOfRoom(estimate: StorageEstimate | undefined, more = 0): boolean {
  if (!estimate || !(estimate.quota > 0)) return false;
  const margin = Math.max(estimate.quota * STORAGE_MARGIN.fraction, STORAGE_MARGIN.minBytes);
  return estimate.usage + more > estimate.quota - margin;
}

/** Live jobs whose current data is not on the device: `first` ones first, then newest first. */
export async function jobsLackingData(
  db: VeoDb,
  now: number,
  first: readonly JobId[] = [],
): Promise<CachedVeoJobInfo[]> {
  const records = await db.getAll('jobs');
  const lacking = records.flatMap((record) => {
    const info = liveInfo(record);
    return info && info.expiresAt > now && !hasCurrentData(record) ? [info] : [];
  });
  const rank = (id: JobId) => {
    const i = first.indexOf(id);
    return i < 0 ? first.length : i;
  };
  return lacking.sort((a, b) => rank(a.jobId) - rank(b.jobId) || b.updatedAt - a.updatedAt);
}

/**
 * Stores a bundle's jobs by the merge rule, in one transaction: a job is kept only when it is the
 * version the replica holds (its data was missing or older) or newer than all it holds. Returns
 * the jobs stored.
 */
export async function storeBundle(
  db: VeoDb,
  bundle: JobBundle,
  now: number,
  /** `document-json` for parts that are inflated documents. */
  encoding: 'document-gzip' | 'document-json' = 'document-gzip',
): Promise<JobId[]> {
  return withStoredDataFallback(db, async () => {
    // In the form the database takes, made before the transaction (reading a Blob is async).
    const parts: StoredData[] = [];
    for (const part of bundle.parts) parts.push(await storedFromBlob(db, new Blob([part])));
    const tx = db.transaction(REPLICA_STORES, 'readwrite');
    const stored: JobId[] = [];
    const write = async () => {
      for (const [i, { job }] of bundle.index.jobs.entries()) {
        const data = { stored: parts[i]!, encoding };
        if (await mergeWrite(tx, job, now, data)) stored.push(job.jobId);
      }
    };
    await committed(tx, [write()]);
    return stored;
  });
}

/**
 * One pass of replication. `first` jobs go first (one the user is opening). `onProgress` hears
 * each request's bytes. Without DecompressionStream the stored gzip could not be read back: each
 * job then comes inflated, one per request.
 */
export async function replicateData(
  ctx: ReplicateContext,
  {
    first = [],
    signal,
    onProgress,
  }: { first?: readonly JobId[]; signal?: AbortSignal; onProgress?: DownloadProgress } = {},
): Promise<ReplicateResult> {
  /** Jobs this pass will not ask for again: gone on the server, or refused by the merge rule. */
  const skip = new Set<JobId>();
  let stored = 0;
  let requests = 0;
  const inflates = typeof DecompressionStream !== 'undefined';
  for (;;) {
    signal?.throwIfAborted();
    const lacking = (await jobsLackingData(ctx.db, ctx.now(), first)).filter(
      (job) => !skip.has(job.jobId),
    );
    const end = (stopped?: ReplicateResult['stopped'], failure?: SyncFailure) => ({
      stored,
      requests,
      remaining: lacking.length,
      ...(stopped ? { stopped } : {}),
      ...(failure ? { failure } : {}),
    });
    if (lacking.length === 0) return end();
    if (!ctx.isOnline()) return end('offline');
    if (outOfRoom(await ctx.estimate())) return end('storage');

    const ids = lacking.slice(0, inflates ? JOB_BUNDLE_MAX_IDS : 1).map((job) => job.jobId);
    let outcome:
      { ok: true; changed: JobId[]; sent: JobId[] } | { ok: false; failure: SyncFailure };
    try {
      outcome = await ctx.exclusive(async () => {
        const fetched = inflates
          ? await ctx.api.getJobBundle(ids, {
              ...(signal ? { signal } : {}),
              ...(onProgress ? { onProgress } : {}),
            })
          : await inflatedBundle(ctx.api, ids[0]!, signal);
        if (!fetched.ok) return fetched;
        for (const id of fetched.value.index.missing) skip.add(id);
        const changed = await storeBundle(
          ctx.db,
          fetched.value,
          ctx.now(),
          inflates ? 'document-gzip' : 'document-json',
        );
        return { ok: true, changed, sent: fetched.value.index.jobs.map((j) => j.job.jobId) };
      }, signal);
    } catch (error) {
      if (isQuotaError(error)) return end('storage');
      throw error;
    }
    requests++;
    if (!outcome.ok) return end('failed', outcome.failure);
    for (const id of outcome.sent) if (!outcome.changed.includes(id)) skip.add(id);
    stored += outcome.changed.length;
    if (outcome.changed.length > 0) ctx.onStored(outcome.changed);
    // Nothing sent and nothing gone: the server cannot help with these now.
    if (outcome.sent.length === 0) for (const id of ids) skip.add(id);
  }
}

/** One job as a bundle of its inflated document, for a platform without DecompressionStream. */
async function inflatedBundle(
  api: ApiClient,
  jobId: JobId,
  signal: AbortSignal | undefined,
): Promise<{ ok: true; value: JobBundle } | { ok: false; failure: SyncFailure }> {
  const result = await api.getJobDocument(jobId, signal);
  if (!result.ok) return result;
  if (!result.value)
    return { ok: true, value: { index: { jobs: [], more: [], missing: [jobId] }, parts: [] } };
  const text = await result.value.text();
  const { job } = JSON.parse(text) as { job: CachedVeoJobInfo & { data: unknown } };
  const { data: _data, ...info } = job;
  // Stored as its document, inflated: `document-json` reads it back.
  return {
    ok: true,
    value: {
      index: { jobs: [{ job: info, gzipBytes: 0 }], more: [], missing: [] },
      parts: [new TextEncoder().encode(text)],
    },
  };
}
