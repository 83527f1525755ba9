import type { CachedVeoJob } from '@/lib/shared/job-schema';

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
