import { describe, expect, it } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import { dataBlob } from '@/lib/client/stored-data';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import { createDevice, type Tab } from '../../support/device';
import { useJobsApiServer } from '../../support/jobs-api-harness';

const MB = 1024 * 1024;

/**
 * A replica, not a cache (lib/client/replicate.ts): a device that syncs holds every listed job's
 * data without opening it, as the server's gzip bytes, several jobs per request; an older copy
 * stays readable until the newer has arrived; replication stops short of the storage quota.
 */
describe('background replication of job data', () => {
  const harness = useJobsApiServer();
  const { uniqueId } = harness;

  function tab(overrides: Parameters<ReturnType<typeof createDevice>['openTab']>[0] = {}): Tab {
    const device = createDevice(harness.server.origin);
    return harness.track(
      device.openTab({ delegateDrain: () => Promise.resolve(true), ...overrides }),
    );
  }

  async function writeOn(writer: Tab, count: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = uniqueId(prefix);
      await writer.client.saveJob(generateSampleJobInput({ jobId: id, sceneCount: 20, seed: i }));
      ids.push(id);
    }
    await writer.client.drain();
    return ids;
  }

  it('brings every listed job’s data onto a new device, newest first, in one request', async () => {
    const writer = tab();
    const ids = await writeOn(writer, 6, 'six');
    const reader = tab();
    await reader.client.sync();

    const bundles = reader.net.requests.filter((r) => r.url.includes('/api/veo/job-data'));
    expect(bundles).toHaveLength(1);
    // Newest first in the one request (the server orders them too).
    const asked = new URL(bundles[0]!.url).searchParams.get('ids')!.split(',');
    expect(asked.slice(0, 6)).toEqual([...ids].reverse());
    const list = await reader.client.listJobs();
    for (const id of ids) {
      expect(list.find((j) => j.jobId === id)).toMatchObject({
        onDevice: 'current',
        availableOffline: true,
      });
    }
    const status = await reader.client.refreshStatus();
    expect(status.replica.current).toBe(status.replica.jobs);
    expect(status.replica.bytes).toBeGreaterThan(0);
    expect(status.replication).toEqual({ state: 'idle' });

    // Every job opens with the network gone, never having been opened.
    reader.net.offline = true;
    reader.env.setOnline(false);
    for (const id of ids) {
      const read = await reader.client.readJob(id);
      expect(read.status).toBe('found');
      expect(read.status === 'found' && read.job.sceneCount).toBe(20);
    }
  });

  it('keeps the server’s gzip bytes as they are, and inflates them only to open the job', async () => {
    const writer = tab();
    const [id] = await writeOn(writer, 1, 'gzip-bytes');
    const device = createDevice(harness.server.origin);
    const deviceTab = harness.track(device.openTab({ delegateDrain: () => Promise.resolve(true) }));
    await deviceTab.client.sync();
    const db = await openVeoDb(device.indexedDB);
    const stored = await db.get('jobData', id!);
    db.close();
    expect(stored?.encoding).toBe('document-gzip');
    const onDevice = new Uint8Array(await dataBlob(stored!).arrayBuffer());
    const onServer = (await harness.server.store.getJob(id!))!.gzip;
    expect(Buffer.from(onDevice).equals(Buffer.from(onServer))).toBe(true);
  });

  it('keeps the older version readable until the newer has arrived, and swaps them in one step', async () => {
    const writer = tab();
    const reader = tab();
    const id = uniqueId('edited');
    await writer.client.saveJob({ jobId: id, data: { scenes: [{ prompt: 'first' }] } });
    await writer.client.drain();
    await reader.client.sync();
    await writer.client.saveJob({ jobId: id, data: { scenes: [{ prompt: 'second' }] } });
    await writer.client.drain();

    // The pull learns of the edit; until the data comes, the device opens the first version.
    reader.net.block('/api/veo/job-data');
    await reader.client.pull();
    const listed = (await reader.client.listJobs()).find((j) => j.jobId === id);
    expect(listed?.onDevice).toBe('older');
    const old = await reader.client.readJob(id, { localOnly: true });
    expect(old).toMatchObject({
      status: 'found',
      stale: true,
      job: { data: { scenes: [{ prompt: 'first' }] } },
    });
    expect((await reader.client.refreshStatus()).replica.older).toBe(1);

    reader.net.unblock('/api/veo/job-data');
    await reader.client.replicate();
    const current = await reader.client.readJob(id, { localOnly: true });
    expect(current.status === 'found' && current.stale).toBeFalsy();
    expect(current.status === 'found' && current.job.data).toEqual({
      scenes: [{ prompt: 'second' }],
    });
  });

  it('stops short of the storage quota, and says which jobs are not on the device', async () => {
    const writer = tab();
    const ids = await writeOn(writer, 3, 'quota');
    let usage = 100 * MB;
    const reader = tab({ estimateStorage: () => Promise.resolve({ usage, quota: 1000 * MB }) });
    await reader.client.sync();
    // 100 MB of 1000 used: room enough, everything comes.
    expect(
      (await reader.client.listJobs()).filter(
        (j) => ids.includes(j.jobId) && j.onDevice === 'current',
      ),
    ).toHaveLength(3);

    const more = await writeOn(writer, 2, 'quota-more');
    usage = 950 * MB; // past the margin (10% of the quota)
    await reader.client.sync();
    const list = await reader.client.listJobs();
    for (const id of more) expect(list.find((j) => j.jobId === id)?.onDevice).toBe('none');
    const status = await reader.client.refreshStatus();
    expect(status.replication).toMatchObject({ state: 'stopped', reason: 'storage', remaining: 2 });
    expect(status.replica.jobs - status.replica.current).toBe(2);
  });

  it('goes on after being offline, from what is still missing', async () => {
    const writer = tab();
    const ids = await writeOn(writer, 2, 'resume');
    const reader = tab();
    await reader.client.pull();
    reader.env.setOnline(false);
    expect(await reader.client.replicate()).toMatchObject({ stopped: 'offline', stored: 0 });
    expect((await reader.client.refreshStatus()).replication).toMatchObject({ reason: 'offline' });
    reader.env.setOnline(true);
    // Other tests' jobs share the server: this device wants them all.
    expect(await reader.client.replicate()).toMatchObject({ remaining: 0 });
    const list = await reader.client.listJobs();
    for (const id of ids) expect(list.find((j) => j.jobId === id)?.onDevice).toBe('current');
  });
});
