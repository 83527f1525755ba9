import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { D1Executor, StatementResult } from '@/lib/server/d1/executor';
import { CHUNK_BASE64_CHARS, MAX_DOCUMENT_GZIP_BYTES } from '@/lib/server/job-document';
import {
  DEFAULT_JOB_TTL_MS,
  IdempotencyConflictError,
  JobTooLargeError,
  createJobStore,
  type JobStore,
} from '@/lib/server/job-store';
import { jobResponseSchema } from '@/lib/shared/api-types';
import { jobInputSchema, type CachedVeoJob } from '@/lib/shared/job-schema';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { formatVersion, lastVersionAt } from '@/lib/shared/version';

/** What a driver under test provides: an executor on a migrated database, and its teardown. */
export interface DriverUnderTest {
  readonly executor: D1Executor;
  /** D1 requests sent so far (one per executor.batch call that reached D1). */
  requestCount(): number;
  dispose(): Promise<void>;
}

const T0 = 1_800_000_000_000;

/** The version a device ("dev-a" unless named) gives a write at `ms`. */
export const v = (ms: number, node = 'dev-a', counter = 0) => formatVersion(ms, counter, node);

/** A small valid job, as a device would send it: its version from its time, unless given. */
export function smallJob(jobId: string, updatedAt: number, extra: Partial<CachedVeoJob> = {}) {
  return jobInputSchema.parse({
    jobId,
    createdAt: new Date(updatedAt).toISOString(),
    updatedAt,
    version: v(updatedAt),
    sceneCount: 1,
    data: {
      scenes: [{ prompt: `scene of ${jobId} at ${updatedAt}` }],
      characters: [],
      script: 'x',
    },
    ...extra,
  });
}

/** The data-converting statements (UPDATE …) of a migration file, to run on rows a test made. */
async function migrationUpdates(name: string) {
  const { readMigrations } = await import('@/lib/server/d1/migrations');
  const migration = (await readMigrations()).find((m) => m.name === name);
  if (!migration) throw new Error(`no migration ${name}`);
  return migration.statements
    .filter((sql) => sql.startsWith('UPDATE veo_jobs'))
    .map((sql) => ({ sql, params: [] }));
}

function decode(gzip: Uint8Array): CachedVeoJob {
  const parsed = jobResponseSchema.parse(JSON.parse(gunzipSync(gzip).toString('utf8')));
  if (!parsed.job) throw new Error('document holds no job');
  return parsed.job;
}

/**
 * The contract every JobStore driver must meet. Run once per driver (binding and REST), on a
 * real Miniflare D1, so both behave identically.
 */
