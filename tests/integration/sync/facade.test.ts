import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevice } from '../../support/device';
import { startJobsApiServer, type JobsApiServer } from '../../support/jobs-api-server';
import {
  JobUnavailableError,
  clearAllJobs,
  configureSyncClient,
  deleteCachedJob,
  getCachedJob,
  getCachedJobList,
  setCachedJob,
  subscribe,
  syncNow,
  syncStatus,
} from '@/lib/veo/cache';

/** The plan's function names, now async, over the sync engine. */
describe('lib/veo/cache facade', () => {
  let server: JobsApiServer;
  const device = () => createDevice(server.origin);

  beforeAll(async () => {
    server = await startJobsApiServer();
  });
  afterAll(async () => {
    await configureSyncClient(null);
    await server.close();
  });

  it('saves, lists, reads, deletes and clears through the plan’s names', async () => {
    const tab = device().openTab();
    await configureSyncClient(tab.client);
    const changes: string[][] = [];
    const stop = subscribe((e) => changes.push([...e.jobIds]));

    const info = await setCachedJob('facade-1', {
      videoId: 'v',
      data: { scenes: [{ prompt: 'p' }] },
    });
    expect(info).toMatchObject({ jobId: 'facade-1', videoId: 'v' });
    expect((await getCachedJobList()).map((j) => j.jobId)).toEqual(['facade-1']);
    expect((await getCachedJob('facade-1'))?.data).toEqual({ scenes: [{ prompt: 'p' }] });
    expect(await getCachedJob('nope')).toBeNull();
    await syncNow();
    expect(syncStatus.get()).toMatchObject({ pending: 0, online: true });
    expect(await server.store.getJob('facade-1')).not.toBeNull();

    await deleteCachedJob('facade-1');
    expect(await getCachedJobList()).toEqual([]);
    await setCachedJob('facade-2', { data: {} });
    await clearAllJobs();
    expect(await getCachedJobList()).toEqual([]);
    expect(changes.length).toBeGreaterThanOrEqual(4);
    stop();
  });

  it('refuses a job whose id disagrees with the one given', async () => {
    await configureSyncClient(device().openTab().client);
    await expect(setCachedJob('a', { jobId: 'b', data: {} })).rejects.toThrow(/not a/);
  });

  it('rejects with JobUnavailableError when a job’s data is not here and the network is gone', async () => {
    const writer = device().openTab();
    await writer.client.saveJob({ jobId: 'far-away', data: { scenes: [] } });
    await writer.client.drain();
    const reader = device().openTab();
    await configureSyncClient(reader.client);
    await reader.client.pull();
    reader.env.setOnline(false);
    await expect(getCachedJob('far-away')).rejects.toBeInstanceOf(JobUnavailableError);
    await writer.client.close();
  });
});
