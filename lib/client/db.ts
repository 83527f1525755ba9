/**
 * The device's database: the job replica, the outbox, dead letters and sync metadata, in one
 * IndexedDB database typed by one schema. Runs in a page and in the service worker alike.
 */
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { ApiErrorBody, Cursor } from '@/lib/shared/api-types';
import type { CachedVeoJobInfo, JobId, OpId } from '@/lib/shared/job-schema';
import {
  formatVersion,
  lastVersionAt,
  observe,
  INITIAL_CLOCK,
  type ClockState,
  type Version,
} from '@/lib/shared/version';
import { dataSize, probeBlobStorage, probeBlobStorageOf, type StoredData } from './stored-data';

export const DB_NAME = 'veo-sync';
export const DB_VERSION = 4;

/**
 * How a job's data is encoded. `job-json` is what a save writes (JSON of the CachedVeoJob, ~1 ms
 * to store); `job-gzip` is that JSON gzip-compressed, kept once the drain has compressed it for
 * upload; `document-gzip` is the server's stored gzip of its `GET` body (`{"job": …}`), kept as
 * the replicator received it; `document-json` is that body inflated (where the platform has no
 * DecompressionStream, and from devices before database version 3).
 */
export type JobBlobEncoding = 'job-json' | 'job-gzip' | 'document-gzip' | 'document-json';

/**
 * A job's entry in the replica: what the history list needs, without the data, and the job's
 * versions as the merge rule (lib/shared/merge-rule.ts) keeps them — its winning write (`info`,
 * with `info.version`) and its tombstone. A record whose tombstone covers its write is a deleted
 * job, kept so that an older version arriving late (a pull, a download) cannot bring it back.
 */
export interface JobRecord {
  readonly jobId: JobId;
  /** The greatest write this device has seen of the job; absent for a bare tombstone. */
  readonly info?: CachedVeoJobInfo;
  /** The greatest version a delete or clear-all covered. */
  readonly deletedUpTo?: Version;
  /**
   * What of the job's data is on the device (the `jobData` record): its version — `info.version`,
   * or an older one, kept readable until the newer data has arrived — and its size in bytes.
   */
  readonly stored?: StoredVersion;
  /**
   * A write of this device that lost to a newer version from elsewhere before the server had it
   * (its data is in `replacedData`): kept for the user to look at, keep, or dismiss
   * (lib/client/replaced.ts).
   */
  readonly replaced?: ReplacedVersion;
}

export interface ReplacedVersion {
  /** The device's write as it was saved here. */
  readonly info: CachedVeoJobInfo;
  /** The version from elsewhere that replaced it. */
  readonly by: Version;
  /** When the device found out (ms); kept until `keptAt` + REPLACED_KEPT_MS. */
  readonly keptAt: number;
  readonly bytes: number;
}

export interface StoredVersion {
  readonly version: Version;
  readonly bytes: number;
}

/** The bytes of a job's replaced version (see {@link JobRecord.replaced}). */
export type ReplacedDataRecord = StoredData & {
  readonly jobId: JobId;
  readonly version: Version;
  readonly encoding: JobBlobEncoding;
};

/** Whether the device holds the data of the job's current version. */
export function hasCurrentData(record: JobRecord | undefined): boolean {
  return record?.info !== undefined && record.stored?.version === record.info.version;
}

/**
 * A job's data, apart from its metadata so that listing never reads megabytes. The bytes are a
 * Blob, or an ArrayBuffer where the engine refuses Blobs (lib/client/stored-data.ts).
 */
export type JobDataRecord = StoredData & {
  readonly jobId: JobId;
  /** The version these bytes hold. */
  readonly version: Version;
  readonly encoding: JobBlobEncoding;
  /** Last read or write (ms): least recently used data is evicted first under storage pressure. */
  readonly lastUsedAt: number;
};

interface OpBase {
  /** Outbox order (auto-increment); absent until stored. */
  readonly seq?: number;
  /** Sent as `Idempotency-Key`: a replay of the op is a no-op on the server. */
  readonly opId: OpId;
  /**
   * The op's causal version, from this device's clock: greater than every version the device
   * had observed when the op was made (for an upsert, the version of the write itself).
   */
  readonly version: Version;
  readonly enqueuedAt: number;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Not before this time (ms): backoff after a retryable failure. */
  readonly nextAttemptAt: number;
  /** The last failure, for the status line. */
  readonly lastError?: string;
}

export type OutboxOp =
  /** Sends the job's data of exactly `version` (the op's own version). */
  | (OpBase & { readonly kind: 'upsert'; readonly jobId: JobId })
  /** Covers the job's versions up to `seen`: what this device deleted. */
  | (OpBase & { readonly kind: 'delete'; readonly jobId: JobId; readonly seen: Version })
  /**
   * Clear-all: `seen` covers, job by job, what this device held; `before` (a plain API caller's
   * `?before=`) covers every job's versions up to that millisecond.
   */
  | (OpBase & {
      readonly kind: 'clear';
      readonly jobId: typeof CLEAR_ALL_KEY;
      readonly seen?: Readonly<Record<JobId, Version>>;
      readonly before?: number;
    });

