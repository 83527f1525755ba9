import 'server-only';
import type { D1Database, D1PreparedStatement } from '@cloudflare/workers-types';
import { D1Error, type D1Executor, type SqlRow, type StatementResult } from './executor';

/** Prepared statements kept per binding: the store's SQL is a small fixed set. */
const PREPARED_CACHE_LIMIT = 256;

/**
 * The driver for a D1 binding: `env.DB` on Cloudflare, or Miniflare's D1 from wrangler's
 * getPlatformProxy() on a developer's machine. A batch is `db.batch()`, one atomic transaction.
 *
 * With `reusePrepared` (for Miniflare's binding through a proxy), each SQL string is prepared
 * once and bound per call (`bind` returns a new statement and leaves the prepared one as it was):
 * through the proxy every `prepare` is a synchronous round trip to workerd, and so is the first
 * look-up of `bind` on each new statement, so a ten-statement write makes 10 of them instead of
 * 30. On Cloudflare statements are prepared per request, as its documentation does.
 */
export function bindingExecutor(
  db: D1Database,
  { reusePrepared = false }: { reusePrepared?: boolean } = {},
): D1Executor {
  const prepared = new Map<string, D1PreparedStatement>();
  const statementFor = (sql: string): D1PreparedStatement => {
    if (!reusePrepared) return db.prepare(sql);
    let statement = prepared.get(sql);
    if (!statement) {
      if (prepared.size >= PREPARED_CACHE_LIMIT) prepared.clear();
      statement = db.prepare(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
  return {
    async batch(statements) {
      if (statements.length === 0) return [];
      try {
        const bound = statements.map((s) => statementFor(s.sql).bind(...s.params));
        const results = await db.batch<SqlRow>(bound);
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
// to retry: https://developers.cloudflare.com/d1/observability/debug-d1/#error-list. The last
// ones are the local connection to workerd dropping under load (undici's "other side closed",
// which reaches us as "fetch failed" with it as the cause): the request may not have run, and
// every write is idempotent, so it is retried too.
const TRANSIENT_MESSAGE =
  /network connection lost|overloaded|storage (caused object to be reset|operation exceeded timeout)|internal error|reset because its code was updated|other side closed|socket hang up|ECONNRESET/i;

/** Node and undici error codes of a connection that failed or dropped before an answer. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  // Miniflare stopped (the server shutting down): answered 503, not an unexpected 500.
  'ERR_DISPOSED',
]);

/** `error` and its causes, outermost first (a few levels: undici nests two or three). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 6;) {
    chain.push(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  return chain;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether `error` (or one of its causes) is the local database's workerd no longer listening:
 * the process went away, and whoever owns the bridge must start a new one (lib/server/d1/local.ts).
 */
export function isBridgeLost(error: unknown): boolean {
  return causeChain(error).some((e) => codeOf(e) === 'ECONNREFUSED');
}

/**
 * Whether `error` is getPlatformProxy's bridge to workerd losing step: Miniflare 3's synchronous
 * proxy calls (`prepare`, `bind`) pair each answer with its request by id, and on a loaded
 * machine an answer can go missing, after which every later call reads the previous one's
 * answer and fails its `message?.id === id` assertion. The proxy never recovers: whoever owns it
 * must open a new one (lib/server/d1/local.ts does).
 */
export function isProxyDesync(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'AssertionError' &&
    /SynchronousFetcher|fetch-sync/.test(error.stack ?? '')
  );
}

/**
 * A binding failure as the store's error: `unavailable` (retried, then 503) or `query`. The
 * error's causes are looked at too ("fetch failed" says nothing; its cause says the socket
 * closed), and their messages kept for the log.
 */
export function toD1Error(error: unknown): D1Error {
  if (error instanceof D1Error) return error;
  const chain = causeChain(error);
  const messages = chain.map((e) => (e instanceof Error ? e.message : String(e)).trim());
  const transient =
    isProxyDesync(error) ||
    chain.some((e) => {
      const code = codeOf(e);
      return code !== undefined && TRANSIENT_CODES.has(code);
    }) ||
    messages.some((m) => TRANSIENT_MESSAGE.test(m));
  // D1's own message first; a cause only where it says more ("fetch failed (other side closed)").
  const message = messages
    .slice(1)
    .reduce(
      (text, m) => (m === '' || text.includes(m) ? text : `${text} (${m})`),
      messages[0] ?? '',
    );
  return new D1Error(
    transient ? 'unavailable' : 'query',
    isProxyDesync(error) ? `the local database bridge failed (${message})` : message,
    { cause: error },
  );
}
