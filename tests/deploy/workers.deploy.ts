import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobListResponseSchema } from '@/lib/shared/api-types';
import { parseJobBundle } from '@/lib/shared/job-bundle';
import { freePort } from '../e2e/support/app-server';
import { jobFor, launchChromium, openApp } from '../e2e/support/browser';

const KEY = 'the workers test access key';

/**
 * The app built for Cloudflare Workers with OpenNext (`bash scripts/workers.sh build`, run by
 * `npm run test:deploy`), started on workerd with `wrangler dev --local` and a fresh local D1
 * behind the `DB` binding: the jobs API answers as it does on Node, the pages and the service
 * worker are served as static assets, and Chromium saves, goes offline and syncs against it.
 */
describe('the Cloudflare Workers build', () => {
  let worker: ChildProcess;
  let output = '';
  let origin: string;
  let state: string;
  let coldStartMs: number;
  let cookie: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(path.join('.open-next', 'worker.js'))) {
      execFileSync('bash', ['scripts/workers.sh', 'build'], { stdio: 'inherit' });
    }
    state = mkdtempSync(path.join(tmpdir(), 'veo-workers-d1-'));
    execFileSync('bash', ['scripts/workers.sh', 'migrate-local', '--persist-to', state], {
      stdio: 'ignore',
    });
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const started = performance.now();
    worker = spawn(
      'bash',
      [
        'scripts/workers.sh',
        'dev',
        String(port),
        '--persist-to',
        state,
        '--var',
        `VEO_ACCESS_KEY:${KEY}`,
        '--var',
        'VEO_CLIENT_IP_HEADER:cf-connecting-ip',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    worker.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (worker.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
      const answer = await fetch(`${origin}/api/veo/session`).catch(() => undefined);
      if (answer?.ok) break;
      if (Date.now() > deadline)
        throw new Error(`the Worker did not answer within 90 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    coldStartMs = performance.now() - started;
    const signIn = await fetch(`${origin}/api/veo/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY }),
    });
    expect(signIn.status).toBe(200);
    cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (worker?.pid !== undefined && worker.exitCode === null) {
      process.kill(-worker.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
    }
    if (state) rmSync(state, { recursive: true, force: true });
  });

  const api = (route: string, init: RequestInit = {}) =>
    fetch(`${origin}${route}`, {
      ...init,
      headers: { cookie, ...(init.headers as Record<string, string> | undefined) },
    });

  it('answers the jobs API on the D1 binding, behind sign-in, and serves the app', async () => {
    console.log(
      `[deploy] wrangler dev, cold, to the Worker's first answer: ${coldStartMs.toFixed(0)} ms`,
    );
    expect(output).toContain('veo-sync store: the D1 binding DB (Cloudflare Workers)');
    expect((await fetch(`${origin}/api/veo/jobs`)).status).toBe(401);

    const at = Date.now();
    const put = (jobId: string, prompt: string, opId: string) =>
      api(`/api/veo/jobs/${jobId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'idempotency-key': opId },
        body: JSON.stringify({
          jobId,
          createdAt: new Date(at).toISOString(),
          updatedAt: at,
          data: { scenes: [{ prompt }] },
        }),
      });
    expect((await put('w-1', 'on workers', 'op-w-1')).status).toBe(200);
    const replay = await put('w-1', 'on workers', 'op-w-1');
    expect(((await replay.json()) as { applied: boolean }).applied).toBe(true);
    expect((await put('w-1', 'another body', 'op-w-1')).status).toBe(409);

    const list = jobListResponseSchema.parse(await (await api('/api/veo/jobs')).json());
    expect(list.jobs.map((j) => j.jobId)).toContain('w-1');
    // Node's fetch inflates the gzip the runtime sends.
    const item = (await (await api('/api/veo/jobs/w-1')).json()) as { job: { data: unknown } };
    expect(item.job.data).toEqual({ scenes: [{ prompt: 'on workers' }] });
    const bundle = parseJobBundle(
      new Uint8Array(await (await api('/api/veo/job-data?ids=w-1,gone')).arrayBuffer()),
    );
    expect(bundle.index).toMatchObject({ missing: ['gone'] });
    expect(bundle.index.jobs.map((j) => j.job.jobId)).toEqual(['w-1']);

    const bad = await api('/api/veo/jobs/w-2', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"jobId": "w-2", "data": 3',
    });
    expect(bad.status).toBe(400);
    const changes = (await (await api(`/api/veo/jobs?since=${list.cursor}`)).json()) as {
      jobs: unknown[];
    };
    expect(changes.jobs).toEqual([]);

    expect((await api('/api/veo/jobs/w-1', { method: 'DELETE' })).status).toBe(200);
    expect((await api('/api/veo/jobs/w-1')).status).toBe(404);
    // Clear-all: what exists now goes.
    expect((await put('w-3', 'to be cleared', 'op-w-3')).status).toBe(200);
    expect((await api('/api/veo/jobs', { method: 'DELETE' })).status).toBe(200);
    const cleared = jobListResponseSchema.parse(await (await api('/api/veo/jobs')).json());
    expect(cleared.jobs.map((j) => j.jobId)).not.toContain('w-3');

    const page = await fetch(`${origin}/veo`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('VEO job history');
    expect((await fetch(`${origin}/sw.js`)).status).toBe(200);
  });

  it('saves, works offline and syncs in Chromium against the Worker', async () => {
    browser = await launchChromium();
    const context: BrowserContext = await browser.newContext();
    await context.addCookies(
      cookie.split('; ').map((pair) => {
        const [name, ...value] = pair.split('=');
        return { name: name!, value: value.join('='), url: origin };
      }),
    );
    const page = await openApp(context, origin);
    const save = (id: string) =>
      page.evaluate(([jobId, job]) => globalThis.veoCache!.setCachedJob(jobId, job), [
        id,
        jobFor(id),
      ] as const);
    const serverIds = async () =>
      jobListResponseSchema
        .parse(await (await api('/api/veo/jobs')).json())
        .jobs.map((j) => j.jobId);

    await save('browser-online');
    await expect.poll(serverIds, { timeout: 15_000 }).toContain('browser-online');
    await context.setOffline(true);
    await save('browser-offline');
    await page.reload();
    await page.locator('[data-job-id="browser-offline"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-job-id="browser-online"]').waitFor();
    await context.setOffline(false);
    await expect.poll(serverIds, { timeout: 20_000 }).toContain('browser-offline');
    await context.close();
    // Signing out ends the session on the Worker: its cookie opens nothing any more.
    expect((await api('/api/veo/session', { method: 'DELETE' })).status).toBe(200);
    expect((await api('/api/veo/jobs')).status).toBe(401);
  });
});
