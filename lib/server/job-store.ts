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
import { JOB_BUNDLE_MAX_BYTES, JOB_BUNDLE_MAX_IDS } from '@/lib/shared/api-types';
import {
  DEFAULT_JOB_TTL_MS,
  jobDataSchema,
  jobInfoSchema,
  type CachedVeoJob,
  type CachedVeoJobInfo,
  type JobId,
  type OpId,
  type ParsedJobInput,
} from '@/lib/shared/job-schema';
import { createHash, randomBytes } from 'node:crypto';
import { isLive, SQL_RULE, type JobVersions } from '@/lib/shared/merge-rule';
import {
  INITIAL_CLOCK,
  lastVersionAt,
  maxVersion,
  tick,
  type ClockState,
  type Version,
} from '@/lib/shared/version';
import { BrandedError } from './brand';
import { gunzip } from './compression';
import type { D1Executor, SqlRow, SqlStatement, SqlValue } from './d1/executor';
import {
  MAX_DOCUMENT_GZIP_BYTES,
  decodeLegacyData,
  encodeJobDocument,
  fromBase64Chunks,
  isSentJob,
  toBase64Chunks,
} from './job-document';
import type { JsonBody } from './request-body';

export { DEFAULT_JOB_TTL_MS };

/** How many jobs one `getJobData` may ask for (D1 binds at most 100 values per statement). */
export const MAX_JOB_DATA_IDS = JOB_BUNDLE_MAX_IDS;

/** What `getJobData` read: the jobs sent, the live ones left for another request, the gone. */
export interface JobDataResult {
  readonly jobs: readonly StoredJob[];
  readonly more: readonly JobId[];
  readonly missing: readonly JobId[];
}

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
  /** {@link listJobs} as the JSON text the API answers with, made without an object per job. */
  listJobsJson(): Promise<string>;
  /** Everything that changed after `since`: new versions, deletes and expiries. */
  listChanges(since: Cursor): Promise<JobChangesResponse>;
  /** A live job, or null. */
  getJob(jobId: JobId): Promise<StoredJob | null>;
  /**
   * Several live jobs with their stored gzip, for a device catching up: newest first, as many as
   * fit in `budgetBytes` of gzip (at least one), at most {@link MAX_JOB_DATA_IDS} asked for.
   */
  getJobData(jobIds: readonly JobId[], budgetBytes?: number): Promise<JobDataResult>;
  /**
   * Writes a job if its version wins by the merge rule (lib/shared/merge-rule.ts): newer than
   * the stored write and than the job's tombstone. A job without a version (the plan's clients)
   * gets one from the server's clock. Throws {@link IdempotencyConflictError} when `opId` was
   * used before for another body; a replay of the same body is answered as the first time.
   * `sent` is the body `job` was parsed from: when it is the job exactly as stored, its bytes
   * (and its gzip) become the stored document without being serialised or compressed again.
   */
  upsertJob(job: ParsedJobInput, opId: OpId, sent?: JsonBody): Promise<UpsertResponse>;
  /**
   * Moves a job's tombstone up to `upTo` (the version its device deleted; undefined: whatever
   * the server holds now) — a job the server has not seen too, so that a save of it arriving
   * later loses. Versions above `upTo` stay live.
   */
  deleteJob(jobId: JobId, upTo: Version | undefined, opId: OpId): Promise<DeleteResponse>;
  /**
   * Clear-all: `seen` covers, job by job, what the clearing device held; `before` (the plan's
   * clients) covers every job's versions up to that millisecond.
   */
  clearJobs(spec: ClearSpec, opId: OpId): Promise<ClearResponse>;
  /** Removes expired jobs and the tombstones that have done their work. */
  cleanupExpired(): Promise<{ removed: number }>;
}

export type ClearSpec =
  { readonly seen: Readonly<Record<JobId, Version>> } | { readonly before: number };

export interface JobStoreOptions {
  /** How long a job lives after its last update, and how long a tombstone is kept (ms). */
  readonly ttlMs?: number;
  readonly now?: () => number;
  /** The node id of the versions this store issues to writes that come without one. */
  readonly nodeId?: string;
}

