import 'server-only';
import * as z from 'zod';
import { parseRetryAfter } from '@/lib/shared/retry-after';
import { D1Error, type D1Executor, type StatementResult } from './executor';

export const CLOUDFLARE_API_BASE_URL = 'https://api.cloudflare.com/client/v4';

export interface RestExecutorOptions {
  readonly accountId: string;
  readonly databaseId: string;
  readonly apiToken: string;
  /** Defaults to Cloudflare's API; tests point it at a loopback server. */
  readonly baseUrl?: string;
  /** Per-request timeout (ms). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export const DEFAULT_REST_TIMEOUT_MS = 5_000;

const sqlValueSchema = z.union([z.string(), z.number(), z.null()]);
const metaSchema = z.looseObject({
  rows_read: z.number().optional(),
  rows_written: z.number().optional(),
  changes: z.number().optional(),
});
const statementResultSchema = z.looseObject({
  results: z.array(z.record(z.string(), sqlValueSchema)).optional(),
  success: z.boolean().optional(),
  meta: metaSchema.optional(),
});
const envelopeSchema = z.looseObject({
  success: z.boolean(),
  errors: z.array(z.looseObject({ code: z.number().optional(), message: z.string() })).default([]),
  result: z.array(statementResultSchema).nullable().optional(),
});

/**
 * The driver for Cloudflare's D1 REST API (`POST …/accounts/{id}/d1/database/{db}/query`), for
 * hosts without a binding such as Vercel. A batch is one HTTP request with a `batch` body; each
 * request has its own timeout. Retries are added by {@link withRetries}.
 */
export function restExecutor(options: RestExecutorOptions): D1Executor {
  const base = (options.baseUrl ?? CLOUDFLARE_API_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/accounts/${encodeURIComponent(options.accountId)}/d1/database/${encodeURIComponent(options.databaseId)}/query`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  const fetchImpl = options.fetch ?? fetch;

  return {
    async batch(statements, signal) {
      if (statements.length === 0) return [];
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const body = JSON.stringify({
        batch: statements.map((s) => ({ sql: s.sql, params: s.params })),
      });

      let response: Response;
      let text: string;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${options.apiToken}`,
            'content-type': 'application/json',
          },
          body,
          signal: combined,
        });
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (timeout.aborted) {
          throw new D1Error('timeout', `D1 did not answer within ${timeoutMs} ms`, {
            cause: error,
          });
        }
        throw new D1Error('network', `Could not reach the D1 API: ${describe(error)}`, {
          cause: error,
        });
      }
      return parseResponse(response, text, statements.length);
    },
  };
}

function parseResponse(response: Response, text: string, expected: number): StatementResult[] {
  const status = response.status;
  let envelope: z.infer<typeof envelopeSchema> | undefined;
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(text));
    if (parsed.success) envelope = parsed.data;
  } catch {
    // Not JSON: a proxy's HTML error page, a truncated body. Classified by status below.
  }
  const first = envelope?.errors[0];
  const message = first?.message ?? `D1 API answered HTTP ${status}`;
  const details = {
    status,
    ...(first?.code === undefined ? {} : { d1Code: first.code }),
  };

  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    throw new D1Error('rate_limited', message, {
      ...details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    throw new D1Error('unavailable', message, {
      ...details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 401 || status === 403) {
    throw new D1Error('auth', `Cloudflare refused the D1 API token: ${message}`, details);
  }
  if (!envelope) {
    throw new D1Error(
      'protocol',
      `D1 API answered HTTP ${status} without its JSON envelope`,
      details,
    );
  }
  if (status >= 400 || !envelope.success) {
    throw new D1Error('query', message, details);
  }
  const results = envelope.result ?? [];
  if (results.length !== expected) {
    throw new D1Error(
      'protocol',
      `D1 API returned ${results.length} results for ${expected} statements`,
      details,
    );
  }
  return results.map((r) => ({
    rows: r.results ?? [],
    rowsRead: r.meta?.rows_read ?? 0,
    rowsWritten: r.meta?.rows_written ?? 0,
    changes: r.meta?.changes ?? 0,
  }));
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
