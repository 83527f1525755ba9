/**
 * The job as it travels between the VEO app, the device and the server: one zod schema per wire
 * type, the TypeScript type inferred beside it. Shared code: no DOM, no Node API, no env.
 */
import * as z from 'zod';
import { versionSchema } from './version';

/** How long a job lives after its last update unless configured otherwise: 30 days (ms). */
export const DEFAULT_JOB_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Longest job id the API accepts (characters). */
export const JOB_ID_MAX_LENGTH = 128;

/** 1–128 characters of `[A-Za-z0-9._:-]`: safe in a URL path, a cache key and a log line. */
export const jobIdSchema = z
  .string()
  .min(1, 'jobId must not be empty')
  .max(JOB_ID_MAX_LENGTH, `jobId must be at most ${JOB_ID_MAX_LENGTH} characters`)
  .regex(/^[A-Za-z0-9._:-]+$/, 'jobId may only contain letters, digits and . _ : -')
  // `/api/veo/jobs/..` is not that job's URL: every HTTP client resolves dot segments first.
  .refine((id) => !/^\.+$/.test(id), 'jobId must not be made of dots only');
export type JobId = z.infer<typeof jobIdSchema>;

export const JOB_STATUSES = ['completed', 'error', 'cancelled'] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** A point in time in milliseconds since the epoch. */
export const epochMsSchema = z.number().int().nonnegative().max(8.64e15);

const shortLabelSchema = z.string().trim().min(1).max(64);

/**
 * What the history list shows of a job: the plan's `veo_jobs` columns in camelCase. Unknown keys
 * are refused, so a misspelt field is an error rather than silently dropped data.
 */
export const jobInfoSchema = z.strictObject({
  jobId: jobIdSchema,
  videoId: z.string().max(2048).default(''),
  videoUrl: z.string().max(4096).default(''),
  sceneCount: z.number().int().nonnegative().max(1_000_000).default(0),
  charactersFound: z.number().int().nonnegative().max(1_000_000).default(0),
  mode: shortLabelSchema.default('hybrid'),
  voice: shortLabelSchema.default('no-voice'),
  status: jobStatusSchema.default('completed'),
  hasScript: z.boolean().default(false),
  /** When the job was created, as the plan's ISO 8601 string. */
  createdAt: z.iso.datetime({ offset: true }),
  /** When the job was last saved (ms), as people are shown it. Who wins is decided by `version`. */
  updatedAt: epochMsSchema,
  /** The causal version of this write (lib/shared/version.ts): the merge rule compares these. */
  version: versionSchema,
  /**
   * The version of the job its writer held when it saved this one (absent for a first write, and
   * from clients that do not say): a device whose own write this one replaces can tell whether
   * its writer had seen it — if not, the user's edit lost to one made without it, and the device
   * keeps it for them (lib/client/replaced.ts).
   */
  basedOn: versionSchema.optional(),
  /** The pipeline's error (any JSON), or null. */
  error: z.json().nullable().default(null),
  /** When the job disappears from every list (ms). The server caps it at updatedAt + its TTL. */
  expiresAt: epochMsSchema,
});
export type CachedVeoJobInfo = z.infer<typeof jobInfoSchema>;

/**
 * The pipeline's result: usually `scenes[]`, `characters[]` and `script`, otherwise opaque. It
 * must be an object; the known parts are checked for shape, everything else is kept as is. The
 * elements are not walked: a body is JSON by construction, and checking every node of a 20 MB
 * job would cost more than storing it.
 */
export const jobDataSchema = z.looseObject({
  scenes: z.array(z.unknown()).optional(),
  characters: z.array(z.unknown()).optional(),
  script: z.unknown().optional(),
});
export type CachedVeoJobData = z.infer<typeof jobDataSchema>;

export const jobSchema = jobInfoSchema.extend({ data: jobDataSchema });
export type CachedVeoJob = z.infer<typeof jobSchema>;

/**
 * A job as a writer sends it: `expiresAt` may be left out (the server then uses its TTL), every
 * column with a default in the plan's schema may be left out too.
 */
export const jobInputSchema = jobSchema.extend({
  expiresAt: epochMsSchema.optional(),
  /** A device's own causal version; without one (the plan's clients) the server issues one. */
  version: versionSchema.optional(),
});
export type CachedVeoJobInput = z.input<typeof jobInputSchema>;
export type ParsedJobInput = z.output<typeof jobInputSchema>;

/** An op id: the `Idempotency-Key` of a write. Opaque, printable, compared as a string. */
export const opIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'Idempotency-Key must be printable ASCII without spaces');
export type OpId = z.infer<typeof opIdSchema>;
