import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import { REPLACED_KEPT_MS } from '@/lib/client/replaced';
import type { JobWrite } from '@/lib/client/sync-client';
import { createDevice, type Device, type Tab } from '../../support/device';
import { startJobsApiServer, type JobsApiServer } from '../../support/jobs-api-server';

/**
 * Conflicts (docs/sync-rules.md): a write of one device that a newer write from another device
 * replaces without having seen it is kept on the device that made it, for the user to look at,
 * keep or dismiss — whichever device reached the server first. The newer version is the job on
 * both devices all along.
 */
describe('a replaced edit is kept for the user', () => {
  let server: JobsApiServer;
  let phoneDevice: Device;
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
  });

  /** Each test's job has its own id: what one test leaves on the server is not the next one's. */
  let jobId = 'shared-0';

  function openDevices() {
    jobId = `shared-${clock}`;
    // Each device's clock moves forward on every read, so its writes are strictly ordered.
    const options = { delegateDrain: () => Promise.resolve(true), now: () => (clock += 10) };
    phoneDevice = createDevice(server.origin);
    phone = phoneDevice.openTab(options);
    laptop = createDevice(server.origin).openTab(options);
  }

  const job = (videoId: string, scenes = 1): JobWrite => ({
    jobId,
    videoId,
    sceneCount: scenes,
    data: { scenes: Array.from({ length: scenes }, (_, i) => ({ prompt: `${videoId} ${i}` })) },
  });

  async function syncBoth() {
    await phone.client.sync();
    await laptop.client.sync();
    await phone.client.sync();
  }

  /** Both devices hold v1; then each edits it offline, the laptop later. */
  async function concurrentEdits() {
    openDevices();
    await phone.client.saveJob(job('v1'));
    await syncBoth();
    phone.net.offline = true;
    laptop.net.offline = true;
    await phone.client.saveJob(job('phone-edit', 3));
    await laptop.client.saveJob(job('laptop-edit'));
    phone.net.offline = false;
    laptop.net.offline = false;
  }

  const shared = async (tab: Tab) => (await tab.client.listJobs()).find((j) => j.jobId === jobId);

  async function expectPhoneKeepsItsEdit() {
    const onPhone = await shared(phone);
    expect(onPhone?.videoId).toBe('laptop-edit');
    expect(onPhone?.syncState).toBe('synced');
    expect(onPhone?.replaced?.info.videoId).toBe('phone-edit');
    expect(onPhone?.replaced?.by).toBe(onPhone?.version);
    expect(onPhone?.replaced?.keptUntil).toBe(onPhone!.replaced!.keptAt + REPLACED_KEPT_MS);
    const kept = await phone.client.readReplaced(jobId);
    expect(kept?.job.data).toEqual(job('phone-edit', 3).data);
    expect(kept?.job.sceneCount).toBe(3);
    // The laptop's edit won; the laptop has nothing to be told.
    expect((await shared(laptop))?.replaced).toBeUndefined();
    expect((await shared(laptop))?.version).toBe(onPhone?.version);
  }

  it('when the phone reached the server first and the laptop’s later edit replaced it there', async () => {
    await concurrentEdits();
    await phone.client.sync();
    await laptop.client.sync();
    expect((await shared(phone))?.replaced).toBeUndefined();
    await phone.client.sync();
    await expectPhoneKeepsItsEdit();
  });

  it('when the server refused the phone’s waiting edit for the laptop’s newer one', async () => {
    await concurrentEdits();
    await laptop.client.sync();
    await phone.client.sync();

    await expectPhoneKeepsItsEdit();
  });

  it('when a pull brought the newer edit while the phone’s was still waiting', async () => {
    await concurrentEdits();
    await laptop.client.sync();
    // The phone's PUT does not get through; its pull (the list) does.
    phone.net.block(`/${jobId}`);
    const sentBefore = phone.net.requests.length;
    await phone.client.sync();
    phone.net.unblock(`/${jobId}`);
    expect((await shared(phone))?.version).toBe((await shared(laptop))?.version);
    const puts = phone.net.requests.slice(sentBefore).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.outcome)).toEqual(['offline']);
    await phone.client.sync();
    await expectPhoneKeepsItsEdit();
  });

  it('is not a conflict when the phone’s answer was lost and the laptop edited on top of it', async () => {
    openDevices();
    await phone.client.saveJob(job('v1'));
    await syncBoth();
    await phone.client.saveJob(job('phone-v2'));
    // The server applies the phone's PUT; the answer never arrives, so the op still waits.
    phone.net.inject('drop-after-apply');
    await phone.client.sync();
    expect((await shared(phone))?.syncState).toBe('pending');
    await laptop.client.sync();
    expect((await shared(laptop))?.videoId).toBe('phone-v2');
    await laptop.client.saveJob(job('laptop-v3, made on phone-v2'));
    await laptop.client.sync();
    await phone.client.sync();
    await phone.client.sync();
    expect((await shared(phone))?.videoId).toBe('laptop-v3, made on phone-v2');
    expect((await shared(phone))?.replaced).toBeUndefined();
  });

  it('is not a conflict when the other device edited on top of this one’s write', async () => {
    openDevices();
    await phone.client.saveJob(job('v1'));
    await syncBoth();
    await phone.client.saveJob(job('phone-v2'));
    await syncBoth();
    await laptop.client.saveJob(job('laptop-v3, made on phone-v2'));
    await syncBoth();
    expect((await shared(phone))?.videoId).toBe('laptop-v3, made on phone-v2');
    expect((await shared(phone))?.replaced).toBeUndefined();
    expect(await phone.client.readReplaced(jobId)).toBeUndefined();
  });

  it('keeps the user’s version as the newest on every device when they keep it', async () => {
    await concurrentEdits();
    await laptop.client.sync();
    await phone.client.sync();
    const replaced = (await shared(phone))!.replaced!;
    const saved = await phone.client.keepReplaced(jobId, replaced.info.version);
    expect(saved.videoId).toBe('phone-edit');
    expect(saved.basedOn).toBe(replaced.by);
    expect((await shared(phone))?.replaced).toBeUndefined();
    await syncBoth();
    for (const tab of [phone, laptop]) {
      const read = await tab.client.readJob(jobId);
      expect(read.status === 'found' && read.job.data).toEqual(job('phone-edit', 3).data);
      expect((await shared(tab))?.replaced).toBeUndefined();
    }
    // Kept once: keeping it again is refused and changes nothing.
    await expect(phone.client.keepReplaced(jobId, replaced.info.version)).rejects.toThrow(
      /no longer kept/,
    );
  });

  it('lets the newer version stand when the user dismisses theirs', async () => {
    await concurrentEdits();
    await laptop.client.sync();
    await phone.client.sync();
    const replaced = (await shared(phone))!.replaced!;
    await phone.client.dismissReplaced(jobId, replaced.info.version);
    expect((await shared(phone))?.replaced).toBeUndefined();
    expect(await phone.client.readReplaced(jobId)).toBeUndefined();
    expect(await (await openVeoDb(phoneDevice.indexedDB)).count('replacedData')).toBe(0);
    await syncBoth();
    expect((await shared(phone))?.videoId).toBe('laptop-edit');
    expect((await shared(phone))?.replaced).toBeUndefined();
  });

  it('keeps it across the user’s next edits of the job, and drops it with the job', async () => {
    await concurrentEdits();
    await laptop.client.sync();
    await phone.client.sync();
    await phone.client.saveJob(job('phone-after'));
    expect((await shared(phone))?.replaced?.info.videoId).toBe('phone-edit');
    await syncBoth();
    expect((await shared(phone))?.replaced?.info.videoId).toBe('phone-edit');
    // A delete elsewhere takes the job, and its replaced version, away: nothing deleted returns.
    await laptop.client.deleteJob(jobId);
    await syncBoth();
    expect(await shared(phone)).toBeUndefined();
    expect(await phone.client.readReplaced(jobId)).toBeUndefined();
    expect(await (await openVeoDb(phoneDevice.indexedDB)).count('replacedData')).toBe(0);
  });

  it('lets it go after REPLACED_KEPT_MS', async () => {
    await concurrentEdits();
    await laptop.client.sync();
    await phone.client.sync();
    expect((await shared(phone))?.replaced).toBeDefined();
    clock += REPLACED_KEPT_MS;
    expect((await shared(phone))?.replaced).toBeUndefined();
    expect(await phone.client.readReplaced(jobId)).toBeUndefined();
    // The next pull frees its space.
    await phone.client.sync();
    expect(await (await openVeoDb(phoneDevice.indexedDB)).count('replacedData')).toBe(0);
    expect((await shared(phone))?.videoId).toBe('laptop-edit');
  });
});
