import { gunzipSync, gzipSync } from 'node:zlib';
import { IDBFactory } from 'fake-indexeddb';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_VERSION, openVeoDb } from '@/lib/client/db';
import { bindingExecutor } from '@/lib/server/d1/binding';
import { applyMigrations, readMigrations } from '@/lib/server/d1/migrations';
import { toBase64Chunks } from '@/lib/server/job-document';
import { createJobStore } from '@/lib/server/job-store';
import { jobResponseSchema } from '@/lib/shared/api-types';
import { formatVersion, lastVersionAt } from '@/lib/shared/version';
import { createDevice } from '../support/device';
import { plainJob } from '../support/job-fixture';
import { startJobsApiServer, type JobsApiServer } from '../support/jobs-api-server';

const T0 = 1_800_000_000_000;

/**
 * Data written by the version before causal versions keeps working after the upgrade: D1 rows
 * (jobs, their chunks, tombstones) through migration 0004, and a device's IndexedDB (jobs, data,
 * outbox ops) through database version 2.
 */
/** The stores and indexes of database versions 1 and 2, made by hand as those versions did. */
function createStores(db: IDBDatabase): void {
  db.createObjectStore('jobs', { keyPath: 'jobId' }).createIndex('by-updatedAt', 'info.updatedAt');
  db.createObjectStore('jobData', { keyPath: 'jobId' }).createIndex('by-lastUsedAt', 'lastUsedAt');
  const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
  outbox.createIndex('by-jobId', 'jobId');
  outbox.createIndex('by-opId', 'opId', { unique: true });
  db.createObjectStore('deadLetters', { keyPath: 'opId' }).createIndex('by-jobId', 'op.jobId');
  db.createObjectStore('meta');
}

