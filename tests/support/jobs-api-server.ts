import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { toErrorResponse } from '@/lib/server/api-error';
import { createAccessGuard } from '@/lib/server/auth/access';
import { createSessionStore } from '@/lib/server/auth/session-store';
import { createJobStore, type JobStore } from '@/lib/server/job-store';
import { createJobsApi } from '@/lib/server/jobs-api';
import type { D1Executor, StatementResult } from '@/lib/server/d1/executor';
import { restExecutor } from '@/lib/server/d1/rest';
import { startD1RestServer } from './d1-rest-server';
import { createTestD1, type TestD1 } from './miniflare-d1';
import { routeJobsApi } from './route-jobs-api';

export interface JobsApiServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly store: JobStore;
  readonly d1: TestD1;
  /** Requests the server answered, in order. */
  readonly log: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/**
 * The real jobs API route handlers on Miniflare's D1, behind a loopback HTTP server, so that
 * clients under test use Node's real fetch (gzip and all) against the real server code.
 */
export async function startJobsApiServer(
  options: {
    now?: () => number;
    /** Serve behind sign-in with this access key (and `/api/veo/session`); open otherwise. */
    accessKey?: string;
    /** Which store driver: the D1 binding (default) or the REST API, through its stand-in. */
    driver?: 'binding' | 'rest';
    /** Hears every D1 request the store makes, with its results (for the benchmark's counts). */
    meter?: (results: readonly StatementResult[]) => void;
  } = {},
): Promise<JobsApiServer> {
  const d1 = await createTestD1();
  const rest = options.driver === 'rest' ? await startD1RestServer(d1.db) : undefined;
  const executor = rest
    ? restExecutor({
        accountId: rest.accountId,
        databaseId: rest.databaseId,
        apiToken: rest.token,
        baseUrl: rest.baseUrl,
      })
    : d1.executor;
  const meter = options.meter;
  const metered: D1Executor = meter
    ? {
        async batch(statements, signal) {
          const results = await executor.batch(statements, signal);
          meter(results);
          return results;
        },
      }
    : executor;
  const store = createJobStore(metered, options.now ? { now: options.now } : {});
  const guard =
    options.accessKey === undefined
      ? undefined
      : createAccessGuard(
          { mode: 'key', accessKey: options.accessKey, sessionTtlMs: 3_600_000 },
          {
            sessions: createSessionStore(d1.executor),
            ...(options.now ? { now: options.now } : {}),
          },
        );
  const api = createJobsApi({
    getStore: () => Promise.resolve(store),
    ...(guard ? { getAccess: () => Promise.resolve(guard) } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const session = async (method: string, request: Request): Promise<Response> => {
    if (!guard) return new Response('not found', { status: 404 });
    try {
      if (method === 'GET') return await guard.status(request);
      if (method === 'POST') return await guard.signIn(request);
      if (method === 'DELETE') return await guard.signOut(request);
      return new Response('method not allowed', { status: 405 });
    } catch (error) {
      return toErrorResponse(error);
    }
  };
  const log: { method: string; path: string; status: number }[] = [];

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const request = new Request(url, {
        method,
        headers: Object.entries(req.headers).flatMap(([k, v]) =>
          v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v] as [string, string]],
        ),
        ...(hasBody
          ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }
          : {}),
      });
      const response =
        url.pathname === '/api/veo/session'
          ? await session(method, request)
          : await routeJobsApi(api, request);
      log.push({ method, path: url.pathname + url.search, status: response.status });
      const headers: Record<string, string | string[]> = Object.fromEntries(response.headers);
      if (response.headers.getSetCookie().length > 0)
        headers['set-cookie'] = response.headers.getSetCookie();
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    store,
    d1,
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rest?.close();
      await d1.dispose();
    },
  };
}
