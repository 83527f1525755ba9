import 'server-only';
import * as z from 'zod';
import {
  BUNDLE_LENGTH_HEADER,
  JOB_BUNDLE_CONTENT_TYPE,
  JOB_BUNDLE_MAX_IDS,
  clearRequestSchema,
  cursorSchema,
  type JobBundleIndex,
  type JobResponse,
} from '@/lib/shared/api-types';
import { lastVersionAt, versionSchema, versionWall, type Version } from '@/lib/shared/version';
import {
  epochMsSchema,
  jobIdSchema,
  jobInputSchema,
  opIdSchema,
  type JobId,
} from '@/lib/shared/job-schema';
import { acceptsGzipEncoding } from '@/lib/shared/accept-gzip';
import { ApiError, jsonResponse, jsonTextResponse, toErrorResponse } from './api-error';
import { gunzip, gzip } from './compression';
import type { JobStore } from './job-store';
import { readJsonBody, readJsonDocument } from './request-body';

/**
 * How far ahead of the server's clock a client's `updatedAt`, `at` or `before` may be (ms). A
 * device whose clock runs days ahead would otherwise win every last-writer-wins race, or clear
 * jobs that have not been written yet.
 */
export const MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

/** Who may call: throws an ApiError (401, 403, 503) to refuse. See lib/server/auth/access.ts. */
export interface ApiAccess {
  authorize(request: Request, options: { mutating: boolean }): Promise<void>;
}

export interface JobsApiDeps {
  readonly getStore: () => Promise<JobStore>;
  /** Access control; without it every request is let through (tests of the API itself). */
  readonly getAccess?: () => Promise<ApiAccess>;
  readonly now?: () => number;
  /** Op id for a write sent without an `Idempotency-Key`. */
  readonly newOpId?: () => string;
}

const timeParamSchema = z
  .string()
  .regex(/^\d{1,16}$/, 'must be a time in milliseconds since the epoch')
  .transform(Number)
  .pipe(epochMsSchema);

/**
 * The handlers behind `app/api/veo/jobs/**`: parse and validate everything, call the store, and
 * answer JSON. Every failure becomes a JSON error; nothing is written unless the input was valid.
 */
