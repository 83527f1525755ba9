import type { D1Database } from '@cloudflare/workers-types';
import { Miniflare } from 'miniflare';
import { bindingExecutor, toD1Error } from '@/lib/server/d1/binding';
import type { D1Executor, StatementResult } from '@/lib/server/d1/executor';
import { applyMigrations, readMigrations } from '@/lib/server/d1/migrations';

export interface TestD1 {
  readonly db: D1Database;
  readonly executor: D1Executor;
  dispose(): Promise<void>;
}

/**
 * Runs a batch inside workerd, on the `DB` binding, and answers its results as JSON: the executor
 * behind `bridge: 'worker'`, reached with one asynchronous request per batch.
 */
const BATCH_WORKER = `export default {
  async fetch(request, env) {
    const { statements } = await request.json();
    try {
      const results = await env.DB.batch(
        statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)),
      );
      return Response.json(results.map((r) => ({
        rows: r.results,
        rowsRead: r.meta.rows_read,
        rowsWritten: r.meta.rows_written,
        changes: r.meta.changes,
      })));
    } catch (error) {
      return Response.json({ error: String((error && error.message) || error) }, { status: 500 });
    }
  },
};`;

/**
 * A fresh in-memory D1 database from Miniflare (the same workerd D1 that wrangler runs locally),
 * with this project's migrations applied. Its executor is the binding driver on Miniflare's proxy
 * (what the embedded database uses), unless `bridge: 'worker'`: then every batch runs inside
 * workerd through a small worker. The proxy's synchronous calls (`prepare`, `bind`) lose step
 * with workerd after many thousands of them in one process (Miniflare 3's
 * `assert(message?.id === id)`; the embedded database reopens its proxy, lib/server/d1/local.ts),
 * so the long-running simulation, which keeps one database for thousands of schedules, uses the
 * worker, whose requests are all asynchronous.
 */
export async function createTestD1(options: { bridge?: 'proxy' | 'worker' } = {}): Promise<TestD1> {
  try {
    return await startTestD1(options.bridge ?? 'proxy');
  } catch (error) {
    // workerd occasionally fails to come up when two test files start it at the same moment on
    // a loaded machine; a second start succeeds. Log it so a real problem still shows.
    console.warn('[tests] Miniflare did not start; trying once more:', error);
    return startTestD1(options.bridge ?? 'proxy');
  }
}

async function startTestD1(bridge: 'proxy' | 'worker'): Promise<TestD1> {
  const mf = new Miniflare({ modules: true, script: BATCH_WORKER, d1Databases: ['DB'] });
  const db = await mf.getD1Database('DB');
  const executor =
    bridge === 'proxy' ? bindingExecutor(db, { reusePrepared: true }) : workerExecutor(mf);
  await applyMigrations(executor, await readMigrations());
  return { db, executor, dispose: () => mf.dispose() };
}

function workerExecutor(mf: Miniflare): D1Executor {
  return {
    async batch(statements) {
      if (statements.length === 0) return [];
      const response = await mf.dispatchFetch('http://d1.test/batch', {
        method: 'POST',
        body: JSON.stringify({ statements }),
      });
      const body = (await response.json()) as StatementResult[] | { error: string };
      if ('error' in body) throw toD1Error(new Error(body.error));
      return body;
    },
  };
}
