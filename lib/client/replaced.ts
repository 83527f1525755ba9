/**
 * Replaced versions: a write of this device that lost to a newer version from elsewhere before
 * the server had it — edited offline here while another device saved the same job. The merge
 * rule still decides (the newer version is the job, on every device); what the user wrote is not
 * thrown away but kept here, beside the job, for REPLACED_KEPT_MS, so that they can look at it,
 * keep it (saved again, as the newest version) or dismiss it. docs/sync-rules.md, "Conflicts".
 *
 * One replaced version per job: the newest of this device's writes that lost. A delete of the
 * job takes it along (nothing deleted comes back, not even as a replaced version).
 */
import type { CachedVeoJobInfo, JobId } from '@/lib/shared/job-schema';
import type { Version } from '@/lib/shared/version';
import type { JobRecord, ReplacedDataRecord, ReplacedVersion, ReplicaTx, VeoDb } from './db';

/**
 * How long a replaced version is kept when the user does nothing about it: 14 days — long enough
 * to come back to a device after a trip, short enough that a forgotten one does not hold the
 * device's space for the whole life of the job (30 days).
 */
export const REPLACED_KEPT_MS = 14 * 24 * 60 * 60 * 1000;

/** What the history shows of a job's replaced version. */
export interface ReplacedSummary {
  /** The user's write, as it was saved on this device. */
  readonly info: CachedVeoJobInfo;
  /** The version from elsewhere that replaced it. */
  readonly by: Version;
  readonly keptAt: number;
  /** When the device lets it go if the user does nothing (ms). */
  readonly keptUntil: number;
}

export function replacedSummary(replaced: ReplacedVersion): ReplacedSummary {
  const { info, by, keptAt } = replaced;
  return { info, by, keptAt, keptUntil: keptAt + REPLACED_KEPT_MS };
}

/** The record's replaced version, unless it has outlived REPLACED_KEPT_MS. */
export function currentReplaced(
  record: JobRecord | undefined,
  now: number,
): ReplacedVersion | undefined {
  const replaced = record?.replaced;
  return replaced && replaced.keptAt + REPLACED_KEPT_MS > now ? replaced : undefined;
}

/**
 * Inside a write that makes `by` the job: keeps the device's data of `mine` — its own write,
 * which `by` replaced without having seen it (replacedUnseen) — as the job's replaced version,
 * in place of any older one. Returns it, or nothing when the bytes on the device are not of
 * `mine` after all.
 */
export async function keepReplaced(
  tx: ReplicaTx,
  mine: CachedVeoJobInfo,
  bytes: number,
  by: Version,
  now: number,
): Promise<ReplacedVersion | undefined> {
  const data = await tx.objectStore('jobData').get(mine.jobId);
  if (!data || data.version !== mine.version) return undefined;
  const { lastUsedAt: _lastUsedAt, ...kept } = data;
  await tx.objectStore('replacedData').put(kept satisfies ReplacedDataRecord);
  return { info: mine, by, keptAt: now, bytes };
}

/** Inside a write: forgets the job's replaced version (kept, dismissed, deleted, or expired). */
export async function forgetReplaced(tx: ReplicaTx, jobId: JobId): Promise<void> {
  await tx.objectStore('replacedData').delete(jobId);
}

/**
 * Inside a write that puts `record` back: the replaced version it carries on, or none (and its
 * bytes gone) once it has outlived REPLACED_KEPT_MS.
 */
export async function carriedReplaced(
  tx: ReplicaTx,
  record: JobRecord | undefined,
  now: number,
): Promise<{ replaced?: ReplacedVersion }> {
  if (!record?.replaced) return {};
  const replaced = currentReplaced(record, now);
  if (!replaced) await forgetReplaced(tx, record.jobId);
  return replaced ? { replaced } : {};
}

/** A job's replaced version and its bytes, if the device keeps one. */
export async function readReplacedLocally(
  db: VeoDb,
  jobId: JobId,
  now: number,
): Promise<{ replaced: ReplacedVersion; data: ReplacedDataRecord } | undefined> {
  const tx = db.transaction(['jobs', 'replacedData']);
  const [record, data] = await Promise.all([
    tx.objectStore('jobs').get(jobId),
    tx.objectStore('replacedData').get(jobId),
  ]);
  await tx.done;
  const replaced = currentReplaced(record, now);
  if (!replaced || !data || data.version !== replaced.info.version) return undefined;
  return { replaced, data };
}

/**
 * Forgets the job's replaced version of `version` (the user dismissed it), unless another one
 * replaced it meanwhile. Returns whether it went.
 */
export async function dismissReplacedLocally(
  db: VeoDb,
  jobId: JobId,
  version: Version,
): Promise<boolean> {
  const tx = db.transaction(['jobs', 'replacedData'], 'readwrite');
  const record = await tx.objectStore('jobs').get(jobId);
  if (record?.replaced?.info.version !== version) {
    await tx.done;
    return false;
  }
  const { replaced: _dismissed, ...rest } = record;
  await Promise.all([
    tx.objectStore('jobs').put(rest satisfies JobRecord),
    tx.objectStore('replacedData').delete(jobId),
  ]);
  await tx.done;
  return true;
}