/** The `jobId` index value of a clear-all op, which concerns every job. */
export const CLEAR_ALL_KEY = '*';

/** An op the server refused for good (a 4xx other than 401), kept for the user to retry or discard. */
export interface DeadLetter {
  readonly opId: OpId;
  readonly op: OutboxOp;
  readonly status: number;
  readonly error: ApiErrorBody['error'];
  readonly failedAt: number;
}

export interface SyncMeta {
  /** The server's change cursor after the last pull; absent before the first full list. */
  cursor?: Cursor;
  /** This device's id, random, made on first open. */
  deviceId: string;
  lastSyncedAt?: number;
  lastError?: string;
  /** The server answered 401: writes wait until the user signs in again. */
  authRequired?: boolean;
  /** This device's hybrid logical clock: the last version it issued or observed. */
  clock?: ClockState;
  /** The access key (its id, from the server) this device's jobs and waiting changes belong to. */
  keyId?: string;
  /**
   * When the user signed out on this device (ms). Until a sign-in under the same key, the
   * replica is not served (the page, the worker's offline answers) and nothing is sent or pulled;
   * the jobs and the waiting changes stay on the device.
   */
  signedOutAt?: number;
  /** A sign-out that has not reached the server yet (offline): sent before anything else. */
  revokePending?: 'this' | 'everywhere';
  /** A sign-in under another key than `keyId` while signed out: the user decides what happens. */
  otherKeyId?: string;
}

/**
 * A job's entry in the prompt-text index (lib/client/prompt-index.ts): derived from the job's
 * data on the device, never a version of the job. Valid only while `version` is both the job's
 * version and the version of its data on the device.
 */
export interface PromptIndexEntry {
  readonly jobId: JobId;
  /** The version of the data the words were read from. */
  readonly version: Version;
  /** The distinct words of the job's scene prompts, lowercased, one space between them. */
  readonly words: string;
}

export interface VeoSyncDB extends DBSchema {
  jobs: {
    key: JobId;
    value: JobRecord;
    indexes: { 'by-updatedAt': number };
  };
  jobData: {
    key: JobId;
    value: JobDataRecord;
    indexes: { 'by-lastUsedAt': number };
  };
  outbox: {
    key: number;
    value: OutboxOp;
    indexes: { 'by-jobId': string; 'by-opId': string };
  };
  deadLetters: {
    key: OpId;
    value: DeadLetter;
    indexes: { 'by-jobId': string };
  };
  meta: {
    key: 'sync';
    value: SyncMeta;
  };
  replacedData: {
    key: JobId;
    value: ReplacedDataRecord;
  };
  promptIndex: {
    key: JobId;
    value: PromptIndexEntry;
  };
}

/**
 * The stores a write to the replica touches (every caller of the merge rule's replica functions
 * opens its transaction on these).
 */
export const REPLICA_STORES = [
  'jobs',
  'jobData',
  'outbox',
  'deadLetters',
  'meta',
  'replacedData',
] as const;

/** A read-write transaction on {@link REPLICA_STORES}. */
export type ReplicaTx = IDBPTransaction<VeoSyncDB, (typeof REPLICA_STORES)[number][], 'readwrite'>;

export type VeoDb = IDBPDatabase<VeoSyncDB>;

/**
 * Opens (creating or upgrading) the database through `factory`: the page's or the service
 * worker's `indexedDB`, or one per simulated device in tests. Each version's upgrade only adds to
 * what the previous one made, so data survives every upgrade.
 */
export async function openVeoDb(factory: IDBFactory, name: string = DB_NAME): Promise<VeoDb> {
  // idb's openDB() always uses the global indexedDB; this is the same thing on a given factory.
  const request = factory.open(name, DB_VERSION);
  request.addEventListener('upgradeneeded', (event) => {
    const db = wrap(request.result) as unknown as VeoDb;
    upgrade(db, event.oldVersion, request.transaction!);
  });
  await wrap(request);
  return adoptVeoDb(request.result);
}

/**
 * Takes over a connection opened at the current version (by openVeoDb, or by the page's early
 * read before the app's code had loaded: lib/client/early-list.ts).
 */
export function adoptVeoDb(connection: IDBDatabase): VeoDb {
  const db = wrap(connection) as unknown as VeoDb;
  // Blobs or ArrayBuffers for job data: asked of the engine once per database, while the first
  // reads go on (only writes of job data wait for the answer).
  const probe = (blob: Blob) => ({ jobId: '\u0000blob-probe', blob });
  probeBlobStorageOf(db, probeBlobStorage(connection, 'jobData', probe));
  // A newer version of the app wants to upgrade: close so it can. `close()` fires no event of its
  // own, so say so: the sync client opens the database again on next use.
  db.addEventListener('versionchange', () => {
    db.close();
    db.dispatchEvent(new Event('close'));
  });
  return db;
}

/** One step of an upgrade: runs, then calls `next` (cursor callbacks are asynchronous). */
type UpgradeStep = (next: () => void) => void;

