import { describe, expect, it, vi } from 'vitest';
import { D1Error, type D1Executor } from '@/lib/server/d1/executor';
import { isProxyDesync } from '@/lib/server/d1/binding';
import {
  BridgeHungError,
  bridgeExecutor,
  reopenOnDesync,
  type LocalD1,
} from '@/lib/server/d1/local';

/** What Miniflare 3's synchronous proxy throws once it has lost step (see isProxyDesync). */
function desync(): Error {
  const error = new Error(
    'The expression evaluated to a falsy value:\n\n  assert(message?.id === id)',
  );
  error.name = 'AssertionError';
  error.stack = `${error.name}: ${error.message}\n    at SynchronousFetcher.fetch (node_modules/miniflare/src/plugins/core/proxy/fetch-sync.ts:138:9)`;
  return error;
}

function fakeDb(name: string, fail: () => Error | undefined = () => undefined) {
  const calls: string[] = [];
  const executor: D1Executor = {
    batch(statements) {
      calls.push(statements.map((s) => s.sql).join(';'));
      const failure = fail();
      if (failure) return Promise.reject(failure);
      return Promise.resolve([{ rows: [{ from: name }], rowsRead: 1, rowsWritten: 0, changes: 0 }]);
    },
  };
  const dispose = vi.fn(() => Promise.resolve());
  return { db: { executor, dispose } satisfies LocalD1, calls, dispose };
}

const select = [{ sql: 'SELECT 1', params: [] }];

describe('the embedded database reopens its proxy when the bridge to workerd loses step', () => {
  it('recognises the desync, and only it', () => {
    expect(isProxyDesync(desync())).toBe(true);
    const other = new Error('x');
    other.name = 'AssertionError';
    expect(isProxyDesync(other)).toBe(false);
    expect(isProxyDesync(new Error('SynchronousFetcher'))).toBe(false);
  });

  it('fails the batch that hit it as unavailable, then serves every later batch from a new proxy', async () => {
    let broken = false;
    const first = fakeDb('first', () =>
      broken ? new D1Error('unavailable', 'bridge failed', { cause: desync() }) : undefined,
    );
    const second = fakeDb('second');
    const open = vi.fn(() => Promise.resolve(second.db));
    const log = vi.fn();
    const local = reopenOnDesync(first.db, open, log);

    expect((await local.executor.batch(select))[0]?.rows).toEqual([{ from: 'first' }]);
    broken = true;
    // Two batches on the broken proxy at once: both fail, one new proxy is opened.
    const failures = await Promise.allSettled([
      local.executor.batch(select),
      local.executor.batch(select),
    ]);
    expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect((failures[0] as PromiseRejectedResult).reason).toMatchObject({ kind: 'unavailable' });
    expect((await local.executor.batch(select))[0]?.rows).toEqual([{ from: 'second' }]);
    expect((await local.executor.batch(select))[0]?.rows).toEqual([{ from: 'second' }]);
    expect(open).toHaveBeenCalledTimes(1);
    expect(first.dispose).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledTimes(1);

    await local.dispose();
    expect(second.dispose).toHaveBeenCalledTimes(1);
  });

  it('leaves other failures alone, and tries to open again when a reopen failed', async () => {
    const queryError = new D1Error('query', 'no such table');
    let failWith: Error = queryError;
    const first = fakeDb('first', () => failWith);
    const second = fakeDb('second');
    const open = vi
      .fn<() => Promise<LocalD1>>()
      .mockRejectedValueOnce(new Error('workerd did not start'))
      .mockResolvedValueOnce(second.db);
    const local = reopenOnDesync(first.db, open, () => undefined);

    await expect(local.executor.batch(select)).rejects.toBe(queryError);
    expect(open).not.toHaveBeenCalled();

    failWith = new D1Error('unavailable', 'bridge failed', { cause: desync() });
    await expect(local.executor.batch(select)).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(local.executor.batch(select)).rejects.toThrow(/could not be opened again/);
    expect((await local.executor.batch(select))[0]?.rows).toEqual([{ from: 'second' }]);
    expect(open).toHaveBeenCalledTimes(2);
  });
});

describe('binding failures the store retries', () => {
  it('counts a dropped connection to workerd as unavailable, and SQL errors as query errors', async () => {
    const { toD1Error } = await import('@/lib/server/d1/binding');
    const dropped = new Error('other side closed');
    dropped.name = 'SocketError';
    expect(toD1Error(dropped)).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(toD1Error(new Error('D1_ERROR: Network connection lost.'))).toMatchObject({
      kind: 'unavailable',
    });
    expect(toD1Error(new Error('D1_ERROR: no such table: veo_nope'))).toMatchObject({
      kind: 'query',
      retryable: false,
    });
  });

  it('counts a batch the bridge never answers as hung: it fails as a timeout, and a new bridge serves the next', async () => {
    const hung = bridgeExecutor(() => new Promise<never>(() => undefined), 50);
    const error = await hung.batch(select).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(D1Error);
    expect(error).toMatchObject({ kind: 'timeout' });
    expect((error as D1Error).cause).toBeInstanceOf(BridgeHungError);

    const first = { executor: hung, dispose: vi.fn(() => Promise.resolve()) };
    const second = fakeDb('second');
    const local = reopenOnDesync(
      first,
      () => Promise.resolve(second.db),
      () => undefined,
    );
    await expect(local.executor.batch(select)).rejects.toMatchObject({ kind: 'timeout' });
    expect((await local.executor.batch(select))[0]?.rows).toEqual([{ from: 'second' }]);
    expect(first.dispose).toHaveBeenCalledTimes(1);
    await local.dispose();
  });
});
