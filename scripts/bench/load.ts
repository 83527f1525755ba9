/**
 * The server under load: the production build (`npm start`'s scripts/serve.js) on a fresh
 * embedded D1, driven from a separate process over loopback by concurrent writers and readers for
 * a fixed time, then every acknowledged write read back. Beside it, the same D1 batches sent
 * straight to the embedded D1 from one process (no HTTP, no Next.js, no request parsing): the
 * ceiling the app is measured against.
 *
 * `npm run bench -- --only load [--seconds N]` runs this part alone and rewrites only its section
 * of docs/benchmarks.md.
 */
import { execSync, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createApiClient } from '@/lib/client/api-client';
// Types only: this file also runs as the load generator, without the server's modules.
import type { D1Executor } from '@/lib/server/d1/executor';
import { jobToJson } from '@/lib/client/job-blob';
import { DEFAULT_RETRY_POLICY, retryDelay } from '@/lib/client/retry-policy';
import { SYNC_REQUEST_HEADER } from '@/lib/client/sw-protocol';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import { parseRetryAfter } from '@/lib/shared/retry-after';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { INITIAL_CLOCK, tick, type Version } from '@/lib/shared/version';
import { median, ms, quantile, table } from './stats';

export interface LoadConfig {
  /** How long writers and readers run (s). */
  readonly seconds: number;
  readonly writers: number;
  readonly readers: number;
  /** Jobs stored before the run, shared out among the writers (each writes only its own). */
  readonly jobs: number;
}

export const DEFAULT_LOAD_CONFIG: LoadConfig = {
  seconds: 30,
  writers: 50,
  readers: 50,
  jobs: 1000,
};

/** How long a writer may take to finish the op it had started when the time was up. */
const GRACE_MS = 20_000;

/** One HTTP request as the load generator saw it. */
interface Sample {
  readonly kind: 'write' | 'read';
  /** HTTP status, or 0 for a request that got no answer (network error, timeout). */
  readonly status: number;
  /** Whether a 503 came with `Retry-After`. */
  readonly retryAfter: boolean;
  /** From sending the request to having read its whole answer (ms). */
  readonly ms: number;
  /** When it ended, from the start of the timed run (ms). */
  readonly at: number;
}

interface GeneratorResult {
  readonly samples: readonly Sample[];
  /** Writes acknowledged (200) within the timed run, and after it (an op finishing late). */
  readonly acknowledged: number;
  readonly acknowledgedLate: number;
  /** Acknowledged ops whose answer did not carry the version sent, applied. */
  readonly badAnswers: number;
  /** Ops given up on (a permanent refusal); none is expected. */
  readonly failedOps: readonly string[];
  readonly seedMs: number;
  readonly seedStatuses: Readonly<Record<string, number>>;
  readonly verify: {
    readonly jobs: number;
    /** Jobs whose listed version is not the last acknowledged one. */
    readonly listMismatches: readonly string[];
    /** Jobs whose stored document (GET) is not the last acknowledged write. */
    readonly documentMismatches: readonly string[];
  };
  readonly listBytes: number;
}

// ---------------------------------------------------------------------------------------------
// The load generator (a child process of the benchmark).

/** A ~2 KB job of writer `writer`, as the device's sync engine holds it before upload. */
function smallJob(jobId: string, seed: number, updatedAt: number, version: Version): CachedVeoJob {
  const sample = generateSampleJob({ jobId, sceneCount: 1, seed, updatedAt });
  const scene = (sample.data.scenes as { summary: string; prompt: string }[])[0];
  return {
    ...sample,
    version,
    data: {
      scenes: [
        {
          sceneNumber: 1,
          summary: scene?.summary ?? '',
          prompt: (scene?.prompt ?? '').slice(0, 1_200),
        },
      ],
      characters: [],
      script: `SCENE 1\n${scene?.summary ?? ''}`,
    },
  };
}

const sleep = (delay: number) => new Promise((resolve) => setTimeout(resolve, delay));

