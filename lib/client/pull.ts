/**
 * Pull (sync rule 6): bring the replica up to date with the server, incrementally from the stored
 * cursor, merged by the merge rule (lib/shared/merge-rule.ts).
 */
import type { DeletedJob } from '@/lib/shared/api-types';
import type { CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import type { ApiClient, SyncFailure } from './api-client';
import { REPLICA_STORES, type VeoDb } from './db';
import { currentReplaced, forgetReplaced } from './replaced';
import { unsyncedJobIds } from './outbox';
import { liveInfo, mergeTombstone, mergeWrite } from './replica';

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
  readonly deleted: readonly DeletedJob[];
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
 * Applies what the server said by the merge rule, in one transaction: every version and
 * tombstone is merged, so an answer older than what the device holds changes nothing, a local
 * write still waiting keeps its job unless the server already holds something newer, and a job
 * the device deleted stays deleted until a newer write arrives.
 */
async function mergeServerView(db: VeoDb, view: ServerView, now: number): Promise<JobId[]> {
  const tx = db.transaction(REPLICA_STORES, 'readwrite');
  const jobs = tx.objectStore('jobs');
  const changed = new Set<JobId>();

  for (const info of view.jobs) {
    if (await mergeWrite(tx, info, now)) changed.add(info.jobId);
  }
  for (const { jobId, deletedUpTo } of view.deleted) {
    if (await mergeTombstone(tx, jobId, deletedUpTo)) changed.add(jobId);
  }
  const { jobIds: unsynced } = await unsyncedJobIds(tx);
  const listed = new Set(view.jobs.map((j) => j.jobId));
  for (const local of await jobs.getAll()) {
    if (local.replaced && !currentReplaced(local, now)) {
      // Kept long enough: the user did nothing about it.
      const { replaced: _expired, ...rest } = local;
      await forgetReplaced(tx, local.jobId);
      await jobs.put(rest);
      changed.add(local.jobId);
    }
    const info = liveInfo(local);
    if (!info) continue;
    if (info.expiresAt <= now) {
      await mergeTombstone(tx, local.jobId, info.version);
      changed.add(local.jobId);
    } else if (view.full && !listed.has(local.jobId) && !unsynced.has(local.jobId)) {
      // The whole live list, and this job is not in it: the server forgot a delete of it (a
      // purged tombstone) or never had it. Gone up to the version the device held.
      await mergeTombstone(tx, local.jobId, info.version);
      changed.add(local.jobId);
    }
  }

  const { lastError: _cleared, ...meta } = (await tx.objectStore('meta').get('sync')) ?? {
    deviceId: crypto.randomUUID(),
  };
  await tx
    .objectStore('meta')
    .put({ ...meta, cursor: view.cursor, lastSyncedAt: now, authRequired: false }, 'sync');
  await tx.done;
  return [...changed];
}
