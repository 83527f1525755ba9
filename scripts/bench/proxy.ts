/**
 * The bench's front door for each client: a small loopback HTTP server on a port (an origin) of
 * its own that serves the client's static files and forwards everything else to the one app
 * server, counting every API request and the bytes it uploaded, and injecting faults on demand.
 * Faults are injected here, on the server side of the wire, so they reach requests a service
 * worker makes as well as a page's (Playwright's `route()` may not see the former).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that reached the proxy for the API (`/api/*`). */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** Request body bytes as they arrived on the wire (compressed when the client compressed). */
  bytesIn: number;
  /** The status answered (injected or the app server's); 0 while unanswered or when dropped. */
  status: number;
  /** `Date.now()` when the request arrived. */
  readonly at: number;
}

/** How API requests are answered: forwarded, held open until the mode changes, or reset. */
export type ApiMode = 'forward' | 'hang' | 'reset';

export interface StaticFile {
  readonly type: string;
  readonly body: string | Buffer;
}

export interface BenchProxy {
  /** `http://127.0.0.1:PORT`: the client's origin. */
  readonly origin: string;
  /** Every API request so far, in arrival order. */
  readonly log: readonly ProxiedRequest[];
  /** Answers the next `count` API requests with `method` with `status`, before the app sees them. */
  failNext(count: number, options: { method: string; status: number }): void;
  /** Sets how API requests are answered from now on; leaving `hang` drops the held requests. */
  setApiMode(mode: ApiMode): void;
  /** Drops the requests held open so far (their connections are closed), staying in `hang`. */
  dropHeld(): void;
  stop(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te']);

/**
 * Starts a proxy on a free loopback port. `files` are served by path (GET and HEAD only); with
 * `forwardAll`, every other request is forwarded to `target`, else only `/api/*` is, and other
 * paths are 404.
 */
export async function startProxy({
  target,
  files = new Map<string, StaticFile>(),
  forwardAll = false,
}: {
  target: string;
  files?: ReadonlyMap<string, StaticFile>;
  forwardAll?: boolean;
}): Promise<BenchProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const log: ProxiedRequest[] = [];
  const held = new Set<http.ServerResponse>();
  let mode: ApiMode = 'forward';
  let failures: { count: number; method: string; status: number } | undefined;

  function forward(req: http.IncomingMessage, res: http.ServerResponse, entry?: ProxiedRequest) {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    // The Host header is kept: the app checks it against the browser's Origin.
    const outgoing = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (answer) => {
        if (entry) entry.status = answer.statusCode ?? 0;
        const out: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers))
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => res.destroy());
    res.on('close', () => outgoing.destroy());
    req.pipe(outgoing);
  }

  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const pathname = path.split('?')[0] ?? '/';
    const file = files.get(pathname);
    if (file && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return;
    }
    if (!pathname.startsWith('/api/')) {
      if (forwardAll) forward(req, res);
      else res.writeHead(404).end();
      return;
    }
    const entry: ProxiedRequest = {
      method: req.method ?? 'GET',
      path,
      bytesIn: 0,
      status: 0,
      at: Date.now(),
    };
    log.push(entry);
    req.on('data', (chunk: Buffer) => (entry.bytesIn += chunk.length));
    if (mode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (mode === 'hang') {
      held.add(res);
      res.on('close', () => held.delete(res));
      req.resume();
      return;
    }
    if (failures && failures.count > 0 && failures.method === entry.method) {
      failures.count--;
      const status = failures.status;
      entry.status = status;
      // The whole body is read first, as a server that failed after receiving it would.
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'injected', message: 'Injected by the bench' } }));
      });
      return;
    }
    forward(req, res, entry);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const dropHeld = () => {
    for (const res of held) res.destroy();
    held.clear();
  };
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    failNext(count, { method, status }) {
      failures = count > 0 ? { count, method, status } : undefined;
    },
    setApiMode(next) {
      if (mode === 'hang' && next !== 'hang') dropHeld();
      mode = next;
    },
    dropHeld,
    async stop() {
      dropHeld();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
