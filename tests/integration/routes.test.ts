import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as collection from '@/app/api/veo/jobs/route';
import * as item from '@/app/api/veo/jobs/[jobId]/route';
import { closeJobStore } from '@/lib/server/store-instance';
import { jobListResponseSchema, upsertResponseSchema } from '@/lib/shared/api-types';
import { fromPeer } from '../support/peer';

/** A request from this machine, as scripts/serve.js hands it on (local mode answers only those). */
const local = () => ({ ...fromPeer('127.0.0.1'), host: 'localhost' });

/**
 * The route modules as Next.js loads them, on the store the environment chooses: with no
 * Cloudflare variables, wrangler's getPlatformProxy() and Miniflare's D1 persisted on disk.
 */
describe('app/api/veo/jobs routes on the embedded local D1', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'veo-sync-d1-'));
    for (const name of [
      'CLOUDFLARE_ACCOUNT_ID',
      'CLOUDFLARE_D1_DATABASE_ID',
      'CLOUDFLARE_D1_API_TOKEN',
    ]) {
      delete process.env[name];
    }
    process.env.VEO_LOCAL_D1_PERSIST_DIR = dir;
  });
  afterAll(async () => {
    await closeJobStore();
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  });

  const params = (jobId: string) => ({ params: Promise.resolve({ jobId }) });

  it('applies the migrations on first use, stores a job, and still has it after a restart', async () => {
    const now = Date.now();
    const body = JSON.stringify({
      jobId: 'persisted',
      createdAt: new Date(now).toISOString(),
      updatedAt: now,
      data: { scenes: [{ prompt: 'kept on disk' }] },
    });
    const put = await item.PUT(
      new Request('http://localhost/api/veo/jobs/persisted', {
        method: 'PUT',
        headers: { ...local(), 'content-type': 'application/json', 'idempotency-key': 'op-1' },
        body,
      }),
      params('persisted'),
    );
    expect(put.status).toBe(200);
    expect(upsertResponseSchema.parse(await put.json()).applied).toBe(true);

    await closeJobStore();

    const list = await collection.GET(
      new Request('http://localhost/api/veo/jobs', { headers: local() }),
    );
    expect(list.status).toBe(200);
    expect(jobListResponseSchema.parse(await list.json()).jobs.map((j) => j.jobId)).toEqual([
      'persisted',
    ]);
    const get = await item.GET(
      new Request('http://localhost/api/veo/jobs/persisted', { headers: local() }),
      params('persisted'),
    );
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({
      job: { data: { scenes: [{ prompt: 'kept on disk' }] } },
    });
  });

  it('answers a method the route does not serve with a JSON 405', async () => {
    const response = collection.POST();
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
  });
});