describe('migrations carry existing data over', () => {
  describe('D1: migration 0004 on rows the previous store wrote', () => {
    let mf: Miniflare;
    beforeAll(() => {
      mf = new Miniflare({
        modules: true,
        script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
        d1Databases: ['DB'],
      });
    });
    afterAll(async () => {
      await mf.dispose();
    });

    it('keeps live jobs readable with a version, and old tombstones still winning over older writes', async () => {
      const executor = bindingExecutor(await mf.getD1Database('DB'));
      const all = await readMigrations();
      await applyMigrations(
        executor,
        all.filter((m) => m.name < '0004'),
      );
      // As the previous store wrote them: a live job with its chunked document, a tombstone.
      const info = {
        jobId: 'old-live',
        videoId: 'v',
        videoUrl: '',
        sceneCount: 1,
        charactersFound: 0,
        mode: 'hybrid',
        voice: 'no-voice',
        status: 'completed' as const,
        hasScript: false,
        createdAt: new Date(T0).toISOString(),
        updatedAt: T0,
        error: null,
        expiresAt: T0 + 86_400_000,
      };
      const document = gzipSync(
        JSON.stringify({ job: { ...info, data: { scenes: [{ prompt: 'kept' }] } } }),
      );
      const chunks = toBase64Chunks(document);
      await executor.batch([
        {
          sql: `INSERT INTO veo_jobs (job_id, op_id, video_id, created_at, updated_at, expires_at,
              data_chunks, seq) VALUES ('old-live', 'op-old', 'v', ?1, ?2, ?3, ?4, 1)`,
          params: [info.createdAt, T0, info.expiresAt, chunks.length],
        },
        ...chunks.map((chunk, i) => ({
          sql: 'INSERT INTO veo_job_chunks (job_id, chunk, data_base64) VALUES (?1, ?2, ?3)',
          params: ['old-live', i, chunk],
        })),
        {
          sql: `INSERT INTO veo_jobs (job_id, op_id, created_at, updated_at, expires_at, deleted_at, seq)
            VALUES ('old-deleted', 'op-del', ?1, ?2, ?3, ?2, 1)`,
          params: [info.createdAt, T0 + 10, T0 + 86_400_000],
        },
      ]);
      expect(await applyMigrations(executor, all)).toEqual([
        '0004_causal_versions.sql',
        '0005_ops_expiry_index.sql',
        '0006_based_on.sql',
      ]);

      const store = createJobStore(executor, { now: () => T0 + 100 });
      const list = await store.listJobs();
      expect(list.jobs.map((j) => [j.jobId, j.version])).toEqual([
        ['old-live', formatVersion(T0, 0, '0')],
      ]);
      // Its stored document is served with its version, as the client's schema needs.
      const stored = await store.getJob('old-live');
      const served = jobResponseSchema.parse(JSON.parse(gunzipSync(stored!.gzip).toString('utf8')));
      expect(served.job).toMatchObject({
        version: formatVersion(T0, 0, '0'),
        data: { scenes: [{ prompt: 'kept' }] },
      });
      // The old tombstone covered everything up to its millisecond.
      const older = {
        ...info,
        jobId: 'old-deleted',
        updatedAt: T0 + 5,
        version: formatVersion(T0 + 10, 7, 'dev'),
        data: {},
      };
      expect((await store.upsertJob(older, 'op-late')).applied).toBe(false);
      const newer = { ...older, version: formatVersion(T0 + 11, 0, 'dev') };
      expect((await store.upsertJob(newer, 'op-new')).applied).toBe(true);
      // A device's delete of the migrated job works by its version.
      const removed = await store.deleteJob('old-live', formatVersion(T0, 0, '0'), 'op-delete');
      expect(removed).toMatchObject({ applied: true, job: null });
      expect(lastVersionAt(T0 + 10) > formatVersion(T0 + 10, 7, 'dev')).toBe(true);
    });
  });

  describe('IndexedDB: database version 1 opened by version 2', () => {
    let server: JobsApiServer;
    beforeAll(async () => {
      server = await startJobsApiServer();
    });
    afterAll(async () => {
      await server.close();
    });

    /** A device database as version 1 of the app left it: two jobs, one edit and one delete waiting. */
    async function writeVersion1(factory: IDBFactory, now: number): Promise<void> {
      const request = factory.open('veo-sync', 1);
      request.onupgradeneeded = () => createStores(request.result);
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('open failed'));
      });
      // Version 1's list entry: today's fields without a version.
      const info = (jobId: string, updatedAt: number) => {
        const { data: _data, ...fields } = plainJob(jobId, updatedAt);
        return { ...fields, videoId: jobId, expiresAt: updatedAt + 86_400_000 };
      };
      const tx = db.transaction(['jobs', 'jobData', 'outbox', 'meta'], 'readwrite');
      const edited = info('edited-offline', now - 1000);
      tx.objectStore('jobs').put({ jobId: edited.jobId, info: edited, hasData: true });
      tx.objectStore('jobData').put({
        jobId: edited.jobId,
        updatedAt: edited.updatedAt,
        blob: new Blob([JSON.stringify({ ...edited, data: { scenes: [{ prompt: 'from v1' }] } })]),
        encoding: 'job-json',
        lastUsedAt: now,
      });
      const base = { enqueuedAt: now - 500, attempts: 2, nextAttemptAt: now - 100 };
      tx.objectStore('outbox').add({
        kind: 'upsert',
        jobId: edited.jobId,
        updatedAt: edited.updatedAt,
        opId: 'v1-upsert',
        ...base,
      });
      tx.objectStore('outbox').add({
        kind: 'delete',
        jobId: 'deleted-offline',
        at: now - 800,
        opId: 'v1-delete',
        ...base,
      });
      tx.objectStore('meta').put({ deviceId: 'device-from-v1' }, 'sync');
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('write failed'));
      });
      db.close();
    }

    it('version 2 to 3: each job record learns which version of its data is here, and its size', async () => {
      const factory = new IDBFactory();
      const request = factory.open('veo-sync', 2);
      // Versions 1 and 2 have the same stores; they differ in what the records hold.
      request.onupgradeneeded = () => createStores(request.result);
      const raw = await new Promise<IDBDatabase>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('open failed'));
      });
      const now = Date.now();
      const version = formatVersion(now, 0, 'dev');
      const info = (jobId: string) => {
        const { data: _data, ...fields } = plainJob(jobId, now);
        return { ...fields, version, expiresAt: now + 86_400_000 };
      };
      const json = JSON.stringify({ ...info('here'), data: { scenes: [] } });
      const tx = raw.transaction(['jobs', 'jobData'], 'readwrite');
      tx.objectStore('jobs').put({ jobId: 'here', info: info('here'), hasData: true });
      tx.objectStore('jobs').put({ jobId: 'not-here', info: info('not-here'), hasData: false });
      tx.objectStore('jobData').put({
        jobId: 'here',
        version,
        blob: new Blob([json]),
        encoding: 'job-json',
        lastUsedAt: now,
      });
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('write failed'));
      });
      raw.close();

      const db = await openVeoDb(factory);
      const [here, notHere] = await Promise.all([
        db.get('jobs', 'here'),
        db.get('jobs', 'not-here'),
      ]);
      expect(here).toMatchObject({ stored: { version, bytes: json.length } });
      expect(here).not.toHaveProperty('hasData');
      expect(notHere).not.toHaveProperty('stored');
      expect(notHere).not.toHaveProperty('hasData');
      db.close();
    });

    it('keeps the jobs and sends the waiting ops, each once, with versions from their times', async () => {
      const now = Date.now();
      // The server already has the job the device deleted while offline.
      await server.store.upsertJob(
        {
          ...plainJob('deleted-offline', now - 5000),
          sceneCount: 0,
          version: formatVersion(now - 5000, 0, 'another-device'),
        },
        'server-seed',
      );
      const device = createDevice(server.origin);
      await writeVersion1(device.indexedDB, now);
      const tab = device.openTab({ delegateDrain: () => Promise.resolve(true) });
      try {
        const listed = await tab.client.listJobs();
        expect(listed.map((j) => [j.jobId, j.version, j.syncState])).toEqual([
          ['edited-offline', formatVersion(now - 1000, 0, '0'), 'pending'],
        ]);
        const read = await tab.client.readJob('edited-offline');
        expect(read.status === 'found' && read.job.data).toEqual({
          scenes: [{ prompt: 'from v1' }],
        });
        const result = await tab.client.drain({ force: true });
        expect(result).toMatchObject({ sent: 2, deadLettered: 0 });
        const stored = await server.store.getJob('edited-offline');
        expect(stored?.info.version).toBe(formatVersion(now - 1000, 0, '0'));
        expect(await server.store.getJob('deleted-offline')).toBeNull();
        // New writes on the upgraded device come after everything it held.
        const saved = await tab.client.saveJob({ jobId: 'after-upgrade', data: {} });
        expect(saved.version > formatVersion(now - 1000, 0, '0')).toBe(true);
        expect(saved.version.endsWith('.device-from-v1')).toBe(true);
        const db = await openVeoDb(device.indexedDB);
        expect(db.version).toBe(DB_VERSION);
        // Version 4: the prompt-text index, empty until a search fills it, and no replaced
        // versions yet.
        expect(await db.count('promptIndex')).toBe(0);
        expect(await db.count('replacedData')).toBe(0);
        // Version 3: the record says which version of the data is here, and its size.
        expect((await db.get('jobs', 'edited-offline'))?.stored?.version).toBe(
          formatVersion(now - 1000, 0, '0'),
        );
        db.close();
      } finally {
        await tab.client.close();
      }
    });
  });
});
