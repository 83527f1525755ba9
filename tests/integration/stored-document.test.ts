import { gunzipSync, gzipSync, type ZlibOptions } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobToJson } from '@/lib/client/job-blob';
import { wrapGzipMember } from '@/lib/server/gzip-wrap';
import { isSentJob } from '@/lib/server/job-document';
import { createJobStore, type JobStore } from '@/lib/server/job-store';
import { createJobsApi } from '@/lib/server/jobs-api';
import { parseJobBundle } from '@/lib/shared/job-bundle';
import { DEFAULT_JOB_TTL_MS, jobInputSchema, type CachedVeoJob } from '@/lib/shared/job-schema';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { formatVersion } from '@/lib/shared/version';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';

const PREFIX = Buffer.from('{"job":');
const SUFFIX = Buffer.from('}');
const T0 = Date.now() - 60_000;

/** Inflates as a browser's DecompressionStream does: one gzip member, nothing after it. */
async function inflateStrictly(bytes: Uint8Array): Promise<Buffer> {
  const stream = new Blob([new Uint8Array(bytes)])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'));
  return Buffer.from(await new Response(stream).arrayBuffer());
}

/** A job as the device's sync engine uploads it: its JSON with its version first. */
function deviceJob(jobId: string, sceneCount: number, wall = T0): CachedVeoJob {
  const job = generateSampleJob({ jobId, sceneCount, seed: sceneCount, updatedAt: wall });
  return {
    ...job,
    version: formatVersion(wall, 0, 'device'),
    expiresAt: wall + DEFAULT_JOB_TTL_MS,
  };
}

