import 'server-only';
import { BrandedError } from '../brand';

/**
 * The one thing the job store needs from D1: run a list of bound statements as one request. Two
 * drivers implement it (the D1 binding and the D1 REST API); the store never knows which.
 */

/** What D1 can bind. Values are always bound, never spliced into SQL. */
export type SqlValue = string | number | null;

export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

export type SqlRow = Readonly<Record<string, SqlValue>>;

export interface StatementResult {
  readonly rows: readonly SqlRow[];
  /** D1's `meta.rows_read`: what Cloudflare bills for reads. */
  readonly rowsRead: number;
  /** D1's `meta.rows_written`, indexes included: what Cloudflare bills for writes. */
  readonly rowsWritten: number;
  /** D1's `meta.changes`: rows inserted, updated or deleted by this statement. */
  readonly changes: number;
}

/**
 * Runs `statements` in order as ONE D1 request: a `db.batch()` over the binding, one `{ batch }`
 * POST over REST. D1 runs a batch as a single transaction: if a statement fails, none applies.
 * Resolves with one result per statement; rejects with a {@link D1Error}.
 */
export interface D1Executor {
  batch(statements: readonly SqlStatement[], signal?: AbortSignal): Promise<StatementResult[]>;
}

export type D1ErrorKind =
  /** D1 refused the SQL (constraint, syntax, limits). Retrying cannot help. */
  | 'query'
  /** Cloudflare answered 429. */
  | 'rate_limited'
  /** 5xx, "Network connection lost", "overloaded": D1 was briefly not there. */
  | 'unavailable'
  /** No answer within the request timeout. */
  | 'timeout'
  /** The connection failed before an answer. */
  | 'network'
  /** The API token was refused (401/403). */
  | 'auth'
  /** An answer that is not D1's envelope. */
  | 'protocol';

const RETRYABLE_KINDS: ReadonlySet<D1ErrorKind> = new Set([
  'rate_limited',
  'unavailable',
  'timeout',
  'network',
]);

/** A failed D1 request. `message` keeps D1's own words; `cause` keeps the underlying error. */
export class D1Error extends BrandedError('D1Error') {
  override readonly name = 'D1Error';
  readonly kind: D1ErrorKind;
  /** HTTP status of the REST answer, when there was one. */
  readonly status: number | undefined;
  /** Cloudflare's error code (e.g. 7500 for a SQL error), when it gave one. */
  readonly d1Code: number | undefined;
  /** How long Cloudflare asked us to wait (`Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: D1ErrorKind,
    message: string,
    details: { status?: number; d1Code?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.status = details.status;
    this.d1Code = details.d1Code;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Whether the same request may succeed if sent again. Every write of the store is idempotent. */
  get retryable(): boolean {
    return RETRYABLE_KINDS.has(this.kind);
  }
}
