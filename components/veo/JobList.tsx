'use client';

import { useEffect, useRef } from 'react';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import type { JobListItem, ReplacedSummary } from '@/lib/veo/cache';
import { JOB_LIST_PAGE } from '@/lib/veo/early-rows';
import { JobRow } from './JobRow';

export { JOB_LIST_PAGE };

export interface JobListProps {
  readonly jobs: readonly JobListItem[];
  /** How many of `jobs` are shown; all of them when absent. */
  readonly limit?: number;
  /** Shows the next page of rows. */
  readonly onShowMore?: () => void;
  readonly onOpen: (job: CachedVeoJob, replaced?: ReplacedSummary) => void;
  readonly onDeleted: (job: JobListItem, content: CachedVeoJob | null) => void;
}

/** The line under a list that does not show every job: a button for the next page. */
export function ShowMore({
  total,
  shown,
  onShowMore,
}: {
  total: number;
  shown: number;
  onShowMore?: () => void;
}) {
  const rest = total - shown;
  const next = Math.min(JOB_LIST_PAGE, rest);
  return (
    <p className="job-list-more">
      <button type="button" onClick={onShowMore}>
        Show {next} more {next === 1 ? 'job' : 'jobs'}
      </button>{' '}
      <span className="muted">({rest} not shown)</span>
    </p>
  );
}

/**
 * The jobs, newest first, a page at a time. The page renders it live; the service worker renders
 * the same component to HTML for the page it serves (components/veo/job-list-html.tsx), so the
 * first frame already shows the jobs — the same first page, with the same "Show more" — exactly
 * as they will look once the page has hydrated.
 */
export function JobList({ jobs, limit, onShowMore, onOpen, onDeleted }: JobListProps) {
  const shown = limit === undefined ? jobs : jobs.slice(0, limit);
  const list = useRef<HTMLUListElement>(null);
  /** The first row a "Show more" revealed: it takes the focus from the button. */
  const revealed = useRef<number | null>(null);
  useEffect(() => {
    const at = revealed.current;
    if (at === null) return;
    revealed.current = null;
    list.current?.children[at]?.querySelector<HTMLElement>('button, a[href]')?.focus();
  }, [shown.length]);
  return (
    <div className="job-list-pages">
      <ul ref={list} className="job-list" aria-label="Your jobs, newest first">
        {shown.map((job) => (
          <JobRow key={job.jobId} job={job} onOpen={onOpen} onDeleted={onDeleted} />
        ))}
      </ul>
      {shown.length < jobs.length ? (
        <ShowMore
          total={jobs.length}
          shown={shown.length}
          onShowMore={() => {
            revealed.current = shown.length;
            onShowMore?.();
          }}
        />
      ) : null}
    </div>
  );
}
