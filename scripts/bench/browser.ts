/**
 * Chromium benchmarks, side by side with what a user would otherwise have: the original plan's
 * design (fetch with a 5 s timeout, then localStorage). Runs the production build (built here
 * if missing) in Debian's Chromium; medians of several runs.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import { startAppServer } from '../../tests/e2e/support/app-server';
import {
  CHROMIUM_PATH,
  launchChromium,
  openApp,
  whenRowAppears,
} from '../../tests/e2e/support/browser';
import { bytes, median, ms, table } from './stats';

const RUNS = 7;
const JOBS = 200;

/** Records when `count` job rows are on screen, from navigation start (ms). */
function watchRows(count: number) {
  new MutationObserver((_, observer) => {
    if (document.querySelectorAll('li.job').length >= count) {
      (globalThis as { rowsShownAt?: number }).rowsShownAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
}

/** When the rows were on screen, from navigation start, and from hydration where marked (ms). */
async function timeToRows(
  page: Page,
  url: string,
): Promise<{ shown: number; afterHydration: number }> {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(
    () => (globalThis as { rowsShownAt?: number }).rowsShownAt !== undefined,
    undefined,
    { timeout: 30_000 },
  );
  return page.evaluate(() => {
    const shown = (globalThis as { rowsShownAt?: number }).rowsShownAt ?? NaN;
    const hydrated = performance.getEntriesByName('veo:hydrated')[0]?.startTime ?? NaN;
    return { shown, afterHydration: shown - hydrated };
  });
}

/**
 * The original plan's history page, reduced to what decides its speed: `getCachedJobList()` as
 * the plan writes it (GET /api/veo/jobs with a 5 s AbortController timeout, then the
 * localStorage fallback), then the list rendered.
 */
const PLAN_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>plan</title></head><body><ul id="jobs"></ul>
<script>
async function getCachedJobList() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const response = await fetch('/api/veo/jobs', { signal: controller.signal });
    return (await response.json()).jobs;
  } catch {
    const jobs = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key.startsWith('veo_job_')) jobs.push(JSON.parse(localStorage.getItem(key)));
    }
    return jobs.sort((a, b) => b.updatedAt - a.updatedAt);
  } finally {
    clearTimeout(timer);
  }
}
async function setCachedJob(id, job) {
  const body = JSON.stringify(job);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const response = await fetch('/api/veo/jobs/' + id, { method: 'PUT', body, signal: controller.signal, headers: { 'content-type': 'application/json' } });
    if (!response.ok) throw new Error('HTTP ' + response.status);
  } catch {
    localStorage.setItem('veo_job_' + id, body);
  } finally {
    clearTimeout(timer);
  }
}
window.plan = { getCachedJobList, setCachedJob };
getCachedJobList().then((jobs) => {
  document.getElementById('jobs').innerHTML = jobs.map((j) => '<li class="job">' + j.jobId + '</li>').join('');
});
</script></body></html>`;

/** Times the plan's setCachedJob of `job` in its page; an exception is reported, not thrown. */
function timePlanSave(
  plan: Page,
  job: Record<string, unknown>,
): Promise<{ took: number; error: string | null }> {
  return plan.evaluate(async (value) => {
    const start = performance.now();
    try {
      await (
        globalThis as unknown as { plan: { setCachedJob(id: string, job: unknown): Promise<void> } }
      ).plan.setCachedJob('big', value);
      return { took: performance.now() - start, error: null };
    } catch (error) {
      return {
        took: performance.now() - start,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }, job);
}

export async function benchBrowser(): Promise<string> {
  if (!existsSync(CHROMIUM_PATH))
    return `Skipped: no Chromium at ${CHROMIUM_PATH} (bash scripts/ensure-browsers.sh installs it).`;
  if (!existsSync('.next/BUILD_ID') || !existsSync('public/sw.js'))
    execSync('npm run build', { stdio: 'inherit' });
  const server = await startAppServer();
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  try {
    const small = Array.from({ length: JOBS }, (_, i) => ({
      ...generateSampleJobInput({ jobId: `bench-${i}`, seed: i, sceneCount: 1 }),
      data: { scenes: [] },
    }));

    // --- veo-sync ------------------------------------------------------------------------------
    const context = await browser.newContext();
    contexts.push(context);
    const page = await openApp(context, server.baseUrl);
    await page.evaluate(
      async (jobs) => {
        for (const job of jobs) await globalThis.veoCache!.setCachedJob(String(job.jobId), job);
        await globalThis.veoCache!.syncNow();
      },
      small as Record<string, unknown>[],
    );
    await page.addInitScript(watchRows, JOBS);
    const veo = {
      offline: [] as number[],
      hanging: [] as number[],
      offlineHydrated: [] as number[],
      hangingHydrated: [] as number[],
    };
    await context.setOffline(true);
    for (let i = 0; i < RUNS; i++) {
      const t = await timeToRows(page, `${server.baseUrl}/veo`);
      veo.offline.push(t.shown);
      veo.offlineHydrated.push(t.afterHydration);
    }
    await context.setOffline(false);
    await context.route('**/api/veo/jobs**', () => undefined); // never answered
    for (let i = 0; i < RUNS; i++) {
      const t = await timeToRows(page, `${server.baseUrl}/veo`);
      veo.hanging.push(t.shown);
      veo.hangingHydrated.push(t.afterHydration);
    }

    // --- the plan's design ------------------------------------------------------------------
    const planContext = await browser.newContext();
    contexts.push(planContext);
    await planContext.route('**/bench/plan', (route) =>
      route.fulfill({ body: PLAN_PAGE, contentType: 'text/html' }),
    );
    const plan = await planContext.newPage();
    await plan.goto(`${server.baseUrl}/bench/plan`);
    await plan.evaluate(
      (jobs) => {
        for (const job of jobs)
          localStorage.setItem(
            `veo_job_${String(job.jobId)}`,
            JSON.stringify({ ...job, updatedAt: Date.now() }),
          );
      },
      small as Record<string, unknown>[],
    );
    await plan.addInitScript(watchRows, JOBS);
    const planTimes = { dead: [] as number[], hanging: [] as number[] };
    await planContext.route('**/api/veo/jobs**', (route) => route.abort('internetdisconnected'));
    for (let i = 0; i < RUNS; i++)
      planTimes.dead.push((await timeToRows(plan, `${server.baseUrl}/bench/plan`)).shown);
    await planContext.unroute('**/api/veo/jobs**');
    await planContext.route('**/api/veo/jobs**', () => undefined);
    for (let i = 0; i < 3; i++)
      planTimes.hanging.push((await timeToRows(plan, `${server.baseUrl}/bench/plan`)).shown);

    // --- saving a 5 MB job, and another tab seeing it --------------------------------------------
    const big = generateSampleJobInput({ jobId: 'big', seed: 5, sceneCount: 295 }) as Record<
      string,
      unknown
    >;
    const bigBytes = Buffer.byteLength(JSON.stringify(big));
    const saveContext = await browser.newContext();
    contexts.push(saveContext);
    const writer = await openApp(saveContext, server.baseUrl);
    const reader = await openApp(saveContext, server.baseUrl);
    const saves: number[] = [];
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Each save on a quiet device: the previous one has been uploaded.
      await writer.waitForFunction(
        () => globalThis.veoCache!.syncStatus.get().pending === 0,
        undefined,
        { timeout: 30_000 },
      );
      const id = `big-${i}`;
      const appeared = whenRowAppears(reader, id);
      const { started, took } = await writer.evaluate(
        async ([jobId, job]) => {
          const start = performance.now();
          await globalThis.veoCache!.setCachedJob(jobId, { ...job, jobId });
          return { started: performance.timeOrigin + start, took: performance.now() - start };
        },
        [id, big] as const,
      );
      saves.push(took);
      seen.push((await appeared) - started);
    }
    const planSave = await timePlanSave(plan, big);
    await planContext.unroute('**/api/veo/jobs**');
    await planContext.route('**/api/veo/jobs**', (route) => route.abort('internetdisconnected'));
    const planSaveOffline = await timePlanSave(plan, big);

    const navigation = table(
      [
        'network',
        'veo-sync: 200 jobs on screen, ms from navigation',
        'ms after hydration',
        'the plan: ms from navigation',
      ],
      [
        [
          'offline / connection refused',
          ms(median(veo.offline)),
          ms(median(veo.offlineHydrated)),
          ms(median(planTimes.dead)),
        ],
        [
          'hanging API',
          ms(median(veo.hanging)),
          ms(median(veo.hangingHydrated)),
          ms(median(planTimes.hanging)),
        ],
      ],
    );
    const saving = table(
      ['', 'veo-sync', 'plan'],
      [
        [
          `save a ${bytes(bigBytes)} job: promise resolved (ms; the plan with the API hanging)`,
          ms(median(saves)),
          `${ms(planSave.took)}${planSave.error ? ` — then failed: ${planSave.error}` : ''}`,
        ],
        [
          `same, offline (ms)`,
          'same as above: a save never touches the network',
          `${ms(planSaveOffline.took)}${planSaveOffline.error ? ` — failed: ${planSaveOffline.error.replace(/:.*/, '')}` : ''}`,
        ],
        [
          'seen in another open tab (median ms from the start of the save)',
          ms(median(seen)),
          'no cross-tab update offline',
        ],
      ],
    );
    return `${navigation}\n\n${saving}`;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
    await browser.close();
    await server.stop();
  }
}
