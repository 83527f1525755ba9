'use client';

import type { CachedVeoJob } from '@/lib/shared/job-schema';
import type { JobListItem, ReplacedSummary } from '@/lib/veo/cache';
import { JobRow } from './JobRow';

export interface JobListProps {
  readonly jobs: readonly JobListItem[];
  readonly onOpen: (job: CachedVeoJob, replaced?: ReplacedSummary) => void;
  readonly onDeleted: (job: JobListItem, content: CachedVeoJob | null) => void;
}

/**
 * The jobs, newest first. The page renders it live; the service worker renders the same
 * component to HTML for the page it serves (components/veo/job-list-html.tsx), so the first
 * frame already shows the jobs, exactly as they will look once the page has hydrated.
 */
export function JobList({ jobs, onOpen, onDeleted }: JobListProps) {
  return (
    <ul className="job-list" aria-label="Your jobs, newest first">
      {jobs.map((job) => (
        <JobRow key={job.jobId} job={job} onOpen={onOpen} onDeleted={onDeleted} />
      ))}
    </ul>
  );
}
