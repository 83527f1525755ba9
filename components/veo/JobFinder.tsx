'use client';

import { JOB_STATUSES } from '@/lib/shared/job-schema';
import type { JobOrder, JobQuery, SyncFilter, Unsearched } from '@/lib/veo/find-jobs';

const SYNC_FILTERS: [SyncFilter, string][] = [
  ['all', 'Any'],
  ['waiting', 'Waiting to sync'],
  ['synced', 'Synced'],
  ['failed', 'Not synced'],
  ['offline', 'Opens offline'],
  ['not-here', 'Not on this device'],
];

const ORDERS: [JobOrder, string][] = [
  ['updated', 'Updated'],
  ['created', 'Created'],
  ['scenes', 'Most scenes'],
];

const jobs = (n: number) => `${n} ${n === 1 ? 'job' : 'jobs'}`;

/**
 * What the finder's status says: how many jobs the search found and how many rows of them are
 * on screen, then which jobs the search could not look into by prompt text, and why.
 */
export function finderStatus({
  shown,
  total,
  rows = shown,
  unsearched,
  indexing = false,
}: {
  /** Jobs found. */
  shown: number;
  total: number;
  /** Rows of them on screen (a page at a time). */
  rows?: number;
  unsearched?: Unsearched | undefined;
  /** Whether the prompts are being indexed at this moment. */
  indexing?: boolean;
}): string {
  const found = shown === total ? jobs(total) : `${shown} of ${total} jobs`;
  const count = rows < shown ? `${found}, the first ${rows} shown` : found;
  const notes: string[] = [];
  if (unsearched && unsearched.notOnDevice > 0)
    notes.push(
      `${jobs(unsearched.notOnDevice)} not searched by prompt: their data is not on this device.`,
    );
  if (unsearched && unsearched.notIndexed > 0)
    notes.push(
      indexing
        ? `${jobs(unsearched.notIndexed)} not searched by prompt yet: indexing their prompts on this device…`
        : `${jobs(unsearched.notIndexed)} not searched by prompt: their data here could not be read.`,
    );
  // Alone, the count reads as it always did ("3 of 12 jobs"); with notes, as sentences.
  return notes.length === 0 ? count : [`${count}.`, ...notes].join(' ');
}

/** Search, filters and order for the history. */
export function JobFinder({
  query,
  onChange,
  shown,
  total,
  rows = shown,
  unsearched,
  indexing = false,
}: {
  query: JobQuery;
  onChange: (query: JobQuery) => void;
  /** Jobs found. */
  shown: number;
  total: number;
  /** Rows of them on screen. */
  rows?: number;
  /** Jobs a text search could not look into by prompt. */
  unsearched?: Unsearched | undefined;
  indexing?: boolean;
}) {
  return (
    <search className="finder" aria-label="Find a job">
      <label className="finder-text">
        Find
        <input
          type="search"
          value={query.text}
          placeholder="Video id or URL, job id, words of a prompt"
          onChange={(event) => onChange({ ...query, text: event.target.value })}
        />
      </label>
      <label>
        Status
        <select
          value={query.status}
          onChange={(event) =>
            onChange({ ...query, status: event.target.value as JobQuery['status'] })
          }
        >
          <option value="all">Any</option>
          {JOB_STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label>
        Sync
        <select
          value={query.sync}
          onChange={(event) => onChange({ ...query, sync: event.target.value as SyncFilter })}
        >
          {SYNC_FILTERS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Sort
        <select
          value={query.order}
          onChange={(event) => onChange({ ...query, order: event.target.value as JobOrder })}
        >
          {ORDERS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <p className="finder-count" role="status">
        {finderStatus({ shown, total, rows, unsearched, indexing })}
      </p>
    </search>
  );
}