export function createJobsApi(deps: JobsApiDeps) {
  const now = deps.now ?? Date.now;
  const newOpId = deps.newOpId ?? (() => crypto.randomUUID());

  /** Runs a handler, turning whatever it throws into the JSON error a client can act on. */
  async function answer(handler: () => Promise<Response>): Promise<Response> {
    try {
      return await handler();
    } catch (error) {
      return toErrorResponse(error);
    }
  }

  /**
   * The same, for `/api/veo/jobs/:jobId`, whose answers are gzip for every request that accepts
   * it: Next.js drops a route's own `Content-Encoding`, so next.config.js adds it by request
   * header, and every answer on the route (errors too) must then really be gzip.
   */
  async function answerItem(request: Request, handler: () => Promise<Response>): Promise<Response> {
    return asItemAnswer(request, await answer(handler));
  }

  async function authorize(request: Request, mutating: boolean): Promise<void> {
    if (deps.getAccess) await (await deps.getAccess()).authorize(request, { mutating });
  }

  function parseJobId(raw: string): JobId {
    const parsed = jobIdSchema.safeParse(raw);
    if (!parsed.success)
      throw ApiError.fromZod('invalid_job_id', 'The job id is not valid', parsed.error);
    return parsed.data;
  }

  /** `ids=a,b,c`: one to {@link JOB_BUNDLE_MAX_IDS} job ids. */
  function parseJobIds(raw: string | null): JobId[] {
    const parsed = z
      .array(jobIdSchema)
      .min(1, 'Name at least one job')
      .max(JOB_BUNDLE_MAX_IDS, `At most ${JOB_BUNDLE_MAX_IDS} jobs per request`)
      .safeParse(raw === null || raw === '' ? [] : raw.split(','));
    if (!parsed.success) {
      throw ApiError.fromZod('invalid_request', 'The ids parameter is not valid', parsed.error);
    }
    return parsed.data;
  }

  function parseOpId(request: Request): string {
    const header = request.headers.get('idempotency-key');
    if (header === null) return newOpId();
    const parsed = opIdSchema.safeParse(header);
    if (!parsed.success) {
      throw ApiError.fromZod(
        'invalid_request',
        'The Idempotency-Key header is not valid',
        parsed.error,
      );
    }
    return parsed.data;
  }

  /** A time query parameter (`before`, `at`), defaulting to now, never far in the future. */
  function parseTimeParam(request: Request, name: string): number {
    const raw = new URL(request.url).searchParams.get(name);
    if (raw === null) return now();
    const parsed = timeParamSchema.safeParse(raw);
    if (!parsed.success) {
      throw ApiError.fromZod('invalid_request', `The ${name} parameter is not valid`, parsed.error);
    }
    assertNotInFuture(parsed.data, name);
    return parsed.data;
  }

  function assertNotInFuture(time: number, name: string): void {
    if (time > now() + MAX_CLOCK_SKEW_MS) {
      throw new ApiError(
        'validation_failed',
        `${name} is more than a day ahead of the server's clock; check the device's date and time`,
        [{ path: [name], message: 'too far in the future' }],
      );
    }
  }

  /** A version is as much a claim about time as `updatedAt`: no further ahead of this clock. */
  function assertVersionNotInFuture(version: Version, name: string): void {
    assertNotInFuture(versionWall(version), name);
  }

  function methodNotAllowed(allow: readonly string[]): Response {
    return new ApiError('method_not_allowed', `Use one of: ${allow.join(', ')}`, undefined, {
      allow: allow.join(', '),
    }).toResponse();
  }

  return {
    /** `GET /api/veo/jobs` and `GET /api/veo/jobs?since=CURSOR` */
    list(request: Request): Promise<Response> {
      return answer(async () => {
        await authorize(request, false);
        const since = new URL(request.url).searchParams.get('since');
        const store = await deps.getStore();
        if (since === null) return jsonTextResponse(await store.listJobsJson());
        const cursor = cursorSchema.safeParse(since);
        if (!cursor.success) {
          throw ApiError.fromZod(
            'invalid_request',
            'The since parameter is not valid',
            cursor.error,
          );
        }
        return jsonResponse(await store.listChanges(cursor.data));
      });
    },

    /**
     * `DELETE /api/veo/jobs` with `{ seen }` (a device: exactly what it held), or
     * `[?before=MS]` without a body (the plan's clients: every job up to that millisecond).
     */
    clear(request: Request): Promise<Response> {
      return answer(async () => {
        await authorize(request, true);
        const opId = parseOpId(request);
        const store = await deps.getStore();
        if (!hasBody(request)) {
          const before = parseTimeParam(request, 'before');
          return jsonResponse(await store.clearJobs({ before }, opId));
        }
        const parsed = clearRequestSchema.safeParse(
          await readJsonBody(request, { maxWireBytes: 1024 * 1024, maxJsonBytes: 4 * 1024 * 1024 }),
        );
        if (!parsed.success) {
          throw ApiError.fromZod(
            'validation_failed',
            'Send { "seen": { jobId: version } }',
            parsed.error,
          );
        }
        for (const version of Object.values(parsed.data.seen))
          assertVersionNotInFuture(version, 'seen');
        return jsonResponse(await store.clearJobs({ seen: parsed.data.seen }, opId));
      });
    },

    /**
     * `GET /api/veo/job-data?ids=a,b,c`: the stored gzip of several jobs as they are, newest
     * first and within a byte budget, for a device catching up (one D1 request for all).
     */
    data(request: Request): Promise<Response> {
      return answer(async () => {
        await authorize(request, false);
        const ids = parseJobIds(new URL(request.url).searchParams.get('ids'));
        const store = await deps.getStore();
        const result = await store.getJobData(ids);
        const index: JobBundleIndex = {
          jobs: result.jobs.map((j) => ({ job: j.info, gzipBytes: j.gzip.byteLength })),
          more: [...result.more],
          missing: [...result.missing],
        };
        const head = new TextEncoder().encode(`${JSON.stringify(index)}\n`);
        const body = new Uint8Array(
          head.byteLength + result.jobs.reduce((n, j) => n + j.gzip.byteLength, 0),
        );
        body.set(head, 0);
        let offset = head.byteLength;
        for (const { gzip } of result.jobs) {
          body.set(gzip, offset);
          offset += gzip.byteLength;
        }
        return new Response(body, {
          headers: {
            'content-type': JOB_BUNDLE_CONTENT_TYPE,
            'cache-control': 'no-store',
            'content-length': String(body.byteLength),
            [BUNDLE_LENGTH_HEADER]: String(body.byteLength),
          },
        });
      });
    },

    /** `GET /api/veo/jobs/:jobId`: the stored gzip bytes as they are. */
    get(request: Request, rawJobId: string): Promise<Response> {
      return answerItem(request, async () => {
        await authorize(request, false);
        const jobId = parseJobId(rawJobId);
        const store = await deps.getStore();
        const stored = await store.getJob(jobId);
        if (!stored) {
          const body: JobResponse = { job: null };
          return jsonResponse(body, 404);
        }
        const headers: Record<string, string> = {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          vary: 'accept-encoding',
        };
        if (!acceptsGzipEncoding(request.headers.get('accept-encoding')) || runtimeCompresses()) {
          // A client that cannot inflate (rare: every browser and Node's fetch can) gets JSON;
          // so does a Worker's runtime, which compresses it itself (see runtimeCompresses).
          return new Response(new Uint8Array(await gunzip(stored.gzip)), { headers });
        }
        return new Response(new Uint8Array(stored.gzip), {
          headers: {
            ...headers,
            'content-encoding': 'gzip',
            'content-length': String(stored.gzip.byteLength),
          },
        });
      });
    },

    /** `PUT /api/veo/jobs/:jobId` with a job as JSON, plain or gzip. */
    put(request: Request, rawJobId: string): Promise<Response> {
      return answerItem(request, async () => {
        await authorize(request, true);
        const jobId = parseJobId(rawJobId);
        const opId = parseOpId(request);
        const body = await readJsonDocument(request);
        const parsed = await refuseDeepNesting(() =>
          Promise.resolve(jobInputSchema.safeParse(body.value)),
        );
        if (!parsed.success) {
          throw ApiError.fromZod(
            'validation_failed',
            'The job does not match the job schema',
            parsed.error,
          );
        }
        const job = parsed.data;
        if (job.jobId !== jobId) {
          throw new ApiError('validation_failed', 'The body is for another job than the URL', [
            { path: ['jobId'], message: `expected ${jobId}` },
          ]);
        }
        assertNotInFuture(job.updatedAt, 'updatedAt');
        if (job.version !== undefined) assertVersionNotInFuture(job.version, 'version');
        const store = await deps.getStore();
        return jsonResponse(await refuseDeepNesting(() => store.upsertJob(job, opId, body)));
      });
    },

    /**
     * `DELETE /api/veo/jobs/:jobId?seen=VERSION` (a device: the version it deleted), `?at=MS`
     * (the plan's clients: versions up to that millisecond), or neither (what the server holds).
     */
    remove(request: Request, rawJobId: string): Promise<Response> {
      return answerItem(request, async () => {
        await authorize(request, true);
        const jobId = parseJobId(rawJobId);
        const params = new URL(request.url).searchParams;
        let upTo: Version | undefined;
        const seen = params.get('seen');
        if (seen !== null) {
          const parsed = versionSchema.safeParse(seen);
          if (!parsed.success)
            throw ApiError.fromZod(
              'invalid_request',
              'The seen parameter is not valid',
              parsed.error,
            );
          assertVersionNotInFuture(parsed.data, 'seen');
          upTo = parsed.data;
        } else if (params.has('at')) {
          upTo = lastVersionAt(parseTimeParam(request, 'at'));
        }
        const opId = parseOpId(request);
        const store = await deps.getStore();
        return jsonResponse(await store.deleteJob(jobId, upTo, opId));
      });
    },

    /** Any method a route does not serve. */
    methodNotAllowed,

    /** Any method `/api/veo/jobs/:jobId` does not serve (gzip like the route's other answers). */
    itemMethodNotAllowed(request: Request, allow: readonly string[]): Promise<Response> {
      return answerItem(request, () => Promise.resolve(methodNotAllowed(allow)));
    },
  };
}

