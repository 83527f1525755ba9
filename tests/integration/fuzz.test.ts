import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorResponse } from '@/lib/server/api-error';
import { createAccessGuard } from '@/lib/server/auth/access';
import { createSessionStore } from '@/lib/server/auth/session-store';
import { createJobsApi } from '@/lib/server/jobs-api';
import { MAX_JSON_BYTES, MAX_WIRE_BYTES } from '@/lib/server/request-body';
import { apiErrorBodySchema } from '@/lib/shared/api-types';
import { proxy } from '@/proxy';
import { gzipBodyAtTheLimit } from '../support/boundary-bodies';
import { plainJob } from '../support/job-fixture';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';
import { storeModulesCopy } from '../support/module-copy';

/**
 * Thousands of random and hostile requests at every route: malformed JSON, deep nesting, huge
 * strings, unicode, SQL in ids and fields, wrong methods, bad gzip, bad parameters, paths that do
 * not percent-decode, bodies at and just past every size limit. Every one of them is invalid by
 * construction, so: never a 5xx, always a JSON error, and the database exactly as it was. As in
 * production, requests pass the proxy (proxy.ts) first, and the store comes from another copy of
 * its modules than the routes (instrumentation.ts opens it: tests/support/module-copy.ts). A fixed seed in CI; `FUZZ_RUNS` and `FUZZ_SEED` for longer runs (`npm run fuzz`).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const KEY = 'fuzzing access key 0123456789';
const ORIGIN = 'https://veo.example';

const sqlish = fc.constantFrom(
  "x' OR '1'='1",
  "'; DROP TABLE veo_jobs; --",
  'a"; DELETE FROM veo_job_chunks; --',
  '1 UNION SELECT * FROM d1_migrations',
  '%27%20OR%201%3D1',
  '../../etc/passwd',
  '\u0000',
  '🙂'.repeat(20),
  'ﬀ\u202e\u200d',
);
/** Job ids the API must refuse. */
const badJobId = fc.oneof(
  sqlish,
  fc.constant(''),
  fc.string({ minLength: 129, maxLength: 300 }),
  fc.string().filter((s) => /[^A-Za-z0-9._:-]/.test(s)),
);
/** Query parameter values for since/before/at that are not valid. */
const badNumber = fc.oneof(
  fc.constantFrom('', '-1', '1.5', '1e3', 'NaN', 'Infinity', '99999999999999999999', '0x10', ' 1'),
  sqlish,
  fc.string().filter((s) => !/^\d{1,15}$/.test(s)),
);
const deepJson = fc
  .integer({ min: 1_000, max: 60_000 })
  .map(
    (n) =>
      `{"jobId":"deep","createdAt":"2026-01-01T00:00:00Z","updatedAt":1,"data":${'['.repeat(n)}${']'.repeat(n)}}`,
  );
/** Bodies that are not a valid job, with the headers they travel with. */
const badBody = fc.oneof(
  fc.string().map((text) => ({ body: text, headers: { 'content-type': 'application/json' } })),
  fc.json().map((text) => ({ body: text, headers: { 'content-type': 'application/json' } })),
  deepJson.map((text) => ({ body: text, headers: { 'content-type': 'application/json' } })),
  fc
    .record({ jobId: fc.oneof(sqlish, fc.string()), updatedAt: fc.anything(), data: fc.anything() })
    .map((v) => ({
      body: JSON.stringify(v),
      headers: { 'content-type': 'application/json' },
    })),
  fc.string({ minLength: 1 }).map((text) => ({
    body: text,
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  })),
  fc.constantFrom('deflate', 'br', 'compress', 'gzip, gzip').map((encoding) => ({
    body: gzipSync('{}'),
    headers: { 'content-type': 'application/json', 'content-encoding': encoding },
  })),
  fc
    .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data')
    .map((type) => ({
      body: 'jobId=a',
      headers: { 'content-type': type },
    })),
  fc.integer({ min: 1, max: 3 }).map((mb) => ({
    body: `"${'x'.repeat(mb * 1024 * 1024)}"`,
    headers: { 'content-type': 'application/json' },
  })),
);

/**
 * Bodies at the size limits, made once (they are megabytes): by name, so that the arbitraries
 * stay cheap. Each is refused: 413, or 400 for the one that is not JSON.
 */
const boundaryBodies = new Map<string, Uint8Array>();
const BOUNDARY_BODIES = {
  /** Exactly the wire limit of gzip, a valid job, whose stored form is just over the limit. */
  'gzip-at-wire-limit-stored-over': { 'content-encoding': 'gzip' },
  /** One byte over the wire limit, plain. */
  'plain-wire-limit-plus-one': {},
  /** Exactly the wire limit, plain, not JSON. */
  'plain-at-wire-limit-not-json': {},
  /** Small gzip that inflates to one byte over the JSON limit. */
  'gzip-inflates-to-json-limit-plus-one': { 'content-encoding': 'gzip' },
} as const;
type BoundaryBody = keyof typeof BOUNDARY_BODIES;

