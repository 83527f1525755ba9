import { afterEach, describe, expect, it, vi } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import { platformLocks } from '@/lib/client/locks';
import { requestPersistentStorage } from '@/lib/client/persistence';
import { delegateDrainToServiceWorker } from '@/lib/veo/service-worker';
import { createDevice } from '../../support/device';
import { useJobsApiServer } from '../../support/jobs-api-harness';

/**
 * What the engines this app runs in may lack (docs/client.md, "Browsers"), each with the
 * fallback that stands in: no CompressionStream, no Web Locks, no Background Sync, no
 * StorageManager. Firefox and WebKit run the real thing end to end (tests/e2e/engines.e2e.ts).
 */
describe('platform gaps', () => {
  const harness = useJobsApiServer();
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('uploads a job as plain JSON where there is no CompressionStream, and the server stores it', async () => {
    vi.stubGlobal('CompressionStream', undefined);
    const device = createDevice(harness.server.origin);
    const tab = harness.track(device.openTab({ delegateDrain: () => Promise.resolve(true) }));
    const id = harness.uniqueId('no-compression');
    const saved = await tab.client.saveJob({ jobId: id, data: { scenes: [{ prompt: 'plain' }] } });
    expect((await tab.client.drain()).sent).toBe(1);

    const put = tab.net.requests.find((r) => r.method === 'PUT');
    expect(put?.headers['content-encoding'] ?? 'identity').toBe('identity');
    expect(put?.headers['content-type']).toMatch(/application\/json/);
    expect((await harness.server.store.getJob(id))?.info.version).toBe(saved.version);
    // Nothing compressed to keep: the device holds the JSON it saved.
    const db = await openVeoDb(device.indexedDB);
    expect((await db.get('jobData', id))?.encoding).toBe('job-json');
    db.close();
  });

  it('keeps one drain at a time in a context without Web Locks (Safari before 15.4)', async () => {
    vi.stubGlobal('navigator', {});
    const locks = platformLocks();
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = locks.request('veo-sync-outbox', {}, async () => {
      order.push('first in');
      await held;
      order.push('first out');
    });
    const second = locks.request('veo-sync-outbox', {}, () => {
      order.push('second in');
      return Promise.resolve();
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['first in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);

    const native = { request: vi.fn() };
    vi.stubGlobal('navigator', { locks: native });
    expect(platformLocks()).toBe(native);
  });

  it('asks the worker to drain by message where there is no Background Sync (Firefox, Safari)', async () => {
    const messages: unknown[] = [];
    const registration = {}; // no `sync`
    vi.stubGlobal('navigator', {
      serviceWorker: {
        controller: { postMessage: (message: unknown) => messages.push(message) },
        ready: Promise.resolve(registration),
      },
    });
    expect(await delegateDrainToServiceWorker()).toBe(true);
    expect(messages).toEqual([{ type: 'veo-drain' }]);
  });

  it('asks for persistent storage where the browser can, and carries on where it cannot', async () => {
    expect(await requestPersistentStorage(undefined)).toBe('unsupported');
    expect(await requestPersistentStorage({})).toBe('unsupported');
    const refusing = {
      persisted: vi.fn(() => Promise.resolve(false)),
      persist: vi.fn(() => Promise.resolve(false)),
    };
    expect(await requestPersistentStorage(refusing)).toBe('refused');
    const already = {
      persisted: () => Promise.resolve(true),
      persist: vi.fn(() => Promise.resolve(true)),
    };
    expect(await requestPersistentStorage(already)).toBe('persisted');
    expect(already.persist).not.toHaveBeenCalled();
    const granting = {
      persisted: () => Promise.resolve(false),
      persist: () => Promise.resolve(true),
    };
    expect(await requestPersistentStorage(granting)).toBe('granted');
  });
});
