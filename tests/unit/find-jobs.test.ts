import { describe, expect, it } from 'vitest';
import type { JobListItem } from '@/lib/client/replica';
import { listItem } from '../support/job-fixture';
import type { PromptIndexEntry } from '@/lib/client/prompt-index';
import type { Version } from '@/lib/shared/version';
import { ALL_JOBS, findJobs, isFiltered, searchJobs } from '@/lib/veo/find-jobs';
import { finderStatus } from '@/components/veo/JobFinder';

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

  describe('by prompt text', () => {
    const entry = (job: JobListItem, words: string, version = job.version): PromptIndexEntry => ({
      jobId: job.jobId,
      version,
      words,
    });
    const [a, b, c] = jobs as [JobListItem, JobListItem, JobListItem];
    const prompts = new Map([
      ['a', entry(a, 'a weathered lighthouse keeper at dusk')],
      ['b', entry(b, 'gulls wheel above the harbour')],
    ]);

    it('finds a job by a word of its prompts, every word in any field, in any case', () => {
      expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'LIGHTHOUSE' }, prompts))).toEqual(['a']);
      expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'light' }, prompts))).toEqual(['a']);
      // One word from the video id, one from the prompts.
      expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'lisbon dusk' }, prompts))).toEqual(['a']);
      expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'lisbon gulls' }, prompts))).toEqual([]);
      expect(ids(findJobs(jobs, { ...ALL_JOBS, text: 'lighthouse' }))).toEqual([]);
    });

    it('ignores an entry of another version than the job’s', () => {
      const old = new Map([['a', entry(a, 'lighthouse', 'v-older' as Version)]]);
      expect(searchJobs(jobs, { ...ALL_JOBS, text: 'lighthouse' }, old)).toEqual({
        jobs: [],
        // a's entry is of another version, b has none; c's data is not here.
        unsearched: { notOnDevice: 1, notIndexed: 2 },
      });
    });

    it('counts the jobs it could not search by prompt, among those it did not find', () => {
      // c's data is not on the device; b's is, not indexed yet in this map.
      const onlyA = new Map([['a', entry(a, 'lighthouse')]]);
      expect(searchJobs(jobs, { ...ALL_JOBS, text: 'harbour' }, onlyA)).toEqual({
        jobs: [b],
        unsearched: { notOnDevice: 1, notIndexed: 0 },
      });
      expect(searchJobs(jobs, { ...ALL_JOBS, text: 'gulls' }, onlyA).unsearched).toEqual({
        notOnDevice: 1,
        notIndexed: 1,
      });
      // c is found by its video id: not counted, though its data is not here; b is.
      expect(searchJobs(jobs, { ...ALL_JOBS, text: 'lisbon' }, onlyA)).toEqual({
        jobs: [a, c],
        unsearched: { notOnDevice: 0, notIndexed: 1 },
      });
      // Filtered out by status: not counted.
      expect(
        searchJobs(jobs, { ...ALL_JOBS, text: 'gulls', status: 'error' }, onlyA).unsearched,
      ).toEqual({ notOnDevice: 0, notIndexed: 1 });
      expect(searchJobs(jobs, ALL_JOBS, new Map()).unsearched).toEqual({
        notOnDevice: 0,
        notIndexed: 0,
      });
      expect(c.onDevice).toBe('none');
    });
  });

  describe('the finder’s status', () => {
    it('says how many jobs were found, and how many rows of them are shown', () => {
      expect(finderStatus({ shown: 12, total: 12 })).toBe('12 jobs');
      expect(finderStatus({ shown: 1, total: 1 })).toBe('1 job');
      expect(finderStatus({ shown: 3, total: 12 })).toBe('3 of 12 jobs');
      expect(finderStatus({ shown: 500, total: 500, rows: 50 })).toBe(
        '500 jobs, the first 50 shown',
      );
    });

    it('says plainly which jobs were not searched by prompt, and why', () => {
      expect(
        finderStatus({ shown: 2, total: 9, unsearched: { notOnDevice: 3, notIndexed: 0 } }),
      ).toBe('2 of 9 jobs. 3 jobs not searched by prompt: their data is not on this device.');
      expect(
        finderStatus({
          shown: 0,
          total: 9,
          unsearched: { notOnDevice: 1, notIndexed: 4 },
          indexing: true,
        }),
      ).toBe(
        '0 of 9 jobs. 1 job not searched by prompt: their data is not on this device. 4 jobs not searched by prompt yet: indexing their prompts on this device…',
      );
      expect(
        finderStatus({ shown: 0, total: 9, unsearched: { notOnDevice: 0, notIndexed: 1 } }),
      ).toBe('0 of 9 jobs. 1 job not searched by prompt: their data here could not be read.');
    });
  });
});
