/**
 * The drain: sends outbox ops to the server, oldest first (sync rules 2, 5). An op leaves the
 * outbox only after a 2xx for it. No IndexedDB transaction is ever open across a request: each
 * op is read in one transaction, sent, and settled in another.
 */
import type { CachedVeoJobInfo } from '@/lib/shared/job-schema';
import { describeFailure, type ApiClient, type ApiResult, type SyncFailure } from './api-client';
import type { OutboxOp, VeoDb } from './db';
import { uploadBody } from './job-blob';
import { completeOp, deadLetterOp, findOp, nextDueOp, postponeOp } from './outbox';
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
      const result = await ctx.api.deleteJob(op.jobId, op.at, op.opId, signal);
      if (!result.ok) return result;
      // The delete lost to a newer write from another device: last-writer-wins keeps the job.
      const winner = result.value && !result.value.applied ? result.value.job : null;
      await settle(ctx, op, winner ? { put: winner } : {});
      return result;
    }
    case 'clear': {
      const result = await ctx.api.clearJobs(op.before, op.opId, signal);
      if (!result.ok) return result;
      await settle(ctx, op, {});
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
  const tx = ctx.db.transaction(['outbox', 'jobData']);
  const [stored, data] = await Promise.all([
    tx.objectStore('outbox').index('by-opId').get(op.opId),
    tx.objectStore('jobData').get(op.jobId),
  ]);
  await tx.done;
  if (!stored) return 'superseded';
  if (!data || data.updatedAt !== op.updatedAt) {
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
  const upload = await uploadBody(data.blob, data.encoding);
  const result = await ctx.api.putJob(op.jobId, upload.body, op.opId, signal, upload.encoding);
  if (!result.ok) return result;
  const { applied, job } = result.value;
  if (applied && job) {
    await settle(
      ctx,
      op,
      upload.encoding === 'gzip' ? { put: job, keepData: upload.body } : { put: job },
    );
  } else {
    // A newer write or delete won on the server: the device takes the winner (its data is
    // fetched when the job is opened), or drops the job if the winner was a delete.
    await settle(ctx, op, job ? { put: job } : { remove: true });
  }
  return result;
}

/**
 * Removes the acknowledged op and brings the replica in line with the server's answer, unless a
 * newer local op for the job was queued meanwhile (then that op will settle it).
 */
async function settle(
  ctx: DrainContext,
  op: OutboxOp,
  outcome: { put?: CachedVeoJobInfo; keepData?: Blob; remove?: boolean },
): Promise<void> {
  const tx = ctx.db.transaction(['outbox', 'jobs', 'jobData'], 'readwrite');
  const stillQueued = await findOp(tx, op);
  await completeOp(tx, op);
  const changed: string[] = [];
  if (stillQueued && op.kind !== 'clear') {
    const newer = (await tx.objectStore('outbox').index('by-jobId').count(op.jobId)) > 0;
    if (!newer && outcome.put) {
      const info = outcome.put;
      const data = await tx.objectStore('jobData').get(op.jobId);
      const sameVersion = data !== undefined && data.updatedAt === info.updatedAt;
      if (sameVersion && outcome.keepData && data.encoding === 'job-json') {
        // Keep the gzip the upload already paid for: the replica shrinks ~5× (rule 10).
        await tx
          .objectStore('jobData')
          .put({ ...data, blob: outcome.keepData, encoding: 'job-gzip' });
      } else if (!sameVersion && data) {
        await tx.objectStore('jobData').delete(op.jobId);
      }
      await tx.objectStore('jobs').put({ jobId: op.jobId, info, hasData: sameVersion });
      changed.push(op.jobId);
    } else if (!newer && outcome.remove) {
      await tx.objectStore('jobs').delete(op.jobId);
      await tx.objectStore('jobData').delete(op.jobId);
      changed.push(op.jobId);
    }
  }
  await tx.done;
  ctx.onSettled({ jobIds: changed, all: false });
}