function makeBoundaryBodies(): void {
  const filler = (bytes: number) => `{"jobId":"new-job","data":"${'x'.repeat(bytes - 28)}"}`;
  boundaryBodies.set('gzip-at-wire-limit-stored-over', gzipBodyAtTheLimit('new-job'));
  boundaryBodies.set('plain-wire-limit-plus-one', Buffer.from(filler(MAX_WIRE_BYTES + 1)));
  boundaryBodies.set('plain-at-wire-limit-not-json', Buffer.alloc(MAX_WIRE_BYTES, '{'));
  boundaryBodies.set(
    'gzip-inflates-to-json-limit-plus-one',
    gzipSync(Buffer.from(filler(MAX_JSON_BYTES + 1))),
  );
}

/** Path segments that do not percent-decode, as a client may send them. */
const malformedSegment = fc
  .tuple(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('%ZZ', '%', '%2', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%uD83D', '%%41'),
    fc.string({ maxLength: 6 }),
  )
  .map(([a, bad, b]) => `${encodeURIComponent(a)}${bad}${encodeURIComponent(b)}`);

type Hostile = {
  method: string;
  path: string;
  body?: string | Uint8Array;
  /** One of the boundary bodies, sent as the body. */
  boundary?: BoundaryBody;
  /** The item route's path segment as sent, not encoded again. */
  rawSegment?: string;
  headers: Record<string, string>;
  route: 'list' | 'item' | 'session';
  jobId?: string;
};

const hostileRequest: fc.Arbitrary<Hostile> = fc.oneof(
  // GET, anything: read-only whatever it is.
  fc.record({ since: fc.option(badNumber, { nil: undefined }) }).map(({ since }) => ({
    route: 'list' as const,
    method: 'GET',
    path: since === undefined ? '' : `?since=${encodeURIComponent(since)}`,
    headers: {},
  })),
  fc.oneof(badJobId, fc.constantFrom('seed-1', 'seed-2', 'missing')).map((jobId) => ({
    route: 'item' as const,
    method: 'GET',
    path: '',
    jobId,
    headers: { 'accept-encoding': 'gzip' },
  })),
  // Writes, each with at least one invalid part.
  badBody.chain((body) =>
    fc
      .oneof(badJobId, fc.constantFrom('seed-1', 'new-job'))
      .map((jobId) => ({ route: 'item' as const, method: 'PUT', path: '', jobId, ...body })),
  ),
  fc.tuple(fc.constantFrom('seed-1', 'seed-2'), badNumber).map(([jobId, at]) => ({
    route: 'item' as const,
    method: 'DELETE',
    path: `?at=${encodeURIComponent(at)}`,
    jobId,
    headers: {},
  })),
  badJobId.map((jobId) => ({
    route: 'item' as const,
    method: 'DELETE',
    path: '',
    jobId,
    headers: {},
  })),
  badNumber.map((before) => ({
    route: 'list' as const,
    method: 'DELETE',
    path: `?before=${encodeURIComponent(before)}`,
    headers: {},
  })),
  // Wrong methods.
  fc
    .constantFrom('POST', 'PATCH')
    .chain((method) =>
      fc
        .constantFrom('list', 'item')
        .map((route) => ({ route, method, path: '', jobId: 'seed-1', headers: {} })),
    ),
  // Paths that do not percent-decode, on every method of the item route.
  fc
    .tuple(malformedSegment, fc.constantFrom('GET', 'PUT', 'DELETE'))
    .map(([rawSegment, method]) => ({
      route: 'item' as const,
      method,
      path: '',
      rawSegment,
      headers: {},
      ...(method === 'PUT' ? { body: '{}' } : {}),
    })),
  // Bodies at the size limits (rare: each costs a few megabytes of work).
  fc
    .tuple(
      fc.constantFrom(...(Object.keys(BOUNDARY_BODIES) as BoundaryBody[])),
      fc.integer({ min: 0, max: 39 }),
    )
    .filter(([, draw]) => draw === 0)
    .map(([boundary]) => ({
      route: 'item' as const,
      method: 'PUT',
      path: '',
      jobId: 'new-job',
      boundary,
      headers: { 'content-type': 'application/json', ...BOUNDARY_BODIES[boundary] },
    })),
  // Sign-in with anything but the key; cross-site writes with a valid session.
  badBody.map((body) => ({ route: 'session' as const, method: 'POST', path: '', ...body })),
  fc.constantFrom('cross-site', 'same-site').map((site) => ({
    route: 'item' as const,
    method: 'DELETE',
    path: '',
    jobId: 'seed-1',
    headers: { 'sec-fetch-site': site },
  })),
);

describe('fuzz: hostile requests at every route', () => {
  let d1: TestD1;
  let cookie: string;
  let dispatch: (h: Hostile, withSession: boolean) => Promise<Response>;

  beforeAll(async () => {
    d1 = await createTestD1();
    makeBoundaryBodies();
    const now = Date.now();
    const store = (await storeModulesCopy()).createJobStore(d1.executor);
    // Rate limiting is tested elsewhere; here it would turn every sign-in into the same 429.
    const guard = createAccessGuard(
      { mode: 'key', accessKey: KEY, sessionTtlMs: 3_600_000 },
      {
        failureLimit: Number.MAX_SAFE_INTEGER,
        globalFailureLimit: Number.MAX_SAFE_INTEGER,
        sessions: createSessionStore(d1.executor),
      },
    );
    const api = createJobsApi({
      getStore: () => Promise.resolve(store),
      getAccess: () => Promise.resolve(guard),
    });
    for (const id of ['seed-1', 'seed-2']) {
      await store.upsertJob(plainJob(id, now, { scenes: [{ prompt: id }] }), `op-${id}`);
    }
    const signedIn = await guard.signIn(
      new Request(`${ORIGIN}/api/veo/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: KEY }),
      }),
    );
    cookie = signedIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^veo_session=./);

    dispatch = async (h, withSession) => {
      const url =
        h.route === 'session'
          ? `${ORIGIN}/api/veo/session`
          : h.route === 'list'
            ? `${ORIGIN}/api/veo/jobs${h.path}`
            : `${ORIGIN}/api/veo/jobs/${h.rawSegment ?? encodeURIComponent(h.jobId ?? '')}${h.path}`;
      const headers = { ...h.headers, ...(withSession ? { cookie } : {}) };
      const init: RequestInit = { method: h.method, headers };
      const body = h.boundary === undefined ? h.body : boundaryBodies.get(h.boundary);
      if (body !== undefined && h.method !== 'GET')
        init.body = typeof body === 'string' ? body : new Blob([new Uint8Array(body)]);
      const request = new Request(url, init);
      // What Next.js does: the proxy first, then the route with its decoded parameter.
      const early = await proxy(request);
      if (early) return early;
      try {
        if (h.route === 'session')
          return h.method === 'POST' ? await guard.signIn(request) : await guard.signOut(request);
        if (h.route === 'list') {
          if (h.method === 'GET') return await api.list(request);
          if (h.method === 'DELETE') return await api.clear(request);
          return api.methodNotAllowed(['GET', 'DELETE']);
        }
        const jobId =
          h.rawSegment === undefined ? (h.jobId ?? '') : decodeURIComponent(h.rawSegment);
        if (h.method === 'GET') return await api.get(request, jobId);
        if (h.method === 'PUT') return await api.put(request, jobId);
        if (h.method === 'DELETE') return await api.remove(request, jobId);
        return await api.itemMethodNotAllowed(request, ['GET', 'PUT', 'DELETE']);
      } catch (error) {
        return toErrorResponse(error);
      }
    };
  });
  afterAll(async () => {
    await d1.dispose();
  });

  async function snapshot() {
    const rows = await d1.executor.batch([
      {
        sql: 'SELECT job_id, op_id, updated_at, deleted_at, data_chunks FROM veo_jobs ORDER BY job_id',
        params: [],
      },
      {
        sql: 'SELECT job_id, chunk, length(data_base64) AS n FROM veo_job_chunks ORDER BY job_id, chunk',
        params: [],
      },
    ]);
    return rows.map((r) => r.rows);
  }

  it(`answers ${RUNS} hostile requests with JSON 4xx, never a 5xx, and changes nothing (seed ${SEED})`, async () => {
    const before = await snapshot();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileRequest, fc.boolean(), async (hostile, withSession) => {
        const response = await dispatch(hostile, withSession);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, `${hostile.method} ${hostile.route}`).toBeLessThan(500);
        const raw = new Uint8Array(await response.arrayBuffer());
        const text =
          response.headers.get('content-encoding') === 'gzip'
            ? gunzipSync(raw).toString('utf8')
            : new TextDecoder().decode(raw);
        const body = JSON.parse(text) as unknown;
        if (response.status === 404 && hostile.method === 'GET')
          expect(body).toEqual({ job: null });
        else if (response.status >= 400) apiErrorBodySchema.parse(body);
        else expect(hostile.method).toBe('GET');
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect(await snapshot()).toEqual(before);
    console.log(
      `[fuzz] ${RUNS} requests, statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
  }, 240_000);
});
