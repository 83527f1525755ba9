/**
 * The history list as a page shows it: the device's list (IndexedDB), read again whenever any
 * context announces a change, with the saves that have begun and not yet committed shown on top
 * of it. A save announces itself before its bytes are written (lib/client/replica.ts
 * `onStamped`), so every tab shows it within milliseconds whatever the job's size; the save's
 * next event (committed, or failed) makes the list read the job again and the row take its real
 * state. Reads are coalesced: a burst of events costs one read in flight and one after it.
 *
 * Made for React's `useSyncExternalStore`: `get` returns the same array until something changes.
 */
import type { JobId } from '@/lib/shared/job-schema';
import type { JobsChangedEvent, JobsChangedListener } from './notifier';
import type { JobListItem } from './replica';

export interface JobListSource {
  listJobs(): Promise<JobListItem[]>;
  subscribe(listener: JobsChangedListener): () => void;
}

export interface JobList {
  /** The list, newest first; null until the device's list has been read once. */
  get(): readonly JobListItem[] | null;
  /** Calls `onChange` after each change of `get()`; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
  /** Reads the device's list again; resolves when a read that began after this call is shown. */
  refresh(): Promise<void>;
  close(): void;
}

/** How long a save may stay "saving" without its next event (its tab closed mid-save, say). */
export const SAVING_TIMEOUT_MS = 30_000;

interface Saving {
  readonly item: JobListItem;
  readonly timer: ReturnType<typeof setTimeout>;
  /** The change count at which the save's next event came: any read begun after it shows it. */
  settledAt?: number;
}

export interface JobListOptions {
  /**
   * A list read before this one was made (the page's early read): shown until the first read of
   * this list's own, which begins at once all the same.
   */
  readonly initial?: Promise<JobListItem[] | undefined>;
  readonly onError?: (error: unknown) => void;
}

export function createJobList(source: JobListSource, options: JobListOptions = {}): JobList {
  const onError = options.onError ?? ((error: unknown) => console.error('[veo-sync]', error));
  const listeners = new Set<() => void>();
  const saving = new Map<JobId, Saving>();
  let read: readonly JobListItem[] | null = null;
  let snapshot: readonly JobListItem[] | null = null;
  /** Counts change events: a read knows which ones it reflects. */
  let changes = 0;
  let reading: Promise<void> | undefined;
  let readAgain: Promise<void> | undefined;
  let closed = false;

  function show(): void {
    snapshot = withSaving(read, saving);
    for (const listener of [...listeners]) listener();
  }

  async function readOnce(): Promise<void> {
    const startedAt = changes;
    const list = await source.listJobs();
    if (closed) return;
    read = list;
    for (const [jobId, entry] of saving) {
      if (entry.settledAt !== undefined && entry.settledAt <= startedAt) saving.delete(jobId);
    }
    show();
  }

  function refresh(): Promise<void> {
    if (!reading) {
      reading = readOnce().finally(() => (reading = undefined));
      return reading;
    }
    // One read is in flight and may have begun before the change: one more after it.
    readAgain ??= reading
      .catch(() => undefined)
      .then(() => {
        readAgain = undefined;
        return refresh();
      });
    return readAgain;
  }

  function onEvent(event: JobsChangedEvent): void {
    changes++;
    if (event.saving) {
      for (const item of event.saving) {
        clearTimeout(saving.get(item.jobId)?.timer);
        // Never heard of again: the device's own row is shown after a while.
        const timer = setTimeout(() => settle(item.jobId), SAVING_TIMEOUT_MS);
        saving.set(item.jobId, { item, timer });
      }
      show();
      return;
    }
    for (const jobId of saving.keys()) if (event.all || event.jobIds.includes(jobId)) settle(jobId);
    refresh().catch(onError);
  }

  function settle(jobId: JobId): void {
    const entry = saving.get(jobId);
    if (!entry || entry.settledAt !== undefined) return;
    clearTimeout(entry.timer);
    entry.settledAt = changes;
    refresh().catch(onError);
  }

  const unsubscribe = source.subscribe(onEvent);
  refresh().catch(onError);
  void options.initial?.then(
    (list) => {
      if (list && read === null && !closed) {
        read = list;
        show();
      }
    },
    () => undefined,
  );

  return {
    get: () => snapshot,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    refresh,
    close() {
      closed = true;
      for (const entry of saving.values()) clearTimeout(entry.timer);
      unsubscribe();
      listeners.clear();
    },
  };
}

/** The list with each save in progress in its place: replacing the job's row, newest first. */
function withSaving(
  list: readonly JobListItem[] | null,
  saving: ReadonlyMap<JobId, Saving>,
): readonly JobListItem[] | null {
  if (saving.size === 0) return list;
  const shown = (list ?? []).filter((job) => {
    const entry = saving.get(job.jobId);
    // The device's row is the save's own, or newer (another device's write won): it stands.
    return !entry || job.version >= entry.item.version;
  });
  for (const { item } of saving.values()) {
    if (shown.some((job) => job.jobId === item.jobId)) continue;
    const at = shown.findIndex((job) => job.updatedAt < item.updatedAt);
    shown.splice(at === -1 ? shown.length : at, 0, item);
  }
  return list === null && shown.length === 0 ? null : shown;
}
