import type { D1Database } from '@cloudflare/workers-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bindingExecutor, isBridgeLost, toD1Error } from '@/lib/server/d1/binding';
import { D1Error, type D1Executor } from '@/lib/server/d1/executor';
import { bridgeExecutor, reopenOnDesync, type LocalD1 } from '@/lib/server/d1/local';
import { restExecutor } from '@/lib/server/d1/rest';
import { withRetries, type RetryPolicy } from '@/lib/server/d1/retry';
import { createJobStore } from '@/lib/server/job-store';
import { createJobsApi } from '@/lib/server/jobs-api';
import { apiErrorBodySchema, upsertResponseSchema } from '@/lib/shared/api-types';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { formatVersion } from '@/lib/shared/version';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';

/** undici's error for a connection workerd closed: "fetch failed", the socket error as its cause. */
function socketClosed(): Error {
  const socket = Object.assign(new Error('other side closed'), {
    name: 'SocketError',
    code: 'UND_ERR_SOCKET',
  });
  return new TypeError('fetch failed', { cause: socket });
}

/** A connection refused: workerd is not listening any more. */
function refused(): Error {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:40123'), {
    code: 'ECONNREFUSED',
  });
  return new TypeError('fetch failed', { cause });
}

/** What Miniflare 3's synchronous proxy throws once it has lost step with workerd. */
function proxyDesync(): Error {
  const error = new Error(
    'The expression evaluated to a falsy value:\n\n  assert(message?.id === id)',
  );
  error.name = 'AssertionError';
  error.stack = `${error.name}: ${error.message}\n    at SynchronousFetcher.fetch (node_modules/miniflare/src/plugins/core/proxy/fetch-sync.ts:138:9)`;
  return error;
}

/** Every transient failure the embedded database and D1 report, as the driver sees it thrown. */
const TRANSIENT: [string, () => Error][] = [
  ['a closed socket ("fetch failed", cause "other side closed")', socketClosed],
  ['"other side closed" on its own', () => new Error('other side closed')],
  ['a connection reset', () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ['a refused connection (workerd gone)', refused],
  ['"Network connection lost"', () => new Error('D1_ERROR: Network connection lost.')],
  ['"overloaded"', () => new Error('D1_ERROR: D1 DB is overloaded. Too many requests queued.')],
  ['a storage reset', () => new Error('D1_ERROR: Storage caused object to be reset.')],
  ['a Miniflare proxy desync', proxyDesync],
  [
    'Miniflare stopped',
    () => Object.assign(new Error('Cannot use disposed instance'), { code: 'ERR_DISPOSED' }),
  ],
];

const FAST: RetryPolicy = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2_000 };
const T0 = Date.now() - 60_000;

