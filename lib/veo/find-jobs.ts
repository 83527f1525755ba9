/**
 * Finding a job in the history: a search over what the list knows of each job (video id or URL,
 * job id) and over its scene prompts where the device has indexed them (lib/client/prompt-index.ts),
 * filters by status and by where the job stands with the server and this device, and an order.
 * Pure, so the list stays one render away from the user's input.
 */
import { promptsContain, type PromptWords } from '@/lib/client/prompt-index';
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

/**
 * The jobs a text search could not search by prompt, among those it did not find (the others
 * passed the filters): their prompts may hold the words.
 */
export interface Unsearched {
  /** The job's current data is not on this device (none, or only an older version). */
  readonly notOnDevice: number;
  /** The data is here, but its prompts are not indexed yet. */
  readonly notIndexed: number;
}

export interface SearchResult {
  /** The jobs found, in the query's order. */
  readonly jobs: JobListItem[];
  readonly unsearched: Unsearched;
}

const NONE_UNSEARCHED: Unsearched = { notOnDevice: 0, notIndexed: 0 };

/**
 * The jobs `query` asks for, in its order. Every word of the text must match, each in any field:
 * the video id or URL, the job id, or (where `prompts` holds the job's current version) a scene
 * prompt. Also counts the jobs whose prompts could not be searched.
 */
export function searchJobs(
  jobs: readonly JobListItem[],
  query: JobQuery,
  prompts: PromptWords = new Map(),
): SearchResult {
  const words = query.text.toLowerCase().split(/\s+/).filter(Boolean);
  let notOnDevice = 0;
  let notIndexed = 0;
  const found = jobs.filter((job) => {
    if (query.status !== 'all' && job.status !== query.status) return false;
    if (!SYNC_MATCH[query.sync](job)) return false;
    if (words.length === 0) return true;
    const haystack = `${job.videoId}\n${job.videoUrl}\n${job.jobId}`.toLowerCase();
    const entry = prompts.get(job.jobId);
    const indexed = entry?.version === job.version ? entry.words : undefined;
    const match = words.every(
      (word) => haystack.includes(word) || (indexed !== undefined && promptsContain(indexed, word)),
    );
    if (!match && indexed === undefined) {
      if (job.onDevice === 'current') notIndexed++;
      else notOnDevice++;
    }
    return match;
  });
  return {
    jobs: found.sort(ORDER[query.order]),
    unsearched: words.length === 0 ? NONE_UNSEARCHED : { notOnDevice, notIndexed },
  };
}

/** The jobs `query` asks for, in its order (see {@link searchJobs}). */
export function findJobs(
  jobs: readonly JobListItem[],
  query: JobQuery,
  prompts?: PromptWords,
): JobListItem[] {
  return searchJobs(jobs, query, prompts).jobs;
}
