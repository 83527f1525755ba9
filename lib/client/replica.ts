/**
 * The job replica on the device: local writes (each with its outbox op, in one transaction),
 * reads that never touch the network, and storage-pressure eviction of synced data.
 */
import type { CachedVeoJob, CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import { CLEAR_ALL_KEY, type JobRecord, type OutboxOp, type VeoDb } from './db';
import { jobToBlob } from './job-blob';
import { enqueueOp, unsyncedJobIds } from './outbox';

/** Where a job stands between this device and the server. */
export type JobSyncState =
  /** The server has this version. */
  | 'synced'
  /** A write or delete is waiting in the outbox. */
  | 'pending'
  /** The server refused the last write for good; see the dead letters. */
  | 'failed';

export interface JobListItem extends CachedVeoJobInfo {
  readonly syncState: JobSyncState;
  /** The server's reason, when `failed`. */
  readonly syncError?: string;
  /** Whether the job's data is on the device (it opens offline). */
  readonly availableOffline: boolean;
}

/** Space ran out even after evicting every synced job's data: nothing was written. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
  constructor(cause: unknown) {
    super('There is no room left on this device to save the job; free some space and try again', {
      cause,
    });
  }
}

const WRITE_STORES = ['jobs', 'jobData', 'outbox', 'deadLetters'] as const;

/**
 * Saves a job and its upsert op in one transaction (sync rule 1: when this resolves, the job is
 * durable on the device, whatever the network). The data is stored as a JSON Blob; compression
 * happens later, in the drain.
 */
export async function saveJobLocally(
  db: VeoDb,
  job: CachedVeoJob,
  opId: string,
  now: number,
): Promise<void> {
  const blob = jobToBlob(job);
  const op: OutboxOp = {
    kind: 'upsert',
    jobId: job.jobId,
    updatedAt: job.updatedAt,
    opId,
    enqueuedAt: now,
    attempts: 0,
    nextAttemptAt: now,
  };
  const { data: _data, ...info } = job;
  await withEviction(db, blob.size, async () => {
    const tx = db.transaction(WRITE_STORES, 'readwrite');
    await committed(tx, [
      tx.objectStore('jobs').put({ jobId: job.jobId, info, hasData: true }),
      tx.objectStore('jobData').put({
        jobId: job.jobId,
        updatedAt: job.updatedAt,
        blob,
        encoding: 'job-json',
        lastUsedAt: now,
      }),
      enqueueOp(tx, op),
    ]);
  });
}

/**
 * Removes a job from the device and queues its delete, in one transaction. The delete is dated
 * after the version it removes even when that version's time is ahead of this device's clock
 * (another device's clock, an import): otherwise the server would keep the job.
 */
export async function deleteJobLocally(
  db: VeoDb,
  jobId: JobId,
  opId: string,
  now: number,
  /** The caller's own "delete unless updated after" time, if it gave one. */
  requestedAt?: number,
): Promise<void> {
  const tx = db.transaction(WRITE_STORES, 'readwrite');
  const remove = async () => {
    const record = await tx.objectStore('jobs').get(jobId);
    const at = requestedAt ?? Math.max(now, record ? record.info.updatedAt + 1 : 0);
    await tx.objectStore('jobs').delete(jobId);
    await tx.objectStore('jobData').delete(jobId);
    await enqueueOp(tx, {
      kind: 'delete',
      jobId,
      at,
      opId,
      enqueuedAt: now,
      attempts: 0,
      nextAttemptAt: now,
    });
  };
  await committed(tx, [remove()]);
}

/**
 * Removes every job from the device and queues a clear-all of what existed now — dated after the
 * newest of them, for the same reason as a delete.
 */
export async function clearJobsLocally(
  db: VeoDb,
  opId: string,
  now: number,
  /** The caller's own "clear what was updated up to" time, if it gave one. */
  requestedBefore?: number,
): Promise<JobId[]> {
  const tx = db.transaction(WRITE_STORES, 'readwrite');
  const clear = async () => {
    const records = await tx.objectStore('jobs').getAll();
    const before = requestedBefore ?? Math.max(now, ...records.map((r) => r.info.updatedAt));
    await tx.objectStore('jobs').clear();
    await tx.objectStore('jobData').clear();
    await enqueueOp(tx, {
      kind: 'clear',
      jobId: CLEAR_ALL_KEY,
      before,
      opId,
      enqueuedAt: now,
      attempts: 0,
      nextAttemptAt: now,
    });
    return records.map((r) => r.jobId);
  };
  const ids = clear();
  await committed(tx, [ids]);
  return ids;
}

/** The history list, newest first, with each job's sync state. Reads IndexedDB only. */
export async function listJobsLocally(db: VeoDb, now: number): Promise<JobListItem[]> {
  const tx = db.transaction(['jobs', 'outbox', 'deadLetters']);
  const [records, ops, letters] = await Promise.all([
    tx.objectStore('jobs').index('by-updatedAt').getAll(),
    tx.objectStore('outbox').getAll(),
    tx.objectStore('deadLetters').getAll(),
  ]);
  const pending = new Set(ops.map((op) => op.jobId));
  const failed = new Map(letters.map((l) => [l.op.jobId, l.error.message]));
  return records
    .filter((r) => r.info.expiresAt > now)
    .reverse()
    .map((r) => {
      const error = failed.get(r.jobId);
      return {
        ...r.info,
        syncState: pending.has(r.jobId) ? 'pending' : error !== undefined ? 'failed' : 'synced',
        ...(error === undefined ? {} : { syncError: error }),
        availableOffline: r.hasData,
      };
    });
}

/** Reads a job's record and data Blob (if on the device), and marks the data as recently used. */
export async function readJobLocally(db: VeoDb, jobId: JobId, now: number) {
  const tx = db.transaction(['jobs', 'jobData'], 'readwrite');
  const [record, data] = await Promise.all([
    tx.objectStore('jobs').get(jobId),
    tx.objectStore('jobData').get(jobId),
  ]);
  const current =
    record && data && record.hasData && data.updatedAt === record.info.updatedAt ? data : undefined;
  if (current) await tx.objectStore('jobData').put({ ...current, lastUsedAt: now });
  await tx.done;
  if (!record || record.info.expiresAt <= now) return undefined;
  return { record, data: current };
}

/**
 * Stores data fetched from the server for a job, if the replica still holds that version (a
 * newer local edit or pull may have landed while it downloaded).
 */
export async function storeFetchedData(
  db: VeoDb,
  info: CachedVeoJobInfo,
  blob: Blob,
  now: number,
): Promise<void> {
  await withEviction(db, blob.size, async () => {
    const tx = db.transaction(['jobs', 'jobData', 'outbox', 'deadLetters'], 'readwrite');
    const write = async () => {
      // A local write or delete of this job is waiting (or was refused): the device's version
      // is the user's, and a download must not replace or resurrect it.
      const waiting = await tx.objectStore('outbox').index('by-jobId').count(info.jobId);
      const refused = await tx.objectStore('deadLetters').index('by-jobId').count(info.jobId);
      if (waiting + refused > 0) return;
      const record = await tx.objectStore('jobs').get(info.jobId);
      // A newer version landed while the data downloaded: this data is stale, keep none.
      if (record && record.info.updatedAt > info.updatedAt) return;
      await tx.objectStore('jobs').put({ jobId: info.jobId, info, hasData: true });
      await tx.objectStore('jobData').put({
        jobId: info.jobId,
        updatedAt: info.updatedAt,
        blob,
        encoding: 'document-json',
        lastUsedAt: now,
      });
    };
    await committed(tx, [write()]);
  });
}

/**
 * Runs a write; when the browser refuses it for lack of space, frees synced job data (least
 * recently used first, never unsynced data or any metadata) and tries once more. A transaction
 * that fails is rolled back whole, so nothing is ever half-written.
 */
async function withEviction(
  db: VeoDb,
  bytesNeeded: number,
  write: () => Promise<void>,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isQuotaError(error)) throw error;
    const freed = await evictSyncedData(db, bytesNeeded);
    if (freed === 0) throw new StorageFullError(error);
    try {
      await write();
    } catch (again) {
      if (isQuotaError(again)) throw new StorageFullError(again);
      throw again;
    }
  }
}

