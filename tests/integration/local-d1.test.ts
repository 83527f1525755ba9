import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { D1Database } from '@cloudflare/workers-types';
import { getPlatformProxy } from 'wrangler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindingExecutor } from '@/lib/server/d1/binding';
import { startLocalD1 } from '@/lib/server/d1/local';
import { readMigrations } from '@/lib/server/d1/migrations';
import { createJobStore } from '@/lib/server/job-store';
import { jobInputSchema } from '@/lib/shared/job-schema';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { formatVersion } from '@/lib/shared/version';

const T0 = Date.now() - 60_000;
const input = (jobId: string, wall: number) =>
  jobInputSchema.parse({
    ...generateSampleJob({ jobId, sceneCount: 2, seed: wall % 100, updatedAt: wall }),
    expiresAt: undefined,
    version: formatVersion(wall, 0, 'device'),
  });

/**
 * The embedded database (`npm start` without Cloudflare credentials): Miniflare's D1 reached
 * through a worker inside workerd, on the files wrangler's own local commands and
 * getPlatformProxy() use.
 */
describe('the embedded database', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'veo-local-d1-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the migrations, and keeps the same database as getPlatformProxy() both ways', async () => {
    const local = await startLocalD1(dir);
    try {
      const store = createJobStore(local.executor);
      expect((await store.upsertJob(input('ours', T0), 'op-ours')).applied).toBe(true);
      const [applied] = await local.executor.batch([
        { sql: 'SELECT name FROM d1_migrations ORDER BY id', params: [] },
      ]);
      expect(applied?.rows.map((r) => r.name)).toEqual((await readMigrations()).map((m) => m.name));
    } finally {
      await local.dispose();
    }

    // wrangler's binding on the same folder sees the job, and writes one of its own.
    const proxy = await getPlatformProxy<{ DB: D1Database }>({
      configPath: 'wrangler.toml',
      persist: { path: dir },
    });
    try {
      const theirs = createJobStore(bindingExecutor(proxy.env.DB));
      expect((await theirs.getJob('ours'))?.info.version).toBe(formatVersion(T0, 0, 'device'));
      await theirs.upsertJob(input('theirs', T0 + 1), 'op-theirs');
    } finally {
      await proxy.dispose();
    }

    const again = await startLocalD1(dir);
    try {
      const store = createJobStore(again.executor);
      expect((await store.listJobs()).jobs.map((j) => j.jobId).sort()).toEqual(['ours', 'theirs']);
    } finally {
      await again.dispose();
    }
  }, 60_000);

  it('runs many batches at once, each its own request', async () => {
    const local = await startLocalD1(dir);
    try {
      const store = createJobStore(local.executor);
      // 40 writes in flight at once: each is one asynchronous request; all are stored.
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.upsertJob(input(`many-${i}`, T0 + 10 + i), `op-many-${i}`),
        ),
      );
      const listed = (await store.listJobs()).jobs.filter((j) => j.jobId.startsWith('many-'));
      expect(listed).toHaveLength(40);
    } finally {
      await local.dispose();
    }
  }, 60_000);
});
