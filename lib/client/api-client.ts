/**
 * The jobs API as the device calls it: every call has a timeout, and every outcome is a value
 * sorted the way the sync rules need it — retryable (network, timeout, 429, 5xx), auth (401), or
 * permanent (any other 4xx) — never a thrown error.
 */
import type { z } from 'zod';
import {
  BUNDLE_LENGTH_HEADER,
  JOB_BUNDLE_MAX_BYTES,
  JOB_DATA_API_PATH,
  JOBS_API_PATH,
  SESSION_API_PATH,
  sessionEndedSchema,
  apiErrorBodySchema,
  clearResponseSchema,
  deleteResponseSchema,
  jobChangesResponseSchema,
  jobListResponseSchema,
  upsertResponseSchema,
  type ApiErrorBody,
  type ClearResponse,
  type Cursor,
  type DeleteResponse,
  type JobChangesResponse,
  type JobListResponse,
  type UpsertResponse,
} from '@/lib/shared/api-types';
import type { JobId, OpId } from '@/lib/shared/job-schema';
import type { Version } from '@/lib/shared/version';
import { parseJobBundle, type JobBundle } from '@/lib/shared/job-bundle';
import { parseRetryAfter } from '@/lib/shared/retry-after';
import { SYNC_REQUEST_HEADER } from './sw-protocol';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** The slowest uplink an upload is given time for (bytes per second): 256 kbit/s. */
export const UPLOAD_BYTES_PER_SECOND = 32 * 1024;

export type SyncFailure =
  | {
      readonly kind: 'retryable';
      readonly reason: 'offline' | 'timeout' | 'rate-limited' | 'server';
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly message: string;
    }
  | { readonly kind: 'auth'; readonly status: 401; readonly message: string }
  | { readonly kind: 'permanent'; readonly status: number; readonly error: ApiErrorBody['error'] };

export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly value: T }
  | { readonly ok: false; readonly failure: SyncFailure };

