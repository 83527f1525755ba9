/**
 * The history's rows as static HTML, for the service worker to put into the page it serves: the
 * same components the page renders, so nothing moves when the page takes over. Built into the
 * worker (scripts/build-sw.ts resolves `veo:job-list-html` here; sw/job-list-html.d.ts types it).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import type { JobListItem } from '@/lib/veo/cache';
import { JobList, ShowMore } from './JobList';
import { JobRow } from './JobRow';

const ignore = () => undefined;

/** The list, with its first `limit` rows (all of them when absent). */
export function jobListHtml(jobs: readonly JobListItem[], limit?: number): string {
  return renderToStaticMarkup(
    <JobList
      jobs={jobs}
      {...(limit === undefined ? {} : { limit })}
      onOpen={ignore}
      onDeleted={ignore}
    />,
  );
}

/**
 * The list in pieces, to be sent as each is ready: its opening tags, then the rows of any slice
 * of the jobs (in order), then its closing tags with the "Show more" line when `shown` rows are
 * fewer than `total`. Together they are `jobListHtml(jobs, shown)`.
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
  close(total: number, shown: number): string {
    const more =
      shown < total ? renderToStaticMarkup(<ShowMore total={total} shown={shown} />) : '';
    return `</ul>${more}</div>`;
  },
};

export { JOB_LIST_PAGE } from './JobList';
