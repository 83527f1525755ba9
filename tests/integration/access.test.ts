import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createAccessGuard,
  readAccessPolicy,
  SESSION_COOKIE,
  type AccessPolicy,
} from '@/lib/server/auth/access';
import { ConfigError } from '@/lib/server/env';
import { toErrorResponse } from '@/lib/server/api-error';
import { createJobStore } from '@/lib/server/job-store';
import { createJobsApi, type JobsApi } from '@/lib/server/jobs-api';
import { apiErrorBodySchema, type ApiErrorCode } from '@/lib/shared/api-types';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';

const KEY = 'correct horse battery staple';
const ORIGIN = 'https://veo.example';

describe('access policy from the environment', () => {
  it('requires sessions when VEO_ACCESS_KEY is set', () => {
    expect(readAccessPolicy('rest', { VEO_ACCESS_KEY: KEY })).toEqual({
      mode: 'key',
      accessKey: KEY,
      sessionTtlMs: 30 * 86_400_000,
    });
    expect(readAccessPolicy('local', { VEO_ACCESS_KEY: KEY, VEO_SESSION_DAYS: '1' })).toMatchObject(
      { sessionTtlMs: 86_400_000 },
    );
  });

  it('keeps the embedded database to this machine, and refuses a real one, without a key', () => {
    expect(readAccessPolicy('local', {})).toEqual({ mode: 'local' });
    expect(readAccessPolicy('rest', {})).toEqual({ mode: 'refuse' });
    expect(readAccessPolicy('rest', { VEO_ALLOW_ANONYMOUS: '1' })).toEqual({ mode: 'open' });
  });

  it('refuses a short access key at start', () => {
    expect(() => readAccessPolicy('rest', { VEO_ACCESS_KEY: 'short' })).toThrow(ConfigError);
    expect(() => readAccessPolicy('rest', { VEO_ACCESS_KEY: 'short' })).toThrow(
      /VEO_ACCESS_KEY must be at least 12 characters/,
    );
  });
});

