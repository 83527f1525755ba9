/**
 * Server benchmarks: job sizes and compression cost, and every jobs API call against the local
 * D1 (Miniflare, the same engine `npm start` uses), with D1's own rows_read/rows_written.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { D1Executor, StatementResult } from '@/lib/server/d1/executor';
import { createAccessGuard } from '@/lib/server/auth/access';
import { createSessionStore } from '@/lib/server/auth/session-store';
import { createJobStore } from '@/lib/server/job-store';
import { createJobsApi } from '@/lib/server/jobs-api';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { createTestD1 } from '../../tests/support/miniflare-d1';
import { bytes, median, ms, quantile, table, timeRuns } from './stats';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export async function benchJobSizes(): Promise<string> {
  const rows: string[][] = [];
  for (const scenes of [50, 200, 400]) {
    const job = generateSampleJob({ sceneCount: scenes, seed: scenes });
    const json = Buffer.from(JSON.stringify(job));
    const packed = await gzip(json);
    const compress = await timeRuns(7, () => gzip(json));
    const decompress = await timeRuns(7, () => gunzip(packed));
    const stringify = await timeRuns(7, () => JSON.stringify(job));
    rows.push([
      String(scenes),
      bytes(json.byteLength),
      bytes(packed.byteLength),
      `${(json.byteLength / packed.byteLength).toFixed(1)}×`,
      ms(median(stringify)),
      ms(median(compress)),
      ms(median(decompress)),
    ]);
    console.log(`  sizes: ${scenes} scenes done`);
  }
  return table(
    ['scenes', 'JSON', 'gzip', 'ratio', 'stringify ms', 'gzip ms (zlib, level 6)', 'gunzip ms'],
    rows,
  );
}

interface Call {
  requests: number;
  rowsRead: number;
  rowsWritten: number;
}

export async function benchApi(): Promise<string> {
  const rows: string[][] = [];
  for (const stored of [20, 200]) {
    const d1 = await createTestD1();
    try {
      const calls: Call[] = [];
      let current: Call = { requests: 0, rowsRead: 0, rowsWritten: 0 };
      const metered: D1Executor = {
        async batch(statements, signal) {
          const results: StatementResult[] = await d1.executor.batch(statements, signal);
          current.requests++;
          for (const r of results) {
            current.rowsRead += r.rowsRead;
            current.rowsWritten += r.rowsWritten;
          }
          return results;
        },
      };
      const store = createJobStore(metered);
      const api = createJobsApi({ getStore: () => Promise.resolve(store) });
      const base = 'http://localhost/api/veo/jobs';
      const now = Date.now();
      const small = (i: number, at: number) =>
        JSON.stringify(
          generateSampleJob({ jobId: `job-${i}`, sceneCount: 3, seed: i, updatedAt: at }),
        );
      for (let i = 0; i < stored; i++) {
        await api.put(
          new Request(`${base}/job-${i}`, {
            method: 'PUT',
            body: small(i, now - 1e6 + i),
            headers: { 'content-type': 'application/json' },
          }),
          `job-${i}`,
        );
      }
      const full = generateSampleJob({
        jobId: 'full',
        sceneCount: 200,
        seed: 7,
        updatedAt: now - 1e6,
      });
      const fullGzip = await gzip(JSON.stringify(full));
      await api.put(
        new Request(`${base}/full`, {
          method: 'PUT',
          body: fullGzip,
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        }),
        'full',
      );

      const measure = async (
        name: string,
        runs: number,
        fn: (i: number) => Promise<Response>,
        warmup = 1,
      ) => {
        calls.length = 0;
        const durations = await timeRuns(
          runs,
          async (i) => {
            current = { requests: 0, rowsRead: 0, rowsWritten: 0 };
            const response = await fn(i);
            if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
            await response.arrayBuffer();
            if (i >= 0) calls.push(current);
          },
          warmup,
        );
        const avg = (pick: (c: Call) => number) =>
          (calls.reduce((n, c) => n + pick(c), 0) / calls.length).toFixed(1);
        rows.push([
          String(stored),
          name,
          ms(median(durations)),
          ms(quantile(durations, 0.95)),
          avg((c) => c.requests),
          avg((c) => c.rowsRead),
          avg((c) => c.rowsWritten),
        ]);
      };

      const { cursor } = (await (await api.list(new Request(base))).json()) as { cursor: string };
      let version = now;
      await measure('GET list', 30, () => api.list(new Request(base)));
      await api.put(
        new Request(`${base}/job-0`, {
          method: 'PUT',
          body: small(0, ++version),
          headers: { 'content-type': 'application/json' },
        }),
        'job-0',
      );
      await measure('GET list ?since (1 change)', 30, () =>
        api.list(new Request(`${base}?since=${cursor}`)),
      );
      await measure('GET job (200 scenes, gzip)', 30, () =>
        api.get(new Request(`${base}/full`, { headers: { 'accept-encoding': 'gzip' } }), 'full'),
      );
      await measure('PUT small job (3 scenes)', 30, () =>
        api.put(
          new Request(`${base}/job-1`, {
            method: 'PUT',
            body: small(1, ++version),
            headers: { 'content-type': 'application/json' },
          }),
          'job-1',
        ),
      );
      await measure('PUT job (200 scenes, gzip body)', 15, () => {
        const body = JSON.stringify({ ...full, updatedAt: ++version });
        return gzip(body).then((packed) =>
          api.put(
            new Request(`${base}/full`, {
              method: 'PUT',
              body: packed,
              headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
            }),
            'full',
          ),
        );
      });
      const victim = (i: number) => `job-${2 + ((i + 1) % (stored - 2))}`;
      await measure('DELETE job', 20, (i) =>
        api.remove(
          new Request(`${base}/${victim(i)}?at=${++version}`, { method: 'DELETE' }),
          victim(i),
        ),
      );
      // Behind sign-in: the session's row in veo_sessions is read when this instance has not
      // checked it within sessionCheckMs (the worst case, 0, checks on every call).
      for (const [label, sessionCheckMs] of [
        ['GET list, signed in, session read every call', 0],
        ['GET list, signed in, session trusted 30 s', 30_000],
      ] as const) {
        const guard = createAccessGuard(
          { mode: 'key', accessKey: 'bench access key 0123', sessionTtlMs: 3_600_000 },
          { sessions: createSessionStore(metered), sessionCheckMs },
        );
        const signedIn = await guard.signIn(
          new Request('http://localhost/api/veo/session', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ key: 'bench access key 0123' }),
          }),
        );
        const cookie = signedIn.headers.getSetCookie()[0]?.split(';')[0] ?? '';
        const guarded = createJobsApi({
          getStore: () => Promise.resolve(store),
          getAccess: () => Promise.resolve(guard),
        });
        await measure(label, 30, () => guarded.list(new Request(base, { headers: { cookie } })));
      }
      // Once, without a warm-up run: a second clear would find nothing left to clear.
      await measure(
        'DELETE all (clear)',
        1,
        () => api.clear(new Request(`${base}?before=${++version}`, { method: 'DELETE' })),
        0,
      );
    } finally {
      await d1.dispose();
    }
    console.log(`  api: ${stored} stored jobs done`);
  }
  return table(
    ['jobs stored', 'call', 'median ms', 'p95 ms', 'D1 requests', 'rows read', 'rows written'],
    rows,
  );
}
