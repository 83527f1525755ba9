import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gzipBodyAtTheLimit } from '../support/boundary-bodies';
import { startD1RestServer, type D1RestServer } from '../support/d1-rest-server';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';
import { startAppServer, type AppServer } from './support/app-server';

/**
 * Known errors answered with their status by the production build, where the job store is
 * opened by instrumentation.ts in a bundle of its own (the cause of their being 500s before).
 */
describe('the production server answers every known error with its status', () => {
  const baseUrl = inject('baseUrl');

  it('answers a path that does not percent-decode with a JSON 400 and the security headers', async () => {
    for (const path of ['/api/veo/jobs/%ZZ', '/api/veo/jobs/%E0%A4%A', '/api/veo/jobs/a%']) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it('answers 413 to a job at the wire limit whose stored form is too large, and stores nothing', async () => {
    const response = await fetch(`${baseUrl}/api/veo/jobs/e2e-at-the-limit`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipBodyAtTheLimit('e2e-at-the-limit')),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    expect((await fetch(`${baseUrl}/api/veo/jobs/e2e-at-the-limit`)).status).toBe(404);
  });

  describe('on the D1 REST API', () => {
    let d1: TestD1;
    let rest: D1RestServer;
    let refused: AppServer;
    let failing: AppServer;

    beforeAll(async () => {
      d1 = await createTestD1();
      rest = await startD1RestServer(d1.db);
      const env = (token: string) => ({
        CLOUDFLARE_ACCOUNT_ID: rest.accountId,
        CLOUDFLARE_D1_DATABASE_ID: rest.databaseId,
        CLOUDFLARE_D1_API_TOKEN: token,
        CLOUDFLARE_API_BASE_URL: rest.baseUrl,
        VEO_ALLOW_ANONYMOUS: '1',
      });
      [refused, failing] = await Promise.all([
        startAppServer(env('a-token-cloudflare-refuses')),
        startAppServer(env(rest.token)),
      ]);
    });
    afterAll(async () => {
      await Promise.all([refused?.stop(), failing?.stop()]);
      await rest?.close();
      await d1?.dispose();
    });

    async function expectUnavailable(response: Response) {
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await response.json()).toMatchObject({ error: { code: 'store_unavailable' } });
    }

    it('answers 503 with Retry-After when D1 refuses the API token', async () => {
      await expectUnavailable(await fetch(`${refused.baseUrl}/api/veo/jobs`));
    });

    it('answers 503 with Retry-After when D1 fails on every attempt, and serves once it is back', async () => {
      rest.inject({ status: 500 }, { status: 500 }, { status: 500 });
      await expectUnavailable(await fetch(`${failing.baseUrl}/api/veo/jobs`));
      expect((await fetch(`${failing.baseUrl}/api/veo/jobs`)).status).toBe(200);
    });
  });
});
