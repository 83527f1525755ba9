// @ts-check

/** @type {import('next').NextConfig} */
const nextConfig = {
  // wrangler's getPlatformProxy() starts Miniflare (workerd) for the embedded local D1: both must
  // stay plain Node modules, never bundled.
  serverExternalPackages: ['wrangler', 'miniflare'],
  reactStrictMode: true,
  // `GET /api/veo/jobs/:id` sends the job's stored gzip bytes with `Content-Encoding: gzip`;
  // Next's own response compression would gzip them a second time. Vercel and any reverse proxy
  // compress pages themselves and leave an already encoded response alone.
  compress: false,
  poweredByHeader: false,
};

module.exports = nextConfig;
