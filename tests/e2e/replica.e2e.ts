import { describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import { openApp, whenRowAppears } from './support/browser';
import { useChromium } from './support/use-chromium';

/**
 * A replica, not a cache, in Chromium on the production build: a second device holds every job
 * without opening any, keeps an edited job readable at every moment, and a write sent with a
 * plain `fetch` through the worker reaches every tab at once.
 */
describe('the device holds a full replica', () => {
  const chromiumForTests = useChromium();
  const baseUrl = inject('baseUrl');
  let n = 0;
  const uniqueId = (name: string) => `${name}-${++n}-${Date.now()}`;

  const list = (page: Page) =>
    page.evaluate(async () =>
      (await globalThis.veoCache!.getCachedJobList()).map((j) => ({
        jobId: j.jobId,
        onDevice: (j as { onDevice?: string }).onDevice,
      })),
    );

  const firstPrompt = (page: Page, jobId: string) =>
    page.evaluate(async (id) => {
      const job = (await globalThis.veoCache!.getCachedJob(id)) as {
        data: { scenes: { prompt: string }[] };
      } | null;
      return job?.data.scenes[0]?.prompt ?? null;
    }, jobId);

  it('opens every job offline on a second device that was online for seconds, and an edited one at every moment', async () => {
    const deviceA = await chromiumForTests.newContext();
    const a = await openApp(deviceA, baseUrl);
    // Six jobs of ~300 KB each, saved on A and on the server.
    const jobs = Array.from({ length: 6 }, (_, i) =>
      generateSampleJobInput({ jobId: uniqueId('replica'), sceneCount: 20, seed: 100 + i }),
    );
    for (const job of jobs) {
      const plain = job as unknown as Record<string, unknown>;
      await a.evaluate(([id, j]) => globalThis.veoCache!.setCachedJob(id, j), [
        job.jobId,
        plain,
      ] as const);
    }
    const ids = jobs.map((j) => j.jobId);
    await expect
      .poll(async () => await a.evaluate(() => globalThis.veoCache!.syncStatus.get().pending), {
        timeout: 15_000,
      })
      .toBe(0);

    // B: a new device, online for at most 20 s, never opening anything.
    const deviceB = await chromiumForTests.newContext();
    const started = Date.now();
    const b = await openApp(deviceB, baseUrl);
    await expect
      .poll(
        async () => {
          const onB = new Map((await list(b)).map((j) => [j.jobId, j.onDevice]));
          return ids.every((id) => onB.get(id) === 'current');
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true);
    console.log(
      `[e2e] six ~300 KB jobs on the second device ${Date.now() - started} ms after it opened`,
    );
    await b.getByTestId('storage-line').waitFor();
    await deviceB.setOffline(true);
    for (const job of jobs) {
      expect(await firstPrompt(b, job.jobId)).toBe(
        (job.data.scenes as { prompt: string }[])[0]!.prompt,
      );
    }
    // And through the page, as a person opens it.
    await b.locator(`[data-job-id="${ids[0]}"] button`, { hasText: 'Open' }).click();
    await b.locator('.job-view').waitFor({ timeout: 5_000 });
    await deviceB.setOffline(false);

    // A edits one job; B opens it offline at every moment: the old version, then the new one.
    const edited = ids[2]!;
    const oldPrompt = (jobs[2]!.data.scenes as { prompt: string }[])[0]!.prompt;
    const edit = {
      ...jobs[2]!,
      data: { scenes: [{ prompt: 'the edited prompt' }] },
    } as unknown as Record<string, unknown>;
    await a.evaluate(([id, job]) => globalThis.veoCache!.setCachedJob(id, job), [
      edited,
      edit,
    ] as const);
    const editedAt = Date.now();
    const seen: string[] = [];
    for (;;) {
      await deviceB.setOffline(true);
      const prompt = await firstPrompt(b, edited);
      seen.push(
        prompt === 'the edited prompt' ? 'new' : prompt === oldPrompt ? 'old' : String(prompt),
      );
      await deviceB.setOffline(false);
      if (prompt === 'the edited prompt') break;
      if (Date.now() - editedAt > 20_000) break;
      // Online for a moment: B pulls when it is visible again, or on its interval.
      await b.evaluate(() => globalThis.veoCache!.syncNow());
    }
    console.log(
      `[e2e] the edit opened offline on the other device after ${Date.now() - editedAt} ms (${seen.join(', ')})`,
    );
    expect(seen.at(-1)).toBe('new');
    expect(seen.every((s) => s === 'old' || s === 'new')).toBe(true);
  });

  it('announces a plain-fetch PUT through the worker to another tab at once, with no pull', async () => {
    const context = await chromiumForTests.newContext();
    const writer = await openApp(context, baseUrl);
    const watcher = await openApp(context, baseUrl);
    const id = uniqueId('plain-put');
    const pulls: string[] = [];
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/veo/jobs' && request.method() === 'GET') pulls.push(url.search);
    });
    const appeared = whenRowAppears(watcher, id);
    const sentAt = await writer.evaluate(async (jobId) => {
      const at = performance.timeOrigin + performance.now();
      const response = await fetch(`/api/veo/jobs/${jobId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jobId,
          createdAt: new Date().toISOString(),
          updatedAt: Date.now(),
          data: { scenes: [{ prompt: `plain ${jobId}` }] },
        }),
      });
      if (response.status !== 200) throw new Error(`PUT answered ${response.status}`);
      return { at, answeredAt: performance.timeOrigin + performance.now() };
    }, id);
    const shownAt = await appeared;
    console.log(
      `[e2e] a plain-fetch PUT was on screen in another tab ${Math.round(shownAt - sentAt.at)} ms after it was sent, ${Math.round(shownAt - sentAt.answeredAt)} ms from its answer (${pulls.length} pull(s) tried, all refused)`,
    );
    // The worker stored what the caller sent: it opens offline in the other tab.
    await context.setOffline(true);
    expect(await firstPrompt(watcher, id)).toBe(`plain ${id}`);
  });
});
