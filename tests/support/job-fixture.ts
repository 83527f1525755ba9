import type { JobListItem } from '@/lib/client/replica';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import type { Version } from '@/lib/shared/version';

/** A complete job without a version, as the plan's defaults fill it: for stores and imports. */
export function plainJob(
  jobId: string,
  updatedAt: number,
  data: CachedVeoJob['data'] = {},
): Omit<CachedVeoJob, 'version'> {
  return {
    jobId,
    videoId: '',
    videoUrl: '',
    sceneCount: 1,
    charactersFound: 0,
    mode: 'hybrid',
    voice: 'no-voice',
    status: 'completed',
    hasScript: false,
    createdAt: new Date(updatedAt).toISOString(),
    updatedAt,
    error: null,
    expiresAt: updatedAt + 30 * 86_400_000,
    data,
  };
}

/** A row of the history list (synced, its data on the device) built on {@link plainJob}. */
export function listItem(
  jobId: string,
  updatedAt: number,
  extra: Partial<JobListItem> = {},
): JobListItem {
  const { data: _data, ...info } = plainJob(jobId, updatedAt);
  return {
    ...info,
    version: `v-${String(updatedAt).padStart(6, '0')}` as Version,
    syncState: 'synced',
    availableOffline: true,
    onDevice: 'current',
    ...extra,
  };
}
