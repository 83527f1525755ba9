import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openVeoDb } from '@/lib/client/db';
import { blobToJob } from '@/lib/client/job-blob';
import { readJobLocally, saveJobLocally, storeFetchedData } from '@/lib/client/replica';
import { dataBlob, storesBlobs } from '@/lib/client/stored-data';
import { refuseBlobsInIndexedDB } from '../support/blobless-indexeddb';
import { plainJob } from '../support/job-fixture';

const T0 = 1_800_000_000_000;

/**
 * Job data in the form the engine stores: the probe when a database opens, and the recovery when
 * an engine that took Blobs refuses one later (WebKit, now and then, in normal sessions). The
 * whole sync suite also runs on a Blob-refusing IndexedDB (the `no-blobs` vitest project).
 */
describe('job data stored as Blobs or ArrayBuffers', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('asks the engine once when the database opens, and the probe leaves nothing behind', async () => {
    const factory = new IDBFactory();
    const withBlobs = await openVeoDb(factory);
    expect(storesBlobs(withBlobs)).toBe(true);
    withBlobs.close();

    restore = refuseBlobsInIndexedDB();
    const without = await openVeoDb(factory);
    expect(await without.count('jobData')).toBe(0);
    // The probe runs while reads go on; the first write of job data waits for its answer.
    const info = await saveJobLocally(without, plainJob('j1', T0, { scenes: [] }), 'op-1', T0);
    expect(storesBlobs(without)).toBe(false);
    const stored = await without.get('jobData', 'j1');
    expect(stored?.bytes).toBeInstanceOf(ArrayBuffer);
    expect(stored?.blob).toBeUndefined();
    const read = await readJobLocally(without, 'j1', T0 + 1);
    expect(await blobToJob(dataBlob(read!.data!), read!.data!.encoding)).toMatchObject({
      jobId: 'j1',
      version: info.version,
      data: { scenes: [] },
    });
    without.close();
  });

  it('switches to ArrayBuffers when a put of a Blob fails after the probe said Blobs were fine, and writes once', async () => {
    const db = await openVeoDb(new IDBFactory());
    expect(storesBlobs(db)).toBe(true);
    restore = refuseBlobsInIndexedDB();

    const info = await saveJobLocally(db, plainJob('j2', T0, { n: 1 }), 'op-2', T0);
    expect(storesBlobs(db)).toBe(false);
    const stored = await db.get('jobData', 'j2');
    expect(stored?.bytes).toBeInstanceOf(ArrayBuffer);
    expect(stored?.version).toBe(info.version);
    // The failed attempt was rolled back whole: one op, one version issued.
    expect((await db.getAll('outbox')).map((op) => [op.opId, op.version])).toEqual([
      ['op-2', info.version],
    ]);

    // A download is stored the same way.
    const fetched = { ...info, jobId: 'j3' };
    const body = new Blob([JSON.stringify({ job: { ...fetched, data: { n: 3 } } })]);
    expect(await storeFetchedData(db, fetched, body, T0, 'document-json')).toBe(true);
    expect((await db.get('jobData', 'j3'))?.bytes).toBeInstanceOf(ArrayBuffer);
    db.close();
  });

  it('reads a job stored as a Blob even when the engine now refuses to store one', async () => {
    const db = await openVeoDb(new IDBFactory());
    await saveJobLocally(db, plainJob('j4', T0, { n: 4 }), 'op-4', T0);
    expect((await db.get('jobData', 'j4'))?.blob).toBeInstanceOf(Blob);
    restore = refuseBlobsInIndexedDB();
    // Marking it recently used would store the Blob again, which fails; the read does not.
    const read = await readJobLocally(db, 'j4', T0 + 5);
    expect(await blobToJob(dataBlob(read!.data!), 'job-json')).toMatchObject({ data: { n: 4 } });
    db.close();
  });
});
