import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { D1Error, type D1Executor } from '@/lib/server/d1/executor';
import { restExecutor } from '@/lib/server/d1/rest';
import { withRetries } from '@/lib/server/d1/retry';
import { startD1RestServer, type D1RestServer } from '../support/d1-rest-server';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';

describe('D1 REST driver', () => {
  let d1: TestD1;
  let server: D1RestServer;
  let waits: number[];
  let executor: D1Executor;

  const select = [{ sql: 'SELECT seq FROM veo_sync_state WHERE id = ?1', params: [1] }];
  const connect = (overrides: { token?: string; baseUrl?: string; timeoutMs?: number } = {}) =>
    withRetries(
      restExecutor({
        accountId: server.accountId,
        databaseId: server.databaseId,
        apiToken: overrides.token ?? server.token,
        baseUrl: overrides.baseUrl ?? server.baseUrl,
        timeoutMs: overrides.timeoutMs ?? 5_000,
      }),
      { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2_000 },
      {
        random: () => 1,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );

  beforeAll(async () => {
    d1 = await createTestD1();
  });
  afterAll(async () => {
    await d1.dispose();
  });
  beforeEach(async () => {
    server = await startD1RestServer(d1.db);
    waits = [];
    executor = connect();
  });
  afterEach(async () => {
    await server.close();
  });

  async function failure(promise: Promise<unknown>): Promise<D1Error> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof D1Error)) throw new Error(`expected a D1Error, got ${String(error)}`);
    return error;
  }

  it('sends a whole batch as one request and returns one result per statement', async () => {
    const results = await executor.batch([...select, { sql: 'SELECT 2 AS two', params: [] }]);
    expect(results.map((r) => r.rows)).toEqual([[{ seq: 1 }], [{ two: 2 }]]);
    expect(results[0]?.rowsRead).toBe(1);
    expect(server.requests).toEqual([{ statements: 2, bytes: expect.any(Number) as number }]);
  });

  it('retries a 429, waiting as long as Retry-After asks', async () => {
    server.inject({ status: 429, retryAfter: '1' });
    const results = await executor.batch(select);
    expect(results[0]?.rows).toEqual([{ seq: 1 }]);
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([1000]);
  });

  it('retries 500 and 503 with exponential backoff, then succeeds', async () => {
    server.inject({ status: 503 }, { status: 500 });
    await executor.batch(select);
    expect(server.requests).toHaveLength(3);
    expect(waits).toEqual([10, 20]);
  });

  it('gives up after the last attempt with a retryable error that keeps D1’s words', async () => {
    server.inject({ status: 503 }, { status: 503 }, { status: 503 });
    const error = await failure(executor.batch(select));
    expect(error).toMatchObject({
      kind: 'unavailable',
      status: 503,
      retryable: true,
      message: 'injected 503',
    });
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait out a Retry-After longer than one API call may take', async () => {
    server.inject({ status: 429, retryAfter: '60' });
    const error = await failure(executor.batch(select));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
    expect(server.requests).toHaveLength(1);
  });

  it('times out a request that never gets an answer, and retries it', async () => {
    executor = connect({ timeoutMs: 150 });
    server.inject({ hang: true }, { hang: true }, { hang: true });
    const error = await failure(executor.batch(select));
    expect(error.kind).toBe('timeout');
    expect(server.requests).toHaveLength(3);
  });

  it('recovers when only the first request hangs', async () => {
    executor = connect({ timeoutMs: 150 });
    server.inject({ hang: true });
    expect((await executor.batch(select))[0]?.rows).toEqual([{ seq: 1 }]);
  });

  it('maps a SQL error to a query error with D1’s message, and does not retry it', async () => {
    const error = await failure(
      executor.batch([{ sql: 'SELECT * FROM no_such_table', params: [] }]),
    );
    expect(error.kind).toBe('query');
    expect(error.retryable).toBe(false);
    expect(error.d1Code).toBe(7500);
    expect(error.message).toMatch(/no such table: no_such_table/);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a refused token as an auth error without retrying', async () => {
    executor = connect({ token: 'wrong' });
    const error = await failure(executor.batch(select));
    expect(error).toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect(error.message).not.toContain('wrong');
    expect(server.requests).toHaveLength(0);
  });

  it('treats a non-JSON 502 from a proxy as a retryable outage', async () => {
    server.inject({ garbage: true });
    await executor.batch(select);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a connection that cannot be made as a network error', async () => {
    const closed = await startD1RestServer(d1.db);
    await closed.close();
    executor = connect({ baseUrl: closed.baseUrl });
    const error = await failure(executor.batch(select));
    expect(error.kind).toBe('network');
    expect(waits).toHaveLength(2);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    const controller = new AbortController();
    server.inject({ hang: true });
    const pending = executor.batch(select, controller.signal);
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(pending).rejects.toThrow('caller gave up');
    expect(server.requests).toHaveLength(1);
  });
});
