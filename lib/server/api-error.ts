import 'server-only';
import type { z } from 'zod';
import type { ApiErrorBody, ApiErrorCode } from '@/lib/shared/api-types';
import { BrandedError } from './brand';
import { D1Error } from './d1/executor';
import { ConfigError } from './env';
import { IdempotencyConflictError, JobTooLargeError } from './job-store';

const STATUS: Record<ApiErrorCode, number> = {
  invalid_request: 400,
  invalid_job_id: 400,
  invalid_json: 400,
  validation_failed: 400,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_encoding: 415,
  unsupported_media_type: 415,
  unauthorized: 401,
  forbidden: 403,
  too_many_requests: 429,
  idempotency_conflict: 409,
  access_not_configured: 503,
  store_unavailable: 503,
  internal_error: 500,
};

type Issues = NonNullable<ApiErrorBody['error']['issues']>;

/** An expected failure of an API call, with the status and the message the client sees. */
export class ApiError extends BrandedError('ApiError') {
  override readonly name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: Issues,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = STATUS[code];
  }

  /** A 400 listing every zod issue with its path. */
  static fromZod(code: ApiErrorCode, message: string, error: z.ZodError): ApiError {
    return new ApiError(
      code,
      message,
      error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: i.message,
      })),
    );
  }

  toResponse(): Response {
    const body: ApiErrorBody = {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues === undefined ? {} : { issues: this.issues }),
      },
    };
    return jsonResponse(body, this.status, this.headers);
  }
}

/** A JSON response that no cache keeps: job lists change under every client. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return jsonTextResponse(JSON.stringify(body), status, headers);
}

/** {@link jsonResponse} for JSON already serialised. */
export function jsonTextResponse(
  json: string,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(json, {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
  });
}

/** D1 failures that are the database's or its configuration's, not the request's: 503. */
const UNAVAILABLE_KINDS: ReadonlySet<D1Error['kind']> = new Set(['auth', 'protocol']);

/** What the log says for each D1 failure, so an operator knows which one it was. */
const D1_LOG_PREFIX: Record<D1Error['kind'], string> = {
  query: 'D1 refused the query',
  rate_limited: 'D1 is rate-limiting this token (HTTP 429)',
  unavailable: 'D1 is unavailable',
  timeout: 'D1 did not answer in time',
  network: 'D1 could not be reached',
  auth: 'D1 refused the API token: check CLOUDFLARE_D1_API_TOKEN (it needs D1 Edit) and CLOUDFLARE_ACCOUNT_ID',
  protocol: 'D1 answered something that is not its API',
};

/**
 * Turns anything thrown while answering into a JSON error. Expected failures keep their message;
 * everything else is logged here and answered without details, so no stack trace, SQL or
 * credential ever reaches a client.
 */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof ApiError) return error.toResponse();
  if (error instanceof IdempotencyConflictError) {
    return new ApiError('idempotency_conflict', error.message).toResponse();
  }
  if (error instanceof JobTooLargeError) {
    return new ApiError('payload_too_large', error.message).toResponse();
  }
  if (error instanceof D1Error && (error.retryable || UNAVAILABLE_KINDS.has(error.kind))) {
    console.error(`[veo-sync] ${D1_LOG_PREFIX[error.kind]}: ${error.message}`);
    const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 5_000) / 1000));
    return new ApiError(
      'store_unavailable',
      'The job database is unavailable right now; try again shortly',
      undefined,
      { 'retry-after': String(seconds) },
    ).toResponse();
  }
  if (error instanceof ConfigError) {
    console.error(`[veo-sync] configuration: ${error.message}`);
  } else if (error instanceof D1Error && /no such (table|column)/i.test(error.message)) {
    console.error(
      `[veo-sync] the D1 schema is behind: apply migrations (npx wrangler d1 migrations apply veo-sync --remote). ${error.message}`,
    );
  } else {
    console.error('[veo-sync] unexpected error', error);
  }
  return new ApiError('internal_error', 'Something went wrong on the server').toResponse();
}
