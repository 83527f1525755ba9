import { runInThisContext } from 'node:vm';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_NAME, openVeoDb } from '@/lib/client/db';
import { earlyListScript, takeEarlyRead } from '@/lib/client/early-list';
import { listItems, readListRecords, saveJobLocally } from '@/lib/client/replica';
import { createSyncClient } from '@/lib/client/sync-client';
import { plainJob } from '../support/job-fixture';

const T0 = 1_800_000_000_000;

/** Runs the page's inline script as the browser would: its source text, on the global IndexedDB. */
function runInlineScript(): void {
  runInThisContext(earlyListScript());
}

/**
 * The history page's early read (lib/client/early-list.ts): the inline script reads what the
 * list is made of before the app's code loads; the app takes over its connection.
 */
describe('the early read of the history', () => {
  let original: IDBFactory;
  let factory: IDBFactory;
  beforeEach(() => {
    original = globalThis.indexedDB;
    factory = new IDBFactory();
    globalThis.indexedDB = factory;
  });
  afterEach(() => {
    globalThis.indexedDB = original;
  });

  it('reads exactly what the app reads, and the app takes over its connection', async () => {
    const db = await openVeoDb(factory);
    await saveJobLocally(db, plainJob('older', T0, { scenes: [] }), 'op-1', T0);
    await saveJobLocally(db, plainJob('newer', T0 + 5, { scenes: [] }), 'op-2', T0 + 5);
    const expected = listItems(await readListRecords(db), T0 + 10);
    db.close();

    runInlineScript();
    const early = await takeEarlyRead();
    expect(early?.records).toBeDefined();
    expect(listItems(early!.records!, T0 + 10)).toEqual(expected);
    expect(expected.map((job) => job.jobId)).toEqual(['newer', 'older']);
    // Taken once.
    expect(takeEarlyRead()).toBeUndefined();

    // The sync client uses that connection: no second open.
    let opened = 0;
    const counting = new Proxy(factory, {
      get: (target, key) =>
        key === 'open'
          ? (...args: Parameters<IDBFactory['open']>) => (opened++, target.open(...args))
          : (Reflect.get(target, key) as unknown),
    });
    const client = createSyncClient({
      indexedDB: counting,
      connection: Promise.resolve(early!.connection),
      fetch: () => Promise.reject(new Error('offline')),
      environment: {
        isOnline: () => false,
        isVisible: () => true,
        onOnlineChange: () => () => undefined,
        onVisible: () => () => undefined,
      },
    });
    expect((await client.listJobs()).map((job) => job.jobId)).toEqual(['newer', 'older']);
    expect(opened).toBe(0);
    await client.close();
  });

  it('leaves a database that does not exist yet to the app: nothing is created', async () => {
    runInlineScript();
    expect(await takeEarlyRead()).toBeUndefined();
    expect((await factory.databases()).map((d) => d.name)).not.toContain(DB_NAME);
  });

  it('leaves an older database to the app to upgrade: it stays at its version, untouched', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = factory.open(DB_NAME, 1);
      request.onupgradeneeded = () =>
        request.result.createObjectStore('jobs', { keyPath: 'jobId' });
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error ?? new Error('the database did not open'));
    });
    runInlineScript();
    expect(await takeEarlyRead()).toBeUndefined();
    expect((await factory.databases()).find((d) => d.name === DB_NAME)?.version).toBe(1);
  });

  it('gives its connection up when a newer version of the app asks for the database', async () => {
    (await openVeoDb(factory)).close();
    runInlineScript();
    const early = await takeEarlyRead();
    expect(early?.closed).toBe(false);
    const upgrade = factory.open(DB_NAME, 99);
    await new Promise((resolve) => (upgrade.onsuccess = resolve));
    expect(early?.closed).toBe(true);
    upgrade.result.close();
  });
});
