/**
 * The prompt-text index: for each job whose current data is on the device, the distinct words of
 * its scene prompts, lowercased, in an object store of its own (`promptIndex`). A search by
 * prompt text then reads a few kilobytes per job from memory instead of megabytes of job data
 * per keystroke: a job's data is read and parsed once per version, when it is indexed.
 *
 * Derived data, never a version of a job: it is written only here, from what the replica holds,
 * and an entry counts only while its version is both the job's version and the version of the
 * job's data on the device. Entries of another version, of deleted or expired jobs, or of jobs
 * whose data was evicted are ignored when read and removed when found. Nothing is served while
 * the user is signed out on this device, as for the replica itself (readListRecords).
 */
import type { CachedVeoJob, JobId } from '@/lib/shared/job-schema';
import type { Version } from '@/lib/shared/version';
import { allPrompts } from '@/lib/veo/prompts';
import { hasCurrentData, type JobRecord, type PromptIndexEntry, type VeoDb } from './db';
import { blobToJob } from './job-blob';
import { liveInfo } from './replica';
import { dataBlob } from './stored-data';

export type { PromptIndexEntry };

/** What a search may use of the index: each indexed job's words and the version they are of. */
export type PromptWords = ReadonlyMap<JobId, PromptIndexEntry>;

/** Splits text into the index's words: runs of letters and digits, lowercased. */
export function promptTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

/** The distinct words of a job's scene prompts, lowercased, one space between them. */
export function promptWords(job: CachedVeoJob): string {
  const words = new Set<string>();
  for (const scene of allPrompts(job))
    for (const word of promptTokens(scene.prompt)) words.add(word);
  return [...words].join(' ');
}

/**
 * Whether a search word occurs in a job's prompt words: each of its own words (a word with a
 * hyphen or a dot is several) inside one of the prompts' words, in any case.
 */
export function promptsContain(words: string, searchWord: string): boolean {
  const parts = promptTokens(searchWord);
  return parts.length > 0 && parts.every((part) => words.includes(part));
}

/** The jobs whose prompts can be indexed: live, unexpired, with their current data here. */
function indexable(records: readonly JobRecord[], now: number): Map<JobId, Version> {
  const versions = new Map<JobId, Version>();
  for (const record of records) {
    const info = liveInfo(record);
    if (info && info.expiresAt > now && hasCurrentData(record))
      versions.set(record.jobId, info.version);
  }
  return versions;
}

/** What {@link readPromptIndex} finds. */
export interface PromptIndexRead {
  /** The valid entries, by job. Empty while signed out. */
  readonly entries: Map<JobId, PromptIndexEntry>;
  readonly signedOut: boolean;
}

/**
 * Reads the index's valid entries, in one read-only transaction with the job records, and then
 * removes the entries it found invalid (another version than the data on the device, a deleted,
 * expired or evicted job). While signed out, nothing is read and nothing is removed.
 */
export async function readPromptIndex(db: VeoDb, now: number): Promise<PromptIndexRead> {
  const tx = db.transaction(['jobs', 'promptIndex', 'meta']);
  const meta = await tx.objectStore('meta').get('sync');
  if (meta?.signedOutAt !== undefined) {
    await tx.done;
    return { entries: new Map(), signedOut: true };
  }
  const [records, stored] = await Promise.all([
    tx.objectStore('jobs').getAll(),
    tx.objectStore('promptIndex').getAll(),
  ]);
  await tx.done;
  const current = indexable(records, now);
  const entries = new Map<JobId, PromptIndexEntry>();
  const invalid: JobId[] = [];
  for (const entry of stored) {
    if (current.get(entry.jobId) === entry.version) entries.set(entry.jobId, entry);
    else invalid.push(entry.jobId);
  }
  await removeEntries(db, invalid);
  return { entries, signedOut: false };
}

/** Deletes the entries of `jobIds`, unless one was meanwhile written for the current data. */
async function removeEntries(db: VeoDb, jobIds: readonly JobId[]): Promise<void> {
  if (jobIds.length === 0) return;
  const tx = db.transaction(['jobs', 'promptIndex'], 'readwrite');
  const remove = async (jobId: JobId) => {
    const [record, entry] = await Promise.all([
      tx.objectStore('jobs').get(jobId),
      tx.objectStore('promptIndex').get(jobId),
    ]);
    const info = liveInfo(record);
    const valid = info && hasCurrentData(record) && entry?.version === info.version;
    if (entry && !valid) await tx.objectStore('promptIndex').delete(jobId);
  };
  await Promise.all([...jobIds.map(remove), tx.done]);
}

