import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restExecutor } from '@/lib/server/d1/rest';
import { withRetries } from '@/lib/server/d1/retry';
import { DEFAULT_JOB_TTL_MS, createJobStore, type JobStore } from '@/lib/server/job-store';
import { createJobsApi, type JobsApi } from '@/lib/server/jobs-api';
import {
  apiErrorBodySchema,
  clearResponseSchema,
  deleteResponseSchema,
  jobChangesResponseSchema,
  jobListResponseSchema,
  jobResponseSchema,
  upsertResponseSchema,
  type ApiErrorCode,
} from '@/lib/shared/api-types';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { startD1RestServer } from '../support/d1-rest-server';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';
import { formatVersion, lastVersionAt } from '@/lib/shared/version';
import { parseJobBundle } from '@/lib/shared/job-bundle';

const T0 = 1_800_000_000_000;
const BASE = 'http://localhost/api/veo/jobs';

/** A job as a device sends it: its version from its time (node "dev"), unless `extra` says. */
function job(jobId: string, updatedAt: number, extra: Record<string, unknown> = {}) {
  return {
    jobId,
    createdAt: new Date(updatedAt).toISOString(),
    updatedAt,
    version: formatVersion(updatedAt, 0, 'dev'),
    sceneCount: 1,
    data: { scenes: [{ prompt: `${jobId}@${updatedAt}` }], characters: [], script: 's' },
    ...extra,
  };
}

interface Send {
  body?: unknown;
  raw?: BodyInit;
  gzip?: boolean;
  headers?: Record<string, string>;
  opId?: string;
}

