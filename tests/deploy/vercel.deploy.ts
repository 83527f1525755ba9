import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  copyFileSync,
  lstatSync,
  statSync,
  rmSync,
} from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobListResponseSchema } from '@/lib/shared/api-types';
import { parseJobBundle } from '@/lib/shared/job-bundle';
import { startD1RestServer, type D1RestServer } from '../support/d1-rest-server';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';

const ROOT = process.cwd();
const FUNCTIONS = path.join(ROOT, '.vercel', 'output', 'functions');
const MB = 1024 * 1024;
/** What no production function may carry: the embedded development database. */
const EMBEDDED_DATABASE = /node_modules\/(wrangler|miniflare|workerd|@cloudflare\/workerd-[^/]+)\//;

interface VercelFunction {
  readonly name: string;
  readonly dir: string;
  readonly config: { handler: string; filePathMap?: Record<string, string> };
  /** Bytes of the function as deployed: its own files and the project files it maps in. */
  readonly bytes: number;
  readonly files: readonly string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

/** Every function of `vercel build`'s output (links to another function are that function). */
function readFunctions(): VercelFunction[] {
  const found: VercelFunction[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (lstatSync(full).isSymbolicLink()) continue;
      if (entry.isDirectory() && entry.name.endsWith('.func')) {
        const config = JSON.parse(
          readFileSync(path.join(full, '.vc-config.json'), 'utf8'),
        ) as VercelFunction['config'];
        const own = walk(full);
        const mapped = Object.values(config.filePathMap ?? {});
        const bytes =
          own.reduce((n, f) => n + statSync(f).size, 0) +
          mapped.reduce((n, f) => n + statSync(path.join(ROOT, f)).size, 0);
        found.push({
          name: path.relative(FUNCTIONS, full),
          dir: full,
          config,
          bytes,
          files: [
            ...own.map((f) => path.relative(full, f)),
            ...Object.keys(config.filePathMap ?? {}),
          ],
        });
      } else if (entry.isDirectory()) {
        visit(full);
      }
    }
  };
  visit(FUNCTIONS);
  return found;
}

/** Lays a function out as Vercel runs it (its files and the mapped ones) in a folder of its own. */
function unpack(fn: VercelFunction): string {
  const out = mkdtempSync(path.join(tmpdir(), 'veo-vercel-fn-'));
  for (const [to, from] of Object.entries(fn.config.filePathMap ?? {})) {
    mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
    copyFileSync(path.join(ROOT, from), path.join(out, to));
  }
  cpSync(fn.dir, out, { recursive: true, dereference: true });
  return out;
}

/**
 * The Vercel build of the app (`npm run build:vercel`, run by `npm run test:deploy` before this
 * file): no function carries the embedded database, each is small, and the jobs functions, loaded
 * in Node as Vercel loads them, answer real requests on D1 over the REST API (its stand-in here).
 */