async function runGenerator(baseUrl: string, config: LoadConfig): Promise<GeneratorResult> {
  const samples: Sample[] = [];
  let runStart = performance.now();
  let timing = false;
  /** The device's API client, telling `seen` the status of each answer it gets. */
  const apiFor = (seen: { status: number; retryAfter: boolean }) =>
    createApiClient({
      baseUrl,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        seen.status = response.status;
        seen.retryAfter = response.headers.has('retry-after');
        return response;
      },
    });

  interface WriterJob {
    readonly jobId: string;
    readonly seed: number;
    updatedAt: number;
    /** The last version the server acknowledged. */
    acknowledged?: Version;
  }
  const perWriter = Math.ceil(config.jobs / config.writers);
  const writers = Array.from({ length: config.writers }, (_, w) => ({
    node: `load-w${String(w).padStart(2, '0')}`,
    clock: INITIAL_CLOCK,
    jobs: Array.from(
      { length: Math.min(perWriter, Math.max(0, config.jobs - w * perWriter)) },
      (_, k): WriterJob => ({
        jobId: `load-w${String(w).padStart(2, '0')}-j${String(k).padStart(3, '0')}`,
        seed: w * 1000 + k,
        updatedAt: 0,
      }),
    ),
  }));
  /** The statuses of the writes that stored the jobs before the run. */
  const seedStatuses: Record<string, number> = {};
  let acknowledged = 0;
  let acknowledgedLate = 0;
  let badAnswers = 0;
  const failedOps: string[] = [];
  let deadline = Infinity;

  /**
   * One save as the device's drain sends it (lib/client/drain.ts): the job's JSON as the sync
   * engine stores it (its version first), gzip-compressed, `PUT` with the op id as
   * `Idempotency-Key`; a retryable failure is sent again after the client's own backoff, never
   * sooner than `Retry-After`. Resolves once acknowledged (or refused for good).
   */
  async function save(writer: (typeof writers)[number], job: WriterJob): Promise<void> {
    const next = tick(writer.clock, Date.now(), writer.node);
    writer.clock = next.state;
    job.updatedAt = Math.max(Date.now(), job.updatedAt + 1);
    const body = new Blob([
      gzipSync(jobToJson(smallJob(job.jobId, job.seed, job.updatedAt, next.version))),
    ]);
    const opId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const answer = { status: 0, retryAfter: false };
      const started = performance.now();
      const result = await apiFor(answer).putJob(job.jobId, body, opId, undefined, 'gzip');
      const ended = performance.now();
      if (timing) {
        samples.push({
          kind: 'write',
          status: answer.status,
          retryAfter: answer.retryAfter,
          ms: ended - started,
          at: ended - runStart,
        });
      } else {
        const label = statusLabel(answer.status, answer.retryAfter);
        seedStatuses[label] = (seedStatuses[label] ?? 0) + 1;
      }
      if (result.ok) {
        if (!result.value.applied || result.value.job?.version !== next.version) badAnswers++;
        job.acknowledged = next.version;
        if (timing && ended - runStart <= config.seconds * 1000) acknowledged++;
        else if (timing) acknowledgedLate++;
        return;
      }
      const failure = result.failure;
      if (failure.kind !== 'retryable' || performance.now() > deadline + GRACE_MS) {
        failedOps.push(`${job.jobId} ${opId}: ${JSON.stringify(failure)}`);
        return;
      }
      await sleep(retryDelay(DEFAULT_RETRY_POLICY, attempt, failure.retryAfterMs, Math.random));
    }
  }

  // Seed: every writer saves each of its jobs once (not timed).
  const seedStart = performance.now();
  await Promise.all(
    writers.map(async (writer) => {
      for (const job of writer.jobs) await save(writer, job);
    }),
  );
  const seedMs = performance.now() - seedStart;
  console.log(`  load: ${config.jobs} jobs stored in ${(seedMs / 1000).toFixed(1)} s`);

  // The connections of every writer and reader are opened now, while the server is idle: a Node
  // server under load accepts one new connection per turn of its event loop (~0.2 s here), so
  // 50 connections opened at the start of the run would measure that, not the API (the first
  // lists took up to 14 s). Devices keep their connections open too.
  await Promise.all(
    Array.from({ length: config.writers + config.readers }, async () => {
      await (
        await fetch(`${baseUrl}/api/veo/jobs`, { headers: { [SYNC_REQUEST_HEADER]: '1' } })
      ).text();
    }),
  );
  let listBytes = 0;
  timing = true;
  runStart = performance.now();
  deadline = runStart + config.seconds * 1000;
  const writing = writers.map(async (writer) => {
    for (let k = 0; performance.now() < deadline; k++) {
      const job = writer.jobs[k % writer.jobs.length];
      if (!job) return;
      await save(writer, job);
    }
  });
  const reading = Array.from({ length: config.readers }, async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      let status = 0;
      let retryAfterMs: number | undefined;
      try {
        const response = await fetch(`${baseUrl}/api/veo/jobs`, {
          headers: { [SYNC_REQUEST_HEADER]: '1' },
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        status = response.status;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        if (status === 200) listBytes = text.length;
      } catch {
        status = 0;
      }
      const ended = performance.now();
      const retryAfter = retryAfterMs !== undefined;
      samples.push({ kind: 'read', status, retryAfter, ms: ended - started, at: ended - runStart });
      // A refused read is tried again as the client's pull would: after Retry-After, if any.
      if (status !== 200) await sleep(retryAfterMs ?? 100);
    }
  });
  await Promise.all([...writing, ...reading]);
  console.log('  load: timed run over; reading every job back');

  // Read back: the list names every job at its last acknowledged version, and each job's stored
  // document is that write.
  const expected = new Map(writers.flatMap((w) => w.jobs).map((j) => [j.jobId, j] as const));
  const list = (await (
    await fetch(`${baseUrl}/api/veo/jobs`, { headers: { [SYNC_REQUEST_HEADER]: '1' } })
  ).json()) as { jobs: { jobId: string; version: string; updatedAt: number }[] };
  const listed = new Map(list.jobs.map((j) => [j.jobId, j] as const));
  const listMismatches = [...expected.values()]
    .filter((j) => listed.get(j.jobId)?.version !== j.acknowledged)
    .map(
      (j) => `${j.jobId}: listed ${listed.get(j.jobId)?.version} acknowledged ${j.acknowledged}`,
    );
  const documentMismatches: string[] = [];
  const queue = [...expected.values()];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let job = queue.pop(); job; job = queue.pop()) {
        const response = await fetch(`${baseUrl}/api/veo/jobs/${job.jobId}`, {
          headers: { [SYNC_REQUEST_HEADER]: '1', 'accept-encoding': 'gzip' },
        });
        const body = (await response.json()) as { job: CachedVeoJob | null };
        const want = job.acknowledged
          ? smallJob(job.jobId, job.seed, job.updatedAt, job.acknowledged)
          : undefined;
        if (JSON.stringify(body.job) !== JSON.stringify(want && sortLike(want, body.job))) {
          documentMismatches.push(`${job.jobId}: ${response.status}`);
        }
      }
    }),
  );
  return {
    samples,
    acknowledged,
    acknowledgedLate,
    badAnswers,
    failedOps,
    seedMs,
    seedStatuses,
    verify: { jobs: expected.size, listMismatches, documentMismatches },
    listBytes,
  };
}

