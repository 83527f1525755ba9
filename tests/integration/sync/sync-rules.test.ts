import { describe, expect, it, vi } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import type { Tab } from '../../support/device';
import { createDevice } from '../../support/device';
import { useJobsApiServer } from '../../support/jobs-api-harness';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import type { JobWrite } from '@/lib/client/sync-client';
import { simulateQuota } from '../../support/quota';
import { STORED_CLASS, storedBytesOf } from '../../support/blobless-indexeddb';
import { dataSize } from '@/lib/client/stored-data';

/**
 * One test (or a few) per sync rule of DESIGN.md, each named after its rule, against the real
 * route handlers on Miniflare's D1 behind a loopback server, with a fault-injecting fetch.
 */
describe('sync rules', () => {
  const harness = useJobsApiServer();
  const { uniqueId } = harness;

  /** A tab that drains only when the test says so (the write path still enqueues). */
  /** A tab whose drains the test runs by hand: nothing drains it behind the test's back. */
  function manualTab(device = createDevice(harness.server.origin)): Tab {
    const tab = device.openTab({
      delegateDrain: () => Promise.resolve(true),
      // Retries after a failure come within 100 ms: the test decides when they happen.
      timers: { setTimeout: () => undefined, clearTimeout: () => undefined },
    });
    return harness.track(tab);
  }

  const job = (jobId: string, extra: Partial<JobWrite> = {}): JobWrite => ({
    jobId,
    sceneCount: 1,
    data: { scenes: [{ prompt: `prompt of ${jobId}` }], characters: [], script: 'script' },
    ...extra,
  });

  /** A realistic job as the pipeline would hand it over: times are the save's to stamp. */
  function sampleWrite(jobId: string, sceneCount: number, seed: number): JobWrite {
    return generateSampleJobInput({ jobId, sceneCount, seed });
  }

  async function serverJob(jobId: string) {
    const stored = await harness.server.store.getJob(jobId);
    return stored;
  }

  describe('rule 1: a write is durable when the promise resolves, online or not', () => {
    it('saves the job and its outbox op in IndexedDB while offline, visible to another tab', async () => {
      const device = createDevice(harness.server.origin);
      const tab = manualTab(device);
      tab.net.offline = true;
      const id = uniqueId('durable');
      await tab.client.saveJob(job(id));

      const raw = await openVeoDb(device.indexedDB);
      const [record, data, ops] = await Promise.all([
        raw.get('jobs', id),
        raw.get('jobData', id),
        raw.getAll('outbox'),
      ]);
      raw.close();
      expect(record?.info?.jobId).toBe(id);
      expect(storedBytesOf(data)).toBeInstanceOf(STORED_CLASS);
      expect(ops.map((o) => [o.kind, o.jobId])).toEqual([['upsert', id]]);

      const other = manualTab(device);
      const list = await other.client.listJobs();
      expect(list.map((j) => [j.jobId, j.syncState])).toEqual([[id, 'pending']]);
      const read = await other.client.readJob(id);
      expect(read.status === 'found' && read.job.data).toEqual(job(id).data);
    });

    it('refuses an invalid job with the reasons and writes nothing', async () => {
      const device = createDevice(harness.server.origin);
      const tab = manualTab(device);
      await expect(tab.client.saveJob({ jobId: 'bad id', data: {} })).rejects.toThrow(/jobId/);
      await expect(tab.client.saveJob({ ...job('x'), sceneCount: -1 })).rejects.toThrow(
        /sceneCount/,
      );
      expect(await tab.client.listJobs()).toEqual([]);
      const raw = await openVeoDb(device.indexedDB);
      expect(await raw.count('outbox')).toBe(0);
      raw.close();
    });
  });

  describe('rule 2: every acknowledged write takes effect exactly once', () => {
    it('replays a write whose connection dropped after the server applied it, as a no-op', async () => {
      const tab = manualTab();
      const id = uniqueId('dropped');
      await tab.client.saveJob(job(id));
      tab.net.inject('drop-after-apply');
      const first = await tab.client.drain();
      expect(first.stopped?.kind).toBe('retryable');
      const applied = await serverJob(id);
      expect(applied).not.toBeNull();
      const { cursor } = await harness.server.store.listJobs();

      const second = await tab.client.drain({ force: true });
      expect(second.sent).toBe(1);
      const puts = tab.net.requests.filter((r) => r.method === 'PUT');
      expect(puts).toHaveLength(2);
      expect(puts[0]?.headers['idempotency-key']).toBe(puts[1]?.headers['idempotency-key']);
      // The replay changed nothing on the server: no new change after the cursor.
      const changes = await harness.server.store.listChanges(cursor);
      expect(changes.jobs).toEqual([]);
      expect((await tab.client.listJobs())[0]?.syncState).toBe('synced');
    });

    it('replays safely when the drain is interrupted between the server’s 2xx and the local removal', async () => {
      const device = createDevice(harness.server.origin);
      const tab = manualTab(device);
      const id = uniqueId('interrupted');
      await tab.client.saveJob(job(id));
      // The server answers 2xx, but the context dies before it can remove the op: the answer is
      // lost exactly as if the connection had dropped.
      tab.net.inject('drop-after-apply');
      await tab.client.drain();
      await tab.client.close();

      const restarted = manualTab(device);
      expect((await restarted.client.refreshStatus()).pending).toBe(1);
      const result = await restarted.client.drain({ force: true });
      expect(result.sent).toBe(1);
      expect((await restarted.client.refreshStatus()).pending).toBe(0);
      const list = await harness.server.store.listJobs();
      expect(list.jobs.filter((j) => j.jobId === id)).toHaveLength(1);
    });
  });

  describe('rule 3: deletes are tombstones', () => {
    it('keeps a job deleted on one device deleted when another replays an older edit of it', async () => {
      const a = manualTab();
      const b = manualTab();
      const id = uniqueId('tomb');
      await a.client.saveJob(job(id));
      await a.client.drain();
      await b.client.pull();
      await b.client.saveJob(job(id, { videoId: 'edited' }));
      await b.client.drain();
      const listed = (await b.client.listJobs()).find((j) => j.jobId === id);
      expect(listed).toBeDefined();
      const {
        syncState: _s,
        availableOffline: _a,
        onDevice: _o,
        storedBytes: _b,
        ...edited
      } = listed!;
      // A has seen B's edit when it deletes: the delete covers it.
      await a.client.pull();
      await a.client.deleteJob(id);
      await a.client.drain();
      // B's edit arrives again (a retry that was still on the way): it loses to the delete.
      const replay = await fetch(`${harness.server.origin}/api/veo/jobs/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'idempotency-key': uniqueId('replay') },
        body: JSON.stringify({ ...job(id, { videoId: 'edited' }), ...edited, data: {} }),
      });
      expect(((await replay.json()) as { applied: boolean }).applied).toBe(false);
      await b.client.sync();
      expect(await harness.server.store.getJob(id)).toBeNull();
      expect((await b.client.listJobs()).map((j) => j.jobId)).not.toContain(id);
    });

    it('clears only what existed when the user cleared', async () => {
      const a = manualTab();
      const b = manualTab();
      const before = uniqueId('before-clear');
      await a.client.saveJob(job(before));
      await a.client.drain();
      await a.client.clearAll();
      await new Promise((r) => setTimeout(r, 5));
      const after = uniqueId('after-clear');
      await b.client.saveJob(job(after));
      await b.client.drain();
      await a.client.sync();
      const names = (await a.client.listJobs()).map((j) => j.jobId);
      expect(names).toContain(after);
      expect(names).not.toContain(before);
    });
  });

  describe('rule 3, with clocks that disagree', () => {
    it('deletes a job whose version is ahead of this device’s clock (another device’s fast clock)', async () => {
      const a = manualTab();
      const b = manualTab();
      const id = uniqueId('fast-clock');
      const ahead = Date.now() + 60_000;
      // A device whose clock runs a minute fast wrote the job.
      await a.client.importJobs([
        {
          ...generateSampleJobInput({ jobId: id, sceneCount: 1, seed: 1 }),
          createdAt: new Date(ahead).toISOString(),
          updatedAt: ahead,
          expiresAt: ahead + 86_400_000,
        },
      ]);
      await a.client.drain();
      await b.client.pull();
      await b.client.deleteJob(id);
      const result = await b.client.drain();
      expect(result.sent).toBe(1);
      expect(await harness.server.store.getJob(id)).toBeNull();
      await b.client.pull();
      expect((await b.client.listJobs()).map((j) => j.jobId)).not.toContain(id);
    });

    it('keeps a save whose input carries an expiry from an older copy of the job', async () => {
      const tab = manualTab();
      const id = uniqueId('stale-expiry');
      await tab.client.saveJob({ ...job(id), expiresAt: Date.now() - 1000 });
      expect((await tab.client.listJobs()).map((j) => j.jobId)).toContain(id);
      await tab.client.drain();
      expect(await harness.server.store.getJob(id)).not.toBeNull();
    });
  });

  describe('rule 5, discarding a refused write', () => {
    it('returns the job to the version the server has', async () => {
      const tab = manualTab();
      const id = uniqueId('discard-to-server');
      await tab.client.saveJob(job(id, { videoId: 'v1 on the server' }));
      await tab.client.drain();
      await tab.client.saveJob(job(id, { videoId: 'v2 refused' }));
      tab.net.inject({
        status: 400,
        body: { error: { code: 'validation_failed', message: 'refused' } },
      });
      await tab.client.drain();
      const letter = (await tab.client.refreshStatus()).deadLetters[0]!;
      await tab.client.discardDeadLetter(letter.opId);
      await vi.waitFor(async () => {
        expect((await tab.client.listJobs()).find((j) => j.jobId === id)).toMatchObject({
          videoId: 'v1 on the server',
          syncState: 'synced',
        });
      });
      const read = await tab.client.readJob(id);
      expect(read.status === 'found' && read.job.videoId).toBe('v1 on the server');
    });
  });

  describe('rule 4: offline edits of one job become one request; a delete supersedes', () => {
    it('sends 50 offline edits of a job as one gzip PUT', async () => {
      const tab = manualTab();
      const id = uniqueId('coalesce');
      const sample = sampleWrite(id, 40, 3);
      for (let i = 0; i < 50; i++) {
        await tab.client.saveJob({ ...sample, videoId: `edit-${i}` });
      }
      expect((await tab.client.refreshStatus()).pending).toBe(1);
      await tab.client.drain();
      const puts = tab.net.requests.filter((r) => r.method === 'PUT');
      expect(puts).toHaveLength(1);
      expect(puts[0]?.headers['content-encoding']).toBe('gzip');
      const rawBytes = new Blob([JSON.stringify(sample)]).size;
      expect(puts[0]!.bodyBytes).toBeLessThan(rawBytes / 3);
      const stored = await tab.client.listJobs();
      expect(stored[0]?.videoId).toBe('edit-49');
    });

    it('sends only the delete for a job edited and then deleted offline', async () => {
      const tab = manualTab();
      const id = uniqueId('edit-then-delete');
      await tab.client.saveJob(job(id));
      await tab.client.saveJob(job(id, { videoId: 'v2' }));
      await tab.client.deleteJob(id);
      await tab.client.drain();
      expect(tab.net.requests.map((r) => r.method)).toEqual(['DELETE']);
      expect((await tab.client.refreshStatus()).pending).toBe(0);
    });
  });

  describe('rule 5: an op leaves the outbox only after a 2xx', () => {
    it.each([
      ['offline', 'offline' as const],
      ['500', { status: 500 }],
      ['503 with Retry-After', { status: 503, retryAfter: '120' }],
      ['429', { status: 429, retryAfter: '7' }],
    ])('keeps the op with backoff on %s, and sends it later', async (_name, fault) => {
      const t0 = Date.now();
      const tab = manualTab();
      const id = uniqueId('retry');
      await tab.client.saveJob(job(id));
      tab.net.inject(fault);
      const result = await tab.client.drain();
      expect(result.sent).toBe(0);
      expect(result.stopped?.kind).toBe('retryable');
      expect(result.nextAttemptAt).toBeGreaterThan(t0);
      if (typeof fault === 'object' && 'retryAfter' in fault) {
        expect(result.nextAttemptAt! - Date.now()).toBeGreaterThanOrEqual(
          Number(fault.retryAfter) * 1000 - 1000,
        );
      }
      const status = await tab.client.refreshStatus();
      expect(status.pending).toBe(1);
      expect(status.lastError).not.toBeNull();
      // Not due yet: an ordinary drain leaves it; a forced one (network back) sends it.
      expect((await tab.client.drain()).sent).toBe(0);
      expect((await tab.client.drain({ force: true })).sent).toBe(1);
      expect(await serverJob(id)).not.toBeNull();
    });

    it('times out a hanging request after the request timeout and keeps the op', async () => {
      const device = createDevice(harness.server.origin);
      const tab = device.openTab({
        delegateDrain: () => Promise.resolve(true),
        requestTimeoutMs: 100,
      });
      harness.track(tab);
      const id = uniqueId('hang');
      await tab.client.saveJob(job(id));
      tab.net.inject('hang');
      const result = await tab.client.drain();
      expect(result.stopped).toMatchObject({ kind: 'retryable', reason: 'timeout' });
      expect((await tab.client.refreshStatus()).pending).toBe(1);
    });

    it('grows the backoff exponentially with each failure', async () => {
      // The device's clock stands still, so the delays are exact whatever the machine's load.
      const now = Date.now();
      const tab = harness.track(
        createDevice(harness.server.origin).openTab({
          delegateDrain: () => Promise.resolve(true),
          now: () => now,
        }),
      );
      await tab.client.saveJob(job(uniqueId('backoff')));
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        tab.net.inject({ status: 500 });
        const result = await tab.client.drain({ force: true });
        delays.push(result.nextAttemptAt! - now);
      }
      // random() is 0.5: half of 100, 200, 400, 800 ms.
      expect(delays).toEqual([50, 100, 200, 400]);
    });

    it('keeps the op on 401 and says that sign-in is needed', async () => {
      const tab = manualTab();
      await tab.client.saveJob(job(uniqueId('auth')));
      tab.net.inject({ status: 401 });
      const result = await tab.client.drain();
      expect(result.stopped?.kind).toBe('auth');
      const status = await tab.client.refreshStatus();
      expect(status).toMatchObject({ pending: 1, authRequired: true });
      expect((await tab.client.drain({ force: true })).sent).toBe(1);
      expect((await tab.client.refreshStatus()).authRequired).toBe(false);
    });

    it('moves an op refused with 400 to the dead letters, with the server’s reason, to retry or discard', async () => {
      const tab = manualTab();
      const id = uniqueId('dead');
      await tab.client.saveJob(job(id));
      tab.net.inject({
        status: 400,
        body: { error: { code: 'validation_failed', message: 'sceneCount is wrong' } },
      });
      const result = await tab.client.drain();
      expect(result.deadLettered).toBe(1);
      let status = await tab.client.refreshStatus();
      expect(status.pending).toBe(0);
      expect(status.deadLetters).toMatchObject([
        { jobId: id, kind: 'upsert', status: 400, message: 'sceneCount is wrong' },
      ]);
      expect((await tab.client.listJobs())[0]).toMatchObject({
        syncState: 'failed',
        syncError: 'sceneCount is wrong',
      });

      await tab.client.retryDeadLetter(status.deadLetters[0]!.opId);
      expect((await tab.client.drain()).sent).toBe(1);
      expect(await serverJob(id)).not.toBeNull();

      const other = uniqueId('discard');
      await tab.client.saveJob(job(other));
      tab.net.inject({ status: 422 });
      await tab.client.drain();
      status = await tab.client.refreshStatus();
      await tab.client.discardDeadLetter(status.deadLetters[0]!.opId);
      await vi.waitFor(async () => {
        expect((await tab.client.listJobs()).map((j) => j.jobId)).not.toContain(other);
      });
      expect((await tab.client.refreshStatus()).deadLetters).toEqual([]);
    });
  });

  describe('rule 6: reads never wait on the network', () => {
    it('lists and opens jobs from the device while every request hangs', async () => {
      const device = createDevice(harness.server.origin);
      const writer = manualTab(device);
      const id = uniqueId('read');
      await writer.client.saveJob(job(id));
      const reader = manualTab(device);
      for (let i = 0; i < 5; i++) reader.net.inject('hang');
      void reader.client.pull().catch(() => undefined);
      const list = await reader.client.listJobs();
      expect(list.map((j) => j.jobId)).toEqual([id]);
      const read = await reader.client.readJob(id);
      expect(read.status).toBe('found');
    });

    it('fetches a job whose data is not on the device, stores it, and says so at once when offline', async () => {
      const a = manualTab();
      const id = uniqueId('lazy');
      await a.client.saveJob(job(id));
      await a.client.drain();
      const b = manualTab();
      await b.client.pull();
      expect((await b.client.listJobs())[0]).toMatchObject({ jobId: id, availableOffline: false });
      b.env.setOnline(false);
      expect(await b.client.readJob(id)).toMatchObject({ status: 'unavailable' });
      expect(b.net.requests.filter((r) => r.url.endsWith(id))).toHaveLength(0);
      b.env.setOnline(true);
      const fetched = await b.client.readJob(id);
      expect(fetched.status === 'found' && fetched.job.data).toEqual(job(id).data);
      b.env.setOnline(false);
      expect((await b.client.readJob(id)).status).toBe('found');
      expect((await b.client.listJobs())[0]?.availableOffline).toBe(true);
    });

    it('never overwrites a job with a pending local write when pulling', async () => {
      const a = manualTab();
      const b = manualTab();
      const id = uniqueId('pending-pull');
      await a.client.saveJob(job(id, { videoId: 'from a' }));
      await a.client.drain();
      await b.client.saveJob(job(id, { videoId: 'from b, not sent yet' }));
      await b.client.pull();
      expect((await b.client.listJobs()).find((j) => j.jobId === id)?.videoId).toBe(
        'from b, not sent yet',
      );
    });

    it('pulls on start, when the network returns, when the page is shown, and on an interval', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const tab = createDevice(harness.server.origin).openTab({ pullIntervalMs: 60_000 });
        harness.track(tab);
        const pulls = () =>
          tab.net.requests.filter(
            (r) =>
              r.method === 'GET' && r.url.includes('/api/veo/jobs') && !/jobs\/[^?]/.test(r.url),
          ).length;
        const stop = tab.client.start();
        await vi.waitFor(() => expect(pulls()).toBe(1));
        tab.env.setOnline(false);
        tab.env.setOnline(true);
        await vi.waitFor(() => expect(pulls()).toBe(2));
        tab.env.show();
        await vi.waitFor(() => expect(pulls()).toBe(3));
        await vi.advanceTimersByTimeAsync(60_000);
        await vi.waitFor(() => expect(pulls()).toBe(4));
        tab.env.visible = false;
        await vi.advanceTimersByTimeAsync(60_000);
        expect(pulls()).toBe(4);
        stop();
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('rule 7: one replayer at a time', () => {
    it('sends each op once when two tabs drain at the same moment', async () => {
      const device = createDevice(harness.server.origin);
      const one = manualTab(device);
      const two = manualTab(device);
      const ids = [uniqueId('lock'), uniqueId('lock'), uniqueId('lock')];
      for (const id of ids) await one.client.saveJob(job(id));
      const [r1, r2] = await Promise.all([one.client.drain(), two.client.drain()]);
      expect(r1.sent + r2.sent).toBe(3);
      const puts = [...one.net.requests, ...two.net.requests].filter((r) => r.method === 'PUT');
      expect(puts).toHaveLength(3);
    });
  });

  describe('rule 8: every change is announced to every open tab, once', () => {
    it('delivers a local write and a pulled change once to each tab’s listeners', async () => {
      const device = createDevice(harness.server.origin);
      const one = manualTab(device);
      const two = manualTab(device);
      const id = uniqueId('announce');
      await one.client.saveJob(job(id));
      // A save is announced twice: as it begins (the row it will be) and once it has committed.
      const announced = (tab: Tab) =>
        tab.events
          .filter((e) => e.jobIds.includes(id) && e.source === 'local')
          .map((e) => (e.saving ? e.saving.map((item) => item.syncState) : 'committed'));
      await vi.waitFor(() => expect(announced(two)).toEqual([['saving'], 'committed']));
      expect(announced(one)).toEqual([['saving'], 'committed']);

      const elsewhere = manualTab();
      const remote = uniqueId('remote');
      await elsewhere.client.saveJob(job(remote));
      await elsewhere.client.drain();
      await one.client.pull();
      await vi.waitFor(() =>
        expect(two.events.filter((e) => e.jobIds.includes(remote))).toHaveLength(1),
      );
      expect(one.events.filter((e) => e.jobIds.includes(remote))).toHaveLength(1);
    });
  });

  describe('rule 10: storage pressure', () => {
    it('evicts synced data least-recently-used to make room, never unsynced data or metadata', async () => {
      const quota = simulateQuota(1_200_000);
      try {
        const device = createDevice(harness.server.origin);
        const tab = manualTab(device);
        const ids = ['lru-old', 'lru-mid', 'lru-new'].map(uniqueId);
        for (const [i, id] of ids.entries()) {
          await tab.client.saveJob(sampleWrite(id, 20, 10 + i));
          await tab.client.drain();
        }
        await tab.client.readJob(ids[0]!); // the oldest save, but read last: now the most recent
        tab.net.offline = true;
        const unsynced = uniqueId('unsynced');
        await tab.client.saveJob(sampleWrite(unsynced, 60, 20));
        expect(quota.evictions).toBeGreaterThan(0);
        const list = await tab.client.listJobs();
        const offline = Object.fromEntries(list.map((j) => [j.jobId, j.availableOffline]));
        expect(offline[unsynced]).toBe(true);
        expect(offline[ids[1]!]).toBe(false); // least recently used went first
        expect(list.map((j) => j.jobId).sort()).toEqual([...ids, unsynced].sort()); // metadata stays

        // Nothing synced is left to evict: the next save fails whole, with a clear error.
        const tooBig = uniqueId('too-big');
        await expect(tab.client.saveJob(sampleWrite(tooBig, 400, 30))).rejects.toThrow(
          /no room left/,
        );
        expect((await tab.client.listJobs()).map((j) => j.jobId)).not.toContain(tooBig);
        expect((await tab.client.refreshStatus()).pending).toBe(1);
      } finally {
        quota.restore();
      }
    });

    it('sends a save this device has no room for straight to the server, and says this device cannot keep jobs', async () => {
      const quota = simulateQuota(1_000);
      const device = createDevice(harness.server.origin);
      const tab = manualTab(device);
      const id = uniqueId('no-room');
      try {
        const info = await tab.client.saveJob(sampleWrite(id, 20, 40));
        expect((await serverJob(id))?.info.version).toBe(info.version);
        expect((await tab.client.refreshStatus()).storageProblem).toMatch(
          /cannot keep jobs: there is no room left/,
        );
        // Nothing half-written on the device: no job, no op.
        expect(await tab.client.listJobs()).toEqual([]);
        expect((await tab.client.refreshStatus()).pending).toBe(0);

        // Offline as well: nowhere to put it, and the caller is told.
        tab.env.setOnline(false);
        const lost = uniqueId('no-room-offline');
        await expect(tab.client.saveJob(sampleWrite(lost, 20, 41))).rejects.toThrow(
          /not saved: there is no room left on this device, and you are offline/,
        );
        expect(await serverJob(lost)).toBeNull();
      } finally {
        quota.restore();
      }
      // Room again: saves are kept on the device, and the status line says nothing more.
      await tab.client.saveJob(job(uniqueId('room-again')));
      expect((await tab.client.refreshStatus()).storageProblem).toBeNull();
    });

    it('works from the network alone where IndexedDB cannot be opened at all, and says so', async () => {
      const refused = {
        open() {
          throw new DOMException(
            'The user denied permission to access the database.',
            'SecurityError',
          );
        },
      } as unknown as IDBFactory;
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const tab = harness.track(
        createDevice(harness.server.origin).openTab({ indexedDB: refused }),
      );
      const id = uniqueId('no-idb');
      const first = await tab.client.saveJob(job(id));
      const second = await tab.client.saveJob(job(id, { sceneCount: 2 }));
      expect(second.version > first.version).toBe(true);
      expect((await serverJob(id))?.info).toMatchObject({ version: second.version, sceneCount: 2 });
      expect((await tab.client.refreshStatus()).storageProblem).toMatch(
        /does not let the app keep jobs on this device \(SecurityError.*needs the network/,
      );
      // The history and the jobs come from the server, as the original plan had them.
      const listed = (await tab.client.listJobs()).find((j) => j.jobId === id);
      expect(listed).toMatchObject({ sceneCount: 2, onDevice: 'none', availableOffline: false });
      const read = await tab.client.readJob(id);
      expect(read.status === 'found' && read.job.sceneCount).toBe(2);
      await tab.client.deleteJob(id);
      expect(await serverJob(id)).toBeNull();
      // Offline there is nothing to show, and a change cannot be kept for later: said plainly.
      tab.env.setOnline(false);
      tab.net.offline = true;
      expect(await tab.client.readJob(id)).toMatchObject({ status: 'unavailable' });
      await expect(tab.client.deleteJob(id)).rejects.toThrow(
        /not deleted: this device cannot keep changes/,
      );
      expect(await tab.client.drain()).toEqual({ sent: 0, deadLettered: 0 });
      // Said once on the console, however often it is asked.
      expect(warn).toHaveBeenCalledTimes(1);
      warn.mockRestore();
    });

    it('keeps the gzip the drain made instead of the JSON', async () => {
      const device = createDevice(harness.server.origin);
      const tab = manualTab(device);
      const id = uniqueId('gzip');
      const sample = sampleWrite(id, 20, 4);
      await tab.client.saveJob(sample);
      let raw = await openVeoDb(device.indexedDB);
      const before = await raw.get('jobData', id);
      raw.close();
      expect(before?.encoding).toBe('job-json');
      await tab.client.drain();
      raw = await openVeoDb(device.indexedDB);
      const after = await raw.get('jobData', id);
      raw.close();
      expect(after?.encoding).toBe('job-gzip');
      expect(dataSize(after!)).toBeLessThan(dataSize(before!) / 3);
      const read = await tab.client.readJob(id);
      expect(read.status === 'found' && read.job.data).toEqual(sample.data);
    });
  });
});
