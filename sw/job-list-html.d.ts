/**
 * The history's rows as HTML (components/veo/job-list-html.tsx), bundled into the worker by
 * scripts/build-sw.ts. Declared here so that the worker's type check (webworker lib) does not
 * walk into the page's React components, which the page's own check covers.
 */
declare module 'veo:job-list-html' {
  import type { JobListItem } from '@/lib/client/replica';

  export const JOB_LIST_PAGE: number;
  export function jobListHtml(jobs: readonly JobListItem[], limit?: number): string;
  export const jobListParts: {
    open(): string;
    rows(jobs: readonly JobListItem[]): string;
    close(total: number, shown: number): string;
  };
}
