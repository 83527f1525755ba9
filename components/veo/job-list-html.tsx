/**
 * The history's rows as static HTML, for the service worker to put into the page it serves: the
 * same component the page renders, so nothing moves when the page takes over. Built into the
 * worker (scripts/build-sw.ts resolves `veo:job-list-html` here; sw/job-list-html.d.ts types it).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import type { JobListItem } from '@/lib/veo/cache';
import { JobList } from './JobList';

const ignore = () => undefined;

export function jobListHtml(jobs: readonly JobListItem[]): string {
  return renderToStaticMarkup(<JobList jobs={jobs} onOpen={ignore} onDeleted={ignore} />);
}