export interface ApiClientOptions {
  readonly fetch: typeof fetch;
  /** Origin of the API; '' for the page's own. */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/** A short, user-readable sentence for a failure (status line, dead-letter list). */
export function describeFailure(failure: SyncFailure): string {
  return failure.kind === 'permanent' ? failure.error.message : failure.message;
}

export function createApiClient(options: ApiClientOptions) {
  const base = `${options.baseUrl ?? ''}${JOBS_API_PATH}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const now = options.now ?? Date.now;

  /**
   * Sends a request and reads its body, within the timeout. A connection that fails or drops
   * before the whole body arrived is a retryable failure (the server may or may not have applied
   * the request: replaying it is safe, every write being idempotent).
   */
  async function send<T>(
    url: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
    read: (response: Response) => Promise<T>,
    limitMs: number = timeoutMs,
  ): Promise<{ ok: true; response: Response; body: T } | { ok: false; failure: SyncFailure }> {
    const timeout = AbortSignal.timeout(limitMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const headers = new Headers(init.headers);
      headers.set(SYNC_REQUEST_HEADER, '1');
      const response = await options.fetch(url, {
        ...init,
        headers,
        signal: combined,
        cache: 'no-store',
      });
      return { ok: true, response, body: await read(response) };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        return fail({
          kind: 'retryable',
          reason: 'timeout',
          message: `The server did not answer within ${Math.round(limitMs / 1000)} s`,
        });
      }
      const detail = error instanceof Error ? error.message : String(error);
      return fail({
        kind: 'retryable',
        reason: 'offline',
        message: `Could not reach the server (${detail})`,
      });
    }
  }

  /** Sorts a non-2xx answer into retryable, auth or permanent. */
  function classify(response: Response, text: string): SyncFailure {
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
    const errorBody = apiErrorBodySchema.safeParse(parseJson(text));
    const message = errorBody.success
      ? errorBody.data.error.message
      : `The server answered HTTP ${status}`;
    if (status === 429 || status === 408 || status >= 500) {
      return {
        kind: 'retryable',
        reason: status === 429 ? 'rate-limited' : 'server',
        status,
        message,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    if (status === 401) return { kind: 'auth', status, message: 'Sign in again to sync your jobs' };
    return {
      kind: 'permanent',
      status,
      error: errorBody.success ? errorBody.data.error : { code: 'invalid_request', message },
    };
  }

  async function call<T>(
    url: string,
    init: RequestInit,
    schema: z.ZodType<T>,
    signal: AbortSignal | undefined,
    okStatuses: readonly number[] = [],
    limitMs: number = timeoutMs,
  ): Promise<ApiResult<T>> {
    const sent = await send(url, init, signal, (r) => r.text(), limitMs);
    if (!sent.ok) return sent;
    const { response, body } = sent;
    if (!response.ok && !okStatuses.includes(response.status))
      return fail(classify(response, body));
    const parsed = schema.safeParse(parseJson(body));
    // A 2xx that is not our JSON (a captive portal's login page, a proxy) is not the server.
    if (!parsed.success) {
      return fail({
        kind: 'retryable',
        reason: 'server',
        status: response.status,
        message: 'The server answered something unexpected',
      });
    }
    return { ok: true, status: response.status, value: parsed.data };
  }

  return {
    /** `GET /api/veo/jobs`, or the changes since `cursor`. */
    listJobs(signal?: AbortSignal): Promise<ApiResult<JobListResponse>> {
      return call(base, { method: 'GET' }, jobListResponseSchema, signal);
    },
    listChanges(cursor: Cursor, signal?: AbortSignal): Promise<ApiResult<JobChangesResponse>> {
      return call(
        `${base}?since=${encodeURIComponent(cursor)}`,
        { method: 'GET' },
        jobChangesResponseSchema,
        signal,
      );
    },
    /** `GET /api/veo/jobs/:id` as a Blob of the `{ job }` JSON (the browser inflates the gzip); null on 404. */
    async getJobDocument(jobId: JobId, signal?: AbortSignal): Promise<ApiResult<Blob | null>> {
      const sent = await send(
        `${base}/${encodeURIComponent(jobId)}`,
        { method: 'GET' },
        signal,
        (r) => r.blob(),
      );
      if (!sent.ok) return sent;
      const { response, body } = sent;
      if (response.status === 404) return { ok: true, status: 404, value: null };
      if (!response.ok) return fail(classify(response, await body.text()));
      return { ok: true, status: response.status, value: body };
    },
    /**
     * `GET /api/veo/job-data?ids=…`: several jobs' stored gzip as they are (a bundle, see
     * lib/shared/api-types.ts). `onProgress` hears the bytes received of the whole answer. A body
     * that is not a whole bundle (a proxy's page, a cut-off answer) is a retryable failure.
     */
    async getJobBundle(
      jobIds: readonly JobId[],
      { signal, onProgress }: { signal?: AbortSignal; onProgress?: DownloadProgress } = {},
    ): Promise<ApiResult<JobBundle>> {
      const url = `${options.baseUrl ?? ''}${JOB_DATA_API_PATH}?ids=${jobIds.map(encodeURIComponent).join(',')}`;
      const sent = await send(
        url,
        { method: 'GET' },
        signal,
        (response): Promise<Uint8Array<ArrayBuffer> | string> =>
          response.ok ? readWithProgress(response, onProgress) : response.text(),
        timeoutMs + Math.ceil((JOB_BUNDLE_MAX_BYTES / UPLOAD_BYTES_PER_SECOND) * 1000),
      );
      if (!sent.ok) return sent;
      const { response, body } = sent;
      if (typeof body === 'string') return fail(classify(response, body));
      try {
        return { ok: true, status: response.status, value: parseJobBundle(body) };
      } catch (error) {
        return fail({
          kind: 'retryable',
          reason: 'server',
          status: response.status,
          message: `The server answered something unexpected (${error instanceof Error ? error.message : String(error)})`,
        });
      }
    },
    /** `PUT /api/veo/jobs/:id` with a gzip body. */
    /**
     * `PUT /api/veo/jobs/:id`. The time allowed grows with the body (at 32 KiB/s on top of the
     * usual timeout), so a large job still gets through a slow uplink.
     */
    putJob(
      jobId: JobId,
      body: Blob,
      opId: OpId,
      signal?: AbortSignal,
      encoding: 'gzip' | 'identity' = 'gzip',
    ): Promise<ApiResult<UpsertResponse>> {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'idempotency-key': opId,
      };
      if (encoding === 'gzip') headers['content-encoding'] = 'gzip';
      return call(
        `${base}/${encodeURIComponent(jobId)}`,
        { method: 'PUT', body, headers },
        upsertResponseSchema,
        signal,
        [],
        timeoutMs + Math.ceil((body.size / UPLOAD_BYTES_PER_SECOND) * 1000),
      );
    },
    /**
     * `DELETE /api/veo/jobs/:id?seen=VERSION`: covers the job's versions up to `seen` (without
     * it, whatever the server holds). A 404 is success.
     */
    deleteJob(
      jobId: JobId,
      seen: Version | undefined,
      opId: OpId,
      signal?: AbortSignal,
    ): Promise<ApiResult<DeleteResponse | null>> {
      return call(
        `${base}/${encodeURIComponent(jobId)}${seen === undefined ? '' : `?seen=${encodeURIComponent(seen)}`}`,
        { method: 'DELETE', headers: { 'idempotency-key': opId } },
        deleteResponseSchema.or(apiErrorBodySchema.transform(() => null)),
        signal,
        [404],
      );
    },
    /**
     * `DELETE /api/veo/session[?everywhere=1]`: ends this device's session on the server (or
     * every session) and clears its cookie.
     */
    endSession(everywhere: boolean, signal?: AbortSignal): Promise<ApiResult<unknown>> {
      return call(
        `${options.baseUrl ?? ''}${SESSION_API_PATH}${everywhere ? '?everywhere=1' : ''}`,
        { method: 'DELETE' },
        sessionEndedSchema,
        signal,
      );
    },
    /** `DELETE /api/veo/jobs` with `{ seen }` (exactly what the device held), or `?before=`. */
    clearJobs(
      spec: { readonly seen?: Readonly<Record<JobId, Version>>; readonly before?: number },
      opId: OpId,
      signal?: AbortSignal,
    ): Promise<ApiResult<ClearResponse>> {
      if (spec.before !== undefined) {
        return call(
          `${base}?before=${spec.before}`,
          { method: 'DELETE', headers: { 'idempotency-key': opId } },
          clearResponseSchema,
          signal,
        );
      }
      return call(
        base,
        {
          method: 'DELETE',
          headers: { 'idempotency-key': opId, 'content-type': 'application/json' },
          body: JSON.stringify({ seen: spec.seen ?? {} }),
        },
        clearResponseSchema,
        signal,
      );
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** Bytes received so far of a download, and its whole size when the server said it. */
export type DownloadProgress = (received: number, total: number | undefined) => void;

/** Reads a response's body whole, telling `onProgress` as the bytes arrive. */
async function readWithProgress(
  response: Response,
  onProgress: DownloadProgress | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  const length = Number(
    response.headers.get('content-length') ?? response.headers.get(BUNDLE_LENGTH_HEADER),
  );
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  if (!onProgress || !response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.byteLength;
    onProgress(received, total);
  }
  const whole = new Uint8Array(received);
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.byteLength;
  }
  return whole;
}

function fail(failure: SyncFailure): { ok: false; failure: SyncFailure } {
  return { ok: false, failure };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
