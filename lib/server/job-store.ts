import 'server-only';
import type {
  ClearResponse,
  Cursor,
  DeleteResponse,
  DeletedJob,
  JobChangesResponse,
  JobListResponse,
  UpsertResponse,
} from '@/lib/shared/api-types';
import {
  DEFAULT_JOB_TTL_MS,
  jobDataSchema,
  jobInfoSchema,
  type CachedVeoJobInfo,
  type JobId,
  type OpId,
  type ParsedJobInput,
} from '@/lib/shared/job-schema';
import { hasBrand } from './brand';
import type { D1Executor, SqlRow, SqlStatement, SqlValue } from './d1/executor';
import {
  MAX_DOCUMENT_GZIP_BYTES,
  decodeLegacyData,
  encodeJobDocument,
  fromBase64Chunks,
  toBase64Chunks,
} from './job-document';

export { DEFAULT_JOB_TTL_MS };

/** A job read for `GET /api/veo/jobs/:id`: its list entry and the stored gzip response body. */
export interface StoredJob {
  readonly info: CachedVeoJobInfo;
  /** gzip of `{"job": CachedVeoJob}`. */
  readonly gzip: Uint8Array;
}

/**
 * The jobs database. Each method is exactly one D1 request (one batch), so one user action costs
 * one request against Cloudflare's API rate limit. Every write also removes expired jobs, in the
 * same request.
 */
export interface JobStore {
  /** Live, unexpired jobs, newest `updatedAt` first, and the cursor to pull changes from. */
  listJobs(): Promise<JobListResponse>;
  /** Everything that changed after `since`: new versions, deletes and expiries. */
  listChanges(since: Cursor): Promise<JobChangesResponse>;
  /** A live job, or null. */
  getJob(jobId: JobId): Promise<StoredJob | null>;
  /** Writes a job unless a newer version (by `updatedAt`, then op id) is already stored. */
  upsertJob(job: ParsedJobInput, opId: OpId): Promise<UpsertResponse>;
  /**
   * Tombstones a job unless it was updated after `at` — a job the server has not seen too, so
   * that a save of it arriving later loses. Null only when the tombstone expired on arrival.
   */
  deleteJob(jobId: JobId, at: number, opId: OpId): Promise<DeleteResponse | null>;
  /** Tombstones every live job whose version is older than (`before`, `opId`). */
  clearJobs(before: number, opId: OpId): Promise<ClearResponse>;
  /** Removes expired jobs and the tombstones that have done their work. */
  cleanupExpired(): Promise<{ removed: number }>;
}

export interface JobStoreOptions {
  /** How long a job lives after its last update, and how long a tombstone is kept (ms). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** A job too large to store and serve (its gzip would exceed {@link MAX_DOCUMENT_GZIP_BYTES}). */
const JOB_TOO_LARGE_ERROR = Symbol.for('veo-sync.JobTooLargeError');

export class JobTooLargeError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, JOB_TOO_LARGE_ERROR);
  }
  readonly [JOB_TOO_LARGE_ERROR] = true;
  override readonly name = 'JobTooLargeError';
  constructor(readonly gzipBytes: number) {
    super(
      `The job compresses to ${gzipBytes} bytes; at most ${MAX_DOCUMENT_GZIP_BYTES} bytes can be stored and served`,
    );
  }
}

/** A stored row that does not decode: the database was changed outside this code. */
export class CorruptJobError extends Error {
  override readonly name = 'CorruptJobError';
}

const INFO_COLUMNS = `job_id, video_id, video_url, scene_count, characters_found, mode, voice,
  status, has_script, created_at, updated_at, error_json, expires_at`;

const CURRENT_SEQ = '(SELECT seq FROM veo_sync_state WHERE id = 1)';

const BUMP_SEQ: SqlStatement = {
  sql: 'UPDATE veo_sync_state SET seq = seq + 1 WHERE id = 1',
  params: [],
};

/**
 * True when the write of op ?2 on job ?1 took effect in this very batch: the row carries the op id
 * and the sequence number this batch took. Later statements of the batch test it, so chunks are
 * replaced only by the write that won.
 */
const WON_HERE = `EXISTS (SELECT 1 FROM veo_jobs WHERE job_id = ?1 AND op_id = ?2 AND seq = ${CURRENT_SEQ})`;

