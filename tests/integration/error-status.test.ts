import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toErrorResponse } from '@/lib/server/api-error';
import { restExecutor } from '@/lib/server/d1/rest';
import { withRetries } from '@/lib/server/d1/retry';
import type { D1ErrorKind } from '@/lib/server/d1/executor';
import { createJobsApi } from '@/lib/server/jobs-api';
import { apiErrorBodySchema } from '@/lib/shared/api-types';
import { jobIdSchema } from '@/lib/shared/job-schema';
import { proxy } from '@/proxy';
import { gzipBodyAtTheLimit } from '../support/boundary-bodies';
import { startD1RestServer, type D1RestServer } from '../support/d1-rest-server';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';
import { storeModulesCopy } from '../support/module-copy';

async function errorOf(response: Response) {
  return apiErrorBodySchema.parse(await response.json()).error;
}

describe('every known error has its status (finding 5)', () => {
  let d1: TestD1;
  let rest: D1RestServer;
  const logged: string[] = [];

  beforeAll(async () => {
    d1 = await createTestD1();
    rest = await startD1RestServer(d1.db);
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await rest.close();
    await d1.dispose();
  });

  it('recognises the store’s errors when they come from another copy of its modules', async () => {
    const copy = await storeModulesCopy();
    const tooLarge = toErrorResponse(new copy.JobTooLargeError(4_194_434));
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).code).toBe('payload_too_large');

    const kinds: D1ErrorKind[] = [
      'auth',
      'unavailable',
      'timeout',
      'network',
      'rate_limited',
      'protocol',
    ];
    for (const kind of kinds) {
      const response = toErrorResponse(new copy.D1Error(kind, `injected ${kind}`));
      expect(response.status, kind).toBe(503);
      expect(Number(response.headers.get('retry-after')), kind).toBeGreaterThan(0);
      expect((await errorOf(response)).code).toBe('store_unavailable');
    }
    // A refused query is a bug of ours: masked as a 500, and logged.
    expect(toErrorResponse(new copy.D1Error('query', 'near "SELEC": syntax error')).status).toBe(
      500,
    );
    expect(toErrorResponse(new copy.ConfigError('CLOUDFLARE_ACCOUNT_ID is missing')).status).toBe(
      500,
    );
  });

  it('answers 413 to a body at the wire limit whose stored form is over the stored limit, and stores nothing', async () => {
    const copy = await storeModulesCopy();
    const store = copy.createJobStore(d1.executor);
    const api = createJobsApi({ getStore: () => Promise.resolve(store) });
    const body = gzipBodyAtTheLimit('at-the-limit');
    const response = await api.put(
      new Request('https://veo.example/api/veo/jobs/at-the-limit', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: new Uint8Array(body),
      }),
      'at-the-limit',
    );
    expect(response.status).toBe(413);
    expect(await store.getJob('at-the-limit')).toBeNull();
  }, 60_000);

  it('answers 503 with Retry-After when D1 refuses the token, fails or hangs, and logs which', async () => {
    const connect = (token: string, timeoutMs = 5_000) =>
      withRetries(
        restExecutor({
          accountId: rest.accountId,
          databaseId: rest.databaseId,
          apiToken: token,
          baseUrl: rest.baseUrl,
          timeoutMs,
        }),
        { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 10 },
      );
    const copy = await storeModulesCopy();
    const listWith = (executor: ReturnType<typeof connect>) =>
      createJobsApi({ getStore: () => Promise.resolve(copy.createJobStore(executor)) }).list(
        new Request('https://veo.example/api/veo/jobs'),
      );

    const cases: [string, () => Promise<Response>, RegExp][] = [
      ['token refused', () => listWith(connect('wrong-token')), /refused the API token/],
      [
        '500 on every attempt',
        () => {
          rest.inject({ status: 500 }, { status: 500 }, { status: 500 });
          return listWith(connect(rest.token));
        },
        /D1 is unavailable/,
      ],
      [
        'no answer',
        () => {
          rest.inject({ hang: true }, { hang: true }, { hang: true });
          return listWith(connect(rest.token, 100));
        },
        /D1 did not answer in time/,
      ],
    ];
    for (const [name, run, log] of cases) {
      logged.length = 0;
      const response = await run();
      expect(response.status, name).toBe(503);
      expect(Number(response.headers.get('retry-after')), name).toBeGreaterThan(0);
      expect((await errorOf(response)).code, name).toBe('store_unavailable');
      expect(logged.join('\n'), name).toMatch(log);
    }
  });

  it('answers a path that does not percent-decode with the API’s JSON 400', async () => {
    for (const path of [
      '/api/veo/jobs/%ZZ',
      '/api/veo/jobs/%',
      '/api/veo/jobs/%E0%A4%A',
      '/api/veo/%C0%AF',
    ]) {
      const response = await proxy(new Request(`https://veo.example${path}`));
      expect(response?.status, path).toBe(400);
      expect(response?.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await errorOf(response!)).code).toBe('invalid_request');
    }
    expect(await proxy(new Request('https://veo.example/api/veo/jobs/a%3Ab'))).toBeUndefined();
    // On the job route, gzip for a client that accepts it: next.config.js labels that answer gzip.
    const gzipped = await proxy(
      new Request('https://veo.example/api/veo/jobs/%ZZ', {
        headers: { 'accept-encoding': 'gzip' },
      }),
    );
    expect(gzipped?.headers.get('content-encoding')).toBe('gzip');
    const inflated = gunzipSync(new Uint8Array(await gzipped!.arrayBuffer())).toString('utf8');
    expect(apiErrorBodySchema.parse(JSON.parse(inflated)).error.code).toBe('invalid_request');
  });

  it('refuses job ids made only of dots, which no URL can reach', () => {
    for (const id of ['.', '..', '...']) expect(jobIdSchema.safeParse(id).success, id).toBe(false);
    for (const id of ['.a', 'a.', 'v1.2', '..x'])
      expect(jobIdSchema.safeParse(id).success, id).toBe(true);
  });
});
