/**
 * Pull (sync rule 6): bring the replica up to date with the server, incrementally from the stored
 * cursor, merged so that a job with a local op still waiting is never overwritten.
 */
import type { CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import type { ApiClient, SyncFailure } from './api-client';
import type { VeoDb } from './db';
import { unsyncedJobIds } from './outbox';

export interface PullContext {
  readonly db: VeoDb;
  readonly api: ApiClient;
  readonly now: () => number;
}

export type PullResult =
  | { readonly ok: true; readonly changed: JobId[]; readonly full: boolean }
  | { readonly ok: false; readonly failure: SyncFailure };

interface ServerView {
  readonly jobs: readonly CachedVeoJobInfo[];
  readonly deleted: readonly { jobId: JobId; deletedAt: number }[];
  readonly cursor: string;
  /** The answer is the whole live list: local synced jobs absent from it are gone. */
  readonly full: boolean;
}

export async function pullChanges(ctx: PullContext, signal?: AbortSignal): Promise<PullResult> {
  const meta = await ctx.db.get('meta', 'sync');
  let view: ServerView;
  if (meta?.cursor === undefined) {
    const result = await ctx.api.listJobs(signal);
    if (!result.ok) return result;
    view = { jobs: result.value.jobs, deleted: [], cursor: result.value.cursor, full: true };
  } else {
    const result = await ctx.api.listChanges(meta.cursor, signal);
    if (!result.ok) return result;
    view = { ...result.value, full: result.value.reset };
  }
  const changed = await mergeServerView(ctx.db, view, ctx.now());
  return { ok: true, changed, full: view.full };
}

/**
 * Applies what the server said, in one transaction with the outbox read, so a write queued
 * between the request and the merge is seen and respected.
 */
async function mergeServerView(db: VeoDb, view: ServerView, now: number): Promise<JobId[]> {
  const tx = db.transaction(['jobs', 'jobData', 'outbox', 'deadLetters', 'meta'], 'readwrite');
  const jobs = tx.objectStore('jobs');
  const jobData = tx.objectStore('jobData');
  const { jobIds: unsynced, clearBefore } = await unsyncedJobIds(tx);
  const changed: JobId[] = [];
  const remove = async (jobId: JobId) => {
    await jobs.delete(jobId);
    await jobData.delete(jobId);
    changed.push(jobId);
  };

  for (const info of view.jobs) {
    if (unsynced.has(info.jobId)) continue;
    // A clear-all still on its way to the server covers this job: it is gone here already.
    if (clearBefore !== undefined && info.updatedAt <= clearBefore) continue;
    const local = await jobs.get(info.jobId);
    // An older answer than what the device already has (a drain settled meanwhile).
    if (local && local.info.updatedAt > info.updatedAt) continue;
    if (local && JSON.stringify(local.info) === JSON.stringify(info)) continue;
    const hasData = local !== undefined && local.hasData && local.info.updatedAt === info.updatedAt;
    if (!hasData) await jobData.delete(info.jobId);
    await jobs.put({ jobId: info.jobId, info, hasData });
    changed.push(info.jobId);
  }
  for (const { jobId, deletedAt } of view.deleted) {
    if (unsynced.has(jobId)) continue;
    const local = await jobs.get(jobId);
    if (local && local.info.updatedAt <= deletedAt) await remove(jobId);
  }
  const live = new Set(view.jobs.map((j) => j.jobId));
  for (const local of await jobs.getAll()) {
    if (unsynced.has(local.jobId)) continue;
    const expired = local.info.expiresAt <= now;
    if (expired || (view.full && !live.has(local.jobId))) await remove(local.jobId);
  }

  const { lastError: _cleared, ...meta } = (await tx.objectStore('meta').get('sync')) ?? {
    deviceId: crypto.randomUUID(),
  };
  await tx
    .objectStore('meta')
    .put({ ...meta, cursor: view.cursor, lastSyncedAt: now, authRequired: false }, 'sync');
  await tx.done;
  return changed;
}
