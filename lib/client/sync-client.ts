/**
 * The sync engine on the device: the replica, the outbox and its drain, pull, the status line,
 * and the triggers that run them. The same code runs in a page and in the service worker; fetch,
 * IndexedDB, the clock, the locks, the transports and the environment are injected.
 */
import { type z } from 'zod';
import {
  DEFAULT_JOB_TTL_MS,
  jobInputSchema,
  type CachedVeoJob,
  type CachedVeoJobInfo,
  type JobId,
} from '@/lib/shared/job-schema';
import {
  jobResponseSchema,
  type DeleteResponse,
  type UpsertResponse,
} from '@/lib/shared/api-types';
import {
  createApiClient,
  describeFailure,
  type DownloadProgress,
  type SyncFailure,
} from './api-client';
import {
  hasCurrentData,
  adoptVeoDb,
  openVeoDb,
  REPLICA_STORES,
  type DeadLetter,
  type JobRecord,
  type SyncMeta,
  type VeoDb,
} from './db';
import { drainOutbox, type DrainResult } from './drain';
import { platformEnvironment, type SyncEnvironment } from './environment';
import { blobToJob, jobToJson, uploadBody } from './job-blob';
import { SYNC_LOCK_NAME, platformLocks, type LockManagerLike } from './locks';
import { dataBlob, storedFromText, withStoredDataFallback } from './stored-data';
import { createChangeNotifier, type ChangeTransport, type JobsChangedListener } from './notifier';
import {
  readPromptIndex,
  updatePromptIndex,
  type PromptIndexRead,
  type UpdatePromptIndexOptions,
  type UpdatePromptIndexResult,
} from './prompt-index';
import { pullChanges, type PullResult } from './pull';
import {
  clearJobsLocally,
  deleteJobLocally,
  listItems,
  readListRecords,
  committed,
  liveInfo,
  mergeTombstone,
  mergeWrite,
  readJobLocally,
  saveJobLocally,
  storeFetchedData,
  StorageFullError,
  type JobListItem,
} from './replica';
import {
  dismissReplacedLocally,
  readReplacedLocally,
  replacedSummary,
  type ReplacedSummary,
} from './replaced';
import { replicateData, type ReplicateResult, type StorageEstimate } from './replicate';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
import {
  INITIAL_CLOCK,
  lastVersionAt,
  observe,
  tick,
  type ClockState,
  type Version,
} from '@/lib/shared/version';

export const DEFAULT_PULL_INTERVAL_MS = 60_000;

/** Why nothing is shown or sent after the user signed out on this device. */
export const SIGNED_OUT_MESSAGE =
  'Signed out on this device: sign in again to open and sync your jobs';

export interface SyncClientOptions {
  readonly indexedDB: IDBFactory;
  /**
   * A connection to the database already open at the current version, to use first (the page's
   * early read, lib/client/early-list.ts); undefined when there is none to take over.
   */
  readonly connection?: Promise<IDBDatabase | undefined>;
  readonly fetch: typeof fetch;
  /** Origin of the API; '' (the default) for the page's own. */
  readonly baseUrl?: string;
  readonly dbName?: string;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly locks?: LockManagerLike;
  /** How changes reach other contexts (BroadcastChannel, service worker messages). */
  readonly transports?: readonly ChangeTransport[];
  readonly environment?: SyncEnvironment;
  /** How often to pull while a page is visible (ms). */
  readonly pullIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly retryPolicy?: RetryPolicy;
  /**
   * The timer behind retries after a failed drain (the platform's setTimeout by default; the
   * simulation holds every timer so that nothing runs behind its back).
   */
  readonly timers?: {
    setTimeout(run: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
  };
  /**
   * Hands the drain after a write to someone else (the service worker, through Background
   * Sync). Resolves true when it did; false drains in this context.
   */
  readonly delegateDrain?: () => Promise<boolean>;
  /**
   * Hands background replication to someone else (the service worker, which keeps at it when
   * the tab closes), `first` jobs first. Resolves true when it did; false replicates here.
   */
  readonly delegateReplication?: (first: readonly JobId[]) => Promise<boolean>;
  /** This origin's storage use and quota (`navigator.storage.estimate()` by default). */
  readonly estimateStorage?: () => Promise<StorageEstimate | undefined>;
}

/** The status line: what is synced, what waits, what went wrong. */
export interface SyncStatus {
  readonly online: boolean;
  /** Ops waiting in the outbox. */
  readonly pending: number;
  /** A drain or pull is running in this context. */
  readonly syncing: boolean;
  readonly lastSyncedAt: number | null;
  readonly lastError: string | null;
  /** The server answered 401: writes wait until the user signs in again. */
  readonly authRequired: boolean;
  /** Signed out on this device: nothing is shown, sent or pulled until a sign-in (same key). */
  readonly signedOut: boolean;
  /**
   * Signed in again, but under another access key than the one this device's jobs and waiting
   * changes were made under: the user chooses to send them ({@link SyncClient.adoptKey}) or
   * discard them ({@link SyncClient.discardDeviceData}).
   */
  readonly keyChanged: boolean;
  /** Writes the server refused for good, for the user to retry or discard. */
  readonly deadLetters: readonly DeadLetterSummary[];
  /**
   * The last save could not be kept on this device (storage full, or refused by the browser) and
   * went straight to the server instead; null once a save is kept here again.
   */
  readonly storageProblem: string | null;
  /** The jobs in the list, how many of them open offline, and the space their data takes. */
  readonly replica: ReplicaSummary;
  /** Background replication in this context: running, or why it last stopped short. */
  readonly replication: ReplicationState;
}

export interface ReplicaSummary {
  /** Live jobs in the list. */
  readonly jobs: number;
  /** Of those, the ones whose current data is on the device. */
  readonly current: number;
  /** The ones with an older version on the device (the newer is on its way). */
  readonly older: number;
  /** Bytes of job data on the device. */
  readonly bytes: number;
}

export type ReplicationState =
  | { readonly state: 'idle' }
  | { readonly state: 'running' }
  /** Stopped with jobs still missing: offline, storage nearly full, or a failed request. */
  | {
      readonly state: 'stopped';
      readonly reason: 'offline' | 'storage' | 'failed';
      readonly remaining: number;
      readonly message?: string;
    };

export interface DeadLetterSummary {
  readonly opId: string;
  readonly jobId: string;
  readonly kind: 'upsert' | 'delete' | 'clear';
  readonly status: number;
  readonly message: string;
  readonly failedAt: number;
}

export type ReadJobResult =
  /** `stale`: an older version, kept on the device; the newer one is on its way. */
  | { readonly status: 'found'; readonly job: CachedVeoJob; readonly stale?: boolean }
  /** Neither the device nor the server has it. */
  | { readonly status: 'missing' }
  /** The device has only its metadata and the server cannot be reached. */
  | { readonly status: 'unavailable'; readonly reason: string };

/** A job as `setCachedJob` takes it: the server's fields, with times it can fill in. */
export const jobWriteSchema = jobInputSchema.extend({
  createdAt: jobInputSchema.shape.createdAt.optional(),
  updatedAt: jobInputSchema.shape.updatedAt.optional(),
});
export type JobWrite = z.input<typeof jobWriteSchema>;

/**
 * A change that neither this device could keep (its storage full or refused) nor the server could
 * take (offline, unreachable, refused): nothing was changed anywhere.
 */
export class ChangeNotMadeError extends Error {
  override readonly name: string = 'ChangeNotMadeError';
}

/** A save that neither this device could keep nor the server could take: nothing was written. */
export class JobNotSavedError extends ChangeNotMadeError {
  override readonly name = 'JobNotSavedError';
  constructor(storageReason: string, serverReason: string, options?: { cause?: unknown }) {
    super(`The job was not saved: ${storageReason}, and ${serverReason}`, options);
  }
}

/** A job that does not match the schema: nothing was written. */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
  constructor(readonly issues: readonly { path: PropertyKey[]; message: string }[]) {
    super(
      `The job is not valid: ${issues.map((i) => `${i.path.join('.') || '(job)'}: ${i.message}`).join('; ')}`,
    );
  }
}

