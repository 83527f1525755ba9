// @ts-check

/** Keep equal to ACCEPTS_GZIP_PATTERN in lib/shared/accept-gzip.ts (a test checks). */
const ACCEPTS_GZIP_PATTERN = '(.*[ ,])?gzip([ ;,].*)?';

/**
 * Content Security Policy for pages and API. Scripts: this origin, plus inline scripts, because
 * the App Router hydrates a prerendered page with inline `self.__next_f` scripts and the pages
 * here are static (precached for offline use), so per-request nonces are not an option; `eval`
 * only for the dev server's hot reload. Everything else is this origin only; no framing.
 */
const contentSecurityPolicy = (/** @type {boolean} */ dev) =>
  [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? ' ws:' : ''}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

const securityHeaders = (/** @type {boolean} */ dev) => [
  { key: 'Content-Security-Policy', value: contentSecurityPolicy(dev) },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()' },
];

/**
 * @param {string} phase
 * @returns {import('next').NextConfig}
 */
module.exports = (phase) => {
  // Only the dev server needs eval (hot reload); NODE_ENV is not a safe signal (vitest sets "test").
  const dev = phase === 'phase-development-server';
  return {
    // The embedded local D1 is wrangler's Miniflare (workerd), started at run time: both must stay
    // plain Node modules, never bundled.
    serverExternalPackages: ['wrangler', 'miniflare'],
    reactStrictMode: true,
    // `GET /api/veo/jobs/:id` sends the job's stored gzip bytes with `Content-Encoding: gzip`;
    // Next's own response compression would gzip them a second time. Vercel and any reverse proxy
    // compress pages themselves and leave an already encoded response alone.
    compress: false,
    poweredByHeader: false,
    async headers() {
      return [
        { source: '/:path*', headers: securityHeaders(dev) },
        {
          // Next.js drops a `Content-Encoding` header that a route handler sets (it cannot know the
          // body was not inflated on the way). The job routes answer gzip to every request that
          // accepts it — GET sends the stored gzip bytes as they are — so the header is added here,
          // for the same requests (ACCEPTS_GZIP_PATTERN in lib/shared/accept-gzip.ts).
          source: '/api/veo/jobs/:jobId',
          has: [{ type: 'header', key: 'accept-encoding', value: ACCEPTS_GZIP_PATTERN }],
          headers: [{ key: 'Content-Encoding', value: 'gzip' }],
        },
        {
          // The service worker is built after `next build` (its precache lists the build's
          // files). Browsers must always check it for updates, and it controls the whole origin.
          source: '/sw.js',
          headers: [
            { key: 'Cache-Control', value: 'no-cache, no-store, must-revalidate' },
            { key: 'Service-Worker-Allowed', value: '/' },
            { key: 'Content-Type', value: 'application/javascript; charset=utf-8' },
          ],
        },
      ];
    },
  };
};