/** `want` with its keys in `like`'s order, so that two JSON texts compare as values. */
function sortLike(want: CachedVeoJob, like: CachedVeoJob | null): CachedVeoJob {
  if (!like) return want;
  const entries = Object.keys(like).map((k) => [k, (want as Record<string, unknown>)[k]]);
  const rest = Object.entries(want).filter(([k]) => !(k in like));
  return Object.fromEntries([...entries, ...rest]) as CachedVeoJob;
}

// ---------------------------------------------------------------------------------------------
// The same D1 batches without the app.

interface RawResult {
  readonly samples: readonly Sample[];
  readonly acknowledged: number;
  readonly failures: number;
  /** Batches that failed while storing the jobs before the timed run (each sent again). */
  readonly seedFailures: number;
}

/**
 * The store's own batches for the same workload, sent to the embedded D1 exactly as the app's
 * store sends them (`startLocalD1`'s executor behind `withRetries`, as lib/server/store-instance.ts
 * builds it) from this one process: each batch is made by the real store on a recording executor,
 * then only sending it is timed.
 */
async function runRaw(config: LoadConfig): Promise<RawResult> {
  const [{ startLocalD1 }, { withRetries }, { createJobStore }, { jobInputSchema }] =
    await Promise.all([
      import('@/lib/server/d1/local'),
      import('@/lib/server/d1/retry'),
      import('@/lib/server/job-store'),
      import('@/lib/shared/job-schema'),
    ]);
  type Statements = Parameters<D1Executor['batch']>[0];
  const dir = await mkdtemp(path.join(tmpdir(), 'veo-raw-d1-'));
  const local = await startLocalD1(dir);
  try {
    const executor = withRetries(local.executor);
    class Recorded extends Error {
      constructor(readonly statements: Statements) {
        super('recorded');
      }
    }
    const recorder = createJobStore({
      batch: (statements) => Promise.reject(new Recorded(statements)),
    });
    const batchOf = async (make: (store: typeof recorder) => Promise<unknown>) => {
      try {
        await make(recorder);
      } catch (error) {
        if (error instanceof Recorded) return error.statements;
        throw error;
      }
      throw new Error('the store sent no batch');
    };
    const perWriter = Math.ceil(config.jobs / config.writers);
    const writers = Array.from({ length: config.writers }, (_, w) => ({
      node: `raw-w${String(w).padStart(2, '0')}`,
      clock: INITIAL_CLOCK,
      jobs: Array.from(
        { length: Math.min(perWriter, Math.max(0, config.jobs - w * perWriter)) },
        (_, k) => ({ jobId: `raw-w${w}-j${k}`, seed: w * 1000 + k, updatedAt: 0 }),
      ),
    }));
    const upsertBatch = (
      writer: (typeof writers)[number],
      job: (typeof writers)[number]['jobs'][number],
    ) => {
      const next = tick(writer.clock, Date.now(), writer.node);
      writer.clock = next.state;
      job.updatedAt = Math.max(Date.now(), job.updatedAt + 1);
      // What the API hands the store: the body as parsed and validated.
      const input = jobInputSchema.parse(
        JSON.parse(jobToJson(smallJob(job.jobId, job.seed, job.updatedAt, next.version))),
      );
      return batchOf((store) => store.upsertJob(input, randomUUID()));
    };
    let seedFailures = 0;
    await Promise.all(
      writers.map(async (writer) => {
        for (const job of writer.jobs) {
          const statements = await upsertBatch(writer, job);
          for (let attempt = 1; ; attempt++) {
            try {
              await executor.batch(statements);
              break;
            } catch (error) {
              seedFailures++;
              if (attempt >= 5) throw error;
            }
          }
        }
      }),
    );
    const samples: Sample[] = [];
    let acknowledged = 0;
    let failures = 0;
    const start = performance.now();
    const deadline = start + config.seconds * 1000;
    const timed = async (kind: Sample['kind'], statements: Statements) => {
      const started = performance.now();
      let status = 200;
      try {
        await executor.batch(statements);
      } catch {
        status = 0;
        failures++;
      }
      const ended = performance.now();
      samples.push({ kind, status, retryAfter: false, ms: ended - started, at: ended - start });
      if (kind === 'write' && status === 200 && ended <= deadline) acknowledged++;
    };
    await Promise.all([
      ...writers.map(async (writer) => {
        for (let k = 0; performance.now() < deadline; k++) {
          const job = writer.jobs[k % writer.jobs.length];
          if (!job) return;
          await timed('write', await upsertBatch(writer, job));
        }
      }),
      ...Array.from({ length: config.readers }, async () => {
        while (performance.now() < deadline) {
          await timed('read', await batchOf((store) => store.listJobs()));
        }
      }),
    ]);
    return { samples, acknowledged, failures, seedFailures };
  } finally {
    await local.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark.

/** Whether the production build is missing or older than the server code it should contain. */
async function buildIsStale(): Promise<string | undefined> {
  if (!existsSync('.next/BUILD_ID') || !existsSync('public/sw.js')) return 'missing';
  const built = statSync('.next/BUILD_ID').mtimeMs;
  const newest = async (dir: string): Promise<number> => {
    let latest = 0;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      latest = Math.max(
        latest,
        entry.isDirectory() ? await newest(full) : (await stat(full)).mtimeMs,
      );
    }
    return latest;
  };
  const changed = Math.max(await newest('lib/server'), await newest('app/api'));
  return changed > built ? 'older than lib/server or app/api' : undefined;
}

/** An answer's status as the tables count it: a 503 with Retry-After apart from one without. */
function statusLabel(status: number, retryAfter: boolean): string {
  if (status === 0) return 'no answer';
  if (status === 503) return retryAfter ? '503 + Retry-After' : '503 without Retry-After';
  return String(status);
}

function summarise(samples: readonly Sample[], kind: Sample['kind'], seconds: number) {
  const mine = samples.filter((s) => s.kind === kind);
  const inWindow = mine.filter((s) => s.at <= seconds * 1000);
  const durations = mine.map((s) => s.ms);
  const statuses = new Map<string, number>();
  for (const s of mine) {
    const label = statusLabel(s.status, s.retryAfter);
    statuses.set(label, (statuses.get(label) ?? 0) + 1);
  }
  return {
    requests: mine.length,
    perSecond: inWindow.length / seconds,
    okPerSecond: inWindow.filter((s) => s.status === 200).length / seconds,
    p50: median(durations),
    p95: quantile(durations, 0.95),
    p99: quantile(durations, 0.99),
    max: Math.max(...durations),
    statuses: [...statuses].sort(([a], [b]) => (a < b ? -1 : 1)),
    fivexx: mine.filter((s) => s.status >= 500).length,
  };
}

/**
 * Runs the load test and the raw D1 run, prints what it found, and returns the Markdown of the
 * "Server under load" section.
 */
export async function benchLoad(config: LoadConfig = DEFAULT_LOAD_CONFIG): Promise<string> {
  const stale = await buildIsStale();
  if (stale === 'missing') execSync('npm run build', { stdio: 'inherit' });
  else if (stale) {
    console.warn(
      `  load: WARNING: the production build is ${stale}; run \`npm run build\` to measure the current server`,
    );
  }
  const loads = [os.loadavg()[0] ?? 0];
  const { startAppServer } = await import('../../tests/e2e/support/app-server');
  const server = await startAppServer();
  let app: GeneratorResult;
  try {
    console.log(
      `  load: ${config.writers} writers and ${config.readers} readers for ${config.seconds} s on ${server.baseUrl}`,
    );
    const resultFile = path.join(tmpdir(), `veo-load-${process.pid}-${Date.now()}.json`);
    app = await new Promise<GeneratorResult>((resolve, reject) => {
      const child = fork(
        __filename,
        ['--load-generator', server.baseUrl, JSON.stringify(config), resultFile],
        { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      child.on('error', reject);
      child.on('close', (code, signal) => {
        readFile(resultFile, 'utf8').then(
          (text) => resolve(JSON.parse(text) as GeneratorResult),
          () => reject(new Error(`the load generator stopped (exit ${code}, signal ${signal})`)),
        );
      });
    });
    await rm(resultFile, { force: true });
  } finally {
    await server.stop();
  }
  {
    const w = summarise(app.samples, 'write', config.seconds);
    const r = summarise(app.samples, 'read', config.seconds);
    console.log(
      `  load: app: ${(app.acknowledged / config.seconds).toFixed(1)} writes/s (p50 ${ms(w.p50)}, p99 ${ms(w.p99)} ms; ${w.statuses.map(([l, n]) => `${l}: ${n}`).join(', ')}), ${r.okPerSecond.toFixed(1)} lists/s (p50 ${ms(r.p50)}, p99 ${ms(r.p99)} ms; ${r.statuses.map(([l, n]) => `${l}: ${n}`).join(', ')})`,
    );
  }
  console.log(`  load: the same D1 batches without the app, ${config.seconds} s`);
  loads.push(os.loadavg()[0] ?? 0);
  const raw = await runRaw(config);
  loads.push(os.loadavg()[0] ?? 0);

  const writes = summarise(app.samples, 'write', config.seconds);
  const reads = summarise(app.samples, 'read', config.seconds);
  const rawWrites = summarise(raw.samples, 'write', config.seconds);
  const rawReads = summarise(raw.samples, 'read', config.seconds);
  const ackPerSecond = app.acknowledged / config.seconds;
  const rawAckPerSecond = raw.acknowledged / config.seconds;
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');
  const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
  const statusText = (s: ReturnType<typeof summarise>) =>
    s.statuses.map(([label, n]) => `${label}: ${n}`).join(', ') || '—';
  const verified =
    app.verify.listMismatches.length === 0 && app.verify.documentMismatches.length === 0;

  const results = table(
    [
      '',
      'requests/s',
      'answered 200/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'statuses (all requests)',
    ],
    [
      [
        'app: writes (PUT, ~2 KB gzip)',
        fmt(writes.perSecond),
        fmt(writes.okPerSecond),
        ms(writes.p50),
        ms(writes.p95),
        ms(writes.p99),
        ms(writes.max),
        statusText(writes),
      ],
      [
        `app: reads (GET list, ${config.jobs} jobs)`,
        fmt(reads.perSecond),
        fmt(reads.okPerSecond),
        ms(reads.p50),
        ms(reads.p95),
        ms(reads.p99),
        ms(reads.max),
        statusText(reads),
      ],
      [
        'raw D1: the same write batches',
        fmt(rawWrites.perSecond),
        fmt(rawWrites.okPerSecond),
        ms(rawWrites.p50),
        ms(rawWrites.p95),
        ms(rawWrites.p99),
        ms(rawWrites.max),
        raw.failures === 0 ? 'no failure' : `${raw.failures} failed after the store's retries`,
      ],
      [
        'raw D1: the same list batches',
        fmt(rawReads.perSecond),
        fmt(rawReads.okPerSecond),
        ms(rawReads.p50),
        ms(rawReads.p95),
        ms(rawReads.p99),
        ms(rawReads.max),
        '',
      ],
    ],
  );
  const summary = table(
    ['', 'app', 'raw D1', 'app ÷ raw'],
    [
      [
        'writes acknowledged/s',
        fmt(ackPerSecond),
        fmt(rawAckPerSecond),
        ratio(ackPerSecond, rawAckPerSecond),
      ],
      [
        'lists answered/s',
        fmt(reads.okPerSecond),
        fmt(rawReads.okPerSecond),
        ratio(reads.okPerSecond, rawReads.okPerSecond),
      ],
      [
        'all operations/s',
        fmt(ackPerSecond + reads.okPerSecond),
        fmt(rawAckPerSecond + rawReads.okPerSecond),
        ratio(ackPerSecond + reads.okPerSecond, rawAckPerSecond + rawReads.okPerSecond),
      ],
    ],
  );
  const checks = [
    `- 5xx answers: ${writes.fivexx + reads.fivexx} (writes ${writes.fivexx}, reads ${reads.fivexx}); a 503 is retried after its \`Retry-After\` as the client does.`,
    `- Acknowledged writes: ${app.acknowledged} in the ${config.seconds} s, ${app.acknowledgedLate} more finishing after it; ${app.badAnswers} answered with another version than sent; ${app.failedOps.length} ops given up.`,
    `- Read back: ${app.verify.jobs} jobs; the list shows ${app.verify.jobs - app.verify.listMismatches.length} at their last acknowledged version, GET serves ${app.verify.jobs - app.verify.documentMismatches.length} as that write${verified ? ' — every acknowledged write is stored' : ` — MISMATCHES: ${[...app.verify.listMismatches, ...app.verify.documentMismatches].slice(0, 5).join('; ')}`}.`,
    `- Raw D1: ${raw.failures} batches failed in the timed run after the store's retries, ${raw.seedFailures} while storing the jobs before it.`,
    `- A list of ${config.jobs} jobs is ${(app.listBytes / 1024).toFixed(0)} KiB of JSON; storing the ${config.jobs} jobs through the app before the run took ${(app.seedMs / 1000).toFixed(1)} s (${Object.entries(
      app.seedStatuses,
    )
      .map(([label, n]) => `${label}: ${n}`)
      .join(', ')}).`,
    `- Load average of the machine (1 min) before the app's run, before the raw run and after it: ${loads.map((l) => l.toFixed(1)).join(', ')} (other work on the machine slows both runs unevenly).`,
  ];
  for (const failure of app.failedOps.slice(0, 5)) console.warn(`  load: gave up: ${failure}`);
  const section = `${results}

${summary}

${checks.join('\n')}`;
  console.log(`\n${section}\n`);
  return section;
}

/** The section's heading in docs/benchmarks.md. */
export const LOAD_SECTION_HEADING = '## Server under load';

/** What the section says before its figures (the method). */
export function loadSectionIntro(config: LoadConfig = DEFAULT_LOAD_CONFIG): string {
  return `The production build (\`scripts/serve.js\`, as \`npm start\`) on a fresh embedded D1, driven
over loopback from a separate Node process: ${config.writers} writers, each saving its own ${Math.ceil(config.jobs / config.writers)} jobs
in turn (~2 KB of JSON, sent as the device's drain sends them: the job's JSON with its version,
gzip, \`PUT\` with an \`Idempotency-Key\`, a retryable failure sent again after the client's backoff
and never before \`Retry-After\`), and ${config.readers} readers fetching the list of the ${config.jobs} stored jobs, for
${config.seconds} s, on connections opened before the clock starts (a busy Node server accepts one
new connection per turn of its event loop: see docs/server.md, "Under load"). Latencies are per
HTTP request, answer read. Afterwards every job is read back (list and \`GET\`) and compared with
its last acknowledged write. "Raw D1" sends the same batches (made by the store itself, sent
through the store's executor) to a fresh embedded D1 from the benchmark's own process with the
same concurrency: no HTTP, no Next.js, no body parsing — the ceiling the app is measured
against. \`npm run bench -- --only load\` runs this part alone.`;
}

if (process.argv[2] === '--load-generator') {
  const [baseUrl, config, resultFile] = [
    process.argv[3] ?? '',
    JSON.parse(process.argv[4] ?? '{}') as LoadConfig,
    process.argv[5],
  ];
  let done = false;
  process.on('exit', (code) => {
    if (!done) console.error(`  load: the generator is exiting (code ${code}) before its end`);
  });
  runGenerator(baseUrl, config).then(
    (result) => {
      done = true;
      if (resultFile) writeFileSync(resultFile, JSON.stringify(result));
      else {
        // Run by hand against a server of one's own: the figures on stdout.
        if (process.env.LOAD_SAMPLES_FILE) {
          writeFileSync(process.env.LOAD_SAMPLES_FILE, JSON.stringify(result.samples));
        }
        for (const kind of ['write', 'read'] as const) {
          const s = summarise(result.samples, kind, config.seconds);
          console.log(kind, JSON.stringify({ ...s, samples: undefined }));
        }
      }
      process.exit(0);
    },
    (error: unknown) => {
      done = true;
      console.error(error);
      process.exit(1);
    },
  );
}
