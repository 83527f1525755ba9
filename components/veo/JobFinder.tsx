'use client';

import { JOB_STATUSES } from '@/lib/shared/job-schema';
import type { JobOrder, JobQuery, SyncFilter } from '@/lib/veo/find-jobs';

const SYNC_FILTERS: [SyncFilter, string][] = [
  ['all', 'Any'],
  ['waiting', 'Waiting to sync'],
  ['synced', 'Synced'],
  ['failed', 'Not synced'],
  ['offline', 'Opens offline'],
  ['not-here', 'Not on this device'],
];

const ORDERS: [JobOrder, string][] = [
  ['updated', 'Last updated'],
  ['created', 'Created'],
  ['scenes', 'Most scenes'],
];

/** Search, filters and order for the history. */
export function JobFinder({
  query,
  onChange,
  shown,
  total,
}: {
  query: JobQuery;
  onChange: (query: JobQuery) => void;
  shown: number;
  total: number;
}) {
  return (
    <search className="finder" aria-label="Find a job">
      <label className="finder-text">
        Find
        <input
          type="search"
          value={query.text}
          placeholder="Video id or URL, job id"
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
        {shown === total ? `${total} ${total === 1 ? 'job' : 'jobs'}` : `${shown} of ${total} jobs`}
      </p>
    </search>
  );
}
