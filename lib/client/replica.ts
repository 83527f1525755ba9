/**
 * The job replica on the device: local writes (each with its outbox op, in one transaction),
 * reads that never touch the network, and storage-pressure eviction of synced data.
 */
import type { CachedVeoJob, CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import { deleteAdvances, isLive, replacedUnseen, writeWins } from '@/lib/shared/merge-rule';
import {
  INITIAL_CLOCK,
  lastVersionAt,
  maxVersion,
  observe,
  tick,
  versionNode,
  type Version,
} from '@/lib/shared/version';
import {
  CLEAR_ALL_KEY,
  hasCurrentData,
  type DeadLetter,
  type JobBlobEncoding,
  type JobRecord,
  type OutboxOp,
  type ReplicaTx,
  type SyncMeta,
  type VeoDb,
  REPLICA_STORES,
} from './db';
import { jobToJson } from './job-blob';
import {
  dataSize,
  storedFromBlob,
  storedFromText,
  withStoredDataFallback,
  type StoredData,
} from './stored-data';
import { dropCoveredOps, enqueueOp, unsyncedJobIds } from './outbox';
import {
  carriedReplaced,
  currentReplaced,
  forgetReplaced,
  keepReplaced,
  replacedSummary,
  type ReplacedSummary,
} from './replaced';

/** Where a job stands between this device and the server. */
export type JobSyncState =
  /** The server has this version. */
  | 'synced'
  /** A write or delete is waiting in the outbox. */
  | 'pending'
  /** The server refused the last write for good; see the dead letters. */
  | 'failed'
  /**
   * Being written to this device at this moment: what other tabs are shown of a save before its
   * bytes are stored (they read the job again when the save has committed, or failed).
   */
  | 'saving';

export interface JobListItem extends CachedVeoJobInfo {
  readonly syncState: JobSyncState;
  /** The server's reason, when `failed`. */
  readonly syncError?: string;
  /** Whether some version of the job's data is on the device (it opens offline). */
  readonly availableOffline: boolean;
  /**
   * Which version of the data is on the device: the job's own, an older one (the newer is on its
   * way), or none.
   */
  readonly onDevice: 'current' | 'older' | 'none';
  /** How much space the data on the device takes (bytes), if any is there. */
  readonly storedBytes?: number;
  /**
   * The user's write from this device that a newer version from elsewhere replaced before the
   * server had it, kept here for a while (lib/client/replaced.ts).
   */
  readonly replaced?: ReplacedSummary;
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

// --- the clock ---------------------------------------------------------------------------------

async function readMeta(tx: ReplicaTx): Promise<SyncMeta> {
  return (await tx.objectStore('meta').get('sync')) ?? { deviceId: crypto.randomUUID() };
}

/**
 * The next version this device issues, inside the write's own transaction: every tab and the
 * worker share the clock in IndexedDB, and transactions on it run one at a time, so no two ops
 * of this device ever get the same version, and each is greater than all the device observed.
 */
async function issueVersion(tx: ReplicaTx, now: number): Promise<Version> {
  const meta = await readMeta(tx);
  const next = tick(meta.clock ?? INITIAL_CLOCK, now, meta.deviceId);
  await tx.objectStore('meta').put({ ...meta, clock: next.state }, 'sync');
  return next.version;
}

/** Moves the device's clock past versions it has now seen (a pull, a download, an answer). */
export async function observeVersions(
  tx: ReplicaTx,
  versions: readonly (Version | null | undefined)[],
): Promise<void> {
  const meta = await readMeta(tx);
  let clock = meta.clock ?? INITIAL_CLOCK;
  for (const version of versions) if (version) clock = observe(clock, version);
  if (clock !== (meta.clock ?? INITIAL_CLOCK)) {
    await tx.objectStore('meta').put({ ...meta, clock }, 'sync');
  }
}

// --- the merge rule, applied to the replica ------------------------------------------------------

/**
 * Merges a write the device learnt of (from the server: a pull, an answer, a download) into the
 * replica, by the merge rule. Returns true when the replica changed. A local upsert still waiting
 * whose version the incoming write beats is dropped: the server already holds something newer,
 * and would refuse it. `data`, when given, is the bytes of exactly this version.
 */
export async function mergeWrite(
  tx: ReplicaTx,
  info: CachedVeoJobInfo,
  now: number,
  data?: { stored: StoredData; encoding: JobBlobEncoding },
  /** A write of this device the server answered it had beaten (`info` is the winner). */
  lost?: Version,
): Promise<boolean> {
  const jobs = tx.objectStore('jobs');
  const record = await jobs.get(info.jobId);
  const state = { version: record?.info?.version, deletedUpTo: record?.deletedUpTo };
  await observeVersions(tx, [info.version]);
  const sameVersion = state.version === info.version;
  if (!sameVersion && !writeWins(state, info.version)) return false;
  if (sameVersion && (!data || hasCurrentData(record) || !isLive(state))) return false;
  let replaced = await carriedReplaced(tx, record, now);
  if (!sameVersion) {
    const dropped = await dropCoveredOps(tx, info.jobId, info.version, 'write');
    // The device's own write, whose data is here, replaced by one made without it: kept for the
    // user (replaced.ts). Waiting (or refused for this one) means it had not reached the server.
    const mine = record?.info;
    if (
      mine &&
      record?.stored?.version === mine.version &&
      replacedUnseen(
        mine.version,
        info,
        !dropped.includes(mine.version) && lost !== mine.version,
      ) &&
      versionNode(mine.version) === (await readMeta(tx)).deviceId
    ) {
      const kept = await keepReplaced(tx, mine, record.stored.bytes, info.version, now);
      if (kept) replaced = { replaced: kept };
    }
  }
  // Without new data, the data the device holds stays, readable as the job's previous version
  // until the replicator brings this one; with it, it is replaced in this very transaction.
  let stored = record?.stored;
  if (data) {
    await tx.objectStore('jobData').put({
      ...data.stored,
      jobId: info.jobId,
      version: info.version,
      encoding: data.encoding,
      lastUsedAt: now,
    });
    stored = { version: info.version, bytes: dataSize(data.stored) };
  }
  await jobs.put({
    jobId: info.jobId,
    info,
    ...(state.deletedUpTo ? { deletedUpTo: state.deletedUpTo } : {}),
    ...(stored ? { stored } : {}),
    ...replaced,
  });
  return true;
}

/**
 * Merges a tombstone (a delete or clear that covered the job up to `upTo`) into the replica.
 * Returns true when the job was live and now is not. Waiting upserts it covers are dropped.
 */
export async function mergeTombstone(tx: ReplicaTx, jobId: JobId, upTo: Version): Promise<boolean> {
  const jobs = tx.objectStore('jobs');
  const record = await jobs.get(jobId);
  await observeVersions(tx, [upTo]);
  const state = { version: record?.info?.version, deletedUpTo: record?.deletedUpTo };
  if (!deleteAdvances(state, upTo)) return false;
  const wasLive = isLive(state);
  const next = { ...state, deletedUpTo: maxVersion(state.deletedUpTo, upTo) };
  await dropCoveredOps(tx, jobId, upTo, 'tombstone');
  // A deleted job's data goes with it: nothing deleted comes back, not even an older copy.
  const live = isLive(next);
  if (!live) {
    await tx.objectStore('jobData').delete(jobId);
    await forgetReplaced(tx, jobId);
  }
  await jobs.put({
    jobId,
    ...(record?.info ? { info: record.info } : {}),
    ...(next.deletedUpTo ? { deletedUpTo: next.deletedUpTo } : {}),
    ...(live && record?.stored ? { stored: record.stored } : {}),
    ...(live && record?.replaced ? { replaced: record.replaced } : {}),
  });
  return wasLive;
}

/** A job as the replica holds it: live, with its info. */
export function liveInfo(record: JobRecord | undefined): CachedVeoJobInfo | undefined {
  if (!record?.info) return undefined;
  return isLive({ version: record.info.version, deletedUpTo: record.deletedUpTo })
    ? record.info
    : undefined;
}

// --- local writes --------------------------------------------------------------------------------

/** A save's job, made from what the device holds of it when the save's transaction reads it. */
export type JobStamp = (previous: CachedVeoJobInfo | undefined) => Omit<CachedVeoJob, 'version'>;

/** What a save tells its caller while its transaction runs. */
export interface SaveHooks {
  /**
   * The job's info, version included, as soon as it is issued: before its data is stored or
   * anything committed (other tabs can be shown the save while its bytes are written).
   */
  readonly onStamped?: (info: CachedVeoJobInfo) => void;
  /** How many ops the outbox holds with this one, as the save commits them. */
  readonly onQueued?: (pending: number) => void;
  /**
   * The save is the user keeping the job's replaced version of this version (replaced.ts): it
   * ends there, in the save's transaction. Any other save leaves a replaced version as it is.
   */
  readonly keepsReplaced?: Version;
}

/**
 * Saves a job and its upsert op in one transaction (sync rule 1: when this resolves, the job is
 * durable on the device, whatever the network). The job's record is read and the version issued
 * inside that transaction, in one round trip; the data is stored as JSON (a Blob, or an
 * ArrayBuffer where the engine refuses Blobs); compression happens later, in the drain. Resolves
 * with the job's info as stored (its version included).
 */
export async function saveJobLocally(
  db: VeoDb,
  job: Omit<CachedVeoJob, 'version'> | { jobId: JobId; stamp: JobStamp },
  opId: string,
  now: number,
  hooks: SaveHooks = {},
): Promise<CachedVeoJobInfo> {
  const jobId = job.jobId;
  const stamp: JobStamp = 'stamp' in job ? job.stamp : () => job;
  let size = 0;
  let saved: CachedVeoJobInfo | undefined;
  let pending = 0;
  let stamped = false;
  await withEviction(
    db,
    () => size,
    async () => {
      const tx = db.transaction(REPLICA_STORES, 'readwrite');
      const write = async () => {
        const [version, record] = await Promise.all([
          issueVersion(tx, now),
          tx.objectStore('jobs').get(jobId),
        ]);
        // What this write was made on: the version the device held (a caller cannot say).
        const { basedOn: _given, ...fields } = stamp(record?.info);
        const basedOn = record?.info?.version;
        const full: CachedVeoJob = { ...fields, jobId, version, ...(basedOn ? { basedOn } : {}) };
        const { data: _data, ...info } = full;
        if (!stamped) {
          stamped = true;
          hooks.onStamped?.(info);
        }
        // Stringified here, inside the transaction: the bytes hold exactly this version.
        const stored = storedFromText(db, jobToJson(full));
        size = dataSize(stored);
        const ends = hooks.keepsReplaced !== undefined;
        if (ends && record?.replaced?.info.version !== hooks.keepsReplaced)
          throw new Error('That replaced version is no longer kept on this device');
        if (ends) await forgetReplaced(tx, jobId);
        await tx.objectStore('jobs').put({
          jobId,
          info,
          ...(record?.deletedUpTo ? { deletedUpTo: record.deletedUpTo } : {}),
          stored: { version, bytes: size },
          ...(ends ? {} : await carriedReplaced(tx, record, now)),
        });
        await tx.objectStore('jobData').put({
          ...stored,
          jobId,
          version,
          encoding: 'job-json',
          lastUsedAt: now,
        });
        await enqueueOp(tx, {
          kind: 'upsert',
          jobId,
          version,
          opId,
          enqueuedAt: now,
          attempts: 0,
          nextAttemptAt: now,
        });
        pending = await tx.objectStore('outbox').count();
        saved = info;
      };
      await committed(tx, [write()]);
    },
  );
  if (!saved) throw new Error('saveJobLocally: the write did not run');
  hooks.onQueued?.(pending);
  return saved;
}

/**
 * Deletes a job here at once and queues its delete, in one transaction. The delete covers the
 * version this device holds — exactly what the user saw — or, for a caller's "delete unless
 * updated after `at`", every version up to that millisecond. A version above it stays live. A
 * job this device holds no version of is left alone: the delete would cover nothing.
 */
export async function deleteJobLocally(
  db: VeoDb,
  jobId: JobId,
  opId: string,
  now: number,
  /** The caller's own "delete unless updated after" time, if it gave one. */
  requestedAt?: number,
): Promise<void> {
  const tx = db.transaction(REPLICA_STORES, 'readwrite');
  const remove = async () => {
    const record = await tx.objectStore('jobs').get(jobId);
    const seen = requestedAt !== undefined ? lastVersionAt(requestedAt) : liveInfo(record)?.version;
    // Nothing of the job was ever seen here: there is nothing this delete could cover.
    if (seen === undefined) return;
    const version = await issueVersion(tx, now);
    await mergeTombstone(tx, jobId, seen);
    await enqueueOp(tx, {
      kind: 'delete',
      jobId,
      seen,
      version,
      opId,
      enqueuedAt: now,
      attempts: 0,
      nextAttemptAt: now,
    });
  };
  await committed(tx, [remove()]);
}

/**
 * Clears every job here at once and queues a clear-all of exactly what this device held, job by
 * job — or, for a caller's `?before=`, of every version up to that millisecond. Resolves with
 * the ids that went.
 */
export async function clearJobsLocally(
  db: VeoDb,
  opId: string,
  now: number,
  /** The caller's own "clear what was updated up to" time, if it gave one. */
  requestedBefore?: number,
): Promise<JobId[]> {
  const tx = db.transaction(REPLICA_STORES, 'readwrite');
  const clear = async () => {
    const records = await tx.objectStore('jobs').getAll();
    const version = await issueVersion(tx, now);
    const gone: JobId[] = [];
    const seen: Record<JobId, Version> = {};
    for (const record of records) {
      const live = liveInfo(record);
      const upTo = requestedBefore !== undefined ? lastVersionAt(requestedBefore) : live?.version;
      if (upTo === undefined) continue;
      if (requestedBefore === undefined) seen[record.jobId] = upTo;
      if (await mergeTombstone(tx, record.jobId, upTo)) gone.push(record.jobId);
    }
    await enqueueOp(tx, {
      kind: 'clear',
      jobId: CLEAR_ALL_KEY,
      ...(requestedBefore === undefined ? { seen } : { before: requestedBefore }),
      version,
      opId,
      enqueuedAt: now,
      attempts: 0,
      nextAttemptAt: now,
    });
    return gone;
  };
  const ids = clear();
  await committed(tx, [ids]);
  return ids;
}

/** What the history list is made of, as one read-only transaction finds it. */
export interface ListRecords {
  /** Every job record, oldest `updatedAt` first (the index's order). */
  readonly records: readonly JobRecord[];
  readonly ops: readonly OutboxOp[];
  readonly letters: readonly DeadLetter[];
  readonly meta: SyncMeta | undefined;
}

/** Reads what the list is made of, in one transaction (one round trip). */
export async function readListRecords(db: VeoDb): Promise<ListRecords> {
  const tx = db.transaction(['jobs', 'outbox', 'deadLetters', 'meta']);
  const [records, ops, letters, meta] = await Promise.all([
    tx.objectStore('jobs').index('by-updatedAt').getAll(),
    tx.objectStore('outbox').getAll(),
    tx.objectStore('deadLetters').getAll(),
    tx.objectStore('meta').get('sync'),
  ]);
  return { records, ops, letters, meta };
}

/**
 * Every live job, newest first, with its sync state: what the history shows. Nothing while the
 * user is signed out on this device (the jobs stay, locked).
 */
export function listItems(
  { records, ops, letters, meta }: ListRecords,
  now: number,
): JobListItem[] {
  if (meta?.signedOutAt !== undefined) return [];
  const pending = new Set(ops.map((op) => op.jobId));
  const failed = new Map(letters.map((l) => [l.op.jobId, l.error.message]));
  return records
    .flatMap((r) => {
      const info = liveInfo(r);
      return info && info.expiresAt > now ? [{ ...r, info }] : [];
    })
    .reverse()
    .map((r) => {
      const error = failed.get(r.jobId);
      const replaced = currentReplaced(r, now);
      return {
        ...r.info,
        syncState: pending.has(r.jobId) ? 'pending' : error !== undefined ? 'failed' : 'synced',
        ...(error === undefined ? {} : { syncError: error }),
        availableOffline: r.stored !== undefined,
        onDevice: !r.stored ? 'none' : r.stored.version === r.info.version ? 'current' : 'older',
        ...(r.stored ? { storedBytes: r.stored.bytes } : {}),
        ...(replaced ? { replaced: replacedSummary(replaced) } : {}),
      };
    });
}

/**
 * Reads a job's record and data (if on the device), and marks the data as recently used. The
 * data may be of an older version than the job's (`stale`): kept readable until the newer
 * arrives.
 */
export async function readJobLocally(db: VeoDb, jobId: JobId, now: number) {
  const tx = db.transaction(['jobs', 'jobData']);
  const [record, data] = await Promise.all([
    tx.objectStore('jobs').get(jobId),
    tx.objectStore('jobData').get(jobId),
  ]);
  await tx.done;
  const info = liveInfo(record);
  const held = info && data && record?.stored?.version === data.version ? data : undefined;
  if (held) await markUsed(db, jobId, held.version, now);
  if (!info || info.expiresAt <= now) return undefined;
  return { info, data: held, stale: held !== undefined && held.version !== info.version };
}

/**
 * Moves a job's data to the back of the eviction order. Apart from the read, and allowed to fail:
 * putting the record back stores its Blob again, which WebKit refuses now and then, and a read
 * must never fail for that. The version is checked again: a newer write may have landed since.
 */
async function markUsed(db: VeoDb, jobId: JobId, version: Version, now: number): Promise<void> {
  try {
    const tx = db.transaction('jobData', 'readwrite');
    const touch = async () => {
      const data = await tx.store.get(jobId);
      if (data?.version === version) await tx.store.put({ ...data, lastUsedAt: now });
    };
    await committed(tx, [touch()]);
  } catch {
    // The order of eviction is a hint; the data itself is untouched.
  }
}

/**
 * Stores a job downloaded from the server, by the merge rule: kept only if it is the version the
 * replica holds (its data was missing) or newer than everything the replica has — never when a
 * newer write or a delete landed while it downloaded.
 */
export async function storeFetchedData(
  db: VeoDb,
  info: CachedVeoJobInfo,
  blob: Blob,
  now: number,
  encoding: 'document-json' | 'document-gzip',
): Promise<boolean> {
  let stored = false;
  await withEviction(
    db,
    () => blob.size,
    async () => {
      // In the form the database takes, made before the transaction (reading a Blob is async).
      const data = await storedFromBlob(db, blob);
      const tx = db.transaction(REPLICA_STORES, 'readwrite');
      const write = async () => {
        stored = await mergeWrite(tx, info, now, { stored: data, encoding });
      };
      await committed(tx, [write()]);
    },
  );
  return stored;
}

/**
 * Runs a write; when the browser refuses it for lack of space, frees synced job data (least
 * recently used first, never unsynced data or any metadata) and tries once more. A transaction
 * that fails is rolled back whole, so nothing is ever half-written.
 */
async function withEviction(
  db: VeoDb,
  bytesNeeded: () => number,
  writeOnce: () => Promise<void>,
): Promise<void> {
  // A Blob the engine refuses is written again as an ArrayBuffer (lib/client/stored-data.ts).
  const write = () => withStoredDataFallback(db, writeOnce);
  try {
    await write();
  } catch (error) {
    if (!isQuotaError(error)) throw error;
    const freed = await evictSyncedData(db, bytesNeeded());
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
      freed += dataSize(data);
      await tx.objectStore('jobData').delete(data.jobId);
      const record = await tx.objectStore('jobs').get(data.jobId);
      if (record) {
        const { stored: _evicted, ...rest } = record;
        await tx.objectStore('jobs').put(rest satisfies JobRecord);
      }
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
export async function committed(
  tx: { done: Promise<void>; error: DOMException | null },
  work: Promise<unknown>[],
): Promise<void> {
  try {
    await Promise.all([...work, tx.done]);
  } catch (error) {
    throw tx.error ?? error;
  }
}

/** Whether the browser refused a write for lack of space. */
export function isQuotaError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    (error.name === 'QuotaExceededError' || error.name === 'NS_ERROR_DOM_QUOTA_REACHED')
  );
}
