/**
 * The history's rows as static HTML, for the service worker to put into the page it serves: the
 * same components the page renders, so nothing moves when the page takes over. Built into the
 * worker (scripts/build-sw.ts resolves `veo:job-list-html` here; sw/job-list-html.d.ts types it).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import type { JobListItem } from '@/lib/veo/cache';
import { JobList } from './JobList';
import { JobRow } from './JobRow';

const ignore = () => undefined;

/** The whole list. */
export function jobListHtml(jobs: readonly JobListItem[]): string {
  return renderToStaticMarkup(<JobList jobs={jobs} onOpen={ignore} onDeleted={ignore} />);
}

/**
 * The list in pieces, to be sent as each is ready: its opening tag, then the rows of any slice
 * of the jobs (in order), then its closing tag. Together they are `jobListHtml(jobs)`.
 */
export const jobListParts = {
  open(): string {
    const empty = jobListHtml([]);
    return empty.slice(0, empty.lastIndexOf('</ul>'));
  },
  rows(jobs: readonly JobListItem[]): string {
    return renderToStaticMarkup(
      <>
        {jobs.map((job) => (
          <JobRow key={job.jobId} job={job} onOpen={ignore} onDeleted={ignore} />
        ))}
      </>,
    );
  },
  close: (): string => '</ul>',
};
