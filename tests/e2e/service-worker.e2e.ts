import { describe, expect, inject, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { jobFor, openApp, whenRowAppears } from './support/browser';
import { useChromium } from './support/use-chromium';
import { lastVersionAt } from '@/lib/shared/version';

/**
 * The service worker in real Chromium, against the production build on the embedded local D1:
 * Background Sync replay, offline answers, the precached shell, messages between tabs, and a
 * worker stopped or replaced in the middle of a drain.
 */
describe('service worker', () => {
  const chromiumForTests = useChromium();
  const baseUrl = inject('baseUrl');
  const newContext = () => chromiumForTests.newContext();

  let n = 0;
  const uniqueId = (name: string) => `${name}-${++n}-${Date.now()}`;

  async function serverJobIds(): Promise<string[]> {
    const body = (await (await fetch(`${baseUrl}/api/veo/jobs`)).json()) as {
      jobs: { jobId: string }[];
    };
    return body.jobs.map((j) => j.jobId);
  }

  async function serverJob(
    jobId: string,
  ): Promise<{ job: { videoId: string; data: unknown } | null }> {
    return (await (await fetch(`${baseUrl}/api/veo/jobs/${jobId}`)).json()) as {
      job: { videoId: string; data: unknown } | null;
    };
  }

  const save = (page: Page, jobId: string, extra: Record<string, unknown> = {}) =>
    page.evaluate(([id, job]) => globalThis.veoCache!.setCachedJob(id, job), [
      jobId,
      jobFor(jobId, extra),
    ] as const);

  const pending = (page: Page) =>
    page.evaluate(() => globalThis.veoCache!.syncStatus.get().pending);

  it('replays an offline write with Background Sync when the network returns, with no page open; another device then sees it', async () => {
    const context = await newContext();
    const page = await openApp(context, baseUrl);
    const id = uniqueId('bg-sync');
    await context.setOffline(true);
    await save(page, id);
    expect(await serverJobIds()).not.toContain(id);
    await page.close();

    const reconnected = Date.now();
    await context.setOffline(false);
    await expect.poll(serverJobIds, { timeout: 15_000, interval: 25 }).toContain(id);
    console.log(
      `[e2e] Background Sync delivered ${Date.now() - reconnected} ms after reconnecting (no page open)`,
    );

    const otherDevice = await newContext();
    const other = await openApp(otherDevice, baseUrl);
    await other.locator(`[data-job-id="${id}"]`).waitFor({ timeout: 10_000 });
    // Its data is fetched when opened: the stored gzip, through the real server.
    await other.locator(`[data-job-id="${id}"] button`, { hasText: 'Open' }).click();
    await other.getByText(`a prompt for ${id}`).waitFor({ timeout: 5_000 });
  });

  it('loads the job list and an opened job offline, after a full reload, from the worker', async () => {
    const context = await newContext();
    const page = await openApp(context, baseUrl);
    const id = uniqueId('offline-reload');
    await save(page, id);
    await page.locator(`[data-job-id="${id}"]`).waitFor();
    await context.setOffline(true);
    const hydrationErrors: string[] = [];
    page.on('console', (message) => {
      if (/hydrat|did not match/i.test(message.text())) hydrationErrors.push(message.text());
    });
    page.on('pageerror', (error) => hydrationErrors.push(error.message));
    // Where the row first came from: the HTML the worker served (the document still loading,
    // none of the app's code run yet) or the app's own render.
    await page.addInitScript((jobId) => {
      new MutationObserver((_, observer) => {
        if (!document.querySelector(`[data-job-id="${jobId}"]`)) return;
        observer.disconnect();
        (globalThis as { rowFirstSeen?: unknown }).rowFirstSeen = {
          readyState: document.readyState,
          appStarted: globalThis.veoCache !== undefined,
          inert: document.querySelector(`[data-job-id="${jobId}"]`)?.closest('[inert]') !== null,
        };
      }).observe(document, { childList: true, subtree: true });
    }, id);
    await page.reload();
    await page.locator(`[data-job-id="${id}"]`).waitFor({ timeout: 5_000 });
    expect(
      await page.evaluate(() => (globalThis as { rowFirstSeen?: unknown }).rowFirstSeen),
    ).toEqual({ readyState: 'loading', appStarted: false, inert: true });
    // The app has taken over: the live row, interactive, and no hydration error on the way.
    await page.locator(`.job-list [data-job-id="${id}"]`).waitFor();
    expect(await page.locator('.early-rows').count()).toBe(0);
    expect(hydrationErrors).toEqual([]);
    await page.locator(`[data-job-id="${id}"] button`, { hasText: 'Open' }).click();
    await page.getByText(`a prompt for ${id}`).waitFor({ timeout: 5_000 });

    // Any other address falls back to the shell.
    await page.goto(`${baseUrl}/`);
    await page.locator(`[data-job-id="${id}"]`).waitFor({ timeout: 5_000 });
    expect(new URL(page.url()).pathname).toBe('/veo');

    // Other callers of the API get the replica, marked as such, while offline.
    const answer = await page.evaluate(async (jobId) => {
      const list = await fetch('/api/veo/jobs');
      const job = await fetch(`/api/veo/jobs/${jobId}`);
      return {
        listStatus: list.status,
        listSource: list.headers.get('x-veo-source'),
        ids: ((await list.json()) as { jobs: { jobId: string }[] }).jobs.map((j) => j.jobId),
        jobSource: job.headers.get('x-veo-source'),
        prompt: ((await job.json()) as { job: { data: { scenes: { prompt: string }[] } } }).job.data
          .scenes[0]?.prompt,
      };
    }, id);
    expect(answer).toMatchObject({
      listStatus: 200,
      listSource: 'replica',
      jobSource: 'replica',
      prompt: `a prompt for ${id}`,
    });
    expect(answer.ids).toContain(id);
  });

  it('queues a write sent with plain fetch while offline (202) and delivers it later', async () => {
    const context = await newContext();
    const page = await openApp(context, baseUrl);
    const id = uniqueId('fetch-put');
    await context.setOffline(true);
    const status = await page.evaluate(async (job) => {
      const response = await fetch(`/api/veo/jobs/${String(job.jobId)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ...job,
          createdAt: new Date().toISOString(),
          updatedAt: Date.now(),
        }),
      });
      return { status: response.status, source: response.headers.get('x-veo-source') };
    }, jobFor(id));
    expect(status).toEqual({ status: 202, source: 'replica' });
    const mismatch = await page.evaluate(async (job) => {
      const response = await fetch('/api/veo/jobs/some-other-id', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(job),
      });
      return response.status;
    }, jobFor(id));
    expect(mismatch).toBe(400);
    await context.setOffline(false);
    await expect.poll(serverJobIds, { timeout: 15_000 }).toContain(id);

    // A DELETE sent offline keeps the caller's Idempotency-Key and time when it is replayed.
    const deletes: { key: string | undefined; url: string }[] = [];
    await context.route(`**/api/veo/jobs/${id}**`, async (route) => {
      if (route.request().method() === 'DELETE') {
        deletes.push({
          key: route.request().headers()['idempotency-key'],
          url: route.request().url(),
        });
      }
      await route.continue();
    });
    await context.setOffline(true);
    const at = Date.now() + 1000;
    const queued = await page.evaluate(
      async ([jobId, when]) =>
        (
          await fetch(`/api/veo/jobs/${jobId}?at=${when}`, {
            method: 'DELETE',
            headers: { 'idempotency-key': 'caller-op-1' },
          })
        ).status,
      [id, at] as const,
    );
    expect(queued).toBe(202);
    await context.setOffline(false);
    await expect.poll(serverJobIds, { timeout: 15_000 }).not.toContain(id);
    expect(deletes.at(-1)?.key).toBe('caller-op-1');
    // The caller's "unless updated after `at`": every version up to the end of that millisecond.
    expect(deletes.at(-1)?.url).toContain(`seen=${lastVersionAt(at)}`);
  });

  it('tells another tab about a write through the worker, within milliseconds', async () => {
    const context = await newContext();
    const writer = await openApp(context, baseUrl);
    const reader = await openApp(context, baseUrl);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = uniqueId('two-tabs');
      const seen = whenRowAppears(reader, id);
      const savedAt = await writer.evaluate(
        ([jobId, job]) => {
          const startedAt = performance.timeOrigin + performance.now();
          void globalThis.veoCache!.setCachedJob(jobId, job);
          return startedAt;
        },
        [id, jobFor(id)] as const,
      );
      delays.push((await seen) - savedAt);
    }
    delays.sort((a, b) => a - b);
    console.log(
      `[e2e] a save started in one tab is on screen in the other after ${delays.map((d) => d.toFixed(0)).join(', ')} ms (median ${delays[2]?.toFixed(0)})`,
    );
    expect(delays).toHaveLength(5);
  });

  /** Holds the first PUT of `jobId` from the worker until released; later ones pass. */
  async function holdFirstPut(context: BrowserContext, jobId: string) {
    const keys: string[] = [];
    let held: Route | undefined;
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    await context.route(`**/api/veo/jobs/${jobId}`, async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (!held) {
        held = route;
        arrived();
        return;
      }
      await route.continue();
    });
    return {
      keys,
      arrival,
      release: async () => {
        await held?.continue().catch(() => undefined);
      },
    };
  }

  async function stopWorker(page: Page): Promise<void> {
    const cdp = await page.context().newCDPSession(page);
    const versions: string[] = [];
    cdp.on(
      'ServiceWorker.workerVersionUpdated',
      (event: { versions: { versionId: string; runningStatus: string }[] }) => {
        for (const v of event.versions)
          if (v.runningStatus === 'running') versions.push(v.versionId);
      },
    );
    await cdp.send('ServiceWorker.enable');
    await expect.poll(() => versions.length).toBeGreaterThan(0);
    for (const versionId of new Set(versions))
      await cdp.send('ServiceWorker.stopWorker', { versionId });
    await cdp.detach();
  }

  it('loses no op and applies none twice when the worker is stopped mid-drain', async () => {
    const context = await newContext();
    const page = await openApp(context, baseUrl);
    const id = uniqueId('stopped');
    const gate = await holdFirstPut(context, id);
    await save(page, id, { videoId: 'survives a stopped worker' });
    await gate.arrival;
    await stopWorker(page);
    // The held request reaches the server after its worker died: applied, answer lost.
    await gate.release();
    await page.evaluate(() => globalThis.veoCache!.syncNow());
    await expect.poll(() => pending(page), { timeout: 15_000 }).toBe(0);
    expect(gate.keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(gate.keys).size).toBe(1); // every attempt was the same op
    expect((await serverJob(id)).job?.videoId).toBe('survives a stopped worker');
    expect((await serverJobIds()).filter((j) => j === id)).toHaveLength(1);
  });

  it('shows that an update is ready, activates it on request, and loses no op during the switch', async () => {
    const context = await newContext();
    const page = await openApp(context, baseUrl);
    const id = uniqueId('update');
    const gate = await holdFirstPut(context, id);
    await save(page, id, { videoId: 'survives an update' });
    await gate.arrival;
    // A new deployment: the server now has another version of the worker.
    const swFile = path.join(process.cwd(), 'public', 'sw.js');
    const original = await readFile(swFile, 'utf8');
    await writeFile(swFile, `${original}\n// the next version\n`);
    try {
      await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        await registration.update();
      });
      await page.getByText('A new version is ready.').waitFor({ timeout: 15_000 });
      const reloaded = page.waitForEvent('load');
      await page.getByRole('button', { name: 'Reload to update' }).click();
      await reloaded;
    } finally {
      await writeFile(swFile, original);
    }
    await gate.release();
    await page.waitForFunction(() => globalThis.veoCache !== undefined);
    await page.evaluate(() => globalThis.veoCache!.syncNow());
    await expect.poll(() => pending(page), { timeout: 15_000 }).toBe(0);
    expect(new Set(gate.keys).size).toBe(1);
    expect((await serverJob(id)).job?.videoId).toBe('survives an update');
  });

  it('still delivers on `online` in a browser without Background Sync', async () => {
    const context = await newContext();
    await context.addInitScript(() => {
      delete (ServiceWorkerRegistration.prototype as { sync?: unknown }).sync;
    });
    const page = await openApp(context, baseUrl);
    expect(await page.evaluate(async () => 'sync' in (await navigator.serviceWorker.ready))).toBe(
      false,
    );
    const id = uniqueId('no-bg-sync');
    await context.setOffline(true);
    await save(page, id);
    await context.setOffline(false);
    await expect.poll(serverJobIds, { timeout: 15_000 }).toContain(id);
  });

  it('shows the list while the API hangs', async () => {
    const context = await newContext();
    const page = await openApp(context, baseUrl);
    const id = uniqueId('hanging');
    await save(page, id);
    await page.evaluate(() => globalThis.veoCache!.syncNow());
    let hung = 0;
    await context.route('**/api/veo/jobs**', () => {
      hung++; // never answered
    });
    await page.addInitScript((jobId) => {
      new MutationObserver((_, observer) => {
        if (document.querySelector(`[data-job-id="${jobId}"]`)) {
          (globalThis as { listShownAt?: number }).listShownAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    }, id);
    await page.reload();
    await page.locator(`[data-job-id="${id}"]`).waitFor({ timeout: 5_000 });
    const timing = await page.evaluate(() => ({
      listShownAt: (globalThis as { listShownAt?: number }).listShownAt ?? NaN,
      domContentLoaded:
        performance.getEntriesByType('navigation')[0] instanceof PerformanceNavigationTiming
          ? (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
              .domContentLoadedEventEnd
          : NaN,
    }));
    console.log(
      `[e2e] with the API hanging, the list was on screen ${timing.listShownAt.toFixed(0)} ms after navigation start (DOMContentLoaded at ${timing.domContentLoaded.toFixed(0)} ms)`,
    );
    expect(Number.isFinite(timing.listShownAt)).toBe(true);
    // The page's pull is stuck on the hanging API, and the list stays on screen regardless.
    await expect.poll(() => hung, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator(`[data-job-id="${id}"]`).isVisible()).toBe(true);
  });
});