export type SyncClient = ReturnType<typeof createSyncClient>;

export function createSyncClient(options: SyncClientOptions) {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const locks = options.locks ?? platformLocks();
  const environment = options.environment ?? platformEnvironment();
  const retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const pullIntervalMs = options.pullIntervalMs ?? DEFAULT_PULL_INTERVAL_MS;
  const api = createApiClient({
    fetch: options.fetch,
    now,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
  });
  const notifier = createChangeNotifier(options.transports ?? []);
  const closing = new AbortController();

  let dbPromise: Promise<VeoDb> | undefined;
  /** Taken over once: after a close, the database is opened again as usual. */
  let earlyConnection = options.connection;
  const openDb = async (): Promise<VeoDb> => {
    const early = await earlyConnection?.catch(() => undefined);
    earlyConnection = undefined;
    return early ? adoptVeoDb(early) : openVeoDb(options.indexedDB, options.dbName);
  };
  const db = (): Promise<VeoDb> =>
    (dbPromise ??= openDb().then(
      (opened) => {
        // Closed for a newer version of the app (see openVeoDb): open again on next use.
        opened.addEventListener('close', () => (dbPromise = undefined));
        return opened;
      },
      (error: unknown) => {
        // Refused now (storage blocked, a private mode), perhaps allowed later: ask again then.
        dbPromise = undefined;
        throw error;
      },
    ));

  // --- status -------------------------------------------------------------------------------
  let syncing = 0;
  let status: SyncStatus = {
    online: environment.isOnline(),
    pending: 0,
    syncing: false,
    lastSyncedAt: null,
    lastError: null,
    authRequired: false,
    signedOut: false,
    keyChanged: false,
    deadLetters: [],
    storageProblem: null,
    replica: { jobs: 0, current: 0, older: 0, bytes: 0 },
    replication: { state: 'idle' },
  };
  let replication: ReplicationState = { state: 'idle' };
  const statusListeners = new Set<(status: SyncStatus) => void>();
  /** Why the last save could not be kept on this device (kept in memory: storage failed). */
  let storageProblem: string | null = null;

  function publishStatus(next: SyncStatus): SyncStatus {
    if (JSON.stringify(next) !== JSON.stringify(status)) {
      status = next;
      for (const listener of [...statusListeners]) listener(status);
    }
    return status;
  }

  function setStorageProblem(problem: string | null): void {
    if (problem === storageProblem) return;
    storageProblem = problem;
    publishStatus({ ...status, storageProblem });
  }

  /** Why IndexedDB could not be opened, once it could not (said once, on the console too). */
  let unavailableReason: string | undefined;

  /**
   * The database, or undefined where it cannot be opened (storage blocked, a private mode that
   * refuses IndexedDB): the app then works from the network alone, as the original plan did, and
   * the status line says so. Asked again on every call: the user may allow storage later.
   */
  async function tryDb(): Promise<VeoDb | undefined> {
    try {
      const opened = await db();
      if (unavailableReason !== undefined) {
        unavailableReason = undefined;
        setStorageProblem(null);
      }
      return opened;
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (unavailableReason === undefined) {
        console.warn(
          '[veo-sync] IndexedDB cannot be opened; working from the network alone',
          error,
        );
      }
      unavailableReason = reason;
      setStorageProblem(
        `This browser does not let the app keep jobs on this device (${reason}). The history comes from the server, so it needs the network`,
      );
      return undefined;
    }
  }

  async function refreshStatus(): Promise<SyncStatus> {
    const d = await tryDb();
    if (!d) return publishStatus({ ...status, online: environment.isOnline(), storageProblem });
    const tx = d.transaction(['outbox', 'deadLetters', 'meta', 'jobs']);
    const [pending, letters, meta, records] = await Promise.all([
      tx.objectStore('outbox').count(),
      tx.objectStore('deadLetters').getAll(),
      tx.objectStore('meta').get('sync'),
      tx.objectStore('jobs').getAll(),
    ]);
    const next: SyncStatus = {
      online: environment.isOnline(),
      pending,
      syncing: syncing > 0,
      lastSyncedAt: meta?.lastSyncedAt ?? null,
      lastError: meta?.lastError ?? null,
      authRequired: meta?.authRequired ?? false,
      signedOut: meta?.signedOutAt !== undefined,
      keyChanged: meta?.signedOutAt !== undefined && meta.otherKeyId !== undefined,
      deadLetters: letters.sort((a, b) => a.failedAt - b.failedAt).map(summarise),
      storageProblem,
      replica: summariseReplica(records, now()),
      replication,
    };
    return publishStatus(next);
  }

  async function updateMeta(patch: (meta: SyncMeta) => SyncMeta): Promise<void> {
    const d = await db();
    const tx = d.transaction('meta', 'readwrite');
    const meta = (await tx.store.get('sync')) ?? { deviceId: crypto.randomUUID() };
    await tx.store.put(patch(meta), 'sync');
    await tx.done;
  }

  async function recordFailure(failure: SyncFailure): Promise<void> {
    await updateMeta((meta) => ({
      ...meta,
      lastError: describeFailure(failure),
      ...(failure.kind === 'auth' ? { authRequired: true } : {}),
    }));
  }

  // Another context changed something: our status (pending count, last sync) may be stale.
  // A save that has begun changes nothing of the status until it commits (its next event).
  notifier.subscribe((event) => {
    if (!event.saving) void refreshStatus().catch(reportError);
  });

  // --- drain and pull, one at a time across every context (rule 7) --------------------------
  const timers = options.timers ?? {
    setTimeout: (run: () => void, ms: number): unknown => setTimeout(run, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  let retryTimer: unknown;

  function exclusive<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const combined = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
    return locks.request(SYNC_LOCK_NAME, { signal: combined }, async () => {
      syncing++;
      void refreshStatus().catch(reportError);
      try {
        return await task();
      } finally {
        syncing--;
        void refreshStatus().catch(reportError);
      }
    });
  }

  /**
   * Sends what the outbox holds. `force` also tries ops still in backoff: for when conditions
   * changed (the network came back, the user asked to sync).
   */
  async function drain(
    options: { signal?: AbortSignal; force?: boolean } = {},
  ): Promise<DrainResult> {
    const d = await tryDb();
    // Without a database there is no outbox: every save went straight to the server.
    if (!d || (await lockedBySignOut(options.signal))) return { sent: 0, deadLettered: 0 };
    const result = await exclusive(
      () =>
        drainOutbox(
          {
            db: d,
            api,
            now,
            random,
            retryPolicy,
            onSettled: (change) => notifier.publish({ ...change, source: 'drain' }),
          },
          options,
        ),
      options.signal,
    );
    if (result.stopped) await recordFailure(result.stopped);
    else if (result.sent > 0)
      await updateMeta(({ lastError: _e, ...meta }) => ({ ...meta, authRequired: false }));
    scheduleRetry(result.nextAttemptAt);
    await refreshStatus();
    return result;
  }

  async function pull(signal?: AbortSignal): Promise<PullResult> {
    const d = await tryDb();
    // Without a database there is no replica to bring up to date: lists come from the server.
    if (!d) return { ok: true, changed: [], full: false };
    if (await lockedBySignOut(signal)) {
      return { ok: false, failure: { kind: 'auth', status: 401, message: SIGNED_OUT_MESSAGE } };
    }
    const result = await exclusive(() => pullChanges({ db: d, api, now }, signal), signal);
    if (result.ok) {
      notifier.publish({
        jobIds: result.changed,
        all: result.full && result.changed.length > 0,
        source: 'pull',
      });
    } else {
      await recordFailure(result.failure);
    }
    await refreshStatus();
    return result;
  }

  // --- signed out on this device --------------------------------------------------------------

  async function readMeta(): Promise<SyncMeta | undefined> {
    return (await db()).get('meta', 'sync');
  }

  /**
   * Whether the user signed out on this device (then nothing may be sent). A sign-out that has
   * not reached the server yet is sent first: it is the one request a signed-out device makes.
   */
  async function lockedBySignOut(signal?: AbortSignal): Promise<boolean> {
    const meta = await readMeta();
    if (meta?.revokePending !== undefined && environment.isOnline()) {
      await endServerSession(meta.revokePending === 'everywhere', signal);
    }
    return meta?.signedOutAt !== undefined;
  }

  /** Ends the session on the server; true once the server has answered. */
  async function endServerSession(everywhere: boolean, signal?: AbortSignal): Promise<boolean> {
    const result = await api.endSession(everywhere, signal);
    // 401: there was no session left to end (it expired, or was ended elsewhere).
    if (!result.ok && !(result.failure.kind === 'auth')) return false;
    await updateMeta(({ revokePending: _r, ...meta }) => meta);
    return true;
  }

  /** The list, the jobs and the status changed for every tab: tell them. */
  async function announceEverything(): Promise<void> {
    notifier.publish({ jobIds: [], all: true, source: 'local' });
    await refreshStatus();
  }

  function scheduleRetry(at: number | undefined): void {
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    retryTimer = undefined;
    if (at === undefined || closing.signal.aborted) return;
    retryTimer = timers.setTimeout(
      () => {
        retryTimer = undefined;
        // Offline, the `online` event drains; no point failing a request now.
        if (environment.isOnline()) void drain().catch(reportError);
      },
      Math.max(0, at - now()),
    );
  }

  // --- background replication of job data ----------------------------------------------------

  const estimateStorage =
    options.estimateStorage ??
    (async (): Promise<StorageEstimate | undefined> => {
      const storage = (
        globalThis as {
          navigator?: { storage?: { estimate?: () => Promise<StorageEstimateLike> } };
        }
      ).navigator?.storage;
      if (!storage?.estimate) return undefined;
      const { usage, quota } = await storage.estimate();
      return usage === undefined || quota === undefined ? undefined : { usage, quota };
    });
  let replicationRun: Promise<ReplicateResult | undefined> | undefined;
  let replicateAgain: JobId[] | undefined;

  function setReplication(next: ReplicationState): void {
    replication = next;
    void refreshStatus().catch(reportError);
  }

  /**
   * Brings the data of every listed job onto the device (lib/client/replicate.ts), `first` jobs
   * first — in the service worker when one takes it, here otherwise. Calls while a pass runs ask
   * for one more pass after it. Resolves with this context's pass, if it ran one.
   */
  function replicate(first: readonly JobId[] = []): Promise<ReplicateResult | undefined> {
    if (replicationRun) {
      replicateAgain = [...(replicateAgain ?? []), ...first];
      return replicationRun;
    }
    replicationRun = (async () => {
      try {
        let wanted: readonly JobId[] | undefined = first;
        let result: ReplicateResult | undefined;
        while (wanted && !closing.signal.aborted) {
          replicateAgain = undefined;
          const d = await tryDb();
          if (!d) return result;
          if ((await readMeta())?.signedOutAt !== undefined) return result;
          if (
            options.delegateReplication &&
            (await options.delegateReplication(wanted).catch(() => false))
          )
            return result;
          setReplication({ state: 'running' });
          result = await replicateData(
            {
              db: d,
              api,
              now,
              isOnline: () => environment.isOnline(),
              exclusive: (task, signal) => exclusive(task, signal),
              estimate: () => estimateStorage().catch(() => undefined),
              onStored: (jobIds) => notifier.publish({ jobIds, source: 'pull' }),
            },
            { first: wanted, signal: closing.signal },
          );
          setReplication(
            result.stopped
              ? {
                  state: 'stopped',
                  reason: result.stopped,
                  remaining: result.remaining,
                  ...(result.failure ? { message: describeFailure(result.failure) } : {}),
                }
              : { state: 'idle' },
          );
          wanted = replicateAgain;
        }
        return result;
      } finally {
        replicationRun = undefined;
      }
    })();
    return replicationRun;
  }

  let syncRun: Promise<void> | undefined;
  let syncAgain = false;

  /** Drain, then pull. Calls while one runs share it and ask for one more round. */
  function sync(): Promise<void> {
    if (syncRun) {
      syncAgain = true;
      return syncRun;
    }
    syncRun = (async () => {
      try {
        do {
          syncAgain = false;
          await drain({ force: true });
          if ((await pull()).ok) await replicate();
        } while (syncAgain && !closing.signal.aborted);
      } finally {
        syncRun = undefined;
      }
    })();
    return syncRun;
  }

  /**
   * After a local write has committed: tell every context, and make sure something will send
   * it. A hand-off to the service worker (a Background Sync registration) is awaited — a tab
   * closed right after a save must still leave a trigger behind; draining here is not.
   */
  async function afterLocalWrite(
    jobIds: readonly JobId[],
    all = false,
    { statusKnown = false } = {},
  ): Promise<void> {
    notifier.publish({ jobIds, all, source: 'local' });
    // When a change resolves, the status already counts it (one small read, unless the change's
    // own transaction counted the outbox).
    if (statusKnown) void refreshStatus().catch(reportError);
    else await refreshStatus().catch(reportError);
    const delegated = options.delegateDrain
      ? await options.delegateDrain().catch(() => false)
      : false;
    // Offline, the `online` event drains; no point failing a request now.
    if (!delegated && environment.isOnline()) void drain().catch(reportError);
  }

  // --- saves this device cannot keep ----------------------------------------------------------

  /** The clock of saves that went straight to the server (the device's own is in IndexedDB). */
  let serverOnlyClock: ClockState = INITIAL_CLOCK;
  const serverOnlyNode = crypto.randomUUID();

  /**
   * The original plan's direct `PUT`, for a save the device could not keep (`cause`): resolves
   * when the server has it; rejects with {@link JobNotSavedError} when it cannot be sent either.
   * Nothing is queued: there is nowhere to queue it.
   */
  async function saveToServerOnly(
    job: Omit<CachedVeoJob, 'version'>,
    previous: CachedVeoJobInfo | undefined,
    opId: string,
    cause: unknown,
  ): Promise<CachedVeoJobInfo> {
    const storageReason =
      cause instanceof StorageFullError
        ? 'there is no room left on this device'
        : `this device cannot store it (${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)})`;
    // Without IndexedDB at all, the status line already says the device keeps nothing.
    if (unavailableReason === undefined) {
      setStorageProblem(
        `This device cannot keep jobs: ${storageReason}. Saves go straight to the server, so they need the network`,
      );
    }
    if (!environment.isOnline()) {
      throw new JobNotSavedError(storageReason, 'you are offline', { cause });
    }
    if (previous) serverOnlyClock = observe(serverOnlyClock, previous.version);
    const next = tick(serverOnlyClock, now(), serverOnlyNode);
    serverOnlyClock = next.state;
    const { basedOn: _given, ...fields } = job;
    const full: CachedVeoJob = {
      ...fields,
      version: next.version,
      ...(previous ? { basedOn: previous.version } : {}),
    };
    const json = new Blob([jobToJson(full)], { type: 'application/json' });
    const upload = await uploadBody(json, 'job-json', next.version);
    const result = await api.putJob(job.jobId, upload.body, opId, undefined, upload.encoding);
    if (!result.ok) {
      throw new JobNotSavedError(
        storageReason,
        `it could not be sent to the server either (${describeFailure(result.failure)})`,
        { cause },
      );
    }
    notifier.publish({ jobIds: [job.jobId], all: false, source: 'local' });
    const { data: _data, ...info } = full;
    // Not applied: a newer version from elsewhere is the job now.
    return result.value.applied ? info : (result.value.job ?? info);
  }

  /**
   * A save, as {@link saveJob} describes it; `keepsReplaced` when it is the user keeping the
   * job's replaced version of that version (that version then ends, in the same transaction).
   */
  async function save(
    input: JobWrite,
    options: { opId?: string; keepsReplaced?: Version },
  ): Promise<CachedVeoJobInfo> {
    const parsed = jobWriteSchema.safeParse(input);
    if (!parsed.success) throw new InvalidJobError(parsed.error.issues);
    const opId = options.opId ?? crypto.randomUUID();
    const at = now();
    const { version: _ignored, ...fields } = parsed.data;
    const jobId = fields.jobId;
    /** The job as saved, after `previous` (what the device holds of it). */
    const stamp = (previous: CachedVeoJobInfo | undefined): Omit<CachedVeoJob, 'version'> => {
      // `updatedAt` is what people are shown; who wins is the version the save is given.
      const updatedAt = Math.max(
        parsed.data.updatedAt ?? 0,
        at,
        previous ? previous.updatedAt + 1 : 0,
      );
      return {
        ...fields,
        createdAt: parsed.data.createdAt ?? previous?.createdAt ?? new Date(at).toISOString(),
        updatedAt,
        // An expiry from an older copy of the job (a re-save, an old export) would make the new
        // save vanish at once: only a future expiry shortens the lifetime.
        expiresAt: Math.min(
          parsed.data.expiresAt !== undefined && parsed.data.expiresAt > updatedAt
            ? parsed.data.expiresAt
            : Infinity,
          updatedAt + DEFAULT_JOB_TTL_MS,
        ),
      };
    };
    let d: VeoDb | undefined;
    let unavailable: unknown;
    try {
      d = await tryDb();
      if (!d) unavailable = new Error(unavailableReason);
    } catch (error) {
      unavailable = error;
    }
    if (!d) return saveToServerOnly(stamp(undefined), undefined, opId, unavailable);
    let info: CachedVeoJobInfo;
    let announced = false;
    let pending = status.pending;
    try {
      info = await saveJobLocally(d, { jobId, stamp }, opId, at, {
        // Every tab (this one too) shows the save now, while its bytes are written.
        onStamped: (stamped) => {
          announced = true;
          notifier.publish({
            jobIds: [jobId],
            source: 'local',
            saving: [
              { ...stamped, syncState: 'saving', availableOffline: true, onDevice: 'current' },
            ],
          });
        },
        onQueued: (count) => (pending = count),
        ...(options.keepsReplaced === undefined ? {} : { keepsReplaced: options.keepsReplaced }),
      });
    } catch (error) {
      // Tabs that were shown the save read the job again: it is not on this device.
      if (announced) notifier.publish({ jobIds: [jobId], source: 'local' });
      // Keeping a replaced version is a change of the device's own copy: it is made here or not.
      if (options.keepsReplaced !== undefined) throw error;
      const previous = (await d.get('jobs', jobId).catch(() => undefined))?.info;
      return saveToServerOnly(stamp(previous), previous, opId, error);
    }
    setStorageProblem(null);
    // The save resolves with the status counting it; the rest of the status follows.
    publishStatus({ ...status, pending });
    await afterLocalWrite([jobId], false, { statusKnown: true });
    return info;
  }

  /**
   * `GET /api/veo/jobs/:id` as the browser inflates it: the job and its document, or why not
   * (`listed`: the device knows the job, so a failure is `unavailable` rather than `missing`).
   */
  async function fetchDocument(
    jobId: JobId,
    listed: boolean,
  ): Promise<{ job: CachedVeoJob; document: Blob } | ReadJobResult> {
    const result = await api.getJobDocument(jobId);
    if (!result.ok) {
      return listed
        ? { status: 'unavailable', reason: describeFailure(result.failure) }
        : { status: 'missing' };
    }
    if (!result.value) return { status: 'missing' };
    const text = await result.value.text();
    let parsed: ReturnType<typeof jobResponseSchema.safeParse> | undefined;
    try {
      parsed = jobResponseSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success || !parsed.data.job)
      return { status: 'unavailable', reason: 'The server sent a job this app cannot read' };
    return { job: parsed.data.job, document: result.value };
  }

  /**
   * Fetches a job the device has no data of, stores it (the server's gzip as it is, where the
   * platform can inflate it again), and returns it.
   */
  async function fetchJob(
    d: VeoDb,
    jobId: JobId,
    listed: boolean,
    onProgress: DownloadProgress | undefined,
  ): Promise<ReadJobResult> {
    const unavailable = (reason: string): ReadJobResult =>
      listed ? { status: 'unavailable', reason } : { status: 'missing' };
    if (typeof DecompressionStream === 'undefined') {
      const fetched = await fetchDocument(jobId, listed);
      if (!('document' in fetched)) return fetched;
      const { data: _data, ...info } = fetched.job;
      await storeFetchedData(d, info, fetched.document, now(), 'document-json');
      return { status: 'found', job: fetched.job };
    }
    const result = await api.getJobBundle([jobId], onProgress ? { onProgress } : {});
    if (!result.ok) return unavailable(describeFailure(result.failure));
    const [entry] = result.value.index.jobs;
    const part = result.value.parts[0];
    if (!entry || !part) return { status: 'missing' };
    const gzip = new Blob([part]);
    let job: CachedVeoJob;
    try {
      job = { ...(await blobToJob(gzip, 'document-gzip')), version: entry.job.version };
    } catch {
      return { status: 'unavailable', reason: 'The server sent a job this app cannot read' };
    }
    await storeFetchedData(d, entry.job, gzip, now(), 'document-gzip');
    notifier.publish({ jobIds: [jobId], source: 'pull' });
    return { status: 'found', job };
  }

  // --- without IndexedDB: the network alone ----------------------------------------------------

  /** The list from the server, as the device would show it: nothing of it is on the device. */
  async function listFromServer(): Promise<JobListItem[]> {
    const result = await api.listJobs();
    if (!result.ok) return [];
    return result.value.jobs.map((info) => ({
      ...info,
      syncState: 'synced',
      availableOffline: false,
      onDevice: 'none',
    }));
  }

  async function readFromServer(jobId: JobId): Promise<ReadJobResult> {
    if (!environment.isOnline()) {
      return { status: 'unavailable', reason: 'This device cannot keep jobs, and you are offline' };
    }
    const fetched = await fetchDocument(jobId, true);
    return 'document' in fetched ? { status: 'found', job: fetched.job } : fetched;
  }

  function notSentError(what: 'deleted' | 'cleared', failure: SyncFailure): ChangeNotMadeError {
    return new ChangeNotMadeError(
      `The ${what === 'deleted' ? 'job was not deleted' : 'jobs were not cleared'}: this device cannot keep changes to send later (${unavailableReason ?? 'storage refused'}), and the server could not take it now (${describeFailure(failure)})`,
    );
  }

  // --- the public surface -------------------------------------------------------------------
  return {
    /**
     * The history list, newest first, from the device only: never waits on the network. Where
     * IndexedDB cannot be opened it comes from the server, unless `localOnly` (then it is empty).
     */
    async listJobs(options: { localOnly?: boolean } = {}): Promise<JobListItem[]> {
      const d = await tryDb();
      if (!d) return options.localOnly ? [] : listFromServer();
      return listItems(await readListRecords(d), now());
    },

    /**
     * A job with its data: from the device when it is there (sync rule 6: at once, even when it
     * is an older version kept until the newer arrives — then `stale`, and the newer is fetched
     * first), otherwise fetched once, stored, and returned; `onProgress` hears the download's
     * bytes. Offline, a job whose data is not on the device is `unavailable`, at once.
     */
    async readJob(
      jobId: JobId,
      options: { localOnly?: boolean; onProgress?: DownloadProgress } = {},
    ): Promise<ReadJobResult> {
      const d = await tryDb();
      if (!d) return options.localOnly ? { status: 'missing' } : readFromServer(jobId);
      if ((await readMeta())?.signedOutAt !== undefined) {
        return { status: 'unavailable', reason: SIGNED_OUT_MESSAGE };
      }
      const local = await readJobLocally(d, jobId, now());
      if (local?.data) {
        const job = {
          ...(await blobToJob(dataBlob(local.data), local.data.encoding)),
          // Data saved before versions existed carries none: its record's is the write's.
          version: local.data.version,
        };
        if (!local.stale) return { status: 'found', job };
        if (environment.isOnline() && !options.localOnly)
          void replicate([jobId]).catch(reportError);
        return { status: 'found', job, stale: true };
      }
      if (options.localOnly) {
        return local
          ? { status: 'unavailable', reason: 'This job’s data is not on this device' }
          : { status: 'missing' };
      }
      if (!environment.isOnline()) {
        return local
          ? {
              status: 'unavailable',
              reason: 'This job’s data is not on this device, and you are offline',
            }
          : { status: 'missing' };
      }
      return fetchJob(d, jobId, local !== undefined, options.onProgress);
    },

    /**
     * Saves a job (sync rule 1): resolves once the job and its outbox op are in IndexedDB. Stamps
     * `updatedAt` so that every save is newer than the last, and fills `createdAt`/`expiresAt`.
     * Rejects with {@link InvalidJobError} and writes nothing if the job is not valid. Where the
     * device cannot keep it (storage full, IndexedDB refused), the job goes straight to the server
     * and this resolves when the server has it; {@link JobNotSavedError} when neither worked.
     */
    saveJob(input: JobWrite, options: { opId?: string } = {}): Promise<CachedVeoJobInfo> {
      return save(input, options);
    },

    /**
     * The job's replaced version — the user's write from this device that a newer version from
     * elsewhere beat before the server had it (lib/client/replaced.ts) — with its data, if the
     * device keeps one; the list's `replaced` says which jobs have one.
     */
    async readReplaced(
      jobId: JobId,
    ): Promise<{ job: CachedVeoJob; replaced: ReplacedSummary } | undefined> {
      const d = await tryDb();
      if (!d || (await readMeta())?.signedOutAt !== undefined) return undefined;
      const kept = await readReplacedLocally(d, jobId, now());
      if (!kept) return undefined;
      const job = {
        ...(await blobToJob(dataBlob(kept.data), kept.data.encoding)),
        version: kept.data.version,
      };
      return { job, replaced: replacedSummary(kept.replaced) };
    },

    /**
     * Keeps the user's replaced version after all: saved again as a new write of this device, so
     * it is the newest version everywhere once it syncs, and no longer kept aside. Rejects, and
     * changes nothing, when that version is no longer kept here (dismissed or kept meanwhile).
     */
    async keepReplaced(jobId: JobId, version: Version): Promise<CachedVeoJobInfo> {
      const d = await db();
      const kept = await readReplacedLocally(d, jobId, now());
      if (kept?.replaced.info.version !== version)
        throw new Error('That version of the job is no longer kept on this device');
      const {
        version: _old,
        updatedAt: _shown,
        ...job
      } = await blobToJob(dataBlob(kept.data), kept.data.encoding);
      return save(job, { keepsReplaced: version });
    },

    /** Forgets the job's replaced version of `version`: the newer one stays the job. */
    async dismissReplaced(jobId: JobId, version: Version): Promise<void> {
      const d = await db();
      if (await dismissReplacedLocally(d, jobId, version))
        notifier.publish({ jobIds: [jobId], source: 'local' });
    },

    /**
     * Saves jobs that already have their times (an import from localStorage): kept as they are,
     * each as a new write of this device (a version from its clock), and skipped where the device
     * already knows the job — its copy, or its delete, is newer than anything an old cache holds.
     */
    async importJobs(jobs: readonly Omit<CachedVeoJob, 'version'>[]): Promise<JobId[]> {
      const d = await db();
      const written: JobId[] = [];
      for (const job of jobs) {
        if (await d.get('jobs', job.jobId)) continue;
        await saveJobLocally(d, job, crypto.randomUUID(), now());
        written.push(job.jobId);
      }
      if (written.length > 0) await afterLocalWrite(written);
      return written;
    },

    /**
     * Deletes a job here at once and on the server when the outbox drains. `opId` and `at` carry
     * a caller's own Idempotency-Key and "unless updated after" time (the worker's offline API).
     */
    async deleteJob(jobId: JobId, options: { opId?: string; at?: number } = {}): Promise<void> {
      const d = await tryDb();
      if (!d) {
        const result = await api.deleteJob(
          jobId,
          options.at === undefined ? undefined : lastVersionAt(options.at),
          options.opId ?? crypto.randomUUID(),
        );
        if (!result.ok) throw notSentError('deleted', result.failure);
        notifier.publish({ jobIds: [jobId], source: 'drain' });
        return;
      }
      await deleteJobLocally(d, jobId, options.opId ?? crypto.randomUUID(), now(), options.at);
      await afterLocalWrite([jobId]);
    },

    /**
     * Clears every job that exists now, here at once and on the server when the outbox drains.
     * `opId` and `before` carry a caller's own Idempotency-Key and time.
     */
    async clearAll(options: { opId?: string; before?: number } = {}): Promise<void> {
      const d = await tryDb();
      if (!d) {
        const result = await api.clearJobs(
          { before: options.before ?? now() },
          options.opId ?? crypto.randomUUID(),
        );
        if (!result.ok) throw notSentError('cleared', result.failure);
        notifier.publish({ jobIds: [], all: true, source: 'drain' });
        return;
      }
      const ids = await clearJobsLocally(
        d,
        options.opId ?? crypto.randomUUID(),
        now(),
        options.before,
      );
      await afterLocalWrite(ids, true);
    },

    /**
     * A write another caller sent through the service worker reached the server: merges the
     * server's answer into the replica by the merge rule — with the data the caller sent, for an
     * upsert that took effect — and tells every tab at once. A clear-all is learnt by a pull.
     */
    async learnServerWrite(
      change:
        | { kind: 'upsert'; answer: UpsertResponse; data: CachedVeoJob['data'] | undefined }
        | { kind: 'delete'; answer: DeleteResponse }
        | { kind: 'clear' },
    ): Promise<void> {
      if (change.kind === 'clear') {
        await pull();
        return;
      }
      const d = await db();
      const jobId = change.kind === 'upsert' ? change.answer.job?.jobId : change.answer.jobId;
      const { job: info, deletedUpTo } = change.answer;
      const data =
        change.kind === 'upsert' && change.answer.applied && info && change.data !== undefined
          ? { ...info, data: change.data }
          : undefined;
      await withStoredDataFallback(d, async () => {
        const tx = d.transaction(REPLICA_STORES, 'readwrite');
        const merge = async () => {
          if (deletedUpTo && jobId) await mergeTombstone(tx, jobId, deletedUpTo);
          if (info) {
            await mergeWrite(
              tx,
              info,
              now(),
              data
                ? { stored: storedFromText(d, jobToJson(data)), encoding: 'job-json' }
                : undefined,
            );
          }
        };
        await committed(tx, [merge()]);
      });
      if (jobId) notifier.publish({ jobIds: [jobId], source: 'drain' });
      await refreshStatus();
      // A winner from elsewhere whose data is not here yet.
      if (info && !data) void replicate([info.jobId]).catch(reportError);
    },

    /** Whether the user signed out on this device (read from IndexedDB, for every context). */
    async isSignedOut(): Promise<boolean> {
      return (await readMeta())?.signedOutAt !== undefined;
    },

    /**
     * Signs out on this device: from now on the replica is not served and nothing is sent or
     * pulled, here and in every tab and the worker; the jobs and any waiting changes stay on the
     * device, locked, until a sign-in under the same key ({@link sessionStarted}). Then ends the
     * session on the server (every session with `everywhere`); offline, that is sent later.
     * Resolves with whether the server has ended it.
     */
    async signOut({ everywhere = false }: { everywhere?: boolean } = {}): Promise<{
      ended: boolean;
    }> {
      await updateMeta((meta) => ({
        ...meta,
        signedOutAt: now(),
        revokePending: everywhere ? 'everywhere' : 'this',
      }));
      await announceEverything();
      const ended = environment.isOnline() ? await endServerSession(everywhere) : false;
      return { ended };
    },

    /**
     * A sign-in succeeded under the key `keyId` (from the server's answer). Signed out under the
     * same key (or before any key was known), the device opens again and sends what waited; under
     * another key it stays locked and the status says `keyChanged`, for the user to decide.
     */
    async sessionStarted(keyId: string): Promise<void> {
      const meta = await readMeta();
      if (meta?.signedOutAt === undefined) {
        if (meta?.keyId !== keyId) await updateMeta((m) => ({ ...m, keyId }));
        return;
      }
      if (meta.keyId !== undefined && meta.keyId !== keyId) {
        // The new session is not to be ended by the sign-out that was waiting to be sent.
        await updateMeta(({ revokePending: _r, ...m }) => ({ ...m, otherKeyId: keyId }));
        await refreshStatus();
        return;
      }
      await updateMeta(({ signedOutAt: _s, otherKeyId: _o, revokePending: _r, ...m }) => ({
        ...m,
        keyId,
        authRequired: false,
      }));
      await announceEverything();
      void sync().catch(reportError);
    },

    /**
     * The server said which key the current session is under (`GET /api/veo/session`): remember
     * it, unless signed out here — only a sign-in opens a signed-out device.
     */
    async noteSessionKey(keyId: string): Promise<void> {
      const meta = await readMeta();
      if (meta?.signedOutAt === undefined && meta?.keyId !== keyId) {
        await updateMeta((m) => ({ ...m, keyId }));
      }
    },

    /** After {@link sessionStarted} under another key: send what waits under the new key. */
    async adoptKey(): Promise<void> {
      const meta = await readMeta();
      if (meta?.otherKeyId === undefined) return;
      const keyId = meta.otherKeyId;
      await updateMeta(({ signedOutAt: _s, otherKeyId: _o, revokePending: _r, ...m }) => ({
        ...m,
        keyId,
      }));
      await announceEverything();
      void sync().catch(reportError);
    },

    /**
     * After {@link sessionStarted} under another key: forget this device's jobs, waiting changes
     * and refused changes (the UI asks first), and start again from the server's list.
     */
    async discardDeviceData(): Promise<void> {
      const d = await db();
      const tx = d.transaction([...REPLICA_STORES, 'promptIndex'], 'readwrite');
      const meta = (await tx.objectStore('meta').get('sync')) ?? { deviceId: crypto.randomUUID() };
      const keyId = meta.otherKeyId ?? meta.keyId;
      await Promise.all([
        tx.objectStore('jobs').clear(),
        tx.objectStore('jobData').clear(),
        tx.objectStore('outbox').clear(),
        tx.objectStore('deadLetters').clear(),
        tx.objectStore('replacedData').clear(),
        // Derived from the jobs that go: it goes with them.
        tx.objectStore('promptIndex').clear(),
      ]);
      const {
        cursor: _c,
        signedOutAt: _s,
        otherKeyId: _o,
        revokePending: _r,
        lastError: _e,
        ...rest
      } = meta;
      await tx.objectStore('meta').put({ ...rest, ...(keyId ? { keyId } : {}) }, 'sync');
      await tx.done;
      await announceEverything();
      void sync().catch(reportError);
    },

    /**
     * The prompt-text index's valid entries (lib/client/prompt-index.ts): only for jobs whose
     * current data is on the device; nothing while signed out or where IndexedDB cannot be opened.
     */
    async readPromptIndex(): Promise<PromptIndexRead> {
      const d = await tryDb();
      if (!d) return { entries: new Map(), signedOut: false };
      return readPromptIndex(d, now());
    },

    /**
     * Brings the prompt-text index up to date with the data on the device (derived data: no job,
     * op or version is written). Nothing where IndexedDB cannot be opened.
     */
    async updatePromptIndex(
      options: Omit<UpdatePromptIndexOptions, 'now'> = {},
    ): Promise<UpdatePromptIndexResult> {
      const d = await tryDb();
      if (!d) return { removed: [], indexed: 0, failed: new Map(), signedOut: false };
      return updatePromptIndex(d, { ...options, now: now() });
    },

    /** Listens for changes from any context; returns the unsubscribe function. */
    subscribe(listener: JobsChangedListener): () => void {
      return notifier.subscribe(listener);
    },

    /** Jobs with a write or delete still waiting in the outbox. */
    async getPendingJobIds(): Promise<Set<JobId>> {
      const ops = await (await db()).getAll('outbox');
      return new Set(ops.filter((op) => op.kind !== 'clear').map((op) => op.jobId));
    },

    /** The server cursor of the last pull, if any. */
    async getCursor(): Promise<string | undefined> {
      return (await (await db()).get('meta', 'sync'))?.cursor;
    },

    getStatus: (): SyncStatus => status,
    refreshStatus,
    subscribeStatus(listener: (status: SyncStatus) => void): () => void {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },

    sync,
    drain,
    pull,
    replicate,
    /** Adds a way to reach other contexts (the service worker's messages). */
    addTransport: (transport: ChangeTransport) => notifier.addTransport(transport),

    /** Puts a refused write back in the outbox (same op id: still exactly-once) and drains. */
    async retryDeadLetter(opId: string): Promise<void> {
      const d = await db();
      const tx = d.transaction(['outbox', 'deadLetters'], 'readwrite');
      const letter = await tx.objectStore('deadLetters').get(opId);
      if (letter) {
        await tx.objectStore('deadLetters').delete(opId);
        await tx.objectStore('outbox').add({ ...letter.op, attempts: 0, nextAttemptAt: now() });
      }
      await tx.done;
      if (letter)
        await afterLocalWrite(
          letter.op.kind === 'clear' ? [] : [letter.op.jobId],
          letter.op.kind === 'clear',
        );
    },

    /**
     * Gives up a refused write: the device goes back to the server's version of everything not
     * waiting to sync (a full pull), so the refused change does not linger unsynced.
     */
    async discardDeadLetter(opId: string): Promise<void> {
      const d = await db();
      const tx = d.transaction(REPLICA_STORES, 'readwrite');
      const letter = await tx.objectStore('deadLetters').get(opId);
      await tx.objectStore('deadLetters').delete(opId);
      // The refused version goes too (unless a newer write of the job waits): the full pull
      // below brings back whatever the server has.
      if (
        letter &&
        letter.op.kind !== 'clear' &&
        (await tx.objectStore('outbox').index('by-jobId').count(letter.op.jobId)) === 0
      ) {
        // The refused write never reached anyone: it is forgotten, but not the job's tombstone,
        // so the pull cannot bring back what a delete here covered.
        const record = await tx.objectStore('jobs').get(letter.op.jobId);
        if (record?.deletedUpTo || record?.replaced) {
          // A replaced version the user has not decided about stays kept.
          await tx.objectStore('jobs').put({
            jobId: record.jobId,
            ...(record.deletedUpTo ? { deletedUpTo: record.deletedUpTo } : {}),
            ...(record.replaced ? { replaced: record.replaced } : {}),
          });
        } else {
          await tx.objectStore('jobs').delete(letter.op.jobId);
        }
        await tx.objectStore('jobData').delete(letter.op.jobId);
      }
      const { cursor: _cursor, ...meta } = (await tx.objectStore('meta').get('sync')) ?? {
        deviceId: crypto.randomUUID(),
      };
      await tx.objectStore('meta').put(meta, 'sync');
      await tx.done;
      if (letter)
        notifier.publish({
          jobIds: letter.op.kind === 'clear' ? [] : [letter.op.jobId],
          all: letter.op.kind === 'clear',
          source: 'local',
        });
      await refreshStatus();
      void pull().catch(reportError);
    },

    /**
     * Starts the triggers: sync now, again when the network comes back, pull when the page is
     * shown again and every `pullIntervalMs` while it is visible. Returns the stop function.
     */
    start(): () => void {
      const stops: (() => void)[] = [];
      stops.push(
        environment.onOnlineChange((online) => {
          void refreshStatus().catch(reportError);
          if (online) void sync().catch(reportError);
        }),
      );
      // A pull that brought changes is followed by replication of their data.
      const refresh = async () => {
        const pulled = await pull();
        if (pulled.ok && pulled.changed.length > 0) await replicate();
      };
      stops.push(environment.onVisible(() => void refresh().catch(reportError)));
      const interval = setInterval(() => {
        if (environment.isVisible() && environment.isOnline()) void refresh().catch(reportError);
      }, pullIntervalMs);
      stops.push(() => clearInterval(interval));
      void refreshStatus().catch(reportError);
      void sync().catch(reportError);
      return () => stops.forEach((stop) => stop());
    },

    /** Stops timers, aborts waiting work and closes the database. */
    async close(): Promise<void> {
      closing.abort(new DOMException('The sync client was closed', 'AbortError'));
      scheduleRetry(undefined);
      notifier.close();
      await syncRun?.catch(() => undefined);
      await replicationRun?.catch(() => undefined);
      if (dbPromise) (await dbPromise).close();
    },
  };
}

/** The part of `navigator.storage.estimate()`'s answer used here (page and worker alike). */
interface StorageEstimateLike {
  usage?: number;
  quota?: number;
}

/** The status line's count of the replica: live jobs, what of their data is here, its size. */
function summariseReplica(records: readonly JobRecord[], now: number): ReplicaSummary {
  let jobs = 0;
  let current = 0;
  let older = 0;
  let bytes = 0;
  for (const record of records) {
    const info = liveInfo(record);
    if (!info || info.expiresAt <= now) continue;
    jobs++;
    if (hasCurrentData(record)) current++;
    else if (record.stored) older++;
    bytes += record.stored?.bytes ?? 0;
  }
  return { jobs, current, older, bytes };
}

function summarise(letter: DeadLetter): DeadLetterSummary {
  return {
    opId: letter.opId,
    jobId: letter.op.jobId,
    kind: letter.op.kind,
    status: letter.status,
    message: letter.error.message,
    failedAt: letter.failedAt,
  };
}

/** Background sync work has no caller to reject to: it reports here and tries again later. */
function reportError(error: unknown): void {
  if (error instanceof DOMException && error.name === 'AbortError') return;
  console.error('[veo-sync]', error);
}
