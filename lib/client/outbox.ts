/**
 * The outbox: ops waiting for the server, in IndexedDB. Enqueueing happens inside the caller's
 * transaction (with the job itself), so a write and its op commit together or not at all.
 */
import type { IDBPTransaction, StoreNames } from 'idb';
import type { JobId } from '@/lib/shared/job-schema';
import { replacesWaiting } from '@/lib/shared/merge-rule';
import { lastVersionAt, type Version } from '@/lib/shared/version';
import { CLEAR_ALL_KEY, type DeadLetter, type OutboxOp, type VeoDb, type VeoSyncDB } from './db';

type WriteTx = IDBPTransaction<VeoSyncDB, StoreNames<VeoSyncDB>[], 'readwrite'>;

/**
 * Adds `op`, coalescing by the merge rule: an op is dropped when the new one makes it pointless —
 * an upsert supersedes the earlier upserts of its job (their versions are older) and the deletes
 * before it (what they covered is older than this write); a delete or clear supersedes the
 * upserts and deletes it covers. So 50 offline edits of a job become one request, and a delete
 * replaces the upserts before it — but a delete "unless updated after T" does not swallow a save
 * made after T. Refused ops (dead letters) the new op supersedes go too. An op already in flight
 * may still land; the newer op then wins on the server by its version.
 */
export async function enqueueOp(tx: WriteTx, op: OutboxOp): Promise<void> {
  if (op.kind === 'upsert') {
    await dropOps(tx, op.jobId, (old) =>
      old.kind === 'upsert'
        ? old.version < op.version
        : old.kind === 'delete' && old.seen !== undefined,
    );
  } else if (op.kind === 'delete') {
    const seen = op.seen;
    await dropOps(tx, op.jobId, (old) =>
      seen === undefined
        ? old.kind === 'delete' && old.seen === undefined
        : covered(old, () => seen),
    );
  } else {
    const cover = (jobId: JobId): Version | undefined =>
      op.before !== undefined ? lastVersionAt(op.before) : op.seen?.[jobId];
    await dropOps(
      tx,
      undefined,
      (old) => old.kind !== 'clear' && covered(old, () => cover(old.jobId)),
    );
  }
  await tx.objectStore('outbox').add(op);
}

/** Whether a delete or clear covering up to `upTo(job)` makes upsert or delete `old` pointless. */
function covered(old: OutboxOp, upTo: () => Version | undefined): boolean {
  const limit = upTo();
  if (limit === undefined) return false;
  if (old.kind === 'upsert') return old.version <= limit;
  if (old.kind === 'delete') return old.seen !== undefined && old.seen <= limit;
  return false;
}

/** Removes the ops (and dead letters) of `jobId` — of every job when undefined — that `drop` picks. */
async function dropOps(
  tx: WriteTx,
  jobId: JobId | undefined,
  drop: (op: OutboxOp) => boolean,
): Promise<void> {
  const outbox = tx.objectStore('outbox');
  const dead = tx.objectStore('deadLetters');
  const ops =
    jobId === undefined ? await outbox.getAll() : await outbox.index('by-jobId').getAll(jobId);
  for (const old of ops) if (old.seq !== undefined && drop(old)) await outbox.delete(old.seq);
  const letters =
    jobId === undefined ? await dead.getAll() : await dead.index('by-jobId').getAll(jobId);
  for (const letter of letters) if (drop(letter.op)) await dead.delete(letter.opId);
}

/**
 * Drops the waiting upserts of `jobId` that the replica now knows to lose: older than a write
 * the server holds (`'write'`), or covered by a tombstone (`'tombstone'`). Returns the versions
 * dropped.
 */
export async function dropCoveredOps(
  tx: WriteTx,
  jobId: JobId,
  version: Version,
  by: 'write' | 'tombstone',
): Promise<Version[]> {
  const outbox = tx.objectStore('outbox');
  const dropped: Version[] = [];
  for (const old of await outbox.index('by-jobId').getAll(jobId)) {
    if (old.kind !== 'upsert' || old.seq === undefined) continue;
    if (by === 'write' ? replacesWaiting(old.version, version) : old.version <= version) {
      await outbox.delete(old.seq);
      dropped.push(old.version);
    }
  }
  return dropped;
}

/** Ops in outbox order. */
export function listOps(db: VeoDb): Promise<OutboxOp[]> {
  return db.getAll('outbox');
}

/**
 * The first op due at `now` that is not in `skip`, and the earliest time another one falls due.
 */
export async function nextDueOp(
  db: VeoDb,
  now: number,
  skip: ReadonlySet<string> = new Set(),
): Promise<{ op: OutboxOp | undefined; nextDueAt: number | undefined }> {
  let nextDueAt: number | undefined;
  let cursor = await db.transaction('outbox').store.openCursor();
  while (cursor) {
    const op = cursor.value;
    if (!skip.has(op.opId) && op.nextAttemptAt <= now) return { op, nextDueAt: undefined };
    nextDueAt = Math.min(nextDueAt ?? Infinity, op.nextAttemptAt);
    cursor = await cursor.continue();
  }
  return { op: undefined, nextDueAt };
}

/**
 * Looks up the stored op with this op id inside `tx`: it may have been superseded (deleted)
 * while its request was in flight, and then nothing must be done to the op that replaced it.
 */
export async function findOp(tx: WriteTx, op: OutboxOp): Promise<OutboxOp | undefined> {
  return tx.objectStore('outbox').index('by-opId').get(op.opId);
}

/**
 * Removes an op after the server answered 2xx for it. Returns whether it was still waiting (not
 * superseded meanwhile by a newer op of its job).
 */
export async function completeOp(tx: WriteTx, op: OutboxOp): Promise<boolean> {
  const stored = await findOp(tx, op);
  if (stored?.seq === undefined) return false;
  await tx.objectStore('outbox').delete(stored.seq);
  return true;
}

/** Keeps an op for later after a retryable failure. */
export async function postponeOp(
  tx: WriteTx,
  op: OutboxOp,
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  const stored = await findOp(tx, op);
  if (!stored) return;
  await tx
    .objectStore('outbox')
    .put({ ...stored, attempts: stored.attempts + 1, nextAttemptAt, lastError: error });
}

/** Moves an op the server refused for good to the dead letters, for the user to decide. */
export async function deadLetterOp(
  tx: WriteTx,
  op: OutboxOp,
  letter: Omit<DeadLetter, 'opId' | 'op'>,
): Promise<void> {
  const stored = await findOp(tx, op);
  if (stored?.seq === undefined) return;
  await tx.objectStore('outbox').delete(stored.seq);
  const { seq: _seq, ...rest } = stored;
  await tx.objectStore('deadLetters').put({ ...letter, opId: stored.opId, op: rest });
}

/** The job ids with an op waiting or refused: their data is not to be evicted. */
export async function unsyncedJobIds(tx: WriteTx): Promise<{ jobIds: Set<JobId> }> {
  const jobIds = new Set<JobId>();
  for (const op of await tx.objectStore('outbox').getAll()) {
    if (op.kind !== 'clear') jobIds.add(op.jobId);
  }
  for (const letter of await tx.objectStore('deadLetters').getAll()) {
    if (letter.op.jobId !== CLEAR_ALL_KEY) jobIds.add(letter.op.jobId);
  }
  return { jobIds };
}
