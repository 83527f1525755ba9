import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobWrite } from '@/lib/client/sync-client';
import { createDevice, type Tab } from '../../support/device';
import { startJobsApiServer, type JobsApiServer } from '../../support/jobs-api-server';

/** Two devices (two IndexedDB factories) against one server converge to the same history. */
describe('two devices against one server', () => {
  let server: JobsApiServer;
  let phone: Tab;
  let laptop: Tab;
  let clock = Date.now();

  beforeAll(async () => {
    server = await startJobsApiServer();
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    await Promise.all([phone.client.close(), laptop.client.close()]);
    await server.store.clearJobs({ before: Date.now() + 60_000 }, `reset-${Date.now()}`);
  });

  function open(): Tab {
    // Each device's clock moves forward on every read, so its writes are strictly ordered.
    return createDevice(server.origin).openTab({
      delegateDrain: () => Promise.resolve(true),
      now: () => (clock += 10),
    });
  }

  const job = (jobId: string, videoId = ''): JobWrite => ({
    jobId,
    videoId,
    data: { scenes: [{ prompt: `${jobId} ${videoId}` }] },
  });

  async function syncBoth() {
    await phone.client.sync();
    await laptop.client.sync();
    await phone.client.sync();
  }

  async function history(tab: Tab) {
    return (await tab.client.listJobs()).map((j) => `${j.jobId}:${j.videoId}:${j.syncState}`);
  }

  it('converges after edits and deletes on both sides', async () => {
    phone = open();
    laptop = open();
    await phone.client.saveJob(job('a', 'phone-1'));
    await phone.client.saveJob(job('b', 'phone-1'));
    await laptop.client.saveJob(job('c', 'laptop-1'));
    await syncBoth();
    await laptop.client.saveJob(job('a', 'laptop-2'));
    await phone.client.deleteJob('b');
    await syncBoth();
    expect(await history(phone)).toEqual(['a:laptop-2:synced', 'c:laptop-1:synced']);
    expect(await history(laptop)).toEqual(await history(phone));
  });

  it('resolves conflicting offline edits by last writer on both devices', async () => {
    phone = open();
    laptop = open();
    await phone.client.saveJob(job('shared', 'original'));
    await syncBoth();
    phone.net.offline = true;
    laptop.net.offline = true;
    await phone.client.saveJob(job('shared', 'phone-offline'));
    await laptop.client.saveJob(job('shared', 'laptop-offline-later'));
    phone.net.offline = false;
    laptop.net.offline = false;
    // The laptop's edit is later; it wins whichever device reconnects first.
    await phone.client.sync();
    await laptop.client.sync();
    await phone.client.sync();
    expect(await history(phone)).toEqual(['shared:laptop-offline-later:synced']);
    expect(await history(laptop)).toEqual(await history(phone));
    const read = await phone.client.readJob('shared');
    expect(read.status === 'found' && read.job.data).toEqual(
      job('shared', 'laptop-offline-later').data,
    );
  });

  it('converges after a clear-all on one device while the other wrote offline afterwards', async () => {
    phone = open();
    laptop = open();
    await phone.client.saveJob(job('old-1'));
    await phone.client.saveJob(job('old-2'));
    await syncBoth();
    laptop.net.offline = true;
    await phone.client.clearAll();
    await laptop.client.saveJob(job('new-after-clear', 'laptop'));
    await phone.client.sync();
    laptop.net.offline = false;
    await syncBoth();
    expect(await history(phone)).toEqual(['new-after-clear:laptop:synced']);
    expect(await history(laptop)).toEqual(await history(phone));
  });

  it('keeps a job deleted on one device when the other replays an edit the delete had seen', async () => {
    phone = open();
    laptop = open();
    await phone.client.saveJob(job('doomed', 'v1'));
    await syncBoth();
    await laptop.client.saveJob(job('doomed', 'v2'));
    await syncBoth();
    // The phone has seen v2 and deletes it; the laptop's older write cannot bring it back.
    await phone.client.deleteJob('doomed');
    await phone.client.sync();
    await syncBoth();
    expect(await history(phone)).toEqual([]);
    expect(await history(laptop)).toEqual([]);
  });

  it('keeps an edit the deleting device had not seen: a delete covers what its device saw', async () => {
    phone = open();
    laptop = open();
    await phone.client.saveJob(job('contested', 'v1'));
    await syncBoth();
    laptop.net.offline = true;
    await laptop.client.saveJob(job('contested', 'edited-offline'));
    await phone.client.deleteJob('contested');
    await phone.client.sync();
    laptop.net.offline = false;
    await syncBoth();
    // The phone deleted v1; the laptop's edit was made without seeing that delete, and is kept
    // on both devices (docs/sync-rules.md: concurrent edit and delete).
    expect(await history(phone)).toEqual(['contested:edited-offline:synced']);
    expect(await history(laptop)).toEqual(await history(phone));
  });
});
