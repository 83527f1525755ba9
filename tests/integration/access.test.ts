import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createAccessGuard,
  DEVICE_COOKIE,
  readAccessPolicy,
  readClientAddressConfig,
  SESSION_COOKIE,
  type AccessGuardOptions,
  type AccessPolicy,
} from '@/lib/server/auth/access';
import { createSessionStore } from '@/lib/server/auth/session-store';
import { accessKeyId, tokenKey } from '@/lib/server/auth/session-token';
import { ConfigError } from '@/lib/server/env';
import { toErrorResponse } from '@/lib/server/api-error';
import { createJobStore } from '@/lib/server/job-store';
import { createJobsApi, type JobsApi } from '@/lib/server/jobs-api';
import { apiErrorBodySchema, sessionStatusSchema, type ApiErrorCode } from '@/lib/shared/api-types';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';
import { fromPeer } from '../support/peer';

const KEY = 'correct horse battery staple';
const ORIGIN = 'https://veo.example';
/** Where route-level requests come from unless a test says otherwise. */
const REMOTE = '203.0.113.50';

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

  it('names each access key with an id that differs between keys and reveals neither', () => {
    const id = (key: string) => accessKeyId(tokenKey(key));
    expect(id(KEY)).toBe(id(KEY));
    expect(id(KEY)).not.toBe(id(`${KEY}!`));
    expect(id(KEY)).not.toContain(KEY.slice(0, 6));
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

  function makeGuard(policy: AccessPolicy, options: AccessGuardOptions = {}) {
    return createAccessGuard(policy, {
      now: () => clock,
      sessions: createSessionStore(d1.executor),
      failureLimit: 3,
      globalFailureLimit: 10,
      failureWindowMs: 60_000,
      ...options,
    });
  }

  function setup(policy: AccessPolicy, options: AccessGuardOptions = {}) {
    clock = Date.now();
    guard = makeGuard(policy, options);
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
    const headers: Record<string, string> = { ...fromPeer(REMOTE), ...init.headers };
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

  /** The session cookie a sign-in set, as a Cookie header. */
  const cookieOf = (response: Response) =>
    response.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
      ?.split(';')[0] ?? '';
  const deviceCookieOf = (response: Response) =>
    response.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${DEVICE_COOKIE}=`))
      ?.split(';')[0] ?? '';
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
      const setCookie =
        response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
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
          request('POST', '/api/veo/session', {
            body: { key: KEY },
            url: 'http://localhost:3000',
            headers: { host: 'localhost:3000' },
          }),
        ),
      );
      expect(local.headers.getSetCookie()).toHaveLength(2);
      for (const c of local.headers.getSetCookie()) expect(c).not.toMatch(/Secure/);
      // Plain http under another name (a LAN address) keeps Secure: the cookie never travels.
      const lan = await call(() =>
        guard.signIn(
          request('POST', '/api/veo/session', {
            body: { key: KEY },
            url: 'http://192.168.1.20:3000',
            headers: { host: '192.168.1.20:3000' },
          }),
        ),
      );
      for (const c of lan.headers.getSetCookie()) expect(c).toMatch(/; Secure$/);
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
      const client = fromPeer('203.0.113.7');
      for (let i = 0; i < 3; i++)
        await expectError(await signIn('wrong key number x', client), 401, 'unauthorized');
      const limited = await signIn(KEY, client);
      await expectError(limited.clone(), 429, 'too_many_requests');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another client is not affected; the first may try again after the window.
      expect((await signIn(KEY, fromPeer('198.51.100.1'))).status).toBe(200);
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
      const signedIn = sessionStatusSchema.parse(
        await (await guard.status(request('GET', '/api/veo/session', { cookie }))).json(),
      );
      expect(signedIn).toMatchObject({ required: true, signedIn: true, mode: 'key' });
      expect(signedIn.keyId).toMatch(/^[\w-]{16}$/);
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
    const local = (peer: string, host: string) => ({ ...fromPeer(peer), host });
    for (const [peer, host] of [
      ['127.0.0.1', '127.0.0.1:3000'],
      ['::1', 'localhost:3000'],
      ['::ffff:127.0.0.1', '[::1]:3000'],
    ] as const) {
      expect(
        (await api.list(request('GET', '/api/veo/jobs', { headers: local(peer, host) }))).status,
      ).toBe(200);
    }
    await expectError(
      await api.list(
        request('GET', '/api/veo/jobs', { headers: local('192.0.2.10', '192.0.2.10:3000') }),
      ),
      503,
      'access_not_configured',
    );
  });

  describe('without a key, the embedded database answers this machine only (finding 1)', () => {
    beforeEach(() => setup({ mode: 'local' }));

    it('decides by the connection, not by the URL that Next builds from the Host header', async () => {
      // Next builds request.url from `-H` or localhost: a neighbour's request looks local there.
      const neighbour = request('GET', '/api/veo/jobs', {
        url: 'http://localhost:3000',
        headers: { ...fromPeer('192.168.1.23'), host: '192.168.1.10:3000' },
      });
      await expectError(await api.list(neighbour), 503, 'access_not_configured');
      const put = request('PUT', '/api/veo/jobs/lan', {
        url: 'http://localhost:3000',
        body: job('lan'),
        headers: { ...fromPeer('192.168.1.23'), host: 'localhost:3000' },
      });
      await expectError(await api.put(put, 'lan'), 503, 'access_not_configured');
      const rows = await d1.executor.batch([
        { sql: "SELECT COUNT(*) AS n FROM veo_jobs WHERE job_id = 'lan'", params: [] },
      ]);
      expect(rows[0]?.rows[0]?.n).toBe(0);
    });

    it('refuses a DNS-rebinding page: loopback peer, but another site’s Host', async () => {
      const rebinding = request('DELETE', '/api/veo/jobs', {
        url: 'http://127.0.0.1:3531',
        headers: {
          ...fromPeer('127.0.0.1'),
          host: 'evil.example:3531',
          origin: 'http://evil.example:3531',
          'sec-fetch-site': 'same-origin',
        },
      });
      await expectError(await api.clear(rebinding), 503, 'access_not_configured');
    });

    it('ignores a peer header that does not carry this process’s token, and fails closed without one', async () => {
      for (const forged of ['not-the-token 127.0.0.1', '127.0.0.1', '']) {
        const response = await api.list(
          new Request('http://localhost:3000/api/veo/jobs', {
            headers: { 'x-veo-peer': forged, host: 'localhost:3000' },
          }),
        );
        await expectError(response, 503, 'access_not_configured');
      }
    });
  });

  describe('sign-in limits that count the right client (finding 2)', () => {
    beforeEach(() =>
      setup(
        { mode: 'key', accessKey: KEY, sessionTtlMs: 60 * 60_000 },
        { globalFailureLimit: 1000 },
      ),
    );

    it('ignores X-Forwarded-For from the client: a new one per guess buys nothing', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const response = await signIn('wrong key number x', {
          ...fromPeer('203.0.113.9'),
          'x-forwarded-for': `198.51.100.${i}`,
          'x-real-ip': `198.51.100.${i}`,
        });
        statuses.push(response.status);
      }
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(new Set(statuses.slice(3))).toEqual(new Set([429]));
    });

    it('cannot be used to lock the owner out by naming the owner’s address', async () => {
      for (let i = 0; i < 10; i++)
        await signIn('wrong key number x', {
          ...fromPeer('203.0.113.66'),
          'x-forwarded-for': '198.51.100.77',
        });
      expect((await signIn(KEY, fromPeer('198.51.100.77'))).status).toBe(200);
    });

    it('gives a burst of concurrent guesses no more verdicts than the limit', async () => {
      const responses = await Promise.all(
        Array.from({ length: 60 }, () => signIn('wrong key number x', fromPeer('203.0.113.10'))),
      );
      const count = (status: number) => responses.filter((r) => r.status === status).length;
      expect(count(401)).toBe(3);
      expect(count(429)).toBe(57);
    });

    it('counts an IPv6 client by its /64, and IPv4 mapped into IPv6 as IPv4', async () => {
      for (let i = 1; i <= 3; i++)
        await signIn('wrong key number x', fromPeer(`2001:db8:1:2::${i.toString(16)}`));
      await expectError(
        await signIn(KEY, fromPeer('2001:db8:1:2:ffff:ffff:ffff:ffff')),
        429,
        'too_many_requests',
      );
      expect((await signIn(KEY, fromPeer('2001:db8:1:3::1'))).status).toBe(200);
      for (let i = 0; i < 3; i++) await signIn('wrong key number x', fromPeer('192.0.2.44'));
      await expectError(await signIn(KEY, fromPeer('::ffff:192.0.2.44')), 429, 'too_many_requests');
    });

    it('has a ceiling for guesses spread over many addresses, which a known device gets past', async () => {
      setup({ mode: 'key', accessKey: KEY, sessionTtlMs: 60 * 60_000 }, { globalFailureLimit: 10 });
      const owner = await signIn(KEY, fromPeer('198.51.100.5'));
      const device = deviceCookieOf(owner);
      expect(device).toMatch(new RegExp(`^${DEVICE_COOKIE}=`));
      for (let i = 0; i < 12; i++) await signIn('wrong key number x', fromPeer(`203.0.113.${i}`));
      // Everyone new waits, the owner's address included...
      await expectError(await signIn(KEY, fromPeer('198.51.100.5')), 429, 'too_many_requests');
      // ...but the owner's browser, which signed in here before, does not.
      expect((await signIn(KEY, { ...fromPeer('198.51.100.5'), cookie: device })).status).toBe(200);
      // A device cookie is counted on its own: wrong keys with it are limited too.
      for (let i = 0; i < 3; i++) await signIn('wrong key number x', { cookie: device });
      await expectError(await signIn(KEY, { cookie: device }), 429, 'too_many_requests');
    });

    it('takes the client from a trusted proxy’s X-Forwarded-For, or from a platform header, when configured', async () => {
      expect(readClientAddressConfig({})).toEqual({
        trustedProxyHops: 0,
        clientIpHeader: undefined,
      });
      expect(
        readClientAddressConfig({
          VEO_TRUSTED_PROXY_HOPS: '1',
          VEO_CLIENT_IP_HEADER: 'CF-Connecting-IP',
        }),
      ).toEqual({ trustedProxyHops: 1, clientIpHeader: 'cf-connecting-ip' });
      expect(() => readClientAddressConfig({ VEO_TRUSTED_PROXY_HOPS: 'x' })).toThrow(ConfigError);

      setup(
        { mode: 'key', accessKey: KEY, sessionTtlMs: 60 * 60_000 },
        { clientAddress: { trustedProxyHops: 1, clientIpHeader: undefined } },
      );
      // The proxy appended the address it saw; what the client wrote before it does not count.
      const via = (forged: string) => ({
        ...fromPeer('10.0.0.1'),
        'x-forwarded-for': `${forged}, 203.0.113.30`,
      });
      for (let i = 0; i < 3; i++) await signIn('wrong key number x', via(`198.51.100.${i}`));
      await expectError(await signIn(KEY, via('198.51.100.200')), 429, 'too_many_requests');
      expect(
        (await signIn(KEY, { ...fromPeer('10.0.0.1'), 'x-forwarded-for': '203.0.113.31' })).status,
      ).toBe(200);
    });
  });

  describe('sessions that end (finding 3)', () => {
    beforeEach(() => setup({ mode: 'key', accessKey: KEY, sessionTtlMs: 60 * 60_000 }));

    const listWith = (cookie: string) => api.list(request('GET', '/api/veo/jobs', { cookie }));
    const statusWith = async (cookie: string) =>
      (await (await guard.status(request('GET', '/api/veo/session', { cookie }))).json()) as {
        signedIn: boolean;
      };

    it('ends the session on the server: the old cookie opens nothing after sign-out', async () => {
      const cookie = cookieOf(await signIn());
      expect((await listWith(cookie)).status).toBe(200);
      const out = await call(() =>
        guard.signOut(request('DELETE', '/api/veo/session', { cookie })),
      );
      expect(await out.json()).toEqual({ signedIn: false, ended: 1 });
      await expectError(await listWith(cookie), 401, 'unauthorized');
      expect((await statusWith(cookie)).signedIn).toBe(false);
    });

    it('signs out everywhere: every session ends, and it needs a session itself', async () => {
      const phone = cookieOf(await signIn());
      const laptop = cookieOf(await signIn());
      await expectError(
        await call(() => guard.signOut(request('DELETE', '/api/veo/session?everywhere=1'))),
        401,
        'unauthorized',
      );
      expect((await listWith(phone)).status).toBe(200);
      const out = await call(() =>
        guard.signOut(request('DELETE', '/api/veo/session?everywhere=1', { cookie: laptop })),
      );
      expect(((await out.json()) as { ended: number }).ended).toBeGreaterThanOrEqual(2);
      await expectError(await listWith(phone), 401, 'unauthorized');
      await expectError(await listWith(laptop), 401, 'unauthorized');
    });

    it('ends a session on another server instance within the check interval, reading one row', async () => {
      const cookie = cookieOf(await signIn());
      const other = makeGuard(
        { mode: 'key', accessKey: KEY, sessionTtlMs: 60 * 60_000 },
        { sessionCheckMs: 30_000 },
      );
      const otherList = () =>
        call(() =>
          other
            .authorize(request('GET', '/api/veo/jobs', { cookie }), { mutating: false })
            .then(() => new Response(null, { status: 204 })),
        );
      expect((await otherList()).status).toBe(204);
      await call(() => guard.signOut(request('DELETE', '/api/veo/session', { cookie })));
      // The other instance trusts what it checked for up to 30 s...
      expect((await otherList()).status).toBe(204);
      clock += 30_001;
      await expectError(await otherList(), 401, 'unauthorized');
      // ...and a check is one primary-key read.
      const [check] = await d1.executor.batch([
        {
          sql: 'SELECT expires_at, revoked_at FROM veo_sessions WHERE session_id = ?1',
          params: ['no-such-session'],
        },
      ]);
      expect(check?.rowsRead).toBeLessThanOrEqual(1);
    });

    it('refuses a session token of the version before server-side sessions', async () => {
      const { signToken, tokenKey } = await import('@/lib/server/auth/session-token');
      const legacy = Buffer.from(
        JSON.stringify({ v: 1, iat: clock, exp: clock + 60_000 }),
      ).toString('base64url');
      const forgedV2 = signToken(tokenKey(KEY), 'session', {
        v: 2,
        sid: 'never-issued',
        iat: clock,
        exp: clock + 60_000,
      });
      await expectError(await listWith(`${SESSION_COOKIE}=${legacy}.AAAA`), 401, 'unauthorized');
      // Even correctly signed, a session the server never recorded opens nothing.
      await expectError(await listWith(`${SESSION_COOKIE}=${forgedV2}`), 401, 'unauthorized');
      // A device token is not a session token.
      const device = deviceCookieOf(await signIn()).split('=')[1] ?? '';
      await expectError(await listWith(`${SESSION_COOKIE}=${device}`), 401, 'unauthorized');
    });
  });
});
