/**
 * Finding a job in the history: a search over what the list knows of each job (video id or URL,
 * job id), filters by status and by where the job stands with the server and this device, and an
 * order. Pure, so the list stays one render away from the user's input.
 */
import type { JobListItem } from '@/lib/client/replica';
import type { JobStatus } from '@/lib/shared/job-schema';

export type SyncFilter = 'all' | 'waiting' | 'synced' | 'failed' | 'offline' | 'not-here';
export type JobOrder = 'updated' | 'created' | 'scenes';

export interface JobQuery {
  readonly text: string;
  readonly status: JobStatus | 'all';
  readonly sync: SyncFilter;
  readonly order: JobOrder;
}

export const ALL_JOBS: JobQuery = { text: '', status: 'all', sync: 'all', order: 'updated' };

const SYNC_MATCH: Record<SyncFilter, (job: JobListItem) => boolean> = {
  all: () => true,
  waiting: (job) => job.syncState === 'pending' || job.syncState === 'saving',
  synced: (job) => job.syncState === 'synced',
  failed: (job) => job.syncState === 'failed',
  offline: (job) => job.onDevice !== 'none',
  'not-here': (job) => job.onDevice === 'none',
};

const ORDER: Record<JobOrder, (a: JobListItem, b: JobListItem) => number> = {
  updated: (a, b) => b.updatedAt - a.updatedAt,
  created: (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt),
  scenes: (a, b) => b.sceneCount - a.sceneCount || b.updatedAt - a.updatedAt,
};

/** Whether `query` asks for anything but every job, newest first. */
export function isFiltered(query: JobQuery): boolean {
  return query.text.trim() !== '' || query.status !== 'all' || query.sync !== 'all';
}

/** The jobs `query` asks for, in its order. Every word of the text must match, in any field. */
export function findJobs(jobs: readonly JobListItem[], query: JobQuery): JobListItem[] {
  const words = query.text.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (job: JobListItem) => {
    if (query.status !== 'all' && job.status !== query.status) return false;
    if (!SYNC_MATCH[query.sync](job)) return false;
    if (words.length === 0) return true;
    const haystack = `${job.videoId}\n${job.videoUrl}\n${job.jobId}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  };
  return jobs.filter(matches).sort(ORDER[query.order]);
}