export interface UpdatePromptIndexOptions {
  readonly now: number;
  /** The entries the caller already holds (their versions): not read again. */
  readonly known?: ReadonlyMap<JobId, Pick<PromptIndexEntry, 'version'>>;
  /** Each entry found or written, as soon as it is (the caller's search can use it at once). */
  readonly onEntry?: (entry: PromptIndexEntry, progress: { done: number; total: number }) => void;
  /** Between jobs: the page yields here, so that typing stays responsive while it indexes. */
  readonly pause?: () => Promise<void>;
  /** Jobs (and versions) not to try again: their data could not be read. */
  readonly skip?: ReadonlyMap<JobId, Version>;
  readonly signal?: AbortSignal;
}

export interface UpdatePromptIndexResult {
  /** Known entries that are no longer valid (the caller drops them). */
  readonly removed: JobId[];
  /** Jobs indexed (or found indexed by another context) in this pass. */
  readonly indexed: number;
  /** Jobs whose data could not be read or parsed, with the version that failed. */
  readonly failed: Map<JobId, Version>;
  readonly signedOut: boolean;
}

/**
 * Brings the index up to date with the data on the device: every live job whose current data is
 * here and has no entry of that version is read (its stored bytes, whatever their encoding),
 * its prompts' words extracted and stored, newest job first, one job per transaction and never
 * a transaction across the parse. An entry is stored only if the job's data is still of the
 * version it was read from. Known entries that are no longer valid are removed. Stops when
 * `signal` aborts (rejecting with its reason); reads nothing while signed out.
 */
export async function updatePromptIndex(
  db: VeoDb,
  options: UpdatePromptIndexOptions,
): Promise<UpdatePromptIndexResult> {
  const { now, signal } = options;
  const known: NonNullable<UpdatePromptIndexOptions['known']> = options.known ?? new Map();
  const skip: NonNullable<UpdatePromptIndexOptions['skip']> = options.skip ?? new Map();
  const failed = new Map<JobId, Version>();
  const tx = db.transaction(['jobs', 'meta']);
  const [meta, records] = await Promise.all([
    tx.objectStore('meta').get('sync'),
    tx.objectStore('jobs').index('by-updatedAt').getAll(),
  ]);
  await tx.done;
  if (meta?.signedOutAt !== undefined) return { removed: [], indexed: 0, failed, signedOut: true };
  const current = indexable(records, now);
  const removed = [...known].filter(([id, e]) => current.get(id) !== e.version).map(([id]) => id);
  await removeEntries(db, removed);
  // Newest first: the index's order is the list's.
  const todo = [...current]
    .reverse()
    .filter(([id, version]) => known.get(id)?.version !== version && skip.get(id) !== version);
  let done = 0;
  for (const [jobId, version] of todo) {
    signal?.throwIfAborted();
    try {
      const entry = await indexJob(db, jobId, version);
      done++;
      if (entry) options.onEntry?.(entry, { done, total: todo.length });
    } catch (error) {
      done++;
      failed.set(jobId, version);
      console.warn(`[veo-sync] the prompts of ${jobId} could not be indexed`, error);
    }
    await options.pause?.();
  }
  return { removed, indexed: done - failed.size, failed, signedOut: false };
}

/**
 * Indexes one job's data of `version`: its entry if another context already wrote it, the new
 * entry once stored, or undefined when the data on the device is no longer of that version.
 */
async function indexJob(
  db: VeoDb,
  jobId: JobId,
  version: Version,
): Promise<PromptIndexEntry | undefined> {
  const read = db.transaction(['jobs', 'jobData', 'promptIndex']);
  const [record, data, existing] = await Promise.all([
    read.objectStore('jobs').get(jobId),
    read.objectStore('jobData').get(jobId),
    read.objectStore('promptIndex').get(jobId),
  ]);
  await read.done;
  if (existing?.version === version) return existing;
  if (!hasCurrentData(record) || record?.info?.version !== version || data?.version !== version)
    return undefined;
  // Read as the job opens (lib/client/job-blob.ts), without marking the data as used: indexing
  // is no reason to keep it on the device longer.
  const job = await blobToJob(dataBlob(data), data.encoding);
  const entry: PromptIndexEntry = { jobId, version, words: promptWords(job) };
  const write = db.transaction(['jobs', 'promptIndex'], 'readwrite');
  const store = async () => {
    const now = await write.objectStore('jobs').get(jobId);
    if (!hasCurrentData(now) || now?.info?.version !== version) return false;
    await write.objectStore('promptIndex').put(entry);
    return true;
  };
  const [stored] = await Promise.all([store(), write.done]);
  return stored ? entry : undefined;
}
