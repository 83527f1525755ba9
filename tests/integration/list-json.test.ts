import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptJobError, createJobStore } from '@/lib/server/job-store';
import { jobInputSchema } from '@/lib/shared/job-schema';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { formatVersion } from '@/lib/shared/version';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';

const T0 = Date.now() - 60_000;

/**
 * The list answer is made from SQLite's JSON of each row (listJobsJson) rather than from an
 * object per job: it must be exactly what serialising the store's own reading of the rows gives.
 */
describe('the list as JSON made by SQLite', () => {
  let d1: TestD1;
  beforeAll(async () => {
    d1 = await createTestD1();
  });
  afterAll(async () => {
    await d1.dispose();
  });

  it('is byte for byte JSON.stringify of each job as the store reads it', async () => {
    const store = createJobStore(d1.executor);
    const odd = [
      { videoId: 'quote " backslash \\ slash /', videoUrl: 'tab\tnew line\nnul\u0000 bell\u0007' },
      { videoId: 'émoji 🎬 and ✓', mode: 'scripted', voice: 'warm', hasScript: false },
      { error: { code: 'E_STEP', message: 'scene 3 failed', detail: [1, 2.5, null, true] } },
      { error: 'plain text error', status: 'error' as const },
      { error: null, charactersFound: 0, sceneCount: 0 },
    ];
    for (const [i, fields] of odd.entries()) {
      const job = {
        ...generateSampleJob({ jobId: `odd-${i}`, sceneCount: 1, seed: i, updatedAt: T0 + i }),
        ...fields,
        expiresAt: undefined,
        version: formatVersion(T0 + i, 0, 'device'),
      };
      await store.upsertJob(jobInputSchema.parse(job), `op-odd-${i}`);
    }
    // An error stored by the plan's app that is not JSON at all.
    await d1.executor.batch([
      { sql: "UPDATE veo_jobs SET error_json = '{not json' WHERE job_id = 'odd-4'", params: [] },
    ]);
    const text = await store.listJobsJson();
    const list = JSON.parse(text) as { jobs: { jobId: string }[]; cursor: string };
    expect(list.jobs.map((j) => j.jobId)).toEqual(['odd-4', 'odd-3', 'odd-2', 'odd-1', 'odd-0']);
    const read = await Promise.all(list.jobs.map((j) => store.getJob(j.jobId)));
    const expected = JSON.stringify({ jobs: read.map((r) => r!.info), cursor: list.cursor });
    expect(text).toBe(expected);
    expect(list.jobs[0]).toMatchObject({ error: '{not json' });
    expect(await store.listJobs()).toEqual(JSON.parse(expected));
  });

  it('refuses a row that does not match the job schema, as every read does', async () => {
    const store = createJobStore(d1.executor);
    await d1.executor.batch([
      { sql: "UPDATE veo_jobs SET status = 'exploded' WHERE job_id = 'odd-0'", params: [] },
    ]);
    await expect(store.listJobsJson()).rejects.toThrow(CorruptJobError);
    await expect(store.getJob('odd-0')).rejects.toThrow(CorruptJobError);
  });
});
