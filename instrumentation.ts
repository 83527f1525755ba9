/**
 * Runs once when the Next.js server starts: validates the environment and opens the job store
 * (for the embedded database: starts Miniflare's D1 and applies migrations), so a wrong
 * configuration fails at start with the name of what is missing, and the first request is fast.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  // As a Cloudflare Worker the D1 binding exists only within a request: opened on the first one.
  if (
    (globalThis.navigator as { userAgent?: string } | undefined)?.userAgent === 'Cloudflare-Workers'
  )
    return;
  const { getJobStore } = await import('./lib/server/store-instance');
  await getJobStore();
}