/** A job too large to store and serve (its gzip would exceed {@link MAX_DOCUMENT_GZIP_BYTES}). */
export class JobTooLargeError extends BrandedError('JobTooLargeError') {
  override readonly name = 'JobTooLargeError';
  constructor(readonly gzipBytes: number) {
    super(
      `The job compresses to ${gzipBytes} bytes; at most ${MAX_DOCUMENT_GZIP_BYTES} bytes can be stored and served`,
    );
  }
}

/** An op id that the server already received with another body: refused, nothing changed. */
export class IdempotencyConflictError extends BrandedError('IdempotencyConflictError') {
  override readonly name = 'IdempotencyConflictError';
  constructor(readonly opId: string) {
    super(
      `The Idempotency-Key ${opId} was already used for another change; use a new key for new content`,
    );
  }
}

/** A stored row that does not decode: the database was changed outside this code. */
export class CorruptJobError extends Error {
  override readonly name = 'CorruptJobError';
}

const INFO_COLUMNS = `job_id, video_id, video_url, scene_count, characters_found, mode, voice,
  status, has_script, created_at, updated_at, error_json, expires_at, version, based_on`;

const CURRENT_SEQ = '(SELECT seq FROM veo_sync_state WHERE id = 1)';
/** The node of the versions migration 0004 gave to rows written before it. */
const LEGACY_NODE_SUFFIX = '.0';
const HORIZON = '(SELECT horizon FROM veo_sync_state WHERE id = 1)';
const LIVE = SQL_RULE.isLive();

/**
 * True when the write of op ?2 on job ?1 took effect in this very batch: the row carries the op id
 * and the sequence number this batch took. Later statements of the batch test it, so chunks are
 * replaced only by the write that won.
 */
/** Op ?2 arrived for the first time in the running batch (its outcome is not recorded yet). */
const FIRST_ARRIVAL = `(SELECT applied IS NULL FROM veo_ops WHERE op_id = ?2)`;
const WON_HERE = `(EXISTS (SELECT 1 FROM veo_jobs WHERE job_id = ?1 AND op_id = ?2 AND seq = ${CURRENT_SEQ}) AND ${FIRST_ARRIVAL})`;

/**
 * The first statements of every write: record op ?2 (job ?1, body hash ?3) with the next change
 * sequence, unless it was recorded before — and take that sequence number only then. A replay
 * (or a reused op id) changes nothing at all, not even the sequence.
 */
function beginOp(jobId: string, opId: string, bodyHash: string, expiresAt: number): SqlStatement[] {
  return [
    {
      sql: `INSERT INTO veo_ops (op_id, job_id, body_hash, applied, seq, expires_at)
        VALUES (?2, ?1, ?3, NULL, ${CURRENT_SEQ} + 1, ?4) ON CONFLICT (op_id) DO NOTHING`,
      params: [jobId, opId, bodyHash, expiresAt],
    },
    {
      // Only a first arrival takes a sequence number.
      sql: `UPDATE veo_sync_state SET seq = seq + 1
        WHERE id = 1 AND (SELECT applied IS NULL FROM veo_ops WHERE op_id = ?1)`,
      params: [opId],
    },
  ];
}

/** Records what first-arriving op ?2 did (`won`: SQL, true when it took effect). */
function finishOp(won: string, params: SqlValue[]): SqlStatement {
  return {
    sql: `UPDATE veo_ops SET applied = CASE WHEN ${won} THEN 1 ELSE 0 END
      WHERE op_id = ?2 AND applied IS NULL`,
    params,
  };
}

