import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { D1Database } from '@cloudflare/workers-types';

/** A failure the server answers the next request with, instead of running it. */
export type InjectedFault =
  | { readonly status: 429 | 500 | 502 | 503; readonly retryAfter?: string }
  | { readonly status: 400; readonly message: string }
  | { readonly hang: true }
  | { readonly garbage: true };

export interface D1RestServer {
  /** The base URL to use as CLOUDFLARE_API_BASE_URL. */
  readonly baseUrl: string;
  readonly accountId: string;
  readonly databaseId: string;
  readonly token: string;
  /** Requests received, faults included. */
  readonly requests: { readonly statements: number; readonly bytes: number }[];
  /** Queues faults: each answers one request, in order. */
  inject(...faults: InjectedFault[]): void;
  close(): Promise<void>;
}

/**
 * A loopback server that speaks Cloudflare's D1 REST protocol (`POST /accounts/:a/d1/database/
 * :d/query`, single `{ sql, params }` or `{ batch: [...] }` bodies, the `{ success, errors,
 * messages, result }` envelope) and runs the SQL on a real Miniflare D1. Faults can be injected
 * to test the REST driver's retries and timeouts.
 */
export async function startD1RestServer(db: D1Database): Promise<D1RestServer> {
  const accountId = 'test-account';
  const databaseId = 'test-database';
  const token = 'test-token';
  const faults: InjectedFault[] = [];
  const requests: { statements: number; bytes: number }[] = [];
  const hanging = new Set<http.ServerResponse>();

  const send = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const failure = (code: number, message: string) => ({
    success: false,
    errors: [{ code, message }],
    messages: [],
    result: null,
  });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const expected = `/accounts/${accountId}/d1/database/${databaseId}/query`;
        if (req.method !== 'POST' || req.url !== expected) {
          send(res, 404, failure(7003, 'Could not route to the requested resource'));
          return;
        }
        if (req.headers.authorization !== `Bearer ${token}`) {
          send(res, 401, failure(10000, 'Authentication error'));
          return;
        }
        let body: {
          sql?: string;
          params?: unknown[];
          batch?: { sql: string; params?: unknown[] }[];
        };
        try {
          body = JSON.parse(raw.toString('utf8')) as typeof body;
        } catch {
          send(res, 400, failure(7400, 'The request is malformed: invalid JSON'));
          return;
        }
        const statements =
          body.batch ??
          (body.sql === undefined ? [] : [{ sql: body.sql, params: body.params ?? [] }]);
        requests.push({ statements: statements.length, bytes: raw.byteLength });

        const fault = faults.shift();
        if (fault) {
          if ('hang' in fault) {
            hanging.add(res);
            return;
          }
          if ('garbage' in fault) {
            res.writeHead(502, { 'content-type': 'text/html' });
            res.end('<html>Bad gateway</html>');
            return;
          }
          if (fault.status === 400) {
            send(res, 400, failure(7500, fault.message));
            return;
          }
          send(
            res,
            fault.status,
            failure(fault.status === 429 ? 971 : 7500, `injected ${fault.status}`),
            fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
          );
          return;
        }
        try {
          const results = await db.batch(
            statements.map((s) => db.prepare(s.sql).bind(...(s.params ?? []))),
          );
          send(res, 200, {
            success: true,
            errors: [],
            messages: [],
            result: results.map((r) => ({ results: r.results, success: r.success, meta: r.meta })),
          });
        } catch (error) {
          // D1 answers a SQL error with HTTP 400 and its message, code 7500.
          send(res, 400, failure(7500, error instanceof Error ? error.message : String(error)));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountId,
    databaseId,
    token,
    requests,
    inject: (...more) => faults.push(...more),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
