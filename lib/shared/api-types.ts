/**
 * The jobs API (v1) on the wire: every response body has a schema here, so the server can be
 * tested against it and the client can parse what it receives instead of trusting it.
 */
import * as z from 'zod';
import { epochMsSchema, jobIdSchema, jobInfoSchema, jobSchema } from './job-schema';
import { versionSchema } from './version';

/** The base path of the jobs API. */
export const JOBS_API_PATH = '/api/veo/jobs';
/** Sign-in, sign-out and whether a sign-in is needed. */
export const SESSION_API_PATH = '/api/veo/session';

/**
 * `GET /api/veo/job-data?ids=a,b,c`: several jobs' data for a device catching up, as the server
 * stores it (the gzip of each job's `GET` body), in one response and one D1 request. The body is
 * a {@link JobBundleIndex} as one line of JSON, a newline, then each job's gzip bytes in the
 * index's order. Served without `Content-Encoding`, so no browser inflates it on the way.
 */
export const JOB_DATA_API_PATH = '/api/veo/job-data';
export const JOB_BUNDLE_CONTENT_TYPE = 'application/vnd.veo.job-bundle';
/**
 * The bundle's length in bytes, for download progress: Next.js answers a route's body chunked and
 * drops its `Content-Length`, so the length travels in a header of its own too.
 */
export const BUNDLE_LENGTH_HEADER = 'x-veo-bundle-length';
/** Job ids one bundle may ask for. */
export const JOB_BUNDLE_MAX_IDS = 50;
/**
 * The gzip bytes one bundle carries at most (but always one job): under the 4.5 MB a Vercel
 * function may answer, with room for the index.
 */
export const JOB_BUNDLE_MAX_BYTES = 3 * 1024 * 1024;

/**
 * `GET /api/veo/session`. `keyId` names the server's access key without revealing it, and is
 * given to signed-in callers only: a device sends what waited while it was signed out only
 * after a sign-in under the same key.
 */
export const sessionStatusSchema = z.object({
  required: z.boolean(),
  signedIn: z.boolean(),
  mode: z.enum(['key', 'local', 'open', 'refuse']),
  keyId: z.string().optional(),
});
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

/** `POST /api/veo/session`: signed in. */
export const sessionStartedSchema = z.object({
  signedIn: z.literal(true),
  expiresAt: z.number(),
  keyId: z.string(),
});

/** `DELETE /api/veo/session`: signed out; `ended` sessions were ended on the server. */
export const sessionEndedSchema = z.object({ signedIn: z.literal(false), ended: z.number() });

/**
 * A pull cursor: the server's change sequence as a decimal string. Clients store it and send it
 * back as `?since=`; they never need to interpret it.
 */
export const cursorSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,14})$/, 'cursor must be a cursor returned by the server');
export type Cursor = z.infer<typeof cursorSchema>;

/** `GET /api/veo/jobs` */
export const jobListResponseSchema = z.object({
  jobs: z.array(jobInfoSchema),
  cursor: cursorSchema,
});
export type JobListResponse = z.infer<typeof jobListResponseSchema>;

/** A job that is gone: when (server time, ms), and the tombstone that ended it. */
export const deletedJobSchema = z.object({
  jobId: jobIdSchema,
  deletedAt: epochMsSchema,
  deletedUpTo: versionSchema,
});
export type DeletedJob = z.infer<typeof deletedJobSchema>;

/**
 * `GET /api/veo/jobs?since=CURSOR`. With `reset: true` the cursor was too old (the server has
 * since forgotten deletes it may not have seen) and `jobs` is the full live list: the client
 * drops every synced job that is not in it.
 */
export const jobChangesResponseSchema = z.object({
  jobs: z.array(jobInfoSchema),
  deleted: z.array(deletedJobSchema),
  cursor: cursorSchema,
  reset: z.boolean(),
});
export type JobChangesResponse = z.infer<typeof jobChangesResponseSchema>;

/** `GET /api/veo/jobs/:jobId` */
export const jobResponseSchema = z.object({ job: jobSchema.nullable() });
export type JobResponse = z.infer<typeof jobResponseSchema>;

/**
 * `PUT /api/veo/jobs/:jobId`. `applied` is true when the server's current version of the job is
 * this write (also when this request was a replay of it); false when a newer write or delete won,
 * in which case `job` is the winner (null when that was a delete, or the write had expired).
 */
export const upsertResponseSchema = z.object({
  job: jobInfoSchema.nullable(),
  applied: z.boolean(),
  /** The job's tombstone on the server, if a delete or clear ever covered a version of it. */
  deletedUpTo: versionSchema.nullable(),
});
export type UpsertResponse = z.infer<typeof upsertResponseSchema>;

/** `DELETE /api/veo/jobs/:jobId`. `job` is the newer version that won when `applied` is false. */
export const deleteResponseSchema = z.object({
  jobId: jobIdSchema,
  applied: z.boolean(),
  deletedAt: epochMsSchema.nullable(),
  job: jobInfoSchema.nullable(),
  deletedUpTo: versionSchema.nullable(),
});
export type DeleteResponse = z.infer<typeof deleteResponseSchema>;

/**
 * The body of `DELETE /api/veo/jobs` from a device: what it held when the user cleared, job by
 * job — the clear covers exactly those versions. Without a body, `?before=MS` covers every job
 * whose version is from that millisecond or earlier (the plan's clients).
 */
export const clearRequestSchema = z.strictObject({
  seen: z.record(jobIdSchema, versionSchema).refine((seen) => Object.keys(seen).length <= 10_000, {
    message: 'at most 10,000 jobs per clear',
  }),
});
export type ClearRequest = z.infer<typeof clearRequestSchema>;

/** `DELETE /api/veo/jobs` */
export const clearResponseSchema = z.object({
  cleared: z.number().int().nonnegative(),
  before: epochMsSchema.nullable(),
});
export type ClearResponse = z.infer<typeof clearResponseSchema>;

export const API_ERROR_CODES = [
  'invalid_request',
  'invalid_job_id',
  'invalid_json',
  'validation_failed',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_encoding',
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'too_many_requests',
  'idempotency_conflict',
  'access_not_configured',
  'store_unavailable',
  'internal_error',
] as const;
export const apiErrorCodeSchema = z.enum(API_ERROR_CODES);
export type ApiErrorCode = z.infer<typeof apiErrorCodeSchema>;

/** Every 4xx/5xx answer of the API. `issues` lists what was wrong with the input. */
export const apiErrorBodySchema = z.object({
  error: z.object({
    code: apiErrorCodeSchema,
    message: z.string(),
    issues: z
      .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
      .optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;

/** The first line of a job bundle: which jobs follow, and the ones that did not fit or are gone. */
export const jobBundleIndexSchema = z.object({
  jobs: z.array(z.object({ job: jobInfoSchema, gzipBytes: z.number().int().nonnegative() })),
  /** Live jobs asked for that did not fit: ask again. */
  more: z.array(jobIdSchema),
  /** Jobs asked for that are not live (deleted, expired, never written). */
  missing: z.array(jobIdSchema),
});
export type JobBundleIndex = z.infer<typeof jobBundleIndexSchema>;