/** The op's record: whether it is new in this batch, its body hash, and what it did then. */
function readOp(opId: string): SqlStatement {
  return {
    sql: `SELECT body_hash, applied FROM veo_ops WHERE op_id = ?1`,
    params: [opId],
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function createJobStore(executor: D1Executor, options: JobStoreOptions = {}): JobStore {
  const ttlMs = options.ttlMs ?? DEFAULT_JOB_TTL_MS;
  const now = options.now ?? Date.now;
  const nodeId = options.nodeId ?? `s${randomBytes(6).toString('hex')}`;
  let clock: ClockState = INITIAL_CLOCK;

  const readJobs = (jobIds: readonly JobId[], budgetBytes: number) =>
    readJobsWith(executor, now(), jobIds, budgetBytes);

  /** A version for a write that came without one: this server's clock. */
  function issueVersion(): Version {
    const next = tick(clock, now(), nodeId);
    clock = next.state;
    return next.version;
  }

  /** Refuses an op id seen before with another body; says whether this was its first arrival. */
  function checkOp(row: SqlRow | undefined, opId: string, bodyHash: string) {
    if (!row || row.body_hash !== bodyHash) throw new IdempotencyConflictError(opId);
    return { applied: row.applied === 1 };
  }

  /** Statements every write appends: drop expired jobs, tombstones and op records past their time. */
  function cleanupStatements(at: number): SqlStatement[] {
    return [
      {
        // A tombstone about to go may be the only record of a delete some client has not pulled:
        // remember the highest such seq, and clients with an older cursor start over. What goes
        // also raises the horizon: no write at or below it can be judged any more.
        sql: `UPDATE veo_sync_state
          SET purged_seq = MAX(purged_seq,
              COALESCE((SELECT MAX(seq) FROM veo_jobs WHERE expires_at <= ?1 AND NOT ${LIVE}), 0)),
            horizon = MAX(horizon,
              (SELECT MAX(MAX(version, COALESCE(deleted_up_to, ''))) FROM veo_jobs WHERE expires_at <= ?1))
          WHERE id = 1 AND EXISTS (SELECT 1 FROM veo_jobs WHERE expires_at <= ?1)`,
        params: [at],
      },
      {
        sql: `DELETE FROM veo_job_chunks
          WHERE job_id IN (SELECT job_id FROM veo_jobs WHERE expires_at <= ?1)`,
        params: [at],
      },
      // veo_job_data rows of the plan's format go with their job (ON DELETE CASCADE).
      { sql: 'DELETE FROM veo_jobs WHERE expires_at <= ?1', params: [at] },
      { sql: 'DELETE FROM veo_ops WHERE expires_at <= ?1', params: [at] },
    ];
  }

  /** Deletes the data of jobs that op ?1 made dead in this batch. */
  function dropDeadData(): SqlStatement[] {
    const dead = `SELECT job_id FROM veo_jobs WHERE seq = ${CURRENT_SEQ} AND op_id = ?1 AND NOT ${LIVE}
      AND (SELECT applied IS NULL FROM veo_ops WHERE op_id = ?1)`;
    return [
      { sql: `DELETE FROM veo_job_chunks WHERE job_id IN (${dead})`, params: [] },
      { sql: `DELETE FROM veo_job_data WHERE job_id IN (${dead})`, params: [] },
    ];
  }

  /**
   * The SET clause for a row whose tombstone moves to `upTo`, by op `op` (SQL expressions): a row
   * the tombstone now covers dies (its data goes, its death time and expiry are set once).
   */
  const tombstoneSet = (
    upTo: string,
    op: { opId: string; deletedAt: string; expiresAt: string },
  ) => {
    const merged = SQL_RULE.mergedTombstone(upTo);
    const diesNow = `NOT (veo_jobs.version <> '' AND veo_jobs.version > ${merged})`;
    return `deleted_up_to = ${merged}, op_id = ${op.opId}, seq = ${CURRENT_SEQ},
      deleted_at = CASE WHEN ${diesNow} THEN COALESCE(veo_jobs.deleted_at, ${op.deletedAt}) ELSE NULL END,
      expires_at = CASE WHEN ${diesNow} AND veo_jobs.deleted_at IS NULL THEN ${op.expiresAt} ELSE veo_jobs.expires_at END,
      data_bytes = CASE WHEN ${diesNow} THEN 0 ELSE veo_jobs.data_bytes END,
      data_gzip_bytes = CASE WHEN ${diesNow} THEN 0 ELSE veo_jobs.data_gzip_bytes END,
      data_chunks = CASE WHEN ${diesNow} THEN 0 ELSE veo_jobs.data_chunks END`;
  };
  const advances = (upTo: string) =>
    `(veo_jobs.deleted_up_to IS NULL OR ${upTo} > veo_jobs.deleted_up_to)`;

  async function listJobsJson(): Promise<string> {
    const [state, list] = await executor.batch([
      { sql: 'SELECT seq FROM veo_sync_state WHERE id = 1', params: [] },
      {
        // Each job's list entry as JSON, made by SQLite: this process then neither builds an
        // object per job nor serialises the answer (1,000 jobs: ~4 ms less per list).
        sql: `SELECT ${INFO_JSON} AS info FROM veo_jobs
          WHERE ${LIVE} AND expires_at > ?1
          ORDER BY updated_at DESC`,
        params: [now()],
      },
    ]);
    const jobs = (list?.rows ?? []).map((row) => canonicalInfoJson(row.info));
    return `{"jobs":[${jobs.join(',')}],"cursor":${JSON.stringify(String(numberColumn(state?.rows[0], 'seq')))}}`;
  }

  return {
    async listJobs() {
      return JSON.parse(await listJobsJson()) as JobListResponse;
    },

    listJobsJson,

    async listChanges(since) {
      const sinceSeq = Number(since);
      // The cursor is read before the changes: a write that lands in between is sent again on
      // the next pull, never missed. A cursor below purged_seq (a tombstone it never saw is gone)
      // or above seq (another database) starts over from 0: the full list, reset: true.
      const [state, changes] = await executor.batch([
        { sql: 'SELECT seq, purged_seq FROM veo_sync_state WHERE id = 1', params: [] },
        {
          sql: `SELECT ${INFO_COLUMNS}, deleted_at, deleted_up_to FROM veo_jobs
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
        const versions = rowVersions(row);
        if (!isLive(versions) || numberColumn(row, 'expires_at') <= at) {
          if (reset) continue;
          const upTo = maxVersion(versions.deletedUpTo, versions.version);
          if (upTo === undefined) continue;
          deleted.push({
            jobId: String(row.job_id),
            deletedAt:
              typeof row.deleted_at === 'number' ? row.deleted_at : numberColumn(row, 'expires_at'),
            // An expired job is gone up to its last version.
            deletedUpTo: isLive(versions) ? (versions.version ?? upTo) : upTo,
          });
        } else {
          jobs.push(rowToInfo(row));
        }
      }
      jobs.sort((a, b) => b.updatedAt - a.updatedAt);
      return { jobs, deleted, cursor: String(seq), reset };
    },

    async getJob(jobId) {
      const { jobs } = await readJobs([jobId], Infinity);
      return jobs[0] ?? null;
    },

    getJobData(jobIds, budgetBytes = JOB_BUNDLE_MAX_BYTES) {
      return readJobs([...new Set(jobIds)].slice(0, MAX_JOB_DATA_IDS), budgetBytes);
    },

    async upsertJob(input, opId, sent) {
      const at = now();
      // What the op id names: the write as the device sent it (its version included).
      const inputJson = JSON.stringify(input);
      const bodyHash = sha256(`upsert\n${inputJson}`);
      const version = input.version ?? issueVersion();
      const expiresAt = Math.min(input.expiresAt ?? Infinity, input.updatedAt + ttlMs);
      const { data: _data, version: _v, ...rest } = input;
      const info: CachedVeoJobInfo = { ...rest, version, expiresAt };
      // The stored job, in the order its fields came; when the server set nothing of its own,
      // its JSON is the input's.
      const job: CachedVeoJob = { ...input, version, expiresAt };
      const asSent = input.version === version && input.expiresAt === expiresAt;
      const document = await encodeJobDocument(job, {
        ...(asSent ? { jobJson: inputJson } : {}),
        ...(asSent && sent && isSentJob(sent.value, job) ? { sent } : {}),
      });
      if (document.gzip.byteLength > MAX_DOCUMENT_GZIP_BYTES) {
        throw new JobTooLargeError(document.gzip.byteLength);
      }
      const chunks = toBase64Chunks(document.gzip);
      // Already expired on arrival (a device offline for longer than the TTL): it would vanish
      // at once, so nothing is written. (The op is still recorded: its replay is answered alike.)
      const alive = expiresAt > at ? 1 : 0;

      const statements: SqlStatement[] = [
        ...beginOp(info.jobId, opId, bodyHash, at + ttlMs),
        {
          sql: `INSERT INTO veo_jobs (job_id, op_id, video_id, video_url, scene_count,
              characters_found, mode, voice, status, has_script, created_at, updated_at,
              error_json, expires_at, data_bytes, data_gzip_bytes, data_chunks, deleted_at, seq,
              version, based_on)
            SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
              NULL, ${CURRENT_SEQ}, ?18, ?20
            WHERE ${FIRST_ARRIVAL} AND ?19 = 1 AND ?18 > ${HORIZON}
            ON CONFLICT (job_id) DO UPDATE SET
              op_id = excluded.op_id, video_id = excluded.video_id,
              video_url = excluded.video_url, scene_count = excluded.scene_count,
              characters_found = excluded.characters_found, mode = excluded.mode,
              voice = excluded.voice, status = excluded.status, has_script = excluded.has_script,
              created_at = excluded.created_at, updated_at = excluded.updated_at,
              error_json = excluded.error_json, expires_at = excluded.expires_at,
              data_bytes = excluded.data_bytes, data_gzip_bytes = excluded.data_gzip_bytes,
              data_chunks = excluded.data_chunks, deleted_at = NULL, seq = excluded.seq,
              version = excluded.version, based_on = excluded.based_on
            WHERE ${SQL_RULE.writeWins('excluded.version')}`,
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
            version,
            alive,
            info.basedOn ?? null,
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
        finishOp(WON_HERE, [info.jobId, opId]),
        ...cleanupStatements(at),
        readOp(opId),
        {
          sql: `SELECT ${INFO_COLUMNS}, deleted_up_to FROM veo_jobs WHERE job_id = ?1 AND expires_at > ?2`,
          params: [info.jobId, at],
        },
      ];
      const results = await executor.batch(statements);
      const op = checkOp(results.at(-2)?.rows[0], opId, bodyHash);
      const current = results.at(-1)?.rows[0];
      const versions = current ? rowVersions(current) : {};
      return {
        job: current && isLive(versions) ? rowToInfo(current) : null,
        applied: op.applied,
        deletedUpTo: versions.deletedUpTo ?? null,
      };
    },

    async deleteJob(jobId, upTo, opId) {
      const at = now();
      const bodyHash = sha256(`delete\n${jobId}\n${upTo ?? ''}`);
      const results = await executor.batch([
        ...beginOp(jobId, opId, bodyHash, at + ttlMs),
        upTo === undefined
          ? {
              // The plan's clients: whatever the server holds now.
              sql: `UPDATE veo_jobs SET ${tombstoneSet('veo_jobs.version', { opId: '?2', deletedAt: '?4', expiresAt: '?6' })}
                WHERE job_id = ?1 AND ${FIRST_ARRIVAL} AND ${LIVE} AND ${advances('veo_jobs.version')}`,
              params: [jobId, opId, null, at, null, at + ttlMs],
            }
          : {
              // A job the server has not seen yet gets a tombstone too: its save may still be on
              // the way (a retry, a slow request), and must then lose to this delete.
              sql: `INSERT INTO veo_jobs (job_id, op_id, created_at, updated_at, expires_at,
                  deleted_at, seq, version, deleted_up_to)
                SELECT ?1, ?2, ?5, ?4, ?6, ?4, ${CURRENT_SEQ}, '', ?3
                WHERE ${FIRST_ARRIVAL} AND ?3 > ${HORIZON}
                ON CONFLICT (job_id) DO UPDATE SET ${tombstoneSet('?3', { opId: '?2', deletedAt: '?4', expiresAt: '?6' })}
                WHERE ${advances('?3')}`,
              params: [jobId, opId, upTo, at, new Date(at).toISOString(), at + ttlMs],
            },
        ...dropDeadData().map((statement) => ({ ...statement, params: [opId] })),
        // Applied: this delete ended the job (a newer write that outlives it means it lost).
        finishOp(
          `EXISTS (SELECT 1 FROM veo_jobs
            WHERE job_id = ?1 AND op_id = ?2 AND seq = ${CURRENT_SEQ} AND NOT ${LIVE})`,
          [jobId, opId],
        ),
        ...cleanupStatements(at),
        readOp(opId),
        {
          sql: `SELECT ${INFO_COLUMNS}, deleted_at, deleted_up_to FROM veo_jobs
            WHERE job_id = ?1 AND expires_at > ?2`,
          params: [jobId, at],
        },
      ]);
      const op = checkOp(results.at(-2)?.rows[0], opId, bodyHash);
      const current = results.at(-1)?.rows[0];
      const versions = current ? rowVersions(current) : {};
      const live = current !== undefined && isLive(versions);
      return {
        jobId,
        applied: op.applied,
        deletedAt:
          current && !live && typeof current.deleted_at === 'number' ? current.deleted_at : null,
        job: live ? rowToInfo(current) : null,
        deletedUpTo: versions.deletedUpTo ?? null,
      };
    },

    async clearJobs(spec, opId) {
      const at = now();
      const bodyHash = sha256(
        'seen' in spec
          ? `clear\n${JSON.stringify(Object.entries(spec.seen).sort(([a], [b]) => (a < b ? -1 : 1)))}`
          : `clear-before\n${spec.before}`,
      );
      const firstArrival = `(SELECT applied IS NULL FROM veo_ops WHERE op_id = ?1)`;
      const by = { opId: '?1', deletedAt: '?2', expiresAt: '?4' };
      const cover: SqlStatement =
        'seen' in spec
          ? {
              // Exactly what the device held: each listed job's tombstone moves up to the
              // version the device had (a job the server never saw gets its tombstone too).
              sql: `INSERT INTO veo_jobs (job_id, op_id, created_at, updated_at, expires_at,
                  deleted_at, seq, version, deleted_up_to)
                SELECT seen.key, ?1, ?3, ?2, ?4, ?2, ${CURRENT_SEQ}, '', seen.value
                FROM json_each(?5) AS seen
                WHERE ${firstArrival} AND seen.value > ${HORIZON}
                ON CONFLICT (job_id) DO UPDATE SET ${tombstoneSet('excluded.deleted_up_to', by)}
                WHERE ${advances('excluded.deleted_up_to')}`,
              params: [opId, at, new Date(at).toISOString(), at + ttlMs, JSON.stringify(spec.seen)],
            }
          : {
              // The plan's clients: every job's versions up to the end of millisecond `before`.
              sql: `UPDATE veo_jobs SET ${tombstoneSet('?5', by)}
                WHERE ${firstArrival} AND ${LIVE} AND ${advances('?5')} AND ?5 > ${HORIZON}`,
              params: [opId, at, null, at + ttlMs, lastVersionAt(spec.before)],
            };
      const results = await executor.batch([
        ...beginOp('*', opId, bodyHash, at + ttlMs),
        cover,
        ...dropDeadData().map((statement) => ({ ...statement, params: [opId] })),
        {
          sql: `SELECT COUNT(*) AS cleared FROM veo_jobs
            WHERE seq = ${CURRENT_SEQ} AND op_id = ?1 AND deleted_at = ?2 AND ${firstArrival}`,
          params: [opId, at],
        },
        finishOp('1', ['*', opId]),
        ...cleanupStatements(at),
        readOp(opId),
      ]);
      checkOp(results.at(-1)?.rows[0], opId, bodyHash);
      const cleared = numberColumn(results[5]?.rows[0], 'cleared');
      return { cleared, before: 'before' in spec ? spec.before : null };
    },

    async cleanupExpired() {
      const results = await executor.batch(cleanupStatements(now()));
      return { removed: results.at(-2)?.changes ?? 0 };
    },
  };
}

/** A row's versions, as the merge rule reads them. */
function rowVersions(row: SqlRow): JobVersions {
  const version =
    typeof row.version === 'string' && row.version !== '' ? (row.version as Version) : undefined;
  const deletedUpTo =
    typeof row.deleted_up_to === 'string' ? (row.deleted_up_to as Version) : undefined;
  return { version, deletedUpTo };
}

/**
 * Reads live jobs with their stored gzip in ONE D1 request: of `jobIds`, newest `updatedAt`
 * first, as many as fit in `budgetBytes` of gzip (always the first). The others that are live
 * come back in `more`, for another request; those that are not, in `missing`.
 */
async function readJobsWith(
  executor: D1Executor,
  at: number,
  jobIds: readonly JobId[],
  budgetBytes: number,
): Promise<JobDataResult> {
  if (jobIds.length === 0) return { jobs: [], more: [], missing: [] };
  const idParams = jobIds.map((_, i) => `?${i + 3}`).join(', ');
  const budgeted = Number.isFinite(budgetBytes);
  const params = [at, budgeted ? budgetBytes : 0, ...jobIds];
  const info = INFO_COLUMNS.split(',').map((c) => `j.${c.trim()}`);
  // The live jobs asked for, newest first, each with the gzip bytes that go before it: sent are
  // those that start within the budget, and always the first. One row per chunk of a job sent
  // (or one, for a job without chunks), one row for each live job left for another request.
  const [rows] = await executor.batch([
    {
      sql: budgeted
        ? `SELECT ${info.join(', ')}, j.data_chunks, w.sent, c.chunk, c.data_base64,
              d.data_compressed
            FROM (
              SELECT job_id, (n = 1 OR before_bytes < ?2) AS sent FROM (
                SELECT job_id, ROW_NUMBER() OVER (ORDER BY updated_at DESC, job_id) AS n,
                  SUM(COALESCE(data_gzip_bytes, 0)) OVER (ORDER BY updated_at DESC, job_id
                    ROWS UNBOUNDED PRECEDING) - COALESCE(data_gzip_bytes, 0) AS before_bytes
                FROM veo_jobs WHERE job_id IN (${idParams}) AND ${LIVE} AND expires_at > ?1
              )
            ) w
            JOIN veo_jobs j ON j.job_id = w.job_id
            LEFT JOIN veo_job_chunks c ON w.sent AND c.job_id = j.job_id
            LEFT JOIN veo_job_data d ON w.sent AND d.job_id = j.job_id
            ORDER BY j.updated_at DESC, j.job_id, c.chunk`
        : // Every live one is sent: no window to compute.
          `SELECT ${info.join(', ')}, j.data_chunks, 1 AS sent, c.chunk, c.data_base64,
              d.data_compressed
            FROM veo_jobs j
            LEFT JOIN veo_job_chunks c ON c.job_id = j.job_id
            LEFT JOIN veo_job_data d ON d.job_id = j.job_id
            WHERE j.job_id IN (${idParams}) AND ${SQL_RULE.isLive('j')} AND j.expires_at > ?1
            ORDER BY j.updated_at DESC, j.job_id, c.chunk`,
      params,
    },
  ]);
  const byJob = new Map<string, SqlRow[]>();
  for (const row of rows?.rows ?? []) {
    const id = String(row.job_id);
    byJob.set(id, [...(byJob.get(id) ?? []), row]);
  }
  const jobs: StoredJob[] = [];
  const more: JobId[] = [];
  for (const [id, jobRows] of byJob) {
    const first = jobRows[0]!;
    if (!first.sent) {
      more.push(id);
      continue;
    }
    const chunkRows = first.chunk === null ? [] : jobRows;
    const legacyRow = first.data_compressed === null ? undefined : first;
    jobs.push(await decodeStoredJob(first, chunkRows, legacyRow));
  }
  return { jobs, more, missing: jobIds.filter((id) => !byJob.has(id)) };
}

/** A stored job's list entry and its gzip document, from its rows (current, older or legacy). */
async function decodeStoredJob(
  row: SqlRow,
  chunkRows: readonly SqlRow[],
  legacyRow: SqlRow | undefined,
): Promise<StoredJob> {
  const jobInfo = rowToInfo(row);
  const jobId = jobInfo.jobId;
  const expectedChunks = numberColumn(row, 'data_chunks');
  if (expectedChunks > 0) {
    if (chunkRows.length !== expectedChunks || chunkRows.some((r, i) => r.chunk !== i)) {
      throw new CorruptJobError(
        `Job ${jobId} should have ${expectedChunks} data chunks, found ${chunkRows.length}`,
      );
    }
    const gzip = fromBase64Chunks(chunkRows.map((r) => String(r.data_base64)));
    if (!jobInfo.version.endsWith(LEGACY_NODE_SUFFIX)) return { info: jobInfo, gzip };
    // Stored before causal versions (migration 0004 named its version): the document has
    // none. Served with it, until the job's next write stores a new document.
    const { job } = JSON.parse((await gunzip(gzip)).toString('utf8')) as {
      job: Omit<CachedVeoJob, 'version'>;
    };
    const encoded = await encodeJobDocument({ ...job, ...jobInfo, data: job.data });
    return { info: jobInfo, gzip: encoded.gzip };
  }
  // A job written by the plan's version of the app: its data in veo_job_data, one row.
  if (!legacyRow) throw new CorruptJobError(`Job ${jobId} has no stored data`);
  const data = jobDataSchema.safeParse(await decodeLegacyData(String(legacyRow.data_compressed)));
  if (!data.success) throw new CorruptJobError(`Job ${jobId} has unreadable legacy data`);
  const encoded = await encodeJobDocument({ ...jobInfo, data: data.data });
  return { info: jobInfo, gzip: encoded.gzip };
}

/**
 * A job's list entry as SQLite's JSON, in the order of jobInfoSchema's keys (what rowToInfo and
 * JSON.stringify make of the row): the column values as they are, `hasScript` a boolean, `error`
 * the stored JSON (or its text, when it is not JSON), and no `basedOn` when it is NULL (removing
 * a path that is not there changes nothing).
 */
const INFO_JSON = `json_remove(json_object('jobId', job_id, 'videoId', video_id, 'videoUrl', video_url,
  'sceneCount', scene_count, 'charactersFound', characters_found, 'mode', mode, 'voice', voice,
  'status', status,
  'hasScript', json(CASE WHEN typeof(has_script) = 'integer' AND has_script = 1 THEN 'true' ELSE 'false' END),
  'createdAt', created_at, 'updatedAt', updated_at, 'version', version, 'basedOn', based_on,
  'error', CASE WHEN typeof(error_json) <> 'text' THEN NULL
    WHEN json_valid(error_json) THEN json(error_json) ELSE error_json END,
  'expiresAt', expires_at),
  CASE WHEN based_on IS NULL THEN '$.basedOn' ELSE '$.basedOnIsSet' END)`;

/** Validated list entries: SQLite's JSON of a row → the JSON of the job it validates to. */
const validatedJson = new Map<string, string>();

/**
 * A list entry from SQLite (INFO_JSON) as the API answers it: validated with jobInfoSchema once
 * per distinct text, and answered as JSON.stringify writes the validated job (byte for byte what
 * serialising rowToInfo's object gives).
 */
function canonicalInfoJson(value: SqlValue | undefined): string {
  if (typeof value !== 'string') throw new CorruptJobError('A listed job has no JSON');
  const known = validatedJson.get(value);
  if (known !== undefined) return known;
  const parsed = jobInfoSchema.safeParse(JSON.parse(value));
  if (!parsed.success) {
    throw new CorruptJobError('A stored job does not match the job schema', {
      cause: parsed.error,
    });
  }
  const canonical = JSON.stringify(parsed.data);
  if (validatedJson.size >= VALIDATED_ROWS_LIMIT) validatedJson.clear();
  validatedJson.set(value, canonical);
  return canonical;
}

/**
 * Rows already validated, by their column values: pulls, gets, bundles and write answers read the
 * same rows again and again, and validating one with zod costs 10–20 µs. The same values always
 * give the same job, so a hit is exact; the entries are frozen, as they are shared between
 * answers.
 */
const validatedRows = new Map<string, CachedVeoJobInfo>();
const VALIDATED_ROWS_LIMIT = 20_000;

function rowToInfo(row: SqlRow): CachedVeoJobInfo {
  const key = JSON.stringify([
    row.job_id,
    row.video_id,
    row.video_url,
    row.scene_count,
    row.characters_found,
    row.mode,
    row.voice,
    row.status,
    row.has_script,
    row.created_at,
    row.updated_at,
    row.error_json,
    row.expires_at,
    row.version,
    row.based_on,
  ]);
  const known = validatedRows.get(key);
  if (known) return known;
  const info = Object.freeze(validateRow(row));
  if (validatedRows.size >= VALIDATED_ROWS_LIMIT) validatedRows.clear();
  validatedRows.set(key, info);
  return info;
}

function validateRow(row: SqlRow): CachedVeoJobInfo {
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
    version: row.version,
    ...(row.based_on === null || row.based_on === undefined ? {} : { basedOn: row.based_on }),
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