/** Deletes synced jobs' data, least recently used first, until `bytes` are freed. */
export async function evictSyncedData(db: VeoDb, bytes: number): Promise<number> {
  const tx = db.transaction(['jobs', 'jobData', 'outbox', 'deadLetters'], 'readwrite');
  const { jobIds: unsynced } = await unsyncedJobIds(tx);
  let freed = 0;
  let cursor = await tx.objectStore('jobData').index('by-lastUsedAt').openCursor();
  while (cursor && freed < bytes) {
    const data = cursor.value;
    if (!unsynced.has(data.jobId)) {
      freed += data.blob.size;
      await tx.objectStore('jobData').delete(data.jobId);
      const record = await tx.objectStore('jobs').get(data.jobId);
      if (record)
        await tx.objectStore('jobs').put({ ...record, hasData: false } satisfies JobRecord);
    }
    cursor = await cursor.continue();
  }
  await tx.done;
  return freed;
}

/**
 * Waits for a transaction's requests and its commit. When it aborts, rejects with the
 * transaction's own error (QuotaExceededError, say) rather than a request's generic AbortError,
 * and never leaves a request's rejection unhandled.
 */
async function committed(
  tx: { done: Promise<void>; error: DOMException | null },
  work: Promise<unknown>[],
): Promise<void> {
  try {
    await Promise.all([...work, tx.done]);
  } catch (error) {
    throw tx.error ?? error;
  }
}

function isQuotaError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    (error.name === 'QuotaExceededError' || error.name === 'NS_ERROR_DOM_QUOTA_REACHED')
  );
}
