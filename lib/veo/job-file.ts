/**
 * Jobs as files: export a job as JSON, and import one, validated with the same schema the server
 * uses. Expected failures are values with a reason a person can act on.
 */
import { jobInputSchema, type CachedVeoJob, type CachedVeoJobInput } from '@/lib/shared/job-schema';

/** The largest file the page reads (bytes): the API's own limit for a job's JSON. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

export type ImportResult = { ok: true; job: CachedVeoJobInput } | { ok: false; reason: string };

/** Reads and validates a job file's text. */
export function parseJobFile(text: string): ImportResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: `The file is not JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  // An exported file holds the job itself; an API answer holds it under "job". Accept both.
  const candidate =
    typeof value === 'object' && value !== null && 'job' in value ? value.job : value;
  const parsed = jobInputSchema.safeParse(candidate);
  if (!parsed.success) {
    const reasons = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || 'the job'}: ${i.message}`);
    return { ok: false, reason: `The file is not a VEO job: ${reasons.join('; ')}` };
  }
  return { ok: true, job: parsed.data };
}

/** Reads a File chosen by the user, within the size limit, and validates it. */
export async function readJobFile(file: Blob & { name?: string }): Promise<ImportResult> {
  if (file.size > MAX_IMPORT_BYTES) {
    return {
      ok: false,
      reason: `The file is ${(file.size / 1024 / 1024).toFixed(1)} MB; a job file is at most 20 MB`,
    };
  }
  return parseJobFile(await file.text());
}

/** The file name and contents of an exported job. */
export function exportJob(job: CachedVeoJob): { name: string; blob: Blob } {
  return {
    name: `veo-job-${job.jobId}.json`,
    blob: new Blob([JSON.stringify(job, null, 2)], { type: 'application/json' }),
  };
}
