/**
 * What stays in localStorage (sync rule 9): the resume state of a running job (`veo_phase_*`) and
 * the form settings (`veo_form_settings`) are small and belong to this device. Jobs that an older
 * version of the app cached under `veo_job_*` are moved into IndexedDB and the outbox, once.
 */
import * as z from 'zod';
import {
  DEFAULT_JOB_TTL_MS,
  jobSchema,
  type CachedVeoJob,
  type JobId,
} from '@/lib/shared/job-schema';

export const PHASE_KEY_PREFIX = 'veo_phase_';
export const FORM_SETTINGS_KEY = 'veo_form_settings';
export const LEGACY_JOB_KEY_PREFIX = 'veo_job_';

/** The part of the Web Storage API used here; tests pass their own. */
export type KeyValueStorage = Pick<
  Storage,
  'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'
>;

function defaultStorage(): KeyValueStorage | undefined {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage;
  } catch {
    // Some browsers throw on access when storage is disabled.
    return undefined;
  }
}

function readJson(storage: KeyValueStorage | undefined, key: string): unknown {
  const raw = storage?.getItem(key);
  if (raw === null || raw === undefined) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}

/** The resume state of a job that was running on this device, or null. */
export function getPhaseCache<T = unknown>(jobId: JobId, storage = defaultStorage()): T | null {
  return readJson(storage, PHASE_KEY_PREFIX + jobId) as T | null;
}

export function setPhaseCache(jobId: JobId, phase: unknown, storage = defaultStorage()): void {
  storage?.setItem(PHASE_KEY_PREFIX + jobId, JSON.stringify(phase));
}

export function clearPhaseCache(jobId: JobId, storage = defaultStorage()): void {
  storage?.removeItem(PHASE_KEY_PREFIX + jobId);
}

/** The form's last settings on this device, or null. */
export function getFormSettings<T = unknown>(storage = defaultStorage()): T | null {
  return readJson(storage, FORM_SETTINGS_KEY) as T | null;
}

export function setFormSettings(settings: unknown, storage = defaultStorage()): void {
  storage?.setItem(FORM_SETTINGS_KEY, JSON.stringify(settings));
}

/**
 * A legacy entry: the plan's CachedVeoJob, as loosely as older versions wrote it (times as
 * numbers or strings, columns missing). It becomes a valid job or is left where it is.
 */
const legacyEntrySchema = z.looseObject({
  jobId: z.string().optional(),
  createdAt: z.union([z.string(), z.number()]).optional(),
  updatedAt: z.union([z.number(), z.string()]).optional(),
  timestamp: z.number().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** Turns a legacy localStorage entry into a job, or explains why it cannot. */
export function legacyEntryToJob(
  key: string,
  raw: string,
  now: number,
): { ok: true; job: Omit<CachedVeoJob, 'version'> } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const entry = legacyEntrySchema.safeParse(value);
  if (!entry.success) return { ok: false, reason: 'not a job object' };
  const { timestamp, ...fields } = entry.data;
  const time = (v: string | number | undefined) =>
    typeof v === 'number' ? v : v === undefined ? NaN : Date.parse(v);
  const updatedAt =
    [time(fields.updatedAt), timestamp ?? NaN, time(fields.createdAt), now].find((t) =>
      Number.isFinite(t),
    ) ?? now;
  const createdAtMs = Number.isFinite(time(fields.createdAt)) ? time(fields.createdAt) : updatedAt;
  const candidate = {
    ...fields,
    jobId: fields.jobId ?? key.slice(LEGACY_JOB_KEY_PREFIX.length),
    createdAt: new Date(createdAtMs).toISOString(),
    updatedAt,
    expiresAt:
      typeof fields.expiresAt === 'number' ? fields.expiresAt : updatedAt + DEFAULT_JOB_TTL_MS,
    data: fields.data ?? {},
  };
  // The old cache knew no versions: the import gives each job one (a new write of this device).
  const job = jobSchema.omit({ version: true }).safeParse(candidate);
  if (!job.success)
    return {
      ok: false,
      reason: job.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    };
  return { ok: true, job: job.data };
}

export interface LegacyImportResult {
  /** Jobs moved to IndexedDB (and removed from localStorage). */
  readonly imported: JobId[];
  /** Entries left in localStorage because they could not be read, with the reason. */
  readonly skipped: { key: string; reason: string }[];
}

/**
 * Moves `veo_job_*` entries into IndexedDB and the outbox. Each entry is removed from
 * localStorage only after the transaction holding it committed; an import interrupted halfway
 * simply continues on the next start (an entry already imported is recognised by its version
 * and only removed). Entries that cannot be read stay where they are: nothing is lost.
 */
export async function importLegacyJobs(
  importJobs: (jobs: readonly Omit<CachedVeoJob, 'version'>[]) => Promise<JobId[]>,
  storage = defaultStorage(),
  now: number = Date.now(),
): Promise<LegacyImportResult> {
  const result: LegacyImportResult = { imported: [], skipped: [] };
  if (!storage) return result;
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(LEGACY_JOB_KEY_PREFIX)) keys.push(key);
  }
  for (const key of keys) {
    const raw = storage.getItem(key);
    if (raw === null) continue;
    const converted = legacyEntryToJob(key, raw, now);
    if (!converted.ok) {
      result.skipped.push({ key, reason: converted.reason });
      continue;
    }
    await importJobs([converted.job]);
    storage.removeItem(key);
    result.imported.push(converted.job.jobId);
  }
  return result;
}
