/**
 * The drain: sends outbox ops to the server, oldest first (sync rules 2, 5). An op leaves the
 * outbox only after a 2xx for it. No IndexedDB transaction is ever open across a request: each
 * op is read in one transaction, sent, and settled in another.
 */
import type { CachedVeoJobInfo } from '@/lib/shared/job-schema';
import type { Version } from '@/lib/shared/version';
import { describeFailure, type ApiClient, type ApiResult, type SyncFailure } from './api-client';
import { REPLICA_STORES, type OutboxOp, type VeoDb } from './db';
import { uploadBody } from './job-blob';
import { dataBlob, dataSize, storedFromBlob, withStoredDataFallback } from './stored-data';
import { completeOp, deadLetterOp, nextDueOp, postponeOp } from './outbox';
import { committed, mergeTombstone, mergeWrite } from './replica';
import { retryDelay, type RetryPolicy } from './retry-policy';

export interface DrainContext {
  readonly db: VeoDb;
  readonly api: ApiClient;
  readonly now: () => number;
  readonly random: () => number;
  readonly retryPolicy: RetryPolicy;
  /** Called after each op settles with the jobs whose local copy it changed. */
  readonly onSettled: (change: { jobIds: string[]; all: boolean }) => void;
}

export interface DrainResult {
  /** Ops the server acknowledged (2xx) in this drain. */
  readonly sent: number;
  /** Ops moved to the dead letters in this drain. */
  readonly deadLettered: number;
  /** Why the drain stopped early, if it did. */
  readonly stopped?: SyncFailure;
  /** When the next op falls due (ms), if ops wait for a later attempt. */
  readonly nextAttemptAt?: number;
}

/**
 * Sends every op that is due, one at a time. A retryable failure postpones that op with backoff
 * and ends the drain (the network is likely gone: no point hammering it with the rest); a 401
 * ends it too; a permanent refusal moves the op to the dead letters and goes on.
 */
export async function drainOutbox(
  ctx: DrainContext,
  options: { signal?: AbortSignal; force?: boolean } = {},
): Promise<DrainResult> {
  const { signal } = options;
  let sent = 0;
  let deadLettered = 0;
  // A forced drain (the network came back, the user asked) tries every op once, backoff or not.
  const tried = new Set<string>();
  let timeouts = 0;
  /** A retryable failure of an op this drain postponed and went past. */
  let postponed: SyncFailure | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const { op, nextDueAt } = await nextDueOp(ctx.db, options.force ? Infinity : ctx.now(), tried);
    if (!op)
      return {
        sent,
        deadLettered,
        ...(postponed ? { stopped: postponed } : {}),
        ...(nextDueAt === undefined ? {} : { nextAttemptAt: nextDueAt }),
      };

    tried.add(op.opId);
    let result: SendResult;
    try {
      result = await sendOp(ctx, op, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      // The op could not even be prepared (its data unreadable, the platform lacking an API):
      // trying it again would fail the same way and hold up every op behind it.
      const message = `This change could not be prepared for sending (${error instanceof Error ? error.message : String(error)})`;
      result = {
        ok: false,
        failure: { kind: 'permanent', status: 0, error: { code: 'invalid_request', message } },
      };
    }
    if (result === 'superseded') continue;
    if (result.ok) {
      sent++;
      continue;
    }
    const failure = result.failure;
    if (failure.kind === 'permanent') {
      const tx = ctx.db.transaction(['outbox', 'deadLetters'], 'readwrite');
      await deadLetterOp(tx, op, {
        status: failure.status,
        error: failure.error,
        failedAt: ctx.now(),
      });
      await tx.done;
      deadLettered++;
      ctx.onSettled({ jobIds: op.kind === 'clear' ? [] : [op.jobId], all: op.kind === 'clear' });
      continue;
    }
    if (failure.kind === 'retryable') {
      const retryAt =
        ctx.now() + retryDelay(ctx.retryPolicy, op.attempts + 1, failure.retryAfterMs, ctx.random);
      const tx = ctx.db.transaction(['outbox', 'deadLetters', 'jobs', 'jobData'], 'readwrite');
      await postponeOp(tx, op, retryAt, describeFailure(failure));
      await tx.done;
      // One op timing out (a large upload on a slow link) should not hold up the small ones
      // behind it; a second timeout means the network itself is hanging: stop there.
      if (failure.reason === 'timeout' && ++timeouts < 2) {
        postponed = failure;
        continue;
      }
      return { sent, deadLettered, stopped: failure, nextAttemptAt: retryAt };
    }
    // 401: the op stays as it is; the drain resumes when the user has signed in again.
    return { sent, deadLettered, stopped: failure };
  }
}

