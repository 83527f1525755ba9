/**
 * The outbox: ops waiting for the server, in IndexedDB. Enqueueing happens inside the caller's
 * transaction (with the job itself), so a write and its op commit together or not at all.
 */
import type { IDBPTransaction, StoreNames } from 'idb';
import type { JobId } from '@/lib/shared/job-schema';
import { CLEAR_ALL_KEY, type DeadLetter, type OutboxOp, type VeoDb, type VeoSyncDB } from './db';

type WriteTx = IDBPTransaction<VeoSyncDB, StoreNames<VeoSyncDB>[], 'readwrite'>;

/**
 * Adds `op`, coalescing: a new op for a job supersedes every earlier op (and dead letter) for
 * that job, since last-writer-wins makes the latest one decide the outcome — so 50 offline edits
 * of a job become one request, and a delete replaces the upserts before it. A clear-all
 * supersedes everything before it. An op already in flight may still land; the newer op then
 * wins on the server by its later time.
 */
export async function enqueueOp(tx: WriteTx, op: OutboxOp): Promise<void> {
  const outbox = tx.objectStore('outbox');
  const dead = tx.objectStore('deadLetters');
  if (op.kind === 'clear') {
    await outbox.clear();
    await dead.clear();
  } else {
    for (const key of await outbox.index('by-jobId').getAllKeys(op.jobId)) await outbox.delete(key);
    for (const key of await dead.index('by-jobId').getAllKeys(op.jobId)) await dead.delete(key);
  }
  await outbox.add(op);
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

/** Removes an op after the server answered 2xx for it. */
export async function completeOp(tx: WriteTx, op: OutboxOp): Promise<void> {
  const stored = await findOp(tx, op);
  if (stored?.seq !== undefined) await tx.objectStore('outbox').delete(stored.seq);
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

/** The job ids with an op waiting or refused: pulled changes must not overwrite them. */
export async function unsyncedJobIds(
  tx: WriteTx,
): Promise<{ jobIds: Set<JobId>; clearBefore: number | undefined }> {
  const jobIds = new Set<JobId>();
  let clearBefore: number | undefined;
  for (const op of await tx.objectStore('outbox').getAll()) {
    if (op.kind === 'clear') clearBefore = Math.max(clearBefore ?? 0, op.before);
    else jobIds.add(op.jobId);
  }
  for (const letter of await tx.objectStore('deadLetters').getAll()) {
    if (letter.op.jobId !== CLEAR_ALL_KEY) jobIds.add(letter.op.jobId);
  }
  return { jobIds, clearBefore };
}
