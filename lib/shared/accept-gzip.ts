/**
 * Whether a request's `Accept-Encoding` allows gzip. The same pattern is in next.config.js,
 * which adds `Content-Encoding: gzip` to the job routes' answers for exactly these requests
 * (Next.js drops that header when a route handler sets it); a test keeps the two equal.
 */
export const ACCEPTS_GZIP_PATTERN = '(.*[ ,])?gzip([ ;,].*)?';

const acceptsGzip = new RegExp(`^${ACCEPTS_GZIP_PATTERN}$`);

export function acceptsGzipEncoding(acceptEncoding: string | null): boolean {
  return acceptEncoding !== null && acceptsGzip.test(acceptEncoding);
}