export function createJobStore(executor: D1Executor, options: JobStoreOptions = {}): JobStore {
  const ttlMs = options.ttlMs ?? DEFAULT_JOB_TTL_MS;
  const now = options.now ?? Date.now;

  /** Statements every write appends: drop expired jobs and tombstones past their time. */
  function cleanupStatements(at: number): SqlStatement[] {
    return [
      {
        // A tombstone about to go may be the only record of a delete some client has not pulled:
        // remember the highest such seq, and clients with an older cursor start over.
        sql: `UPDATE veo_sync_state
          SET purged_seq = MAX(purged_seq,
            (SELECT MAX(seq) FROM veo_jobs WHERE expires_at <= ?1 AND deleted_at IS NOT NULL))
          WHERE id = 1
            AND EXISTS (SELECT 1 FROM veo_jobs WHERE expires_at <= ?1 AND deleted_at IS NOT NULL)`,
        params: [at],
      },
      {
        sql: `DELETE FROM veo_job_chunks
          WHERE job_id IN (SELECT job_id FROM veo_jobs WHERE expires_at <= ?1)`,
        params: [at],
      },
      // veo_job_data rows of the plan's format go with their job (ON DELETE CASCADE).
      { sql: 'DELETE FROM veo_jobs WHERE expires_at <= ?1', params: [at] },
    ];
  }

  return {
    async listJobs() {
      const [state, list] = await executor.batch([
        { sql: 'SELECT seq FROM veo_sync_state WHERE id = 1', params: [] },
        {
          sql: `SELECT ${INFO_COLUMNS} FROM veo_jobs
            WHERE deleted_at IS NULL AND expires_at > ?1
            ORDER BY updated_at DESC`,
          params: [now()],
        },
      ]);
      return {
        jobs: (list?.rows ?? []).map(rowToInfo),
        cursor: String(numberColumn(state?.rows[0], 'seq')),
      };
    },

    async listChanges(since) {
      const sinceSeq = Number(since);
      // The cursor is read before the changes: a write that lands in between is sent again on
      // the next pull, never missed. A cursor below purged_seq (a tombstone it never saw is gone)
      // or above seq (another database) starts over from 0: the full list, reset: true.
      const [state, changes] = await executor.batch([
        { sql: 'SELECT seq, purged_seq FROM veo_sync_state WHERE id = 1', params: [] },
        {
          sql: `SELECT ${INFO_COLUMNS}, deleted_at FROM veo_jobs
            WHERE seq > (SELECT CASE WHEN ?1 < purged_seq OR ?1 > seq THEN 0 ELSE ?1 END
                         FROM veo_sync_state WHERE id = 1)
            ORDER BY seq`,
          params: [sinceSeq],
        },
      ]);
      const seq = numberColumn(state?.rows[0], 'seq');
      const purged = numberColumn(state?.rows[0], 'purged_seq');
      const reset = sinceSeq < purged || sinceSeq > seq;
      const at = now();
      const jobs: CachedVeoJobInfo[] = [];
      const deleted: DeletedJob[] = [];
      for (const row of changes?.rows ?? []) {
        const deletedAt = row.deleted_at;
        const info = rowToInfo(row);
        if (typeof deletedAt === 'number') {
          if (!reset) deleted.push({ jobId: info.jobId, deletedAt });
        } else if (info.expiresAt <= at) {
          if (!reset) deleted.push({ jobId: info.jobId, deletedAt: info.expiresAt });
        } else {
          jobs.push(info);
        }
      }
      jobs.sort((a, b) => b.updatedAt - a.updatedAt);
      return { jobs, deleted, cursor: String(seq), reset };
    },

    async getJob(jobId) {
      const at = now();
      const live = `?2 < (SELECT expires_at FROM veo_jobs WHERE job_id = ?1 AND deleted_at IS NULL)`;
      const [info, chunks, legacy] = await executor.batch([
        {
          sql: `SELECT ${INFO_COLUMNS}, data_chunks FROM veo_jobs
            WHERE job_id = ?1 AND deleted_at IS NULL AND expires_at > ?2`,
          params: [jobId, at],
        },
        {
          sql: `SELECT chunk, data_base64 FROM veo_job_chunks
            WHERE job_id = ?1 AND ${live} ORDER BY chunk`,
          params: [jobId, at],
        },
        {
          sql: `SELECT data_compressed FROM veo_job_data WHERE job_id = ?1 AND ${live}`,
          params: [jobId, at],
        },
      ]);
      const row = info?.rows[0];
      if (!row) return null;
      const jobInfo = rowToInfo(row);
      const expectedChunks = numberColumn(row, 'data_chunks');
      const chunkRows = chunks?.rows ?? [];

      if (expectedChunks > 0) {
        if (chunkRows.length !== expectedChunks || chunkRows.some((r, i) => r.chunk !== i)) {
          throw new CorruptJobError(
            `Job ${jobId} should have ${expectedChunks} data chunks, found ${chunkRows.length}`,
          );
        }
        return {
          info: jobInfo,
          gzip: fromBase64Chunks(chunkRows.map((r) => String(r.data_base64))),
        };
      }
      // A job written by the plan's version of the app: its data in veo_job_data, one row.
      const legacyRow = legacy?.rows[0];
      if (!legacyRow) {
        throw new CorruptJobError(`Job ${jobId} has no stored data`);
      }
      const data = jobDataSchema.safeParse(
        await decodeLegacyData(String(legacyRow.data_compressed)),
      );
      if (!data.success) throw new CorruptJobError(`Job ${jobId} has unreadable legacy data`);
      const encoded = await encodeJobDocument({ ...jobInfo, data: data.data });
      return { info: jobInfo, gzip: encoded.gzip };
    },

    async upsertJob(input, opId) {
      const at = now();
      const expiresAt = Math.min(input.expiresAt ?? Infinity, input.updatedAt + ttlMs);
      const { data, ...rest } = input;
      const info: CachedVeoJobInfo = { ...rest, expiresAt };
      if (expiresAt <= at) {
        // Already expired on arrival (a device that was offline for longer than the TTL): it
        // would vanish at once, so nothing is written. This also keeps a purged tombstone's job
        // from coming back: anything older than the delete expired before the tombstone did.
        return { job: null, applied: false };
      }
      const document = await encodeJobDocument({ ...info, data });
      if (document.gzip.byteLength > MAX_DOCUMENT_GZIP_BYTES) {
        throw new JobTooLargeError(document.gzip.byteLength);
      }
      const chunks = toBase64Chunks(document.gzip);

      const statements: SqlStatement[] = [
        BUMP_SEQ,
        {
          sql: `INSERT INTO veo_jobs (job_id, op_id, video_id, video_url, scene_count,
              characters_found, mode, voice, status, has_script, created_at, updated_at,
              error_json, expires_at, data_bytes, data_gzip_bytes, data_chunks, deleted_at, seq)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
              NULL, ${CURRENT_SEQ})
            ON CONFLICT (job_id) DO UPDATE SET
              op_id = excluded.op_id, video_id = excluded.video_id,
              video_url = excluded.video_url, scene_count = excluded.scene_count,
              characters_found = excluded.characters_found, mode = excluded.mode,
              voice = excluded.voice, status = excluded.status, has_script = excluded.has_script,
              created_at = excluded.created_at, updated_at = excluded.updated_at,
              error_json = excluded.error_json, expires_at = excluded.expires_at,
              data_bytes = excluded.data_bytes, data_gzip_bytes = excluded.data_gzip_bytes,
              data_chunks = excluded.data_chunks, deleted_at = NULL, seq = excluded.seq
            WHERE (excluded.updated_at, excluded.op_id) > (veo_jobs.updated_at, veo_jobs.op_id)`,
          params: [
            info.jobId,
            opId,
            info.videoId,
            info.videoUrl,
            info.sceneCount,
            info.charactersFound,
            info.mode,
            info.voice,
            info.status,
            info.hasScript ? 1 : 0,
            info.createdAt,
            info.updatedAt,
            info.error === null ? null : JSON.stringify(info.error),
            info.expiresAt,
            document.jsonBytes,
            document.gzip.byteLength,
            chunks.length,
          ],
        },
        // Never INSERT OR REPLACE: with foreign keys on it deletes the row first and cascades.
        {
          sql: `DELETE FROM veo_job_chunks WHERE job_id = ?1 AND ${WON_HERE}`,
          params: [info.jobId, opId],
        },
        {
          sql: `DELETE FROM veo_job_data WHERE job_id = ?1 AND ${WON_HERE}`,
          params: [info.jobId, opId],
        },
        ...chunks.map((chunk, index): SqlStatement => ({
          sql: `INSERT INTO veo_job_chunks (job_id, chunk, data_base64)
              SELECT ?1, ?3, ?4 WHERE ${WON_HERE}`,
          params: [info.jobId, opId, index, chunk],
        })),
        ...cleanupStatements(at),
        {
          sql: `SELECT ${INFO_COLUMNS}, op_id, deleted_at FROM veo_jobs WHERE job_id = ?1`,
          params: [info.jobId],
        },
      ];
      const results = await executor.batch(statements);
      const current = results.at(-1)?.rows[0];
      if (!current) return { job: null, applied: false };
      if (current.op_id === opId) return { job: rowToInfo(current), applied: true };
      return { job: current.deleted_at === null ? rowToInfo(current) : null, applied: false };
    },

    async deleteJob(jobId, at, opId) {
      const results = await executor.batch([
        BUMP_SEQ,
        {
          // A job the server has not seen yet gets a tombstone too: its save may still be on
          // the way (a retry, a slow request), and must then lose to this delete.
          sql: `INSERT INTO veo_jobs (job_id, op_id, created_at, updated_at, expires_at,
              deleted_at, seq)
            VALUES (?1, ?2, ?5, ?3, ?4, ?3, ${CURRENT_SEQ})
            ON CONFLICT (job_id) DO UPDATE SET deleted_at = excluded.deleted_at,
              updated_at = excluded.updated_at, op_id = excluded.op_id,
              expires_at = excluded.expires_at, seq = excluded.seq,
              data_bytes = 0, data_gzip_bytes = 0, data_chunks = 0
            WHERE (excluded.updated_at, excluded.op_id) > (veo_jobs.updated_at, veo_jobs.op_id)`,
          params: [jobId, opId, at, at + ttlMs, new Date(at).toISOString()],
        },
        {
          sql: `DELETE FROM veo_job_chunks WHERE job_id = ?1 AND ${WON_HERE}`,
          params: [jobId, opId],
        },
        {
          sql: `DELETE FROM veo_job_data WHERE job_id = ?1 AND ${WON_HERE}`,
          params: [jobId, opId],
        },
        ...cleanupStatements(now()),
        {
          sql: `SELECT ${INFO_COLUMNS}, op_id, deleted_at FROM veo_jobs WHERE job_id = ?1`,
          params: [jobId],
        },
      ]);
      const current = results.at(-1)?.rows[0];
      if (!current) return null;
      const deletedAt = typeof current.deleted_at === 'number' ? current.deleted_at : null;
      return {
        jobId,
        applied: current.op_id === opId,
        deletedAt,
        job: deletedAt === null ? rowToInfo(current) : null,
      };
    },

    async clearJobs(before, opId) {
      const results = await executor.batch([
        BUMP_SEQ,
        {
          sql: `UPDATE veo_jobs SET deleted_at = ?2, updated_at = ?2, op_id = ?1,
              expires_at = ?3, seq = ${CURRENT_SEQ},
              data_bytes = 0, data_gzip_bytes = 0, data_chunks = 0
            WHERE deleted_at IS NULL AND updated_at <= ?2 AND (?2, ?1) > (updated_at, op_id)`,
          params: [opId, before, before + ttlMs],
        },
        {
          sql: `DELETE FROM veo_job_chunks WHERE job_id IN
            (SELECT job_id FROM veo_jobs WHERE seq = ${CURRENT_SEQ} AND op_id = ?1)`,
          params: [opId],
        },
        {
          sql: `DELETE FROM veo_job_data WHERE job_id IN
            (SELECT job_id FROM veo_jobs WHERE seq = ${CURRENT_SEQ} AND op_id = ?1)`,
          params: [opId],
        },
        ...cleanupStatements(now()),
      ]);
      return { cleared: results[1]?.changes ?? 0, before };
    },

    async cleanupExpired() {
      const results = await executor.batch(cleanupStatements(now()));
      return { removed: results.at(-1)?.changes ?? 0 };
    },
  };
}

function rowToInfo(row: SqlRow): CachedVeoJobInfo {
  const parsed = jobInfoSchema.safeParse({
    jobId: row.job_id,
    videoId: row.video_id,
    videoUrl: row.video_url,
    sceneCount: row.scene_count,
    charactersFound: row.characters_found,
    mode: row.mode,
    voice: row.voice,
    status: row.status,
    hasScript: row.has_script === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    error: parseErrorJson(row.error_json),
    expiresAt: row.expires_at,
  });
  if (!parsed.success) {
    throw new CorruptJobError(`Stored job ${String(row.job_id)} does not match the job schema`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function parseErrorJson(value: SqlValue | undefined): unknown {
  if (typeof value !== 'string') return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    // The plan stored whatever the pipeline gave; keep unreadable text rather than lose it.
    return value;
  }
}

function numberColumn(row: SqlRow | undefined, column: string): number {
  const value = row?.[column];
  if (typeof value !== 'number') {
    throw new CorruptJobError(`Expected a number in column ${column}; are the migrations applied?`);
  }
  return value;
}
