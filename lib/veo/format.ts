/** Sizes as the history shows them: KB below a megabyte, MB with one decimal above. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/**
 * One formatter for every time on the page. `Date#toLocaleString` with options builds a new
 * `Intl.DateTimeFormat` on every call: for the two times of each of 27 rows that was 23 ms of a
 * reload's main thread in Chromium, the largest single cost of showing the history.
 */
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A time (ms since the epoch) as the history shows it: the user's locale, date and minutes. */
export function formatTime(ms: number): string {
  return timeFormat.format(ms);
}