describe('access control on the jobs API', () => {
  let d1: TestD1;
  let clock: number;
  let api: JobsApi;
  let guard: ReturnType<typeof createAccessGuard>;

  beforeAll(async () => {
    d1 = await createTestD1();
  });
  afterAll(async () => {
    await d1.dispose();
  });

  function setup(policy: AccessPolicy) {
    clock = Date.now();
    guard = createAccessGuard(policy, {
      now: () => clock,
      failureLimit: 3,
      failureWindowMs: 60_000,
    });
    const store = createJobStore(d1.executor, { now: () => clock });
    api = createJobsApi({
      getStore: () => Promise.resolve(store),
      getAccess: () => Promise.resolve(guard),
      now: () => clock,
    });
  }

  const call = async (run: () => Promise<Response> | Response) => {
    try {
      return await run();
    } catch (error) {
      return toErrorResponse(error);
    }
  };

  async function expectError(response: Response, status: number, code: ApiErrorCode) {
    expect(response.status).toBe(status);
    const body = apiErrorBodySchema.parse(await response.json());
    expect(body.error.code).toBe(code);
    return body.error;
  }

  function request(
    method: string,
    path: string,
    init: { cookie?: string; headers?: Record<string, string>; body?: unknown; url?: string } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    return new Request(`${init.url ?? ORIGIN}${path}`, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  }

  async function signIn(key = KEY, headers: Record<string, string> = {}): Promise<Response> {
    return call(() =>
      guard.signIn(request('POST', '/api/veo/session', { body: { key }, headers })),
    );
  }

  const cookieOf = (response: Response) => response.headers.get('set-cookie')?.split(';')[0] ?? '';
  const job = (jobId: string) => ({
    jobId,
    createdAt: new Date(clock).toISOString(),
    updatedAt: clock,
    data: {},
  });

  describe('with an access key', () => {
    beforeEach(() => setup({ mode: 'key', accessKey: KEY, sessionTtlMs: 60 * 60_000 }));

    it('answers 401 JSON on every route without a session', async () => {
      await expectError(await api.list(request('GET', '/api/veo/jobs')), 401, 'unauthorized');
      await expectError(await api.clear(request('DELETE', '/api/veo/jobs')), 401, 'unauthorized');
      await expectError(await api.get(request('GET', '/api/veo/jobs/a'), 'a'), 401, 'unauthorized');
      await expectError(
        await api.put(request('PUT', '/api/veo/jobs/a', { body: job('a') }), 'a'),
        401,
        'unauthorized',
      );
      await expectError(
        await api.remove(request('DELETE', '/api/veo/jobs/a'), 'a'),
        401,
        'unauthorized',
      );
      const rows = await d1.executor.batch([
        { sql: "SELECT COUNT(*) AS n FROM veo_jobs WHERE job_id = 'a'", params: [] },
      ]);
      expect(rows[0]?.rows[0]?.n).toBe(0);
    });

    it('signs in with the key: an HttpOnly, SameSite, Secure cookie with an expiry, that opens the API', async () => {
      const response = await signIn();
      expect(response.status).toBe(200);
      const setCookie = response.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(
        new RegExp(
          `^${SESSION_COOKIE}=[^;]+; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure$`,
        ),
      );
      const cookie = cookieOf(response);
      expect((await api.list(request('GET', '/api/veo/jobs', { cookie }))).status).toBe(200);
      expect(
        (await api.put(request('PUT', '/api/veo/jobs/a', { cookie, body: job('a') }), 'a')).status,
      ).toBe(200);
    });

    it('leaves Secure off only for plain http on this machine', async () => {
      const local = await call(() =>
        guard.signIn(
          request('POST', '/api/veo/session', { body: { key: KEY }, url: 'http://localhost:3000' }),
        ),
      );
      expect(local.headers.get('set-cookie')).not.toMatch(/Secure/);
    });

    it('refuses a wrong key, a tampered cookie and an expired session', async () => {
      await expectError(await signIn('not the key at all'), 401, 'unauthorized');
      const cookie = cookieOf(await signIn());
      const [name, value] = cookie.split('=') as [string, string];
      const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
      await expectError(
        await api.list(request('GET', '/api/veo/jobs', { cookie: tampered })),
        401,
        'unauthorized',
      );
      const forged = `${name}=${Buffer.from(JSON.stringify({ v: 1, iat: 0, exp: 9e15 })).toString('base64url')}.${value.split('.')[1]}`;
      await expectError(
        await api.list(request('GET', '/api/veo/jobs', { cookie: forged })),
        401,
        'unauthorized',
      );
      clock += 60 * 60_000;
      await expectError(
        await api.list(request('GET', '/api/veo/jobs', { cookie })),
        401,
        'unauthorized',
      );
    });

    it('rate-limits failed sign-ins per client, with Retry-After', async () => {
      const client = { 'x-forwarded-for': '203.0.113.7' };
      for (let i = 0; i < 3; i++)
        await expectError(await signIn('wrong key number x', client), 401, 'unauthorized');
      const limited = await signIn(KEY, client);
      await expectError(limited.clone(), 429, 'too_many_requests');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another client is not affected; the first may try again after the window.
      expect((await signIn(KEY, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
      clock += 61_000;
      expect((await signIn(KEY, client)).status).toBe(200);
    });

    it('refuses writes and sign-ins that another site made the browser send', async () => {
      const cookie = cookieOf(await signIn());
      const cross = { 'sec-fetch-site': 'cross-site' };
      await expectError(
        await api.put(
          request('PUT', '/api/veo/jobs/x', { cookie, body: job('x'), headers: cross }),
          'x',
        ),
        403,
        'forbidden',
      );
      await expectError(
        await api.remove(
          request('DELETE', '/api/veo/jobs/x', {
            cookie,
            headers: { origin: 'https://evil.example' },
          }),
          'x',
        ),
        403,
        'forbidden',
      );
      await expectError(
        await api.clear(
          request('DELETE', '/api/veo/jobs', {
            cookie,
            headers: { 'sec-fetch-site': 'same-site' },
          }),
        ),
        403,
        'forbidden',
      );
      await expectError(await signIn(KEY, cross), 403, 'forbidden');
      // The app itself, and non-browser clients, are fine.
      expect(
        (
          await api.put(
            request('PUT', '/api/veo/jobs/x', {
              cookie,
              body: job('x'),
              headers: { 'sec-fetch-site': 'same-origin', origin: ORIGIN },
            }),
            'x',
          )
        ).status,
      ).toBe(200);
      expect(
        (await api.list(request('GET', '/api/veo/jobs', { cookie, headers: cross }))).status,
      ).toBe(200);
    });

    it('signs out by clearing the cookie', async () => {
      const response = await call(() => guard.signOut(request('DELETE', '/api/veo/session')));
      expect(response.headers.get('set-cookie')).toMatch(
        new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`),
      );
    });

    it('reports whether a sign-in is needed and present', async () => {
      const cookie = cookieOf(await signIn());
      expect(await (await guard.status(request('GET', '/api/veo/session'))).json()).toEqual({
        required: true,
        signedIn: false,
        mode: 'key',
      });
      expect(
        await (await guard.status(request('GET', '/api/veo/session', { cookie }))).json(),
      ).toEqual({ required: true, signedIn: true, mode: 'key' });
    });
  });

  it('closes the API of a real database without a key, saying what to set', async () => {
    setup({ mode: 'refuse' });
    const error = await expectError(
      await api.list(request('GET', '/api/veo/jobs')),
      503,
      'access_not_configured',
    );
    expect(error.message).toMatch(/VEO_ACCESS_KEY/);
    expect(error.message).toMatch(/VEO_ALLOW_ANONYMOUS=1/);
  });

  it('keeps the embedded database without a key to this machine', async () => {
    setup({ mode: 'local' });
    expect(
      (await api.list(request('GET', '/api/veo/jobs', { url: 'http://127.0.0.1:3000' }))).status,
    ).toBe(200);
    expect(
      (await api.list(request('GET', '/api/veo/jobs', { url: 'http://localhost:3000' }))).status,
    ).toBe(200);
    await expectError(
      await api.list(request('GET', '/api/veo/jobs', { url: 'http://192.0.2.10:3000' })),
      503,
      'access_not_configured',
    );
  });
});
