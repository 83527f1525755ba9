import { describe, expect, it } from 'vitest';
import { JOB_LIST_PAGE, jobListHtml, jobListParts } from '@/components/veo/job-list-html';
import type { JobListItem } from '@/lib/client/replica';
import { LOADING_ROWS_HTML, ROWS_END, ROWS_START, splitAtRows } from '@/lib/veo/early-rows';
import type { Version } from '@/lib/shared/version';

const job: JobListItem = {
  jobId: 'job-<1>',
  videoId: 'video & "one"',
  videoUrl: '',
  sceneCount: 12,
  charactersFound: 2,
  mode: 'hybrid',
  voice: 'no-voice',
  status: 'completed',
  hasScript: true,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: Date.parse('2026-12-01T10:05:00.000Z'),
  version: '0000000000001-0000-device' as Version,
  error: null,
  expiresAt: Date.parse('2027-01-01T00:00:00.000Z'),
  syncState: 'synced',
  availableOffline: true,
  onDevice: 'current',
  storedBytes: 2048,
};

/** The history page's rows as the service worker puts them into the page it serves. */
describe('the rows in the served page', () => {
  it('cuts the page where its rows go, dropping the "Loading" between the markers', () => {
    const page = `<main><div>${LOADING_ROWS_HTML}</div></main>`;
    const [before, after] = splitAtRows(page);
    expect(before).toBe(`<main><div>${ROWS_START}`);
    expect(after).toBe(`${ROWS_END}</div></main>`);
    expect(splitAtRows('<main>no markers</main>')).toEqual(['<main>no markers</main>', undefined]);
  });

  it('renders the page’s own list component, escaped, with no DOM', () => {
    const html = jobListHtml([job]);
    expect(html).toMatch(
      /^<div class="job-list-pages"><ul class="job-list" aria-label="Your jobs, newest first"><li class="job"/,
    );
    expect(html).toContain('data-job-id="job-&lt;1&gt;"');
    expect(html).toContain('video &amp; &quot;one&quot;');
    expect(html).toContain('Opens offline · 2 KB');
    expect(html).not.toContain('<script');
  });

  it('sends the list in pieces that make up the same HTML', () => {
    const jobs = [job, { ...job, jobId: 'two' }, { ...job, jobId: 'three' }];
    const pieces =
      jobListParts.open() +
      jobListParts.rows(jobs.slice(0, 2)) +
      jobListParts.rows(jobs.slice(2)) +
      jobListParts.close(3, 3);
    expect(pieces).toBe(jobListHtml(jobs));
    expect(pieces).not.toContain('job-list-more');
  });

  it('sends the first page of rows and the page’s own “Show more” when there are more jobs', () => {
    const jobs = Array.from({ length: JOB_LIST_PAGE + 7 }, (_, i) => ({ ...job, jobId: `j${i}` }));
    const pieces =
      jobListParts.open() +
      jobListParts.rows(jobs.slice(0, JOB_LIST_PAGE)) +
      jobListParts.close(jobs.length, JOB_LIST_PAGE);
    expect(pieces).toBe(jobListHtml(jobs, JOB_LIST_PAGE));
    expect(pieces.match(/<li class="job"/g)).toHaveLength(JOB_LIST_PAGE);
    expect(pieces).toContain('>Show 7 more jobs</button>');
    expect(pieces).toContain('(7 not shown)');
    expect(pieces).not.toContain(`data-job-id="j${JOB_LIST_PAGE}"`);
  });
});