type SendResult = ApiResult<unknown> | 'superseded';

async function sendOp(ctx: DrainContext, op: OutboxOp, signal?: AbortSignal): Promise<SendResult> {
  switch (op.kind) {
    case 'upsert':
      return sendUpsert(ctx, op, signal);
    case 'delete': {
      const result = await ctx.api.deleteJob(op.jobId, op.seen, op.opId, signal);
      if (!result.ok) return result;
      // A newer write from another device may have outlived the delete: the answer says.
      await settle(ctx, op, result.value ?? { job: null, deletedUpTo: null });
      return result;
    }
    case 'clear': {
      const result = await ctx.api.clearJobs(op, op.opId, signal);
      if (!result.ok) return result;
      await settle(ctx, op, { job: null, deletedUpTo: null });
      return result;
    }
  }
}

async function sendUpsert(
  ctx: DrainContext,
  op: Extract<OutboxOp, { kind: 'upsert' }>,
  signal?: AbortSignal,
): Promise<SendResult> {
  // One read-only transaction for the op and the data it sends, so they match.
  const tx = ctx.db.transaction(['outbox', 'jobData', 'jobs']);
  const [stored, data, record] = await Promise.all([
    tx.objectStore('outbox').index('by-opId').get(op.opId),
    tx.objectStore('jobData').get(op.jobId),
    tx.objectStore('jobs').get(op.jobId),
  ]);
  await tx.done;
  if (!stored) return 'superseded';
  if (!data || data.version !== op.version) {
    // The replica moved past this write (a newer version or a delete won): it would lose.
    if (record?.info && record.info.version > op.version) {
      const done = ctx.db.transaction(['outbox'], 'readwrite');
      await completeOp(done, op);
      await done.done;
      return 'superseded';
    }
    // Unsynced data is never evicted, so this means the replica was damaged from outside.
    return {
      ok: false,
      failure: {
        kind: 'permanent',
        status: 0,
        error: {
          code: 'invalid_request',
          message: 'The job’s data is missing on this device; it cannot be sent',
        },
      },
    };
  }
  const upload = await uploadBody(dataBlob(data), data.encoding, op.version);
  const result = await ctx.api.putJob(op.jobId, upload.body, op.opId, signal, upload.encoding);
  if (!result.ok) return result;
  await settle(
    ctx,
    op,
    result.value,
    result.value.applied && upload.encoding === 'gzip' ? upload.body : undefined,
  );
  return result;
}

/**
 * Removes the acknowledged op and merges the server's answer — its version of the job and its
 * tombstone — into the replica by the merge rule (an answer can only move the replica forward).
 */
async function settle(
  ctx: DrainContext,
  op: OutboxOp,
  answer: { job: CachedVeoJobInfo | null; deletedUpTo: Version | null; applied?: boolean },
  uploadedGzip?: Blob,
): Promise<void> {
  // The job's sync state changed with its op, whatever the answer does to the replica.
  const changed: string[] = op.kind === 'clear' ? [] : [op.jobId];
  await withStoredDataFallback(ctx.db, async () => {
    // In the form the database takes, made before the transaction (reading a Blob is async).
    const gzip = uploadedGzip && (await storedFromBlob(ctx.db, uploadedGzip));
    const tx = ctx.db.transaction(REPLICA_STORES, 'readwrite');
    const work = async () => {
      // Still this device's latest write of the job (no newer save of it replaced the op).
      const waiting = await completeOp(tx, op);
      if (op.kind === 'clear') return;
      if (answer.deletedUpTo) await mergeTombstone(tx, op.jobId, answer.deletedUpTo);
      // An upsert the server refused for a newer version lost to it there (a replay of one that
      // was applied, answered after a newer write, did not: it was the job for a while).
      const lost =
        op.kind === 'upsert' && waiting && answer.applied === false ? op.version : undefined;
      if (answer.job) await mergeWrite(tx, answer.job, ctx.now(), undefined, lost);
      const data = await tx.objectStore('jobData').get(op.jobId);
      if (gzip && data?.version === op.version && data.encoding === 'job-json') {
        // Keep the gzip the upload already paid for: the replica shrinks ~5× (rule 10).
        const { blob: _blob, bytes: _bytes, ...rest } = data;
        await tx.objectStore('jobData').put({ ...rest, ...gzip, encoding: 'job-gzip' });
        const record = await tx.objectStore('jobs').get(op.jobId);
        if (record?.stored?.version === op.version) {
          await tx
            .objectStore('jobs')
            .put({ ...record, stored: { version: op.version, bytes: dataSize(gzip) } });
        }
      }
    };
    await committed(tx, [work()]);
  });
  ctx.onSettled({ jobIds: changed, all: false });
}
