import { describe, expect, it } from 'vitest';
import type { JobListItem } from '@/lib/client/replica';
import { listItem } from '../support/job-fixture';
import { ALL_JOBS, findJobs, isFiltered } from '@/lib/veo/find-jobs';

const item = (jobId: string, extra: Partial<JobListItem>) =>
  listItem(jobId, extra.updatedAt ?? 1, { createdAt: '2026-11-01T00:00:00.000Z', ...extra });

const jobs = [
  item('a', {
    videoId: 'lisbon-tram',
    sceneCount: 40,
    updatedAt: 30,
    createdAt: '2026-11-03T00:00:00Z',
  }),
  item('b', {
    videoUrl: 'https://youtu.be/Harbour123',
    status: 'error',
    syncState: 'pending',
    updatedAt: 20,
    createdAt: '2026-11-05T00:00:00Z',
  }),
  item('c', { videoId: 'lisbon-night', onDevice: 'none', sceneCount: 200, updatedAt: 10 }),
];
const ids = (list: JobListItem[]) => list.map((job) => job.jobId);

describe('finding a job', () => {
  it('lists every job, newest first, by default', () => {
    expect(ids(findJobs(jobs, ALL_JOBS))).toEqual(['a', 'b', 'c']);
    expect(isFiltered(ALL_JOBS)).toBe(false);
  });

  it('searches video ids, URLs and job ids, every word, in any case', () => {
    expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'LISBON' }))).toEqual(['a', 'c']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'harbour123' }))).toEqual(['b']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'lisbon night' }))).toEqual(['c']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, text: ' c ' }))).toEqual(['c']);
    expect(isFiltered({ ...ALL_JOBS, text: 'x' })).toBe(true);
  });

  it('filters by status and by sync state and what is on the device', () => {
    expect(ids(findJobs(jobs, { ...ALL_JOBS, status: 'error' }))).toEqual(['b']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, sync: 'waiting' }))).toEqual(['b']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, sync: 'synced' }))).toEqual(['a', 'c']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, sync: 'not-here' }))).toEqual(['c']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, sync: 'offline' }))).toEqual(['a', 'b']);
  });

  it('sorts by creation or by scene count', () => {
    expect(ids(findJobs(jobs, { ...ALL_JOBS, order: 'created' }))).toEqual(['b', 'a', 'c']);
    expect(ids(findJobs(jobs, { ...ALL_JOBS, order: 'scenes' }))).toEqual(['c', 'a', 'b']);
  });
});
