import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { D1Executor } from '@/lib/server/d1/executor';
import { createJobStore } from '@/lib/server/job-store';
import { jobInputSchema } from '@/lib/shared/job-schema';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';

const T0 = Date.now() - 60_000;

describe('what a write costs in D1 rows does not grow with the writes before it', () => {
  let d1: TestD1;
  beforeAll(async () => {
    d1 = await createTestD1();
  });
  afterAll(async () => {
    await d1.dispose();
  });

  it('reads about as many rows on the 400th write as on the 10th (op records are indexed by expiry)', async () => {
    let rowsRead = 0;
    const metered: D1Executor = {
      async batch(statements) {
        const results = await d1.executor.batch(statements);
        rowsRead = results.reduce((n, r) => n + r.rowsRead, 0);
        return results;
      },
    };
    const store = createJobStore(metered);
    const write = (i: number) =>
      store.upsertJob(
        jobInputSchema.parse({
          ...generateSampleJob({ jobId: `j${i % 10}`, sceneCount: 1, seed: i, updatedAt: T0 + i }),
          expiresAt: undefined,
        }),
        `op-${i}`,
      );
    for (let i = 0; i < 10; i++) await write(i);
    const early = rowsRead;
    for (let i = 10; i < 400; i++) await write(i);
    // Each write also removes expired op records: that must not read every op kept (400 here).
    expect(rowsRead).toBeLessThanOrEqual(early + 5);
  });
});
