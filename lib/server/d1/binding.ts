import 'server-only';
import type { D1Database } from '@cloudflare/workers-types';
import { D1Error, type D1Executor, type SqlRow, type StatementResult } from './executor';

/**
 * The driver for a D1 binding: `env.DB` on Cloudflare, or Miniflare's D1 from wrangler's
 * getPlatformProxy() on a developer's machine. A batch is `db.batch()`, one atomic transaction.
 */
export function bindingExecutor(db: D1Database): D1Executor {
  return {
    async batch(statements) {
      if (statements.length === 0) return [];
      const prepared = statements.map((s) => db.prepare(s.sql).bind(...s.params));
      try {
        const results = await db.batch<SqlRow>(prepared);
        return results.map((r): StatementResult => ({
          rows: r.results,
          rowsRead: r.meta.rows_read,
          rowsWritten: r.meta.rows_written,
          changes: r.meta.changes,
        }));
      } catch (error) {
        throw toD1Error(error);
      }
    },
  };
}

// Transient failures the binding reports as plain errors; Cloudflare's docs list these as safe
// to retry: https://developers.cloudflare.com/d1/observability/debug-d1/#error-list
const TRANSIENT_MESSAGE =
  /network connection lost|overloaded|storage (caused object to be reset|operation exceeded timeout)|internal error|reset because its code was updated/i;

function toD1Error(error: unknown): D1Error {
  const message = error instanceof Error ? error.message : String(error);
  const kind = TRANSIENT_MESSAGE.test(message) ? 'unavailable' : 'query';
  return new D1Error(kind, message, { cause: error });
}
