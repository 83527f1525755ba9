import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJobList, SAVING_TIMEOUT_MS, type JobListSource } from '@/lib/client/job-list';
import type { JobsChangedEvent, JobsChangedListener } from '@/lib/client/notifier';
import type { JobListItem } from '@/lib/client/replica';
import { listItem } from '../support/job-fixture';

const item = listItem;

/** A device whose list the test sets, and whose reads it lets finish one by one. */
function fakeSource() {
  let listener: JobsChangedListener = () => undefined;
  let device: JobListItem[] = [];
  const reads: { resolve: () => void }[] = [];
  let seq = 0;
  const source: JobListSource = {
    listJobs() {
      // What the device holds when the read begins is what it returns.
      const snapshot = [...device];
      return new Promise((resolve) => reads.push({ resolve: () => resolve(snapshot) }));
    },
    subscribe(l) {
      listener = l;
      return () => (listener = () => undefined);
    },
  };
  const emit = (change: Partial<JobsChangedEvent>) =>
    listener({
      type: 'veo-jobs-changed',
      id: `e${++seq}`,
      jobIds: [],
      all: false,
      source: 'local',
      ...change,
    });
  return {
    source,
    emit,
    reads,
    setDevice: (list: JobListItem[]) => (device = list),
    /** Lets every read begun so far finish, and the list take them in. */
    async finishReads() {
      while (reads.length > 0) {
        reads.shift()!.resolve();
        await new Promise((r) => setTimeout(r, 0));
      }
    },
  };
}

const ids = (list: readonly JobListItem[] | null) =>
  list?.map((job) => `${job.jobId}:${job.syncState}`) ?? null;

afterEach(() => {
  vi.useRealTimers();
});

describe('the history list', () => {
  it('is null until the device has been read, then the device’s list', async () => {
    const fake = fakeSource();
    fake.setDevice([item('b', 2), item('a', 1)]);
    const list = createJobList(fake.source);
    expect(list.get()).toBeNull();
    await fake.finishReads();
    expect(ids(list.get())).toEqual(['b:synced', 'a:synced']);
  });

  it('shows a save as it begins, in its place, without reading the device', async () => {
    const fake = fakeSource();
    fake.setDevice([item('b', 20), item('a', 10)]);
    const list = createJobList(fake.source);
    await fake.finishReads();
    const changed = vi.fn();
    list.subscribe(changed);

    fake.emit({ jobIds: ['n'], saving: [item('n', 30, { syncState: 'saving' })] });
    expect(fake.reads).toHaveLength(0);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(ids(list.get())).toEqual(['n:saving', 'b:synced', 'a:synced']);

    // A re-save of an existing job replaces its row.
    fake.emit({ jobIds: ['a'], saving: [item('a', 40, { syncState: 'saving' })] });
    expect(ids(list.get())).toEqual(['a:saving', 'n:saving', 'b:synced']);
  });

  it('keeps showing the save until a read begun after its commit shows the job', async () => {
    const fake = fakeSource();
    const list = createJobList(fake.source);
    await fake.finishReads();
    fake.emit({ jobIds: ['x'], saving: [item('x', 5, { syncState: 'saving' })] });
    // Another job changes: a read begins before the save has committed.
    fake.emit({ jobIds: ['other'] });
    fake.setDevice([item('x', 5, { syncState: 'pending' })]);
    fake.emit({ jobIds: ['x'] }); // committed
    expect(fake.reads).toHaveLength(1);
    fake.reads.shift()!.resolve(); // the read begun before the commit: no row for x on the device
    await new Promise((r) => setTimeout(r, 0));
    expect(ids(list.get())).toEqual(['x:saving']);
    await fake.finishReads(); // the read after it
    expect(ids(list.get())).toEqual(['x:pending']);
  });

  it('drops the row of a save that failed once the device has been read again', async () => {
    const fake = fakeSource();
    fake.setDevice([item('a', 1)]);
    const list = createJobList(fake.source);
    await fake.finishReads();
    fake.emit({ jobIds: ['y'], saving: [item('y', 9, { syncState: 'saving' })] });
    expect(ids(list.get())).toEqual(['y:saving', 'a:synced']);
    fake.emit({ jobIds: ['y'] }); // the save failed: nothing of y on the device
    await fake.finishReads();
    expect(ids(list.get())).toEqual(['a:synced']);
  });

  it('lets a newer version on the device win over the save shown', async () => {
    const fake = fakeSource();
    const list = createJobList(fake.source);
    await fake.finishReads();
    fake.emit({ jobIds: ['z'], saving: [item('z', 5, { syncState: 'saving' })] });
    fake.setDevice([item('z', 7)]); // another device's newer write arrived by a pull
    fake.emit({ jobIds: ['other'], source: 'pull' });
    await fake.finishReads();
    expect(list.get()?.map((job) => [job.jobId, job.version])).toEqual([['z', 'v-000007']]);
  });

  it('reads the device at most twice for a burst of changes: one in flight, one after it', async () => {
    const fake = fakeSource();
    const list = createJobList(fake.source);
    await fake.finishReads();
    for (let i = 0; i < 20; i++) fake.emit({ jobIds: [`j${i}`] });
    expect(fake.reads).toHaveLength(1);
    fake.setDevice([item('j19', 19)]);
    fake.reads.shift()!.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.reads).toHaveLength(1);
    await fake.finishReads();
    expect(ids(list.get())).toEqual(['j19:synced']);
  });

  it('stops showing a save never heard of again (its tab closed mid-save)', async () => {
    vi.useFakeTimers();
    const fake = fakeSource();
    fake.setDevice([item('a', 1)]);
    const list = createJobList(fake.source);
    fake.reads.shift()!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    fake.emit({ jobIds: ['lost'], saving: [item('lost', 9, { syncState: 'saving' })] });
    await vi.advanceTimersByTimeAsync(SAVING_TIMEOUT_MS - 1);
    expect(ids(list.get())).toEqual(['lost:saving', 'a:synced']);
    await vi.advanceTimersByTimeAsync(1);
    fake.reads.shift()!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(ids(list.get())).toEqual(['a:synced']);
  });
});