describe('jobs API route handlers (real Requests, Miniflare D1)', () => {
  let d1: TestD1;
  let clock: number;
  let api: JobsApi;
  let store: JobStore;

  beforeAll(async () => {
    d1 = await createTestD1();
  });
  afterAll(async () => {
    await d1.dispose();
  });
  beforeEach(async () => {
    clock = T0;
    await d1.executor.batch([
      { sql: 'DELETE FROM veo_job_chunks', params: [] },
      { sql: 'DELETE FROM veo_jobs', params: [] },
      { sql: 'UPDATE veo_sync_state SET seq = 1, purged_seq = 0', params: [] },
    ]);
    store = createJobStore(d1.executor, { now: () => clock });
    api = createJobsApi({ getStore: () => Promise.resolve(store), now: () => clock });
  });

  function request(method: string, path: string, send: Send = {}): Request {
    const headers: Record<string, string> = { ...send.headers };
    let body: BodyInit | undefined = send.raw;
    if (send.body !== undefined) {
      const json = Buffer.from(JSON.stringify(send.body));
      body = send.gzip ? gzipSync(json) : json;
      headers['content-type'] ??= 'application/json';
      if (send.gzip) headers['content-encoding'] = 'gzip';
    }
    if (send.opId) headers['idempotency-key'] = send.opId;
    return new Request(`${BASE}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
  }

  const put = (jobId: string, send: Send) => api.put(request('PUT', `/${jobId}`, send), jobId);
  const get = (
    jobId: string,
    headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' },
  ) => api.get(request('GET', `/${jobId}`, { headers }), jobId);
  const remove = (jobId: string, query = '', opId?: string) =>
    api.remove(request('DELETE', `/${jobId}${query}`, opId ? { opId } : {}), jobId);
  const list = (query = '') => api.list(request('GET', query));
  const clear = (query = '') => api.clear(request('DELETE', query));

  async function json(response: Response): Promise<unknown> {
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return response.json();
  }

  async function expectError(response: Response, status: number, code: ApiErrorCode) {
    expect(response.status).toBe(status);
    const body = apiErrorBodySchema.parse(await json(response));
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(0);
    return body.error;
  }

  /** The database's whole visible state: what a bad request must leave untouched. */
  async function snapshot() {
    const rows = await d1.executor.batch([
      { sql: 'SELECT * FROM veo_jobs ORDER BY job_id', params: [] },
      {
        sql: 'SELECT job_id, chunk, length(data_base64) AS n FROM veo_job_chunks ORDER BY job_id, chunk',
        params: [],
      },
      { sql: 'SELECT * FROM veo_sync_state', params: [] },
    ]);
    return rows.map((r) => r.rows);
  }

  describe('GET /api/veo/jobs', () => {
    it('answers the live list, newest first, with a cursor', async () => {
      await put('a', { body: job('a', T0 - 1) });
      await put('b', { body: job('b', T0) });
      const response = await list();
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = jobListResponseSchema.parse(await json(response));
      expect(body.jobs.map((j) => j.jobId)).toEqual(['b', 'a']);
      expect(body.cursor).toBe('3');
    });

    it('answers changes since a cursor, with deletes', async () => {
      await put('a', { body: job('a', T0) });
      const { cursor } = jobListResponseSchema.parse(await (await list()).json());
      await put('b', { body: job('b', T0) });
      await remove('a', `?at=${T0 + 1}`);
      const body = jobChangesResponseSchema.parse(await json(await list(`?since=${cursor}`)));
      expect(body.jobs.map((j) => j.jobId)).toEqual(['b']);
      expect(body.deleted).toEqual([
        { jobId: 'a', deletedAt: T0, deletedUpTo: lastVersionAt(T0 + 1) },
      ]);
      expect(body.reset).toBe(false);
    });

    it.each(['', 'abc', '-1', '1.5', '01', '9999999999999999', '1e3'])(
      'refuses since=%j with a 400',
      async (since) => {
        await expectError(await list(`?since=${since}`), 400, 'invalid_request');
      },
    );
  });

  describe('PUT /api/veo/jobs/:jobId', () => {
    it('stores a plain JSON job and answers its list entry', async () => {
      const response = await put('a', { body: job('a', T0), opId: 'op-1' });
      expect(response.status).toBe(200);
      const body = upsertResponseSchema.parse(await json(response));
      expect(body).toMatchObject({
        applied: true,
        job: { jobId: 'a', expiresAt: T0 + DEFAULT_JOB_TTL_MS },
      });
    });

    it('stores a gzip-encoded job', async () => {
      const response = await put('g', { body: job('g', T0), gzip: true });
      expect(upsertResponseSchema.parse(await json(response)).applied).toBe(true);
      const served = await get('g');
      expect(served.headers.get('content-encoding')).toBe('gzip');
      const body = JSON.parse(
        gunzipSync(new Uint8Array(await served.arrayBuffer())).toString('utf8'),
      ) as unknown;
      expect(jobResponseSchema.parse(body).job?.data).toEqual(job('g', T0).data);
    });

    it('makes a replay with the same Idempotency-Key a no-op', async () => {
      const first = await json(await put('r', { body: job('r', T0), opId: 'op-1' }));
      const before = await snapshot();
      const second = await json(await put('r', { body: job('r', T0), opId: 'op-1' }));
      expect(second).toEqual(first);
      const after = await snapshot();
      expect(after[0]).toEqual(before[0]);
      expect(after[1]).toEqual(before[1]);
    });

    it('refuses an Idempotency-Key used again for another body with a 409, and changes nothing', async () => {
      await put('k', { body: job('k', T0 - 10), opId: 'op-reused' });
      const before = await snapshot();
      await expectError(
        await put('k', { body: job('k', T0 - 5, { videoId: 'other' }), opId: 'op-reused' }),
        409,
        'idempotency_conflict',
      );
      expect(await snapshot()).toEqual(before);
    });

    it('gives a write without a version (the plan’s clients) one from the server clock', async () => {
      const { version: _v, ...plain } = job('plain', T0 - 1000);
      const first = upsertResponseSchema.parse(await json(await put('plain', { body: plain })));
      expect(first.job?.version).toMatch(new RegExp(`^${String(T0).padStart(15, '0')}\\.`));
      // A later plain write wins by arrival, whatever its updatedAt says.
      const later = upsertResponseSchema.parse(
        await json(
          await put('plain', { body: { ...plain, updatedAt: T0 - 5000, videoId: 'later' } }),
        ),
      );
      expect(later).toMatchObject({ applied: true, job: { videoId: 'later' } });
    });

    it('refuses a version more than a day ahead of the server clock', async () => {
      const ahead = job('ahead', T0, { version: formatVersion(T0 + 2 * 86_400_000, 0, 'dev') });
      await expectError(await put('ahead', { body: ahead }), 400, 'validation_failed');
    });

    it('answers applied: false with the winner when a newer write already won', async () => {
      await put('w', { body: job('w', T0 + 10, { videoId: 'new' }), opId: 'op-new' });
      const body = upsertResponseSchema.parse(
        await json(await put('w', { body: job('w', T0, { videoId: 'old' }), opId: 'op-old' })),
      );
      expect(body).toMatchObject({ applied: false, job: { videoId: 'new' } });
    });

    it('keeps an older upsert replayed after a newer delete from resurrecting the job', async () => {
      await put('z', { body: job('z', T0), opId: 'op-1' });
      expect(
        deleteResponseSchema.parse(await json(await remove('z', `?at=${T0 + 10}`, 'op-2'))).applied,
      ).toBe(true);
      const replay = upsertResponseSchema.parse(
        await json(await put('z', { body: job('z', T0 + 5), opId: 'op-3' })),
      );
      expect(replay).toEqual({ applied: false, job: null, deletedUpTo: lastVersionAt(T0 + 10) });
      expect((await get('z')).status).toBe(404);
    });

    it('round-trips a 20 MB job sent gzip-compressed, and serves the stored gzip as it is', async () => {
      const big = generateSampleJob({ jobId: 'big', sceneCount: 1150, updatedAt: T0 });
      const gzip = gzipSync(JSON.stringify(big));
      expect(gzip.byteLength).toBeLessThan(4 * 1024 * 1024);
      const response = await put('big', {
        raw: gzip,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
      expect(response.status).toBe(200);
      const served = await get('big');
      expect(served.headers.get('content-encoding')).toBe('gzip');
      const bytes = new Uint8Array(await served.arrayBuffer());
      expect(bytes.byteLength).toBeLessThan(4.5 * 1000 * 1000);
      expect(Number(served.headers.get('content-length'))).toBe(bytes.byteLength);
      const { job: back } = jobResponseSchema.parse(JSON.parse(gunzipSync(bytes).toString('utf8')));
      expect(back).toEqual({ ...big, version: back?.version, expiresAt: T0 + DEFAULT_JOB_TTL_MS });
    });

    describe('refuses bad input with a clear 4xx and changes nothing', () => {
      let before: unknown;
      beforeEach(async () => {
        await put('keep', { body: job('keep', T0) });
        before = await snapshot();
      });
      const unchanged = async () => expect(await snapshot()).toEqual(before);

      it('malformed JSON', async () => {
        const error = await expectError(
          await put('keep', {
            raw: '{"jobId": "keep",',
            headers: { 'content-type': 'application/json' },
          }),
          400,
          'invalid_json',
        );
        expect(error.message).toMatch(/not valid JSON/);
        await unchanged();
      });

      it('an empty body', async () => {
        await expectError(
          await put('keep', { raw: '', headers: { 'content-type': 'application/json' } }),
          400,
          'invalid_json',
        );
        await unchanged();
      });

      it('wrong types, reported field by field', async () => {
        const error = await expectError(
          await put('keep', {
            body: job('keep', T0 + 1, { sceneCount: 'many', status: 'done', hasScript: 'yes' }),
          }),
          400,
          'validation_failed',
        );
        expect(error.issues?.map((i) => i.path.join('.')).sort()).toEqual([
          'hasScript',
          'sceneCount',
          'status',
        ]);
        await unchanged();
      });

      it('an unknown top-level field', async () => {
        const error = await expectError(
          await put('keep', { body: job('keep', T0 + 1, { sceneCont: 3 }) }),
          400,
          'validation_failed',
        );
        expect(JSON.stringify(error.issues)).toContain('sceneCont');
        await unchanged();
      });

      it('data that is not an object', async () => {
        await expectError(
          await put('keep', { body: job('keep', T0 + 1, { data: [1, 2] }) }),
          400,
          'validation_failed',
        );
        await unchanged();
      });

      it('a body for another job than the URL', async () => {
        await expectError(
          await put('keep', { body: job('other', T0 + 1) }),
          400,
          'validation_failed',
        );
        await unchanged();
      });

      it('an updatedAt days ahead of the server clock', async () => {
        const error = await expectError(
          await put('keep', { body: job('keep', T0 + 3 * 86_400_000) }),
          400,
          'validation_failed',
        );
        expect(error.message).toMatch(/date and time/);
        await unchanged();
      });

      it('a bad Idempotency-Key', async () => {
        await expectError(
          await put('keep', {
            body: job('keep', T0 + 1),
            headers: { 'idempotency-key': 'has space' },
          }),
          400,
          'invalid_request',
        );
        await unchanged();
      });

      it.each([
        ['a content type that is not JSON', 'text/plain', undefined, 415, 'unsupported_media_type'],
        ['an encoding other than gzip', 'application/json', 'br', 415, 'unsupported_encoding'],
        ['a body that claims gzip but is not', 'application/json', 'gzip', 400, 'invalid_request'],
      ] as const)('%s', async (_name, contentType, encoding, status, code) => {
        const headers: Record<string, string> = { 'content-type': contentType };
        if (encoding) headers['content-encoding'] = encoding;
        await expectError(
          await put('keep', { raw: JSON.stringify(job('keep', T0 + 1)), headers }),
          status,
          code,
        );
        await unchanged();
      });

      it('a body over 4 MB on the wire, even without a Content-Length', async () => {
        const oversize = JSON.stringify(
          job('keep', T0 + 1, { data: { pad: 'x'.repeat(4 * 1024 * 1024) } }),
        );
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(oversize));
            controller.close();
          },
        });
        const requestInit = {
          method: 'PUT',
          body: stream,
          duplex: 'half',
          headers: { 'content-type': 'application/json' },
        };
        const response = await api.put(new Request(`${BASE}/keep`, requestInit), 'keep');
        await expectError(response, 413, 'payload_too_large');
        await unchanged();
      });

      it('a declared Content-Length over the limit, before reading it', async () => {
        await expectError(
          await put('keep', {
            raw: '{}',
            headers: {
              'content-type': 'application/json',
              'content-length': String(5 * 1024 * 1024),
            },
          }),
          413,
          'payload_too_large',
        );
        await unchanged();
      });

      it('a zip bomb: 100 KB of gzip that would inflate to 100 MB', async () => {
        const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024, 0x20));
        expect(bomb.byteLength).toBeLessThan(200 * 1024);
        const error = await expectError(
          await put('keep', {
            raw: bomb,
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          }),
          413,
          'payload_too_large',
        );
        expect(error.message).toMatch(/decompresses to more than/);
        await unchanged();
      });

      it('an error field nested thousands deep', async () => {
        const deep = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
        const raw = `{"jobId":"keep","createdAt":"2027-01-15T08:00:00.000Z","updatedAt":${T0 + 1},"error":${deep},"data":{}}`;
        await expectError(
          await put('keep', { raw, headers: { 'content-type': 'application/json' } }),
          400,
          'validation_failed',
        );
        await unchanged();
      });

      it('JSON nested thousands deep', async () => {
        const deep = '['.repeat(100_000) + ']'.repeat(100_000);
        const raw = `{"jobId":"keep","createdAt":"2027-01-15T08:00:00.000Z","updatedAt":${T0 + 1},"data":{"scenes":${deep}}}`;
        const response = await put('keep', {
          raw,
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        apiErrorBodySchema.parse(await response.json());
        await unchanged();
      });
    });
  });

  describe('job ids', () => {
    it.each([
      ['empty', ''],
      ['129 characters', 'a'.repeat(129)],
      ['a space', 'a b'],
      ['a slash', 'a/b'],
      ['unicode', 'jöb'],
      ['SQL', "x' OR '1'='1"],
    ])('refuses %s on GET, PUT and DELETE', async (_name, jobId) => {
      const before = await snapshot();
      await expectError(await api.get(request('GET', '/x'), jobId), 400, 'invalid_job_id');
      await expectError(
        await api.put(request('PUT', '/x', { body: job('x', T0) }), jobId),
        400,
        'invalid_job_id',
      );
      await expectError(await api.remove(request('DELETE', '/x'), jobId), 400, 'invalid_job_id');
      expect(await snapshot()).toEqual(before);
    });

    it('accepts 128 characters of the allowed alphabet', async () => {
      const id = `A-z_0.9:${'x'.repeat(120)}`;
      expect(id).toHaveLength(128);
      expect((await put(id, { body: job(id, T0) })).status).toBe(200);
    });
  });

  describe('GET /api/veo/job-data?ids=', () => {
    const data = (query: string) =>
      api.data(new Request(`http://app.test/api/veo/job-data${query}`));

    it('sends several jobs’ stored gzip as they are, newest first, in one bundle', async () => {
      await put('b1', { body: job('b1', T0 - 2) });
      await put('b2', { body: job('b2', T0 - 1) });
      const response = await data('?ids=b1,b2,nope');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/vnd.veo.job-bundle');
      expect(response.headers.get('content-encoding')).toBeNull();
      const bundle = parseJobBundle(new Uint8Array(await response.arrayBuffer()));
      expect(bundle.index.jobs.map((j) => j.job.jobId)).toEqual(['b2', 'b1']);
      expect(bundle.index).toMatchObject({ more: [], missing: ['nope'] });
      // Each part is the very document `GET /api/veo/jobs/:id` sends gzip-encoded.
      for (const [i, part] of bundle.parts.entries()) {
        const id = bundle.index.jobs[i]!.job.jobId;
        const single = new Uint8Array(await (await get(id)).arrayBuffer());
        expect(Buffer.from(part).equals(Buffer.from(single))).toBe(true);
        expect(JSON.parse(gunzipSync(part).toString('utf8'))).toMatchObject({ job: { jobId: id } });
      }
    });

    it('refuses a missing, empty, invalid or too long list of ids, and reads nothing', async () => {
      await expectError(await data(''), 400, 'invalid_request');
      await expectError(await data('?ids='), 400, 'invalid_request');
      await expectError(await data('?ids=a,b%20c'), 400, 'invalid_request');
      await expectError(await data('?ids=a,,b'), 400, 'invalid_request');
      const many = Array.from({ length: 51 }, (_, i) => `j${i}`).join(',');
      await expectError(await data(`?ids=${many}`), 400, 'invalid_request');
    });
  });

  describe('GET /api/veo/jobs/:jobId', () => {
    it('answers 404 { job: null } for an unknown job', async () => {
      const response = await get('nope', {});
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual({ job: null });
    });

    it('answers gzip to a client that accepts it, errors included', async () => {
      const missing = await get('nope');
      expect(missing.headers.get('content-encoding')).toBe('gzip');
      expect(
        JSON.parse(gunzipSync(new Uint8Array(await missing.arrayBuffer())).toString('utf8')),
      ).toEqual({ job: null });
      const refused = await put('bad', {
        body: job('other', T0),
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-encoding')).toBe('gzip');
      const body = apiErrorBodySchema.parse(
        JSON.parse(gunzipSync(new Uint8Array(await refused.arrayBuffer())).toString('utf8')),
      );
      expect(body.error.code).toBe('validation_failed');
    });

    it('sends plain JSON to a client that does not accept gzip', async () => {
      await put('p', { body: job('p', T0) });
      const response = await get('p', {});
      expect(response.headers.get('content-encoding')).toBeNull();
      expect(jobResponseSchema.parse(await json(response)).job?.jobId).toBe('p');
    });

    it('hides an expired job', async () => {
      await put('e', { body: job('e', T0, { expiresAt: T0 + 1000 }) });
      clock = T0 + 1000;
      expect((await get('e')).status).toBe(404);
      expect(jobListResponseSchema.parse(await (await list()).json()).jobs).toEqual([]);
    });
  });

  describe('DELETE /api/veo/jobs/:jobId', () => {
    it('tombstones the job at `at`, or now', async () => {
      await put('d', { body: job('d', T0 - 10) });
      const body = deleteResponseSchema.parse(await json(await remove('d')));
      expect(body).toEqual({
        jobId: 'd',
        applied: true,
        deletedAt: T0,
        job: null,
        deletedUpTo: formatVersion(T0 - 10, 0, 'dev'),
      });
    });

    it('keeps a job updated after `at`', async () => {
      await put('d', { body: job('d', T0) });
      const body = deleteResponseSchema.parse(await json(await remove('d', `?at=${T0 - 1}`)));
      expect(body).toMatchObject({ applied: false, deletedAt: null, job: { jobId: 'd' } });
      expect((await get('d')).status).toBe(200);
    });

    it('tombstones a job it never had (its save may still be on the way)', async () => {
      const seen = formatVersion(T0 - 5, 0, 'dev');
      const body = deleteResponseSchema.parse(await json(await remove('never', `?seen=${seen}`)));
      expect(body).toEqual({
        jobId: 'never',
        applied: true,
        deletedAt: T0,
        job: null,
        deletedUpTo: seen,
      });
      expect((await get('never', {})).status).toBe(404);
      const late = upsertResponseSchema.parse(
        await json(await put('never', { body: job('never', T0 - 5) })),
      );
      expect(late.applied).toBe(false);
      // Without `seen` or `at` (the plan's clients), a job the server never had: nothing to do.
      const plain = deleteResponseSchema.parse(await json(await remove('unknown')));
      expect(plain).toMatchObject({ applied: false, job: null, deletedUpTo: null });
    });

    it('covers exactly the version a device saw: a newer one stays', async () => {
      await put('seen', { body: job('seen', T0 - 10) });
      await put('seen', { body: job('seen', T0 - 5, { videoId: 'newer' }) });
      const body = deleteResponseSchema.parse(
        await json(await remove('seen', `?seen=${formatVersion(T0 - 10, 0, 'dev')}`)),
      );
      expect(body).toMatchObject({ applied: false, job: { videoId: 'newer' } });
      expect((await get('seen')).status).toBe(200);
    });

    it.each(['abc', '-5', '1.5', String(T0 + 2 * 86_400_000)])('refuses at=%s', async (at) => {
      await put('d', { body: job('d', T0 - 10) });
      const before = await snapshot();
      const response = await remove('d', `?at=${at}`);
      expect(response.status).toBe(400);
      apiErrorBodySchema.parse(await response.json());
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('DELETE /api/veo/jobs (clear all)', () => {
    it('clears what existed at `before` and keeps a job written after it', async () => {
      await put('old', { body: job('old', T0 - 100) });
      await put('late', { body: job('late', T0 + 100) });
      clock = T0 + 200;
      const body = clearResponseSchema.parse(await json(await clear(`?before=${T0}`)));
      expect(body).toEqual({ cleared: 1, before: T0 });
      expect(
        jobListResponseSchema.parse(await (await list()).json()).jobs.map((j) => j.jobId),
      ).toEqual(['late']);
    });

    it('clears exactly what a device held, from its { seen } body', async () => {
      await put('held', { body: job('held', T0 - 100) });
      await put('edited-since', { body: job('edited-since', T0 - 100) });
      await put('edited-since', { body: job('edited-since', T0 - 50, { videoId: 'newer' }) });
      await put('unseen', { body: job('unseen', T0 - 200) });
      const seen = {
        held: formatVersion(T0 - 100, 0, 'dev'),
        'edited-since': formatVersion(T0 - 100, 0, 'dev'),
      };
      const response = await api.clear(request('DELETE', '', { body: { seen } }));
      expect(clearResponseSchema.parse(await json(response))).toEqual({ cleared: 1, before: null });
      expect(
        jobListResponseSchema
          .parse(await (await list()).json())
          .jobs.map((j) => j.jobId)
          .sort(),
      ).toEqual(['edited-since', 'unseen']);
      // An older write of the cleared job arriving later loses, as after a single delete.
      const late = upsertResponseSchema.parse(
        await json(await put('held', { body: job('held', T0 - 100, { videoId: 'late' }) })),
      );
      expect(late.applied).toBe(false);
    });

    it('refuses a { seen } body that is not a map of job ids to versions, and changes nothing', async () => {
      await put('a', { body: job('a', T0 - 1) });
      const snap = await snapshot();
      for (const body of [{ seen: { a: 'yesterday' } }, { seen: [] }, { other: 1 }]) {
        const response = await api.clear(request('DELETE', '', { body }));
        expect(response.status).toBe(400);
      }
      expect(await snapshot()).toEqual(snap);
    });

    it('defaults `before` to now', async () => {
      await put('a', { body: job('a', T0 - 1) });
      expect(clearResponseSchema.parse(await json(await clear()))).toEqual({
        cleared: 1,
        before: T0,
      });
    });

    it.each(['x', '', String(T0 + 2 * 86_400_000)])('refuses before=%j', async (before) => {
      await put('a', { body: job('a', T0 - 1) });
      const snap = await snapshot();
      expect((await clear(`?before=${before}`)).status).toBe(400);
      expect(await snapshot()).toEqual(snap);
    });
  });

  it('answers 405 with Allow for a method a route does not serve', async () => {
    const response = api.methodNotAllowed(['GET', 'DELETE']);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, DELETE');
    apiErrorBodySchema.parse(await response.json());
  });

  describe('when D1 fails', () => {
    it('retries 429 and 503 through the REST driver and then answers normally', async () => {
      const server = await startD1RestServer(d1.db);
      try {
        const rest = withRetries(
          restExecutor({
            accountId: server.accountId,
            databaseId: server.databaseId,
            apiToken: server.token,
            baseUrl: server.baseUrl,
          }),
          { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2000 },
        );
        const restApi = createJobsApi({
          getStore: () => Promise.resolve(createJobStore(rest, { now: () => clock })),
          now: () => clock,
        });
        server.inject({ status: 429, retryAfter: '0' }, { status: 503 });
        const response = await restApi.put(
          request('PUT', '/rest', { body: job('rest', T0) }),
          'rest',
        );
        expect(response.status).toBe(200);
        expect(server.requests).toHaveLength(3);
      } finally {
        await server.close();
      }
    });

    it('answers 503 with Retry-After when D1 stays down or never answers, and leaks nothing', async () => {
      const server = await startD1RestServer(d1.db);
      try {
        const rest = withRetries(
          restExecutor({
            accountId: server.accountId,
            databaseId: server.databaseId,
            apiToken: server.token,
            baseUrl: server.baseUrl,
            timeoutMs: 100,
          }),
          { attempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2000 },
        );
        const restApi = createJobsApi({
          getStore: () => Promise.resolve(createJobStore(rest, { now: () => clock })),
          now: () => clock,
        });
        server.inject({ hang: true }, { status: 503 });
        const response = await restApi.list(request('GET', ''));
        const error = await expectError(response, 503, 'store_unavailable');
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(JSON.stringify(error)).not.toMatch(/injected|127\.0\.0\.1|test-token|SELECT/);
      } finally {
        await server.close();
      }
    });

    it('masks an unexpected error as a 500 without a stack trace', async () => {
      const broken = createJobsApi({
        getStore: () => Promise.reject(new Error('secret internals at /srv/app.js:12')),
      });
      const response = await broken.list(request('GET', ''));
      const error = await expectError(response, 500, 'internal_error');
      expect(JSON.stringify(error)).not.toContain('secret internals');
    });
  });
});

describe('gzip on /api/veo/jobs/:jobId', () => {
  it('uses the same Accept-Encoding pattern as next.config.js, which adds the header Next.js drops', async () => {
    const { ACCEPTS_GZIP_PATTERN } = await import('@/lib/shared/accept-gzip');
    const configFor = createRequire(import.meta.url)('../../next.config.js') as (phase: string) => {
      headers(): Promise<
        {
          source: string;
          has?: { key: string; value: string }[];
          headers: { key: string; value: string }[];
        }[]
      >;
    };
    const rules = await configFor('phase-production-server').headers();
    const rule = rules.find((r) => r.source === '/api/veo/jobs/:jobId');
    expect(rule?.has).toEqual([
      { type: 'header', key: 'accept-encoding', value: ACCEPTS_GZIP_PATTERN },
    ]);
    expect(rule?.headers).toEqual([{ key: 'Content-Encoding', value: 'gzip' }]);
  });

  it.each([
    ['gzip, deflate, br, zstd', true],
    ['gzip', true],
    ['br, gzip;q=0.8', true],
    ['deflate', false],
    ['x-gzipped', false],
    ['', false],
  ])('treats Accept-Encoding %j as accepting gzip: %s', async (header, expected) => {
    const { acceptsGzipEncoding } = await import('@/lib/shared/accept-gzip');
    expect(acceptsGzipEncoding(header)).toBe(expected);
  });
});