describe('wrapping a gzip member without compressing it again', () => {
  const options = fc.record({
    level: fc.integer({ min: 0, max: 9 }),
    strategy: fc.integer({ min: 0, max: 4 }),
    memLevel: fc.integer({ min: 1, max: 9 }),
    windowBits: fc.integer({ min: 9, max: 15 }),
  });
  const content = fc.oneof(
    fc.uint8Array({ maxLength: 5_000 }),
    fc.string({ unit: 'grapheme', maxLength: 3_000 }).map((s) => Buffer.from(s)),
    fc
      .record({ seed: fc.nat(1_000), scenes: fc.integer({ min: 0, max: 6 }), cut: fc.nat() })
      .map(({ seed, scenes, cut }) => {
        const json = Buffer.from(JSON.stringify(generateSampleJob({ seed, sceneCount: scenes })));
        return json.subarray(0, cut % (json.byteLength + 1));
      }),
  );

  it('gives one gzip member of prefix, content and suffix, for any deflate stream zlib makes', async () => {
    await fc.assert(
      fc.asyncProperty(content, options, async (bytes, zlibOptions: ZlibOptions) => {
        const member = gzipSync(bytes, zlibOptions);
        const wrapped = wrapGzipMember(member, bytes, PREFIX, SUFFIX);
        expect(wrapped).toBeDefined();
        const want = Buffer.concat([PREFIX, bytes, SUFFIX]);
        expect(gunzipSync(wrapped!).equals(want)).toBe(true);
        expect((await inflateStrictly(wrapped!)).equals(want)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a 200-scene job’s compression: a few bytes more than the device sent', async () => {
    const json = Buffer.from(JSON.stringify(generateSampleJob({ sceneCount: 200 })));
    const member = gzipSync(json);
    const wrapped = wrapGzipMember(member, json, PREFIX, SUFFIX)!;
    expect(wrapped.byteLength - member.byteLength).toBeLessThanOrEqual(PREFIX.byteLength + 16);
    const document = JSON.parse((await inflateStrictly(wrapped)).toString()) as { job: unknown };
    expect(document.job).toEqual(JSON.parse(json.toString()));
  });

  it('declines what is not exactly one member decoding to the content', () => {
    const json = Buffer.from('{"a":1}');
    const member = gzipSync(json);
    // Two members, trailing bytes, another content, a cut-off member, not gzip at all.
    expect(
      wrapGzipMember(Buffer.concat([member, member]), Buffer.concat([json, json]), PREFIX, SUFFIX),
    ).toBeUndefined();
    expect(
      wrapGzipMember(Buffer.concat([member, Buffer.from([0])]), json, PREFIX, SUFFIX),
    ).toBeUndefined();
    expect(wrapGzipMember(member, Buffer.from('{"a":2}!'), PREFIX, SUFFIX)).toBeUndefined();
    expect(
      wrapGzipMember(member.subarray(0, member.byteLength - 3), json, PREFIX, SUFFIX),
    ).toBeUndefined();
    expect(wrapGzipMember(json, json, PREFIX, SUFFIX)).toBeUndefined();
  });
});

describe('the stored document of a PUT', () => {
  let d1: TestD1;
  let store: JobStore;
  let api: ReturnType<typeof createJobsApi>;
  beforeAll(async () => {
    d1 = await createTestD1();
  });
  afterAll(async () => {
    await d1.dispose();
  });
  beforeEach(() => {
    store = createJobStore(d1.executor);
    api = createJobsApi({ getStore: () => Promise.resolve(store) });
  });

  const put = (jobId: string, body: Uint8Array | string, headers: Record<string, string> = {}) =>
    api.put(
      new Request(`https://veo.example/api/veo/jobs/${jobId}`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `op-${jobId}-${Math.random()}`,
          ...headers,
        },
        body: typeof body === 'string' ? body : new Uint8Array(body),
      }),
      jobId,
    );
  const gzipped = { 'content-encoding': 'gzip' };

  async function storedDocument(jobId: string) {
    const stored = await store.getJob(jobId);
    expect(stored).not.toBeNull();
    const text = (await inflateStrictly(stored!.gzip)).toString('utf8');
    return { gzip: stored!.gzip, job: (JSON.parse(text) as { job: CachedVeoJob }).job };
  }

  it('stores the device’s own gzip inside the document, and GET and the bundle serve it', async () => {
    const job = deviceJob('as-sent', 40);
    const wire = gzipSync(jobToJson(job));
    expect((await put('as-sent', wire, gzipped)).status).toBe(200);
    const { gzip, job: back } = await storedDocument('as-sent');
    expect(back).toEqual(job);
    // The device's deflate data is in the stored bytes as it came, after the document's start:
    // but for the bit that made its last block the final one, and the byte where it ends.
    const deflate = wire.subarray(10, wire.byteLength - 8);
    const kept = gzip.subarray(
      10 + 5 + PREFIX.byteLength,
      10 + 5 + PREFIX.byteLength + deflate.byteLength,
    );
    expect(deflate.filter((byte, i) => byte !== kept[i]).length).toBeLessThanOrEqual(2);
    expect(gzip.byteLength - wire.byteLength).toBeLessThan(32);

    const served = await api.get(
      new Request('https://veo.example/api/veo/jobs/as-sent', {
        headers: { 'accept-encoding': 'gzip' },
      }),
      'as-sent',
    );
    expect(served.headers.get('content-encoding')).toBe('gzip');
    expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(gzip))).toBe(true);
    const bundle = parseJobBundle(
      new Uint8Array(
        await (
          await api.data(new Request('https://veo.example/api/veo/job-data?ids=as-sent'))
        ).arrayBuffer(),
      ),
    );
    expect(bundle.index.jobs.map((j) => j.job.version)).toEqual([job.version]);
    expect(Buffer.from(bundle.parts[0]!).equals(Buffer.from(gzip))).toBe(true);
  });

  it('stores what the server decided, not the device’s bytes, when it changed the job', async () => {
    const job = deviceJob('changed', 3);
    const cases: [string, Record<string, unknown>, (stored: CachedVeoJob) => void][] = [
      [
        'no version: the server issues one',
        { version: undefined },
        (s) => expect(s.version).toMatch(/^\d{15}\.\d{6}\.s/),
      ],
      [
        'an expiry past the TTL: capped',
        { expiresAt: job.updatedAt + 2 * DEFAULT_JOB_TTL_MS },
        (s) => expect(s.expiresAt).toBe(job.updatedAt + DEFAULT_JOB_TTL_MS),
      ],
      [
        'a label with spaces: trimmed',
        { mode: '  hybrid  ' },
        (s) => expect(s.mode).toBe('hybrid'),
      ],
      [
        'a field left to its default: filled',
        { voice: undefined },
        (s) => expect(s.voice).toBe('no-voice'),
      ],
    ];
    let n = 0;
    for (const [name, change, check] of cases) {
      const jobId = `changed-${n++}`;
      const sent = { ...job, jobId, version: formatVersion(T0, n, 'device'), ...change };
      const response = await put(jobId, gzipSync(JSON.stringify(sent)), gzipped);
      expect(response.status, name).toBe(200);
      const { job: stored } = await storedDocument(jobId);
      check(stored);
      expect(jobInputSchema.safeParse(stored).success, name).toBe(true);
      const info = (await store.listJobs()).jobs.find((j) => j.jobId === jobId)!;
      expect({ ...stored, data: undefined }, name).toEqual({ ...info, data: undefined });
    }
  });

  it('stores a job sent plain, with a byte-order mark, in two gzip members or barely compressed', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const forms: [string, (json: Buffer) => Uint8Array | string, Record<string, string>][] = [
      ['plain JSON', (json) => json.toString(), {}],
      ['gzip with a byte-order mark', (json) => gzipSync(Buffer.concat([bom, json])), gzipped],
      ['plain JSON with a byte-order mark', (json) => Buffer.concat([bom, json]), {}],
      [
        'two gzip members',
        (json) =>
          Buffer.concat([
            gzipSync(json.subarray(0, json.byteLength >> 1)),
            gzipSync(json.subarray(json.byteLength >> 1)),
          ]),
        gzipped,
      ],
      ['gzip level 0 (stored blocks)', (json) => gzipSync(json, { level: 0 }), gzipped],
    ];
    let wall = T0;
    for (const [name, encode, headers] of forms) {
      // Each a newer version of the job, so that each is stored.
      const job = deviceJob('forms', 12, ++wall);
      const json = Buffer.from(jobToJson(job));
      const response = await put('forms', encode(json), headers);
      expect(response.status, name).toBe(200);
      const { gzip, job: back } = await storedDocument('forms');
      expect(back, name).toEqual(job);
      // Compressed here when what came was not a well-compressed single member.
      expect(gzip.byteLength, name).toBeLessThan(json.byteLength / 2);
    }
  });

  it('names an op by the job it carries, not its bytes: the same job sent plain is a replay', async () => {
    const job = deviceJob('replayed', 2);
    const headers = { 'idempotency-key': 'op-replayed' };
    const first = await put('replayed', gzipSync(jobToJson(job)), { ...headers, ...gzipped });
    const again = await put('replayed', JSON.stringify(job, null, 2), headers);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
  });

  it('tells the job as sent from one the schema changed', () => {
    const job = deviceJob('same', 2);
    const sent = JSON.parse(jobToJson(job)) as unknown;
    const parsed = jobInputSchema.parse(sent) as CachedVeoJob;
    expect(isSentJob(sent, parsed)).toBe(true);
    expect(isSentJob(sent, { ...parsed, mode: 'other' })).toBe(false);
    expect(isSentJob(sent, { ...parsed, data: { ...parsed.data, extra: 1 } })).toBe(false);
    expect(isSentJob(sent, { ...parsed, error: { code: 1 } })).toBe(false);
    // A key JSON.parse keeps but an object literal cannot: stored the server's way.
    const proto = JSON.parse(
      jobToJson(job).replace('"data":{', '"data":{"__proto__":{"x":1},'),
    ) as unknown;
    expect(isSentJob(proto, jobInputSchema.parse(proto) as CachedVeoJob)).toBe(false);
  });
});
