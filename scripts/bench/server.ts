/**
 * Server benchmarks: job sizes and compression cost, and every jobs API call against the local
 * D1 (the embedded database `npm start` uses, through its own driver), with D1's own
 * rows_read/rows_written; where a large PUT's server time goes.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { jobToJson } from '@/lib/client/job-blob';
import type { D1Executor, StatementResult } from '@/lib/server/d1/executor';
import { gunzip as serverGunzip, gzip as serverGzip } from '@/lib/server/compression';
import { startLocalD1 } from '@/lib/server/d1/local';
import { wrapGzipMember } from '@/lib/server/gzip-wrap';
import { createAccessGuard } from '@/lib/server/auth/access';
import { createSessionStore } from '@/lib/server/auth/session-store';
import { encodeJobDocument, isSentJob, toBase64Chunks } from '@/lib/server/job-document';
import { createJobStore } from '@/lib/server/job-store';
import { createJobsApi } from '@/lib/server/jobs-api';
import { readJsonDocument } from '@/lib/server/request-body';
import { DEFAULT_JOB_TTL_MS, jobInputSchema, type CachedVeoJob } from '@/lib/shared/job-schema';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { formatVersion } from '@/lib/shared/version';
import {
  benchLoad,
  DEFAULT_LOAD_CONFIG,
  LOAD_SECTION_HEADING,
  loadSectionIntro,
  type LoadConfig,
} from './load';
import { bytes, median, ms, quantile, table, timeRuns } from './stats';

/** The embedded database as `npm start` opens it (its own driver), in a folder of its own. */
async function embeddedD1(): Promise<{ executor: D1Executor; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'veo-bench-d1-'));
  const local = await startLocalD1(dir);
  return {
    executor: local.executor,
    async dispose() {
      await local.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A 200-scene job as the device's drain uploads it: the sync engine's JSON (version first,
 * expiry at the TTL), gzip-compressed (CompressionStream's zlib default level, as here).
 */
let deviceCounter = 0;
function deviceUpload(job: Omit<CachedVeoJob, 'version'>): Uint8Array<ArrayBuffer> {
  // A minute ahead of this clock: newer than any version the server issued to the job before.
  const version = formatVersion(Date.now() + 60_000, deviceCounter++ % 1_000_000, 'bench-device');
  return new Uint8Array(
    zlib.gzipSync(jobToJson({ ...job, version, expiresAt: job.updatedAt + DEFAULT_JOB_TTL_MS })),
  );
}

const gzip = promisify(zlib.gzip);

/** Sizes, and zlib's cost as the server pays it (lib/server/compression.ts: 1 MiB chunks). */
export async function benchJobSizes(): Promise<string> {
  const rows: string[][] = [];
  for (const scenes of [50, 200, 400]) {
    const job = generateSampleJob({ sceneCount: scenes, seed: scenes });
    const json = Buffer.from(JSON.stringify(job));
    const packed = await serverGzip(json);
    const compress6 = await timeRuns(7, () => serverGzip(json, 6));
    const compress4 = await timeRuns(7, () => serverGzip(json, 4));
    const level4 = (await serverGzip(json, 4)).byteLength;
    const decompress = await timeRuns(7, () => serverGunzip(packed));
    const stringify = await timeRuns(7, () => JSON.stringify(job));
    const wrap = await timeRuns(7, () =>
      wrapGzipMember(packed, json, Buffer.from('{"job":'), Buffer.from('}')),
    );
    rows.push([
      String(scenes),
      bytes(json.byteLength),
      bytes(packed.byteLength),
      `${(json.byteLength / packed.byteLength).toFixed(1)}×`,
      ms(median(stringify)),
      ms(median(compress6)),
      `${ms(median(compress4))} (${bytes(level4)})`,
      ms(median(decompress)),
      ms(median(wrap)),
    ]);
    console.log(`  sizes: ${scenes} scenes done`);
  }
  return table(
    [
      'scenes',
      'JSON',
      'gzip',
      'ratio',
      'stringify ms',
      'gzip ms (level 6)',
      'gzip ms (level 4)',
      'gunzip ms',
      'wrap a device’s gzip ms',
    ],
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
    const d1 = await embeddedD1();
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
      // The bodies are compressed before the clock starts: the device does that, not the server.
      const putFull = (label: string, jobId: string, bodies: readonly Uint8Array<ArrayBuffer>[]) =>
        measure(label, bodies.length - 1, async (i) => {
          const response = await api.put(
            new Request(`${base}/${jobId}`, {
              method: 'PUT',
              body: bodies[i + 1]!,
              headers: {
                'content-type': 'application/json',
                'content-encoding': 'gzip',
                'idempotency-key': `put-${jobId}-${i}`,
              },
            }),
            jobId,
          );
          // Every one of these writes wins, so each stores its document.
          const answer = (await response.clone().json()) as { applied?: boolean };
          if (!answer.applied)
            throw new Error(`${label}: the write did not apply: ${JSON.stringify(answer)}`);
          return response;
        });
      await putFull(
        'PUT job (200 scenes, gzip body as a device sends it)',
        'full',
        Array.from({ length: 16 }, () => deviceUpload({ ...full, updatedAt: ++version })),
      );
      await putFull(
        'PUT job (200 scenes, gzip body without a version: compressed here)',
        'full-plain',
        Array.from(
          { length: 16 },
          () =>
            new Uint8Array(
              zlib.gzipSync(JSON.stringify({ ...full, jobId: 'full-plain', updatedAt: ++version })),
            ),
        ),
      );
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
  console.log('  api: where a 200-scene PUT spends its server time');
  const breakdown = await benchPutBreakdown();
  return `${table(
    ['jobs stored', 'call', 'median ms', 'p95 ms', 'D1 requests', 'rows read', 'rows written'],
    rows,
  )}

### Where a 200-scene PUT's server time goes

Each step of \`PUT /api/veo/jobs/:id\` timed on its own (median of 9) for a 200-scene job sent as a
device sends it (the sync engine's JSON with its version, gzip at zlib's default level, compressed
before any clock starts), then the whole call and its one D1 request. The stored document is the
device's own gzip put inside \`{"job": …}\` without compressing it again (lib/server/gzip-wrap.ts);
a write the server must change (a version it issues, an expiry it caps) is compressed here instead,
at level 4 for documents over 256 KiB.

${breakdown}`;
}

/**
 * Where the server time of a large PUT goes: a 200-scene job (3.2 MB of JSON) sent as a device
 * sends it, each step of the handler timed on its own (median of 9), and the whole call with the
 * time its one D1 request took. The body is compressed before any clock starts.
 */
export async function benchPutBreakdown(): Promise<string> {
  const d1 = await embeddedD1();
  try {
    const d1Times: number[] = [];
    const timed: D1Executor = {
      async batch(statements, signal) {
        const started = performance.now();
        try {
          return await d1.executor.batch(statements, signal);
        } finally {
          if (statements.length > 4) d1Times.push(performance.now() - started);
        }
      },
    };
    const store = createJobStore(timed);
    const api = createJobsApi({ getStore: () => Promise.resolve(store) });
    const job = generateSampleJob({
      jobId: 'full',
      sceneCount: 200,
      seed: 7,
      updatedAt: Date.now(),
    });
    const request = (body: Uint8Array<ArrayBuffer>, key: string) =>
      new Request('http://localhost/api/veo/jobs/full', {
        method: 'PUT',
        body,
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'idempotency-key': key,
        },
      });
    const runs = 9;
    const bodies = Array.from({ length: runs + 1 }, (_, i) =>
      deviceUpload({ ...job, updatedAt: job.updatedAt + i }),
    );
    const wire = bodies[0]!;
    const sent = await readJsonDocument(request(wire, 'probe'));
    const input = jobInputSchema.parse(sent.value);
    const stored = input as CachedVeoJob;
    const inputJson = JSON.stringify(input);
    const document = await encodeJobDocument(stored, { jobJson: inputJson, sent });
    if (document.from !== 'sent') throw new Error('the device’s gzip was not kept');
    const step = async (fn: () => unknown) => median(await timeRuns(runs, fn));
    const rows: [string, number][] = [
      [
        'inflate the body (zlib, 1 MiB output chunks)',
        await step(() => promisify(zlib.gunzip)(wire, { chunkSize: 1024 * 1024 })),
      ],
      [
        'read the body, inflate, UTF-8, JSON.parse',
        await step(() => readJsonDocument(request(wire, 'x'))),
      ],
      ['validate (zod)', await step(() => jobInputSchema.safeParse(sent.value))],
      [
        'op hash (JSON.stringify + SHA-256)',
        await step(() =>
          createHash('sha256')
            .update(`upsert\n${JSON.stringify(input)}`)
            .digest('hex'),
        ),
      ],
      ['is the body the stored job? (isSentJob)', await step(() => isSentJob(sent.value, stored))],
      [
        'stored document: the device’s gzip wrapped',
        await step(() => encodeJobDocument(stored, { jobJson: inputJson, sent })),
      ],
      ['base64 chunks', await step(() => toBase64Chunks(document.gzip))],
    ];
    const durations = await timeRuns(runs, async (i) => {
      const response = await api.put(request(bodies[i + 1]!, `op-${i + 1}`), 'full');
      if (!response.ok) throw new Error(`PUT: HTTP ${response.status}`);
      await response.arrayBuffer();
    });
    rows.push([
      'the D1 request (one batch: the job, its chunk, the op)',
      median(d1Times.slice(-runs)),
    ]);
    rows.push(['**whole PUT** (route handler to answer)', median(durations)]);
    // What the document would cost compressed here instead (a write the server must change).
    const json = Buffer.from(`{"job":${inputJson}}`);
    const level = (n: 4 | 6) =>
      step(() => promisify(zlib.gzip)(json, { level: n, chunkSize: 1024 * 1024 }));
    const compare: [string, number][] = [
      [
        'instead: compress the document here at level 4 (a write the server changes)',
        await level(4),
      ],
      ['instead: compress it at level 6 (every large write before)', await level(6)],
      [
        'before: inflate with zlib’s default 16 KiB chunks',
        await step(() => promisify(zlib.gunzip)(wire)),
      ],
    ];
    const sizes = `The body: ${bytes(wire.byteLength)} of gzip for ${bytes(sent.json.byteLength)} of JSON; the stored document ${bytes(document.gzip.byteLength)} (level 4 here: ${bytes(zlib.gzipSync(json, { level: 4 }).byteLength)}, level 6: ${bytes(zlib.gzipSync(json).byteLength)}).`;
    return `${table(
      ['step', 'median ms'],
      [...rows, ...compare].map(([name, value]) => [name, ms(value)]),
    )}\n\n${sizes}`;
  } finally {
    await d1.dispose();
  }
}

/** The headings of the server's sections of docs/benchmarks.md, in their order. */
const SERVER_HEADINGS = [
  '## Job sizes and server-side compression',
  '## Jobs API on the local D1',
  LOAD_SECTION_HEADING,
];

/**
 * The server's sections of docs/benchmarks.md: job sizes, every API call on the local D1 (with
 * where a large PUT's time goes) and the load test (`only: 'load'`: that one alone).
 */
export async function benchServer(only?: 'load', config?: LoadConfig): Promise<string> {
  const load = async () =>
    `${LOAD_SECTION_HEADING}\n\n${loadSectionIntro(config)}\n\n${await benchLoad(config)}`;
  if (only === 'load') return load();
  console.log('Job sizes and compression…');
  const sizes = await benchJobSizes();
  console.log('Jobs API on the local D1…');
  const api = await benchApi();
  console.log('Server under load: the production server and a load generator…');
  return `${SERVER_HEADINGS[0]}

Generated jobs (\`lib/shared/sample-job.ts\`, deterministic), median of 7 runs. zlib as the
server runs it (\`lib/server/compression.ts\`: 1 MiB output chunks); level 4 is what the server
uses for a large document it must compress itself; "wrap" puts a device's gzip inside the stored
\`{"job": …}\` without compressing it again (\`lib/server/gzip-wrap.ts\`).

${sizes}

${SERVER_HEADINGS[1]}

Each call goes through the real route handler and the store to the embedded database of
\`npm start\` (Miniflare's D1, through the app's own driver). \`D1 requests\` counts requests to D1
per API call; \`rows read\` and \`rows written\` are D1's own \`meta\` counters (what Cloudflare
bills), averaged per call. The "since" pull comes after one job changed; \`DELETE all\` runs
once, on every stored job. The two "signed in" rows go through the access guard with a session
cookie: checking the session reads its one row of \`veo_sessions\` in a D1 request of its own,
which an instance does at most once per session per 30 s (the second row); the first row forces
the check on every call. Request bodies are compressed before the clock starts.

${api}

${await load()}`;
}

/**
 * `npm run bench -- --only server` (or `--only load [--seconds N]`): the server's sections
 * alone, written into docs/benchmarks.md in place of the ones there.
 */
export async function benchServerOnly(argv: readonly string[]): Promise<void> {
  const only = argv[argv.indexOf('--only') + 1] === 'load' ? 'load' : undefined;
  const seconds = Number(argv[argv.indexOf('--seconds') + 1]);
  const config: LoadConfig = {
    ...DEFAULT_LOAD_CONFIG,
    ...(argv.includes('--seconds') && seconds > 0 ? { seconds } : {}),
  };
  const markdown = await benchServer(only, config);
  const file = 'docs/benchmarks.md';
  const current = existsSync(file) ? await readFile(file, 'utf8') : '';
  const mine = only === 'load' ? [LOAD_SECTION_HEADING] : SERVER_HEADINGS;
  const start = Math.min(
    ...mine.map((h) => current.indexOf(`${h}\n`)).filter((i) => i >= 0),
    current.length,
  );
  // To the first heading after them that is not one of them.
  let end = start;
  for (;;) {
    const next = current.indexOf('\n## ', end + 1);
    if (next < 0) {
      end = current.length;
      break;
    }
    end = next + 1;
    if (!mine.some((h) => current.startsWith(`${h}\n`, end))) break;
  }
  const before = current.slice(0, start);
  const after = current.slice(end);
  await writeFile(
    file,
    `${before}${before === '' || before.endsWith('\n\n') ? '' : '\n'}${markdown}\n${after === '' ? '' : `\n${after}`}`,
  );
  console.log(`\n${markdown}\n\n  server: written to ${file}`);
}