function putRequest(jobId: string, version: string): Request {
  const job = {
    ...generateSampleJob({ jobId, sceneCount: 1, seed: 3, updatedAt: T0 }),
    expiresAt: undefined,
    version,
  };
  return new Request(`https://veo.example/api/veo/jobs/${jobId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'idempotency-key': `op-${jobId}-${version}` },
    body: JSON.stringify(job),
  });
}

describe('transient database failures are retried, and answered 503 with Retry-After if they last', () => {
  let d1: TestD1;
  const logged: string[] = [];
  beforeAll(async () => {
    d1 = await createTestD1();
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await d1.dispose();
  });

  /** An executor that fails `failures` times with `make()` before it lets batches through. */
  function flaky(make: () => unknown, failures: number, { runFirst = false } = {}) {
    let calls = 0;
    const inner: D1Executor = {
      async batch(statements) {
        calls++;
        if (calls <= failures) {
          // The request may have run before its answer was lost: a retry must be harmless.
          if (runFirst) await d1.executor.batch(statements);
          throw toD1Error(make());
        }
        return d1.executor.batch(statements);
      },
    };
    const waits: number[] = [];
    const executor = withRetries(inner, FAST, {
      random: () => 1,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    return { executor, waits, calls: () => calls };
  }

  it.each(TRANSIENT)('counts %s as unavailable, never a query error', (_, make) => {
    const error = toD1Error(make());
    expect(error.kind).toBe('unavailable');
    expect(error.retryable).toBe(true);
  });

  it('keeps refused SQL a query error (a bug of ours, masked as a 500)', () => {
    for (const message of ['D1_ERROR: no such table: veo_nope', 'near "SELEC": syntax error']) {
      expect(toD1Error(new Error(message))).toMatchObject({ kind: 'query', retryable: false });
    }
    // The cause's words are kept for the log when the message says nothing.
    expect(toD1Error(socketClosed()).message).toBe('fetch failed (other side closed)');
  });

  it.each(TRANSIENT)(
    'retries %s with backoff, and the write is stored once and answered as applied',
    async (name, make) => {
      const jobId = `flaky-${TRANSIENT.findIndex(([n]) => n === name)}`;
      const { executor, waits, calls } = flaky(make, 2, { runFirst: true });
      const api = createJobsApi({ getStore: () => Promise.resolve(createJobStore(executor)) });
      const version = formatVersion(T0, 0, 'device');
      const seq = async () =>
        (await d1.executor.batch([{ sql: 'SELECT seq FROM veo_sync_state', params: [] }]))[0]
          ?.rows[0]?.seq;
      const before = Number(await seq());
      const response = await api.put(putRequest(jobId, version), jobId);
      expect(response.status).toBe(200);
      const answer = upsertResponseSchema.parse(await response.json());
      expect(answer).toMatchObject({ applied: true, job: { version } });
      expect(calls()).toBe(3);
      // Each attempt ran the batch; the first took effect, the others were replays of it.
      expect(Number(await seq())).toBe(before + 1);
      // Exponential: 10 ms, then 20 ms (random() = 1 here; full jitter otherwise).
      expect(waits).toEqual([10, 20]);
    },
  );

  it.each(TRANSIENT)(
    'answers 503 with Retry-After, not 500, when %s lasts past the retries',
    async (_, make) => {
      const { executor, calls } = flaky(make, Infinity);
      const api = createJobsApi({ getStore: () => Promise.resolve(createJobStore(executor)) });
      logged.length = 0;
      for (const response of [
        await api.list(new Request('https://veo.example/api/veo/jobs')),
        await api.put(putRequest('lasting', formatVersion(T0, 1, 'device')), 'lasting'),
      ]) {
        expect(response.status).toBe(503);
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        const { error } = apiErrorBodySchema.parse(await response.json());
        expect(error.code).toBe('store_unavailable');
        expect(JSON.stringify(error)).not.toMatch(/SELECT|INSERT|at .*\.ts/);
      }
      expect(calls()).toBe(2 * FAST.attempts);
      expect(logged.join('\n')).toMatch(/D1 is unavailable/);
    },
  );

  it('maps what the embedded database’s bridge answers: D1’s errors, and answers that are not its own', async () => {
    const answer = (status: number, body: string) => () =>
      Promise.resolve({ status, text: () => Promise.resolve(body) });
    const cases: [string, ReturnType<typeof answer>, D1Error['kind']][] = [
      [
        'D1 lost its connection',
        answer(500, JSON.stringify({ error: 'D1_ERROR: Network connection lost.' })),
        'unavailable',
      ],
      [
        'D1 overloaded',
        answer(500, JSON.stringify({ error: 'D1_ERROR: D1 DB is overloaded.' })),
        'unavailable',
      ],
      ['a page that is not JSON', answer(502, '<html>Bad gateway</html>'), 'unavailable'],
      [
        'refused SQL',
        answer(500, JSON.stringify({ error: 'D1_ERROR: no such table: veo_nope: SQLITE_ERROR' })),
        'query',
      ],
    ];
    const select = [{ sql: 'SELECT 1', params: [] }];
    for (const [name, send, kind] of cases) {
      const error = await bridgeExecutor(send)
        .batch(select)
        .catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(D1Error);
      expect((error as D1Error).kind, name).toBe(kind);
    }
    for (const [name, make] of TRANSIENT) {
      const error = await bridgeExecutor(() => Promise.reject(make()))
        .batch(select)
        .catch((e: unknown) => e);
      expect((error as D1Error).kind, name).toBe('unavailable');
    }
  });

  it('maps the binding’s failures the same way (Workers, and getPlatformProxy’s binding)', async () => {
    for (const [name, make] of TRANSIENT) {
      const db = {
        prepare: () => ({ bind: () => ({}) }),
        batch: () => Promise.reject(make()),
      } as unknown as D1Database;
      const error = await bindingExecutor(db)
        .batch([{ sql: 'SELECT 1', params: [] }])
        .catch((e: unknown) => e);
      expect((error as D1Error).kind, name).toBe('unavailable');
    }
  });

  it('retries D1 REST 429 and 5xx, honouring Retry-After, then answers 503 with it', async () => {
    for (const status of [429, 500, 502, 503]) {
      const waits: number[] = [];
      const fetch = vi.fn(() =>
        Promise.resolve(
          new Response(
            JSON.stringify({ success: false, errors: [{ code: 7500, message: 'busy' }] }),
            {
              status,
              headers: { 'retry-after': '1' },
            },
          ),
        ),
      );
      const executor = withRetries(
        restExecutor({ accountId: 'a', databaseId: 'd', apiToken: 't', fetch }),
        FAST,
        { random: () => 1, sleep: (ms) => (waits.push(ms), Promise.resolve()) },
      );
      const api = createJobsApi({ getStore: () => Promise.resolve(createJobStore(executor)) });
      const response = await api.list(new Request('https://veo.example/api/veo/jobs'));
      expect(response.status, String(status)).toBe(503);
      expect(response.headers.get('retry-after'), String(status)).toBe('1');
      expect(fetch, String(status)).toHaveBeenCalledTimes(FAST.attempts);
      expect(waits, String(status)).toEqual([1_000, 1_000]);
    }
  });

  it('opens a new bridge to workerd when it is gone (refused), and only then', async () => {
    expect(isBridgeLost(toD1Error(refused()).cause)).toBe(true);
    expect(isBridgeLost(toD1Error(socketClosed()).cause)).toBe(false);
    const fake = (name: string, fail: () => Error | undefined): LocalD1 => ({
      executor: {
        batch: () => {
          const failure = fail();
          return failure
            ? Promise.reject(toD1Error(failure))
            : Promise.resolve([
                { rows: [{ from: name }], rowsRead: 1, rowsWritten: 0, changes: 0 },
              ]);
        },
      },
      dispose: () => Promise.resolve(),
    });
    let gone = false;
    let dropped = true;
    const first = fake('first', () => (gone ? refused() : dropped ? socketClosed() : undefined));
    const open = vi.fn(() => Promise.resolve(fake('second', () => undefined)));
    const local = reopenOnDesync(first, open, () => undefined);
    const select = [{ sql: 'SELECT 1', params: [] }];
    // A dropped connection is retried on the same workerd.
    await expect(local.executor.batch(select)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(open).not.toHaveBeenCalled();
    dropped = false;
    gone = true;
    await expect(local.executor.batch(select)).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await local.executor.batch(select))[0]?.rows).toEqual([{ from: 'second' }]);
    expect(open).toHaveBeenCalledTimes(1);
  });
});