export type JobsApi = ReturnType<typeof createJobsApi>;

/**
 * An answer on `/api/veo/jobs/:jobId` as the route must send it: gzip for every request that
 * accepts it, because next.config.js labels exactly those answers `Content-Encoding: gzip` (Next
 * drops a route's own). Also for answers made before the route (proxy.ts).
 */
export async function asItemAnswer(request: Request, response: Response): Promise<Response> {
  if (!acceptsGzipEncoding(request.headers.get('accept-encoding'))) return response;
  // workerd compresses every answer labelled gzip itself: there the body must stay plain.
  if (runtimeCompresses()) return response;
  if (response.headers.get('content-encoding') === 'gzip') return response;
  const packed = await gzip(new Uint8Array(await response.arrayBuffer()));
  const headers = new Headers(response.headers);
  headers.set('content-encoding', 'gzip');
  headers.set('content-length', String(packed.byteLength));
  headers.set('vary', 'accept-encoding');
  return new Response(new Uint8Array(packed), { status: response.status, headers });
}

/**
 * Whether the runtime gzips answers labelled `Content-Encoding: gzip` on its own: a Cloudflare
 * Worker does (the label comes from next.config.js's header rule), so the stored gzip must be sent
 * inflated there, or clients would get it compressed twice. Costs an inflate per job read on
 * Workers; the bundle route (no label) still sends the stored bytes as they are.
 */
function runtimeCompresses(): boolean {
  return (
    (globalThis.navigator as { userAgent?: string } | undefined)?.userAgent === 'Cloudflare-Workers'
  );
}

/** Whether a request carries a body (a DELETE from the plan's clients has none). */
function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  if (length !== null) return Number(length) > 0;
  return request.body !== null && request.headers.has('content-type');
}

/**
 * JSON.parse copes with any depth, but walking the value (zod on `error`, JSON.stringify when
 * storing) recurses and throws RangeError past a few thousand levels: that is bad input, not a
 * server fault. Nothing has been written when it throws.
 */
async function refuseDeepNesting<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ApiError('validation_failed', 'The job is nested too deeply');
    }
    throw error;
  }
}
