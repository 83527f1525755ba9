/**
 * Where the history page's rows go before the page has read the device: the page renders this
 * placeholder ("Loading your jobs…") in an element whose inside React leaves alone when it
 * hydrates, and the service worker, serving the page, puts the device's rows between the
 * markers. The page replaces the element with its live list as soon as it has one.
 */
export const ROWS_START = '<!--veo:rows-->';
export const ROWS_END = '<!--/veo:rows-->';

/** What stands between the markers in the page as built. */
export const LOADING_ROWS = '<p aria-busy="true" class="muted">Loading your jobs…</p>';

export const LOADING_ROWS_HTML = `${ROWS_START}${LOADING_ROWS}${ROWS_END}`;

/**
 * The page cut where its rows go: everything up to and with the start marker, and everything
 * from the end marker on (what stood between them is dropped). `after` is undefined when the
 * page has no markers.
 */
export function splitAtRows(page: string): [before: string, after: string | undefined] {
  const start = page.indexOf(ROWS_START);
  const end = start === -1 ? -1 : page.indexOf(ROWS_END, start);
  if (end === -1) return [page, undefined];
  return [page.slice(0, start + ROWS_START.length), page.slice(end)];
}

/**
 * How many rows the history shows at first, and how many more each "Show more" adds; the service
 * worker's rows are the same first page. Measured with 500 jobs (docs/benchmarks.md, "The history
 * with 500 jobs"): rendering every row cost the first render after hydration and a keystroke
 * that brings every job back hundreds of milliseconds; a page of 50 rows is four desktop screens.
 */
export const JOB_LIST_PAGE = 50;
