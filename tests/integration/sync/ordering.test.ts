import { describe, expect, it } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import type { JobWrite } from '@/lib/client/sync-client';
import { createDevice, type Device, type Tab } from '../../support/device';
import { useJobsApiServer } from '../../support/jobs-api-harness';

/**
 * One named test for each way wall-clock versions lost, resurrected or diverged (the scenarios
 * of the causal-versions issue), against the real route handlers on Miniflare's D1, through each
 * store driver (the binding, and the REST API through its loopback stand-in). Each passes
 * only because every op carries a causal version and every writer merges by one rule.
 */
describe.each(['binding', 'rest'] as const)(
  'causal ordering on the D1 %s driver: nothing lost, nothing resurrected, no divergence',
  (driver) => {
    const harness = useJobsApiServer({ driver });
    const { uniqueId } = harness;

    /** A tab that drains only when told, on a clock that stands still unless the test moves it. */
    function tabOn(
      device: Device = createDevice(harness.server.origin),
      clock = { now: Date.now() },
    ): Tab {
      const tab = device.openTab({
        delegateDrain: () => Promise.resolve(true),
        now: () => clock.now,
      });
      return harness.track(tab);
    }

    const job = (jobId: string, text: string): JobWrite => ({
      jobId,
      videoId: text,
      data: { scenes: [{ prompt: text }] },
    });

    async function serverText(jobId: string): Promise<string | null> {
      const stored = await harness.server.store.getJob(jobId);
      if (!stored) return null;
      return (
        (await harness.server.store.listJobs()).jobs.find((j) => j.jobId === jobId)?.videoId ?? null
      );
    }

    const listed = async (tab: Tab) =>
      (await tab.client.listJobs()).map((j) => `${j.jobId}:${j.videoId}`);

    describe('lost writes', () => {
      it('keeps the last edit after edit, delete and edit again offline, all in one millisecond', async () => {
        const tab = tabOn();
        const id = uniqueId('redo');
        tab.net.offline = true;
        await tab.client.saveJob(job(id, 'first'));
        await tab.client.deleteJob(id);
        await tab.client.saveJob(job(id, 'again'));
        tab.net.offline = false;
        await tab.client.sync();
        expect(await serverText(id)).toBe('again');
        expect(await listed(tab)).toContain(`${id}:again`);
      });

      it('keeps a job saved again under the id of one the user deleted', async () => {
        const tab = tabOn();
        const id = uniqueId('regenerated');
        await tab.client.saveJob(job(id, 'v1'));
        await tab.client.sync();
        await tab.client.deleteJob(id);
        await tab.client.sync();
        await tab.client.saveJob(job(id, 'regenerated'));
        await tab.client.sync();
        expect(await serverText(id)).toBe('regenerated');
        expect(await listed(tab)).toContain(`${id}:regenerated`);
      });

      it('keeps a job saved after a clear-all that was still waiting behind a 503', async () => {
        const tab = tabOn();
        const old = uniqueId('old');
        await tab.client.saveJob(job(old, 'old'));
        await tab.client.sync();
        tab.net.inject({ status: 503 });
        await tab.client.clearAll();
        await tab.client.drain({ force: true }); // answered 503: the clear waits
        const fresh = uniqueId('fresh');
        await tab.client.saveJob(job(fresh, 'saved after the clear'));
        await tab.client.sync();
        expect(await serverText(old)).toBeNull();
        expect(await serverText(fresh)).toBe('saved after the clear');
        expect(await listed(tab)).toEqual([`${fresh}:saved after the clear`]);
      });

      it('keeps an edit made after the `at` of a plain API delete answered offline by the worker', async () => {
        const clock = { now: Date.now() };
        const tab = tabOn(createDevice(harness.server.origin), clock);
        const id = uniqueId('edited-after-at');
        await tab.client.saveJob(job(id, 'before'));
        await tab.client.sync();
        const at = clock.now;
        clock.now += 10;
        tab.net.offline = true;
        await tab.client.saveJob(job(id, 'edited after at'));
        // What the worker does with DELETE /api/veo/jobs/:id?at=… while offline.
        await tab.client.deleteJob(id, { at });
        tab.net.offline = false;
        await tab.client.sync();
        expect(await serverText(id)).toBe('edited after at');
        expect(await listed(tab)).toContain(`${id}:edited after at`);
      });

      it('keeps an edit made after the `before` of a plain API clear answered offline by the worker', async () => {
        const clock = { now: Date.now() };
        const tab = tabOn(createDevice(harness.server.origin), clock);
        const kept = uniqueId('kept');
        const cleared = uniqueId('cleared');
        await tab.client.saveJob(job(kept, 'v1'));
        await tab.client.saveJob(job(cleared, 'v1'));
        await tab.client.sync();
        const before = clock.now;
        clock.now += 10;
        tab.net.offline = true;
        await tab.client.saveJob(job(kept, 'edited after before'));
        await tab.client.clearAll({ before });
        tab.net.offline = false;
        await tab.client.sync();
        expect(await serverText(cleared)).toBeNull();
        expect(await serverText(kept)).toBe('edited after before');
      });
    });

    describe('resurrections', () => {
      /** A tab whose job downloads wait until the test lets them through. */
      function tabWithGatedDownloads() {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const device = createDevice(harness.server.origin);
        const tab = device.openTab({
          delegateDrain: () => Promise.resolve(true),
          fetch: async (input, init) => {
            const request = new Request(input, init);
            if (
              request.method === 'GET' &&
              /\/api\/veo\/jobs\/.+/.test(new URL(request.url).pathname)
            )
              await gate;
            return fetch(request);
          },
        });
        harness.track(tab);
        return { tab, release };
      }

      it('does not bring back a job deleted on this device when a download of it finishes late', async () => {
        const writer = tabOn();
        const id = uniqueId('late-download');
        await writer.client.saveJob(job(id, 'v1'));
        await writer.client.sync();
        const { tab, release } = tabWithGatedDownloads();
        await tab.client.pull();
        const opening = tab.client.readJob(id);
        await tab.client.deleteJob(id);
        release();
        await opening;
        expect(await listed(tab)).not.toContain(`${id}:v1`);
        await tab.client.sync();
        expect(await serverText(id)).toBeNull();
      });

      it('does not bring back a job deleted on another device when a download of it finishes late', async () => {
        const writer = tabOn();
        const id = uniqueId('deleted-elsewhere');
        await writer.client.saveJob(job(id, 'v1'));
        await writer.client.sync();
        const { tab, release } = tabWithGatedDownloads();
        await tab.client.pull();
        const opening = tab.client.readJob(id);
        await writer.client.deleteJob(id);
        await writer.client.sync();
        await tab.client.pull(); // the tombstone arrives before the download
        release();
        await opening;
        expect((await tab.client.listJobs()).map((j) => j.jobId)).not.toContain(id);
      });

      it('removes on the server a job deleted and then cleared, offline', async () => {
        const tab = tabOn();
        const a = uniqueId('deleted-then-cleared');
        const b = uniqueId('cleared');
        await tab.client.saveJob(job(a, 'a'));
        await tab.client.saveJob(job(b, 'b'));
        await tab.client.sync();
        tab.net.offline = true;
        await tab.client.deleteJob(a);
        await tab.client.clearAll();
        tab.net.offline = false;
        await tab.client.sync();
        expect(await serverText(a)).toBeNull();
        expect(await serverText(b)).toBeNull();
      });

      it('clears the newest job even when its version is from the very millisecond of the clear', async () => {
        const clock = { now: Date.now() };
        const tab = tabOn(createDevice(harness.server.origin), clock);
        const id = uniqueId('same-ms');
        await tab.client.saveJob(job(id, 'saved this millisecond'));
        await tab.client.clearAll(); // same clock reading as the save
        await tab.client.sync();
        expect(await serverText(id)).toBeNull();
        expect(await listed(tab)).toEqual([]);
      });

      it('keeps a cleared job cleared when its save reaches the server after the clear', async () => {
        const device = createDevice(harness.server.origin);
        const tab = tabOn(device);
        const id = uniqueId('slow-save');
        await tab.client.saveJob(job(id, 'v1'));
        const version = (await tab.client.listJobs())[0]?.version;
        const db = await openVeoDb(device.indexedDB);
        const [op] = await db.getAll('outbox');
        db.close();
        // The save's request is on a slow link; meanwhile the user clears, and the clear arrives.
        await tab.client.clearAll();
        await tab.client.sync();
        // Then the slow save arrives.
        const late = await fetch(`${harness.server.origin}/api/veo/jobs/${id}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'idempotency-key': op!.opId },
          body: JSON.stringify({
            jobId: id,
            videoId: 'v1',
            createdAt: new Date().toISOString(),
            updatedAt: Date.now(),
            version,
            data: { scenes: [{ prompt: 'v1' }] },
          }),
        });
        expect(late.status).toBe(200);
        expect(((await late.json()) as { applied: boolean }).applied).toBe(false);
        expect(await serverText(id)).toBeNull();
        await tab.client.sync();
        expect(await listed(tab)).toEqual([]);
      });
    });

    describe('divergence', () => {
      it('brings two devices that saved one job in the same millisecond to the same version', async () => {
        const clock = { now: Date.now() };
        const phone = tabOn(createDevice(harness.server.origin), clock);
        const laptop = tabOn(createDevice(harness.server.origin), clock);
        const id = uniqueId('same-ms-two-devices');
        await phone.client.saveJob(job(id, 'from the phone'));
        await laptop.client.saveJob(job(id, 'from the laptop'));
        await phone.client.sync();
        await laptop.client.sync();
        await phone.client.sync();
        const versions = async (tab: Tab) =>
          (await tab.client.listJobs()).map((j) => [j.jobId, j.videoId, j.version]);
        expect(await versions(phone)).toEqual(await versions(laptop));
        expect(await versions(phone)).toHaveLength(1);
        const onServer = await serverText(id);
        expect((await listed(phone))[0]).toBe(`${id}:${onServer}`);
      });
    });
  },
);
