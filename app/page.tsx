import { JOBS_API_PATH } from '@/lib/shared/api-types';

/**
 * The landing page until the history page exists: it says where the API is, so a newcomer who
 * just started the app sees it working.
 */
export default function HomePage() {
  return (
    <main
      style={{
        fontFamily: 'system-ui, sans-serif',
        maxWidth: 640,
        margin: '3rem auto',
        padding: '0 1rem',
      }}
    >
      <h1>VEO job history</h1>
      <p>
        The jobs API is running on this server, backed by Cloudflare D1. The job list is at{' '}
        <a href={JOBS_API_PATH}>
          <code>{JOBS_API_PATH}</code>
        </a>
        .
      </p>
    </main>
  );
}