export function describeJobStoreContract(name: string, setup: () => Promise<DriverUnderTest>) {
  describe(`JobStore contract: ${name}`, () => {
    let driver: DriverUnderTest;
    let clock = T0;
    let store: JobStore;
    const metered: StatementResult[][] = [];

    beforeAll(async () => {
      driver = await setup();
    });
    afterAll(async () => {
      await driver.dispose();
    });
    beforeEach(async () => {
      clock = T0;
      metered.length = 0;
      await driver.executor.batch([
        { sql: 'DELETE FROM veo_job_chunks', params: [] },
        { sql: 'DELETE FROM veo_job_data', params: [] },
        { sql: 'DELETE FROM veo_jobs', params: [] },
        { sql: 'DELETE FROM veo_ops', params: [] },
        { sql: "UPDATE veo_sync_state SET seq = 1, purged_seq = 0, horizon = ''", params: [] },
      ]);
      const recording: D1Executor = {
        async batch(statements, signal) {
          const results = await driver.executor.batch(statements, signal);
          metered.push(results);
          return results;
        },
      };
      store = createJobStore(recording, { now: () => clock });
    });

    const lastCall = () => {
      const results = metered.at(-1) ?? [];
      return {
        rowsRead: results.reduce((n, r) => n + r.rowsRead, 0),
        rowsWritten: results.reduce((n, r) => n + r.rowsWritten, 0),
      };
    };

    it('lists nothing, with a cursor, when no job was ever written', async () => {
      const list = await store.listJobs();
      expect(list).toEqual({ jobs: [], cursor: '1' });
    });

    it('stores a job and lists it with the plan defaults and a TTL-based expiry', async () => {
      const result = await store.upsertJob(smallJob('a', T0), 'op-1');
      expect(result.applied).toBe(true);
      expect(result.job).toMatchObject({
        jobId: 'a',
        mode: 'hybrid',
        voice: 'no-voice',
        status: 'completed',
        hasScript: false,
        error: null,
        expiresAt: T0 + DEFAULT_JOB_TTL_MS,
      });
      const list = await store.listJobs();
      expect(list.jobs).toEqual([result.job]);
    });

    it('keeps a client expiry shorter than the TTL and caps a longer one', async () => {
      await store.upsertJob(smallJob('short', T0, { expiresAt: T0 + 1000 }), 'op-1');
      await store.upsertJob(
        smallJob('long', T0, { expiresAt: T0 + 10 * DEFAULT_JOB_TTL_MS }),
        'op-2',
      );
      const byId = Object.fromEntries(
        (await store.listJobs()).jobs.map((j) => [j.jobId, j.expiresAt]),
      );
      expect(byId).toEqual({ short: T0 + 1000, long: T0 + DEFAULT_JOB_TTL_MS });
    });

    it('lists newest updatedAt first', async () => {
      await store.upsertJob(smallJob('old', T0 - 2000), 'op-1');
      await store.upsertJob(smallJob('new', T0), 'op-2');
      await store.upsertJob(smallJob('mid', T0 - 1000), 'op-3');
      expect((await store.listJobs()).jobs.map((j) => j.jobId)).toEqual(['new', 'mid', 'old']);
    });

    it('reads several jobs with their data in one request, newest first, within a byte budget', async () => {
      const ids = ['d1', 'd2', 'd3', 'd4', 'd5'];
      // Others in the table, not asked for: reading them would show a scan.
      for (let i = 0; i < 30; i++) await store.upsertJob(smallJob(`other-${i}`, T0 - i), `o-${i}`);
      for (const [i, id] of ids.entries()) {
        const job = generateSampleJob({ jobId: id, sceneCount: 10, seed: i, updatedAt: T0 + i });
        await store.upsertJob(jobInputSchema.parse(job), `op-${id}`);
      }
      await store.deleteJob('d3', undefined, 'op-del');
      const requestsBefore = driver.requestCount();

      const all = await store.getJobData(['d1', 'd2', 'd3', 'd4', 'd5', 'never']);
      expect(driver.requestCount() - requestsBefore).toBe(1);
      expect(all.jobs.map((j) => j.info.jobId)).toEqual(['d5', 'd4', 'd2', 'd1']);
      expect(all).toMatchObject({ more: [], missing: ['d3', 'never'] });
      for (const stored of all.jobs) {
        expect(decode(stored.gzip)).toMatchObject({
          jobId: stored.info.jobId,
          version: stored.info.version,
        });
      }
      // A few reads per job asked for (the window, the join, the chunks), never the table.
      expect(lastCall().rowsRead).toBeLessThanOrEqual(8 * 6);

      // A budget smaller than two documents: the newest is sent (always one), the rest wait.
      const size = all.jobs[0]!.gzip.byteLength;
      const some = await store.getJobData(['d1', 'd2', 'd4', 'd5'], size + 1);
      expect(some.jobs.map((j) => j.info.jobId)).toEqual(['d5', 'd4']);
      expect(some).toMatchObject({ more: ['d2', 'd1'], missing: [] });
      const first = await store.getJobData(['d1', 'd2'], 1);
      expect(first.jobs.map((j) => j.info.jobId)).toEqual(['d2']);
      expect(first.more).toEqual(['d1']);
      expect(await store.getJobData([])).toEqual({ jobs: [], more: [], missing: [] });
    });

    it('returns the stored document: the job with its data, gzip-compressed', async () => {
      const job = generateSampleJob({ jobId: 'doc', sceneCount: 20, updatedAt: T0 });
      await store.upsertJob(jobInputSchema.parse(job), 'op-1');
      const stored = await store.getJob('doc');
      expect(stored).not.toBeNull();
      const document = decode(stored!.gzip);
      // A write without a version (the plan's clients) gets one from the server's clock.
      expect(document).toEqual({
        ...job,
        version: document.version,
        expiresAt: T0 + DEFAULT_JOB_TTL_MS,
      });
      expect(document.version).toMatch(/^\d{15}\.\d{6}\.s[0-9a-f]{12}$/);
      expect(await store.getJob('missing')).toBeNull();
    });

    it('keeps the job data when the job is updated (no INSERT OR REPLACE cascade)', async () => {
      await store.upsertJob(smallJob('keep', T0), 'op-1');
      const update = smallJob('keep', T0 + 1, { status: 'error', error: { message: 'quota' } });
      const result = await store.upsertJob(update, 'op-2');
      expect(result).toMatchObject({
        applied: true,
        job: { status: 'error', error: { message: 'quota' } },
      });
      const stored = await store.getJob('keep');
      expect(decode(stored!.gzip).data).toEqual(update.data);
      // A losing write leaves the winner's data in place too.
      await store.upsertJob(smallJob('keep', T0 - 5), 'op-3');
      expect(decode((await store.getJob('keep'))!.gzip).data).toEqual(update.data);
    });

    it('would lose the data with INSERT OR REPLACE, which is why the store never uses it', async () => {
      // The trap the upsert avoids, shown on the plan's own tables: foreign keys are always on in
      // D1, so REPLACE deletes the veo_jobs row first and the cascade takes veo_job_data with it.
      await driver.executor.batch([
        {
          sql: "INSERT INTO veo_jobs (job_id, created_at, updated_at, expires_at) VALUES ('trap', 'x', 1, ?1)",
          params: [T0 * 2],
        },
        {
          sql: "INSERT INTO veo_job_data (job_id, data_compressed) VALUES ('trap', 'data')",
          params: [],
        },
        {
          sql: "INSERT OR REPLACE INTO veo_jobs (job_id, created_at, updated_at, expires_at) VALUES ('trap', 'x', 2, ?1)",
          params: [T0 * 2],
        },
      ]);
      const left = await driver.executor.batch([
        { sql: "SELECT COUNT(*) AS n FROM veo_job_data WHERE job_id = 'trap'", params: [] },
      ]);
      expect(left[0]?.rows[0]?.n).toBe(0);
    });

    it('applies last-writer-wins on updatedAt, and reports the winner to the loser', async () => {
      const newer = await store.upsertJob(smallJob('lww', T0 + 10, { videoId: 'newer' }), 'op-b');
      const older = await store.upsertJob(smallJob('lww', T0, { videoId: 'older' }), 'op-c');
      expect(older).toEqual({ applied: false, job: newer.job, deletedUpTo: null });
      expect((await store.listJobs()).jobs[0]?.videoId).toBe('newer');
    });

    it('orders two devices’ writes of the same millisecond by version, whatever the arrival order', async () => {
      // Same updatedAt, same counter: the node ids decide, the same way on every replica.
      const fromA = smallJob('tie', T0, { videoId: 'from-a', version: v(T0, 'dev-a') });
      const fromB = smallJob('tie', T0, { videoId: 'from-b', version: v(T0, 'dev-b') });
      await store.upsertJob(fromA, 'op-a');
      expect((await store.upsertJob(fromB, 'op-b')).applied).toBe(true);
      expect((await store.listJobs()).jobs[0]?.videoId).toBe('from-b');
      await store.upsertJob(
        smallJob('tie2', T0, { videoId: 'from-b', version: v(T0, 'dev-b') }),
        'op-b2',
      );
      expect(
        (
          await store.upsertJob(
            smallJob('tie2', T0, { videoId: 'from-a', version: v(T0, 'dev-a') }),
            'op-a2',
          )
        ).applied,
      ).toBe(false);
      expect((await store.listJobs()).jobs.find((j) => j.jobId === 'tie2')?.videoId).toBe('from-b');
    });

    it('refuses an op id used again for another body, and changes nothing', async () => {
      await store.upsertJob(smallJob('idem', T0), 'op-1');
      await expect(store.upsertJob(smallJob('idem', T0 + 1), 'op-1')).rejects.toThrow(
        IdempotencyConflictError,
      );
      expect((await store.listJobs()).jobs.map((j) => j.updatedAt)).toEqual([T0]);
      await expect(store.deleteJob('idem', lastVersionAt(T0 + 5), 'op-1')).rejects.toThrow(
        IdempotencyConflictError,
      );
      expect(await store.getJob('idem')).not.toBeNull();
    });

    it('treats a replayed op as a no-op that reports applied', async () => {
      const first = await store.upsertJob(smallJob('replay', T0), 'op-1');
      const { cursor } = await store.listJobs();
      const again = await store.upsertJob(smallJob('replay', T0), 'op-1');
      expect(again).toEqual(first);
      const changes = await store.listChanges(cursor);
      expect(changes.jobs).toEqual([]);
      expect(changes.deleted).toEqual([]);
    });

    it('tombstones a delete: the job leaves the list, and get returns null', async () => {
      await store.upsertJob(smallJob('del', T0), 'op-1');
      clock = T0 + 7;
      const result = await store.deleteJob('del', lastVersionAt(T0 + 5), 'op-2');
      expect(result).toEqual({
        jobId: 'del',
        applied: true,
        deletedAt: T0 + 7,
        job: null,
        deletedUpTo: lastVersionAt(T0 + 5),
      });
      expect((await store.listJobs()).jobs).toEqual([]);
      expect(await store.getJob('del')).toBeNull();
      const chunks = await driver.executor.batch([
        { sql: "SELECT COUNT(*) AS n FROM veo_job_chunks WHERE job_id = 'del'", params: [] },
      ]);
      expect(chunks[0]?.rows[0]?.n).toBe(0);
    });

    it('never resurrects a deleted job with an older upsert replayed after the delete', async () => {
      await store.upsertJob(smallJob('zombie', T0), 'op-1');
      await store.deleteJob('zombie', lastVersionAt(T0 + 10), 'op-2');
      const replay = await store.upsertJob(smallJob('zombie', T0 + 5), 'op-3');
      expect(replay).toEqual({ applied: false, job: null, deletedUpTo: lastVersionAt(T0 + 10) });
      expect((await store.listJobs()).jobs).toEqual([]);
      expect(await store.getJob('zombie')).toBeNull();
      // A genuinely newer write does bring it back.
      const newer = await store.upsertJob(smallJob('zombie', T0 + 20), 'op-4');
      expect(newer.applied).toBe(true);
      expect(decode((await store.getJob('zombie'))!.gzip).updatedAt).toBe(T0 + 20);
    });

    it('does not delete a job that was updated after the delete was made', async () => {
      await store.upsertJob(smallJob('busy', T0 + 10), 'op-1');
      const result = await store.deleteJob('busy', lastVersionAt(T0), 'op-2');
      expect(result).toMatchObject({
        jobId: 'busy',
        applied: false,
        deletedAt: null,
        job: { jobId: 'busy', updatedAt: T0 + 10 },
      });
      expect((await store.listJobs()).jobs).toHaveLength(1);
    });

    it('tombstones a job it has not seen yet, so that its save arriving later loses', async () => {
      expect(await store.deleteJob('ghost', lastVersionAt(T0 + 10), 'op-del')).toEqual({
        jobId: 'ghost',
        applied: true,
        deletedAt: T0,
        job: null,
        deletedUpTo: lastVersionAt(T0 + 10),
      });
      expect((await store.upsertJob(smallJob('ghost', T0), 'op-late-save')).applied).toBe(false);
      expect(await store.getJob('ghost')).toBeNull();
      expect((await store.listJobs()).jobs).toEqual([]);
    });

    it('clears only what existed when the user cleared', async () => {
      await store.upsertJob(smallJob('before-1', T0 - 10), 'op-1');
      await store.upsertJob(smallJob('before-2', T0), 'op-2');
      await store.upsertJob(smallJob('after', T0 + 10), 'op-3');
      const result = await store.clearJobs({ before: T0 }, 'op-clear');
      expect(result).toEqual({ cleared: 2, before: T0 });
      expect((await store.listJobs()).jobs.map((j) => j.jobId)).toEqual(['after']);
      // An older write of a cleared job, replayed later, stays cleared.
      expect((await store.upsertJob(smallJob('before-1', T0 - 5), 'op-4')).applied).toBe(false);
      expect((await store.listJobs()).jobs.map((j) => j.jobId)).toEqual(['after']);
    });

    it('pulls incremental changes from a cursor: new versions and deletes, then nothing', async () => {
      await store.upsertJob(smallJob('x', T0), 'op-1');
      await store.upsertJob(smallJob('y', T0), 'op-2');
      const { cursor } = await store.listJobs();
      await store.upsertJob(smallJob('x', T0 + 1, { videoId: 'x2' }), 'op-3');
      await store.deleteJob('y', lastVersionAt(T0 + 2), 'op-4');
      await store.upsertJob(smallJob('z', T0 + 3), 'op-5');
      const changes = await store.listChanges(cursor);
      expect(changes.reset).toBe(false);
      expect(changes.jobs.map((j) => [j.jobId, j.videoId])).toEqual([
        ['z', ''],
        ['x', 'x2'],
      ]);
      expect(changes.deleted).toEqual([
        { jobId: 'y', deletedAt: T0, deletedUpTo: lastVersionAt(T0 + 2) },
      ]);
      expect(Number(changes.cursor)).toBeGreaterThan(Number(cursor));
      const none = await store.listChanges(changes.cursor);
      expect(none).toEqual({ jobs: [], deleted: [], cursor: changes.cursor, reset: false });
    });

    it('resets a cursor from another database to the full list', async () => {
      await store.upsertJob(smallJob('x', T0), 'op-1');
      const changes = await store.listChanges('999999');
      expect(changes.reset).toBe(true);
      expect(changes.jobs.map((j) => j.jobId)).toEqual(['x']);
    });

    it('hides expired jobs, reports them as deleted to pullers, and removes them on the next write', async () => {
      await store.upsertJob(smallJob('brief', T0, { expiresAt: T0 + 1000 }), 'op-1');
      await store.upsertJob(smallJob('lasting', T0), 'op-2');
      const { cursor } = await store.listJobs();
      await store.upsertJob(smallJob('brief', T0 + 1, { expiresAt: T0 + 1000 }), 'op-3');
      clock = T0 + 1000;
      expect((await store.listJobs()).jobs.map((j) => j.jobId)).toEqual(['lasting']);
      expect(await store.getJob('brief')).toBeNull();
      expect((await store.listChanges(cursor)).deleted).toEqual([
        { jobId: 'brief', deletedAt: T0 + 1000, deletedUpTo: v(T0 + 1) },
      ]);
      await store.upsertJob(smallJob('other', T0 + 1000), 'op-4');
      const rows = await driver.executor.batch([
        { sql: "SELECT COUNT(*) AS n FROM veo_jobs WHERE job_id = 'brief'", params: [] },
      ]);
      expect(rows[0]?.rows[0]?.n).toBe(0);
    });

    it('writes nothing for a job that has already expired when it arrives', async () => {
      clock = T0 + 2 * DEFAULT_JOB_TTL_MS;
      expect(await store.upsertJob(smallJob('stale', T0), 'op-1')).toEqual({
        applied: false,
        job: null,
        deletedUpTo: null,
      });
      expect((await store.listJobs()).jobs).toEqual([]);
    });

    it('purges tombstones after the TTL and sends older cursors back to the full list', async () => {
      await store.upsertJob(smallJob('gone', T0), 'op-1');
      const { cursor } = await store.listJobs();
      await store.deleteJob('gone', lastVersionAt(T0 + 1), 'op-2');
      await store.upsertJob(smallJob('stays', T0 + 2), 'op-3');
      clock = T0 + 1 + DEFAULT_JOB_TTL_MS;
      expect(await store.cleanupExpired()).toEqual({ removed: 1 });
      const changes = await store.listChanges(cursor);
      expect(changes.reset).toBe(true);
      expect(changes.jobs.map((j) => j.jobId)).toEqual(['stays']);
      // An older write of the purged job is itself expired, so it cannot bring the job back.
      expect((await store.upsertJob(smallJob('gone', T0), 'op-4')).applied).toBe(false);
    });

    it('refuses writes below the horizon a purge left, even after the TTL setting grew', async () => {
      const shortLived = createJobStore(driver.executor, { now: () => clock, ttlMs: 86_400_000 });
      await shortLived.upsertJob(smallJob('purged', T0), 'op-1');
      await shortLived.deleteJob('purged', v(T0), 'op-2');
      clock = T0 + 2 * 86_400_000;
      await shortLived.cleanupExpired();
      // The server restarts with a 30-day TTL: under it, a write from T0 would not have expired.
      const longLived = createJobStore(driver.executor, {
        now: () => clock,
        ttlMs: 30 * 86_400_000,
      });
      const late = await longLived.upsertJob(smallJob('purged', T0), 'op-3');
      expect(late).toMatchObject({ applied: false, job: null });
      expect(await longLived.getJob('purged')).toBeNull();
      // What comes after the horizon is judged as usual.
      expect((await longLived.upsertJob(smallJob('purged', T0 + 1), 'op-4')).applied).toBe(true);
    });

    it('splits data larger than a D1 row across rows, and a 20 MB job round-trips', async () => {
      const job = generateSampleJob({ jobId: 'huge', sceneCount: 1150, updatedAt: T0 });
      const jsonBytes = Buffer.byteLength(JSON.stringify(job));
      expect(jsonBytes).toBeGreaterThan(19_000_000);
      expect(jsonBytes).toBeLessThanOrEqual(20 * 1024 * 1024);
      expect((await store.upsertJob(jobInputSchema.parse(job), 'op-1')).applied).toBe(true);
      const rows = await driver.executor.batch([
        {
          sql: "SELECT COUNT(*) AS n, MAX(LENGTH(data_base64)) AS longest FROM veo_job_chunks WHERE job_id = 'huge'",
          params: [],
        },
      ]);
      expect(rows[0]?.rows[0]?.n).toBeGreaterThan(1);
      expect(rows[0]?.rows[0]?.longest).toBeLessThanOrEqual(CHUNK_BASE64_CHARS);
      const stored = await store.getJob('huge');
      const document = decode(stored!.gzip);
      expect(document).toEqual({
        ...job,
        version: document.version,
        expiresAt: T0 + DEFAULT_JOB_TTL_MS,
      });
    });

    it('refuses a job whose gzip would be too large to serve, and writes nothing', async () => {
      // Random bytes do not compress: as base64 they keep 3/4 of their size under gzip.
      const noise = randomBytes(4_800_000).toString('base64');
      const job = smallJob('noisy', T0, { data: { scenes: [], noise } });
      await expect(store.upsertJob(job, 'op-1')).rejects.toThrow(JobTooLargeError);
      expect((await store.listJobs()).jobs).toEqual([]);
      expect(MAX_DOCUMENT_GZIP_BYTES).toBeLessThan(4.5 * 1000 * 1000);
    });

    it('reads a job stored by the plan’s version of the app (veo_job_data, one row)', async () => {
      const data = { scenes: [{ prompt: 'legacy' }], characters: [], script: 'old' };
      const compressed = (await import('node:zlib'))
        .gzipSync(JSON.stringify(data))
        .toString('base64');
      await driver.executor.batch([
        {
          sql: `INSERT INTO veo_jobs (job_id, created_at, updated_at, expires_at, seq) VALUES ('legacy', ?1, ?2, ?3, 1)`,
          params: [new Date(T0).toISOString(), T0, T0 + 1000],
        },
        {
          sql: "INSERT INTO veo_job_data (job_id, data_compressed) VALUES ('legacy', ?1)",
          params: [compressed],
        },
        // What migration 0004 does to rows written before it.
        ...(await migrationUpdates('0004_causal_versions.sql')),
      ]);
      const stored = await store.getJob('legacy');
      expect(decode(stored!.gzip).data).toEqual(data);
      // Updating it moves it to the chunked format and drops the old row.
      await store.upsertJob(smallJob('legacy', T0 + 1), 'op-1');
      const left = await driver.executor.batch([
        { sql: 'SELECT COUNT(*) AS n FROM veo_job_data', params: [] },
      ]);
      expect(left[0]?.rows[0]?.n).toBe(0);
    });

    it('costs one D1 request per operation, reads about the rows it returns, and writes at most 11 rows per upsert', async () => {
      for (let i = 0; i < 20; i++) await store.upsertJob(smallJob(`job-${i}`, T0 + i), `op-${i}`);
      const before = driver.requestCount();
      await store.upsertJob(smallJob('job-3', T0 + 100), 'op-x');
      // The job and its indexes, its chunk, the op record and its expiry index, the sequence.
      expect(lastCall().rowsWritten).toBeLessThanOrEqual(11);
      // Not every op record kept (migration 0005): about what it touches.
      expect(lastCall().rowsRead).toBeLessThanOrEqual(40);
      await store.listJobs();
      expect(lastCall().rowsRead).toBeLessThanOrEqual(20 + 2);
      await store.getJob('job-3');
      expect(lastCall().rowsRead).toBeLessThanOrEqual(5);
      const { cursor } = await store.listJobs();
      await store.upsertJob(smallJob('job-4', T0 + 101), 'op-y');
      await store.listChanges(cursor);
      expect(lastCall().rowsRead).toBeLessThanOrEqual(3);
      await store.deleteJob('job-5', lastVersionAt(T0 + 102), 'op-z');
      await store.clearJobs({ before: T0 + 200 }, 'op-c');
      expect(driver.requestCount() - before).toBe(8);
    });
  });
}