function upgrade(db: VeoDb, oldVersion: number, tx: IDBTransaction): void {
  if (oldVersion < 1) {
    const jobs = db.createObjectStore('jobs', { keyPath: 'jobId' });
    jobs.createIndex('by-updatedAt', 'info.updatedAt');
    const data = db.createObjectStore('jobData', { keyPath: 'jobId' });
    data.createIndex('by-lastUsedAt', 'lastUsedAt');
    const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
    outbox.createIndex('by-jobId', 'jobId');
    outbox.createIndex('by-opId', 'opId', { unique: true });
    const dead = db.createObjectStore('deadLetters', { keyPath: 'opId' });
    dead.createIndex('by-jobId', 'op.jobId');
    db.createObjectStore('meta');
  }
  if (oldVersion < 4) {
    db.createObjectStore('replacedData', { keyPath: 'jobId' });
    // Derived data only: filled lazily from the jobs' data on the device.
    db.createObjectStore('promptIndex', { keyPath: 'jobId' });
  }
  const steps: UpgradeStep[] = [];
  if (oldVersion >= 1 && oldVersion < 2) steps.push(...migrateToCausalVersions(tx));
  if (oldVersion >= 1 && oldVersion < 3) steps.push(recordStoredVersions(tx));
  // One store after the other: cursor callbacks of one transaction run in the order their
  // requests were made, so each step starts when the previous one has finished.
  const run = (i: number): void => steps[i]?.(() => run(i + 1));
  run(0);
}

/** Opens a cursor on `store` and calls `update` on every record (its result replaces it). */
function eachRecord(
  raw: IDBTransaction,
  store: string,
  update: (value: Record<string, unknown>) => unknown,
): UpgradeStep {
  return (next) => {
    const request = raw.objectStore(store).openCursor();
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor) return next();
      const updated = update(cursor.value as Record<string, unknown>);
      if (updated === undefined) cursor.delete();
      else cursor.update(updated);
      cursor.continue();
    };
  };
}

/**
 * Version 3 keeps a job's older data until the newer arrives, so a record says which version of
 * the data it has, and its size (for the storage line), instead of a `hasData` flag.
 */
function recordStoredVersions(raw: IDBTransaction): UpgradeStep {
  const stored = new Map<string, StoredVersion>();
  const readData = eachRecord(raw, 'jobData', (data) => {
    const record = data as unknown as JobDataRecord;
    stored.set(record.jobId, { version: record.version, bytes: dataSize(record) });
    return data;
  });
  const writeJobs = eachRecord(raw, 'jobs', (value) => {
    const { hasData, ...record } = value;
    const data = stored.get(String(record.jobId));
    return hasData === true && data ? { ...record, stored: data } : record;
  });
  return (next) => readData(() => writeJobs(next));
}

/**
 * Version 1 ordered by `updatedAt` (ms). Each record, data Blob and op gets the version its time
 * meant: a write at `updatedAt` becomes (updatedAt, 0, node "0"); a delete "unless updated after
 * `at`" covers every version up to the end of that millisecond; a clear keeps its `before`. The
 * device's clock starts after everything it holds. Data Blobs keep their JSON; the drain adds the
 * op's version to what it uploads.
 */
function migrateToCausalVersions(raw: IDBTransaction): UpgradeStep[] {
  const legacyVersion = (ms: number) => formatVersion(Math.max(0, Math.floor(ms)), 0, '0');
  let clock: ClockState = INITIAL_CLOCK;
  const seen = (version: Version) => (clock = observe(clock, version));
  // One store after the other, and the clock last.
  const each = (store: string, update: (value: Record<string, unknown>) => unknown) =>
    eachRecord(raw, store, update);
  const migrateOp = (op: Record<string, unknown>) => {
    const enqueuedAt = Number(op.enqueuedAt ?? 0);
    if (op.kind === 'upsert') {
      const { updatedAt, ...rest } = op;
      const version = legacyVersion(Number(updatedAt));
      seen(version);
      return { ...rest, version };
    }
    if (op.kind === 'delete') {
      const { at, ...rest } = op;
      const covered = lastVersionAt(Number(at));
      return { ...rest, seen: covered, version: legacyVersion(Math.max(Number(at), enqueuedAt)) };
    }
    return { ...op, version: legacyVersion(Math.max(Number(op.before ?? 0), enqueuedAt)) };
  };
  return [
    each('jobs', (record) => {
      const info = record.info as CachedVeoJobInfo & { updatedAt: number };
      const version = legacyVersion(info.updatedAt);
      seen(version);
      return { ...record, info: { ...info, version } };
    }),
    each('jobData', (data) => {
      const { updatedAt, ...rest } = data;
      return { ...rest, version: legacyVersion(Number(updatedAt)) };
    }),
    each('outbox', migrateOp),
    each('deadLetters', (letter) => ({
      ...letter,
      op: migrateOp(letter.op as Record<string, unknown>),
    })),
    (next: () => void) => {
      const meta = raw.objectStore('meta');
      const request = meta.get('sync');
      request.onsuccess = () => {
        const current = request.result as Record<string, unknown> | undefined;
        if (current) meta.put({ ...current, clock }, 'sync');
        next();
      };
    },
  ];
}