describe('the Vercel build', () => {
  let functions: VercelFunction[];
  let d1: TestD1;
  let rest: D1RestServer;
  let server: http.Server;
  let origin: string;
  let unpacked: string;
  let coldStartMs: number;

  beforeAll(async () => {
    if (!existsSync(FUNCTIONS)) {
      execFileSync('bash', ['scripts/build-vercel.sh'], { stdio: 'inherit' });
    }
    functions = readFunctions();
    d1 = await createTestD1();
    rest = await startD1RestServer(d1.db);
    const jobs =
      functions.find((f) => f.name === path.join('api', 'veo', 'jobs', '[jobId].func')) ??
      functions.find((f) => f.name.startsWith(path.join('api', 'veo')));
    if (!jobs) throw new Error('no jobs API function in the build');
    unpacked = unpack(jobs);
    Object.assign(process.env, {
      CLOUDFLARE_ACCOUNT_ID: rest.accountId,
      CLOUDFLARE_D1_DATABASE_ID: rest.databaseId,
      CLOUDFLARE_D1_API_TOKEN: rest.token,
      CLOUDFLARE_API_BASE_URL: rest.baseUrl,
      VEO_ACCESS_KEY: 'the deploy test access key',
      VEO_CLIENT_IP_HEADER: 'x-real-ip',
    });
    const started = performance.now();
    // The function's own launcher, required by Node as Vercel's runtime does (not through vitest).
    const handler = createRequire(import.meta.url)(
      path.join(unpacked, jobs.config.handler),
    ) as http.RequestListener;
    server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const first = await fetch(`${origin}/api/veo/session`, {
      headers: { 'x-real-ip': '203.0.113.9' },
    });
    coldStartMs = performance.now() - started;
    expect(first.status).toBe(200);
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await rest?.close();
    await d1?.dispose();
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  });

  it('ships no embedded database, and every function stays small', () => {
    const sizes = functions
      .map((f) => `${(f.bytes / MB).toFixed(1).padStart(6)} MB  ${f.name}`)
      .join('\n');
    console.log(`[deploy] Vercel functions:\n${sizes}`);
    for (const fn of functions) {
      expect(
        fn.files.filter((f) => EMBEDDED_DATABASE.test(f)),
        fn.name,
      ).toEqual([]);
      expect(fn.bytes, fn.name).toBeLessThan(15 * MB);
    }
  });

  it('answers the jobs API from the built function, on D1 over the REST API, behind sign-in', async () => {
    console.log(`[deploy] cold function to its first answer: ${coldStartMs.toFixed(0)} ms`);
    const client = { 'x-real-ip': '203.0.113.9' };
    const refused = await fetch(`${origin}/api/veo/jobs`, { headers: client });
    expect(refused.status).toBe(401);
    const signIn = await fetch(`${origin}/api/veo/session`, {
      method: 'POST',
      headers: { ...client, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'the deploy test access key' }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const headers = { ...client, cookie };

    const saved = await fetch(`${origin}/api/veo/jobs/deployed-1`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': 'deploy-op-1' },
      body: JSON.stringify({
        jobId: 'deployed-1',
        createdAt: new Date().toISOString(),
        updatedAt: Date.now(),
        data: { scenes: [{ prompt: 'from the built function' }] },
      }),
    });
    expect(saved.status).toBe(200);
    const list = jobListResponseSchema.parse(
      await (await fetch(`${origin}/api/veo/jobs`, { headers })).json(),
    );
    expect(list.jobs.map((j) => j.jobId)).toEqual(['deployed-1']);
    // The stored gzip as it is; Vercel's routing adds `Content-Encoding: gzip` to it (next.config's
    // header rule, in the build's config.json), which a bare function does not.
    const item = await fetch(`${origin}/api/veo/jobs/deployed-1`, {
      headers: { ...headers, 'accept-encoding': 'gzip' },
    });
    const job = JSON.parse(
      gunzipSync(new Uint8Array(await item.arrayBuffer())).toString('utf8'),
    ) as {
      job: { data: unknown };
    };
    expect(job.job.data).toEqual({ scenes: [{ prompt: 'from the built function' }] });
    const routes = (
      JSON.parse(readFileSync(path.join(ROOT, '.vercel', 'output', 'config.json'), 'utf8')) as {
        routes: { src?: string; headers?: Record<string, string> }[];
      }
    ).routes;
    expect(
      routes.some(
        (r) =>
          r.headers?.['Content-Encoding'] === 'gzip' &&
          new RegExp(r.src ?? '^$').test('/api/veo/jobs/deployed-1'),
      ),
    ).toBe(true);
    const bundle = await fetch(`${origin}/api/veo/job-data?ids=deployed-1`, { headers });
    expect(parseJobBundle(new Uint8Array(await bundle.arrayBuffer())).index.jobs).toHaveLength(1);
    // Every call went to D1 over its REST API.
    expect(rest.requests.length).toBeGreaterThan(0);
  });
});
