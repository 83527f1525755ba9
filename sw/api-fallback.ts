/**
 * The jobs API as the service worker answers it for callers other than the sync engine: the
 * network first, with a short timeout; when it fails or hangs, the device's replica (with the
 * outbox's writes already in it: callers read their own writes), marked `X-Veo-Source: replica`.
 * Writes sent while offline go into the outbox and are answered 202; writes that reach the server
 * update the replica with its answer and are announced to every tab. No API answer is ever put
 * in Cache Storage: the replica is the only copy. After the user signed out on this device,
 * offline calls are answered 401.
 */
import {
  InvalidJobError,
  JobNotSavedError,
  SIGNED_OUT_MESSAGE,
  type SyncClient,
} from '@/lib/client/sync-client';
import { SOURCE_HEADER, SYNC_REQUEST_HEADER } from '@/lib/client/sw-protocol';
import {
  JOBS_API_PATH,
  deleteResponseSchema,
  upsertResponseSchema,
  type ApiErrorBody,
} from '@/lib/shared/api-types';
import { jobDataSchema, jobIdSchema, opIdSchema } from '@/lib/shared/job-schema';

/** How long an API call may wait for the network before the replica answers (ms). */
export const API_NETWORK_TIMEOUT_MS = 2_500;

const ITEM_PATH = new RegExp(`^${JOBS_API_PATH}/([^/]+)$`);

/** A request to the jobs API that the worker should handle (the engine's own pass through). */
export function isApiRequest(request: Request, url: URL): boolean {
  if (url.origin !== self.location.origin) return false;
  if (request.headers.has(SYNC_REQUEST_HEADER)) return false;
  return url.pathname === JOBS_API_PATH || ITEM_PATH.test(url.pathname);
}

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      [SOURCE_HEADER]: 'replica',
    },
  });
}

function error(
  status: number,
  code: ApiErrorBody['error']['code'],
  message: string,
  issues?: ApiErrorBody['error']['issues'],
): Response {
  return json({ error: { code, message, ...(issues ? { issues } : {}) } }, status);
}

export function createApiFallback(client: SyncClient) {
  async function fromReplica(request: Request, copy: Request): Promise<Response> {
    // Signed out on this device: the device no longer acts for the user — it neither answers
    // from the replica nor queues writes (what already waits stays, locked).
    if (await client.isSignedOut()) return error(401, 'unauthorized', SIGNED_OUT_MESSAGE);
    const url = new URL(request.url);
    const item = ITEM_PATH.exec(url.pathname);
    const jobId = item ? decodeURIComponent(item[1] ?? '') : undefined;
    if (jobId !== undefined && !jobIdSchema.safeParse(jobId).success) {
      return error(400, 'invalid_job_id', 'The job id is not valid');
    }

    if (request.method === 'GET' && jobId === undefined) {
      const jobs = (await client.listJobs()).map(
        ({ syncState: _s, syncError: _e, availableOffline: _a, ...info }) => info,
      );
      const cursor = (await client.getCursor()) ?? '0';
      // Offline there is no incremental answer to give: the full list, flagged as a reset.
      return json(
        url.searchParams.has('since')
          ? { jobs, deleted: [], cursor, reset: true }
          : { jobs, cursor },
        200,
      );
    }
    if (request.method === 'GET' && jobId !== undefined) {
      const result = await client.readJob(jobId, { localOnly: true });
      if (result.status === 'found') return json({ job: result.job }, 200);
      if (result.status === 'missing') return json({ job: null }, 404);
      return error(503, 'store_unavailable', result.reason);
    }
    try {
      // The caller's own Idempotency-Key and times, so that its retry of the same request, or
      // the request itself if it did reach the server, stays one write.
      const opId = opIdSchema.safeParse(request.headers.get('idempotency-key'));
      const op = opId.success ? { opId: opId.data } : {};
      const time = (name: string) => {
        const raw = url.searchParams.get(name);
        return raw !== null && /^\d{1,16}$/.test(raw) ? { [name]: Number(raw) } : {};
      };
      if (request.method === 'PUT' && jobId !== undefined) {
        const body = (await readBody(copy)) as Parameters<SyncClient['saveJob']>[0];
        if (typeof body !== 'object' || body === null || body.jobId !== jobId) {
          return error(400, 'validation_failed', 'The body is for another job than the URL', [
            { path: ['jobId'], message: `expected ${jobId}` },
          ]);
        }
        const info = await client.saveJob(body, op);
        return json({ queued: true, job: info }, 202);
      }
      if (request.method === 'DELETE' && jobId !== undefined) {
        // Without `at`, the API deletes what exists now: every version up to this moment.
        await client.deleteJob(jobId, { at: Date.now(), ...op, ...time('at') });
        return json({ queued: true, jobId }, 202);
      }
      if (request.method === 'DELETE') {
        await client.clearAll({ ...op, ...time('before') });
        return json({ queued: true }, 202);
      }
    } catch (cause) {
      if (cause instanceof InvalidJobError) {
        return error(
          400,
          'validation_failed',
          cause.message,
          cause.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
        );
      }
      if (cause instanceof SyntaxError)
        return error(400, 'invalid_json', 'The body is not valid JSON');
      // This device cannot keep it and the network failed: nothing was written anywhere.
      if (cause instanceof JobNotSavedError) return error(503, 'store_unavailable', cause.message);
      throw cause;
    }
    return error(405, 'method_not_allowed', 'Not supported offline');
  }

  /**
   * A write that went through to the server: the replica learns the server's answer and every tab
   * hears of it before the caller does (sync rule 8), as with the worker's offline answers.
   */
  async function learn(request: Request, copy: Request, response: Response): Promise<void> {
    const jobId = ITEM_PATH.exec(new URL(request.url).pathname)?.[1];
    if (request.method === 'PUT' && jobId !== undefined) {
      const answer = upsertResponseSchema.safeParse(await response.json());
      if (!answer.success) return;
      const body = (await readBody(copy).catch(() => undefined)) as { data?: unknown } | undefined;
      const data = jobDataSchema.safeParse(body?.data);
      await client.learnServerWrite({
        kind: 'upsert',
        answer: answer.data,
        data: data.success ? data.data : undefined,
      });
    } else if (request.method === 'DELETE' && jobId !== undefined) {
      const answer = deleteResponseSchema.safeParse(await response.json());
      if (answer.success) await client.learnServerWrite({ kind: 'delete', answer: answer.data });
    } else if (request.method === 'DELETE') {
      await client.learnServerWrite({ kind: 'clear' });
    }
  }

  return {
    async handle(request: Request): Promise<Response> {
      const copy = request.method === 'GET' ? request : request.clone();
      try {
        const response = await fetch(request, {
          signal: AbortSignal.any([request.signal, AbortSignal.timeout(API_NETWORK_TIMEOUT_MS)]),
        });
        if (request.method !== 'GET' && response.ok) {
          await learn(request, copy, response.clone()).catch((error: unknown) =>
            console.error('[veo-sync] the replica could not take in a write', error),
          );
        }
        return response;
      } catch (failure) {
        // The caller gave up on its own request: queueing it now would apply what it cancelled.
        if (request.signal.aborted) throw failure;
        return fromReplica(request, copy);
      }
    },
  };
}

async function readBody(request: Request): Promise<unknown> {
  const encoding = request.headers.get('content-encoding')?.toLowerCase();
  const stream = request.body;
  if (!stream) return undefined;
  const text =
    encoding === 'gzip'
      ? await new Response(stream.pipeThrough(new DecompressionStream('gzip'))).text()
      : await request.text();
  return JSON.parse(text) as unknown;
}
