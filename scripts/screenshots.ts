/**
 * Screenshots of the history page for the README (docs/screenshots/): desktop and 360 px wide,
 * light and dark — a dozen jobs, one edit replaced by another device's, one change waiting — and
 * on desktop a 400-scene job open, finding a job by a word of its prompts, the replaced edit
 * open, and a download under way. Runs the production build (`npm run build` first)
 * in Debian's Chromium: `npm run screenshots`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import { startAppServer } from '../tests/e2e/support/app-server';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openApp } from '../tests/e2e/support/browser';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'mobile', width: 360, height: 780 },
] as const;

/** A history as a VEO user has one: a dozen videos, one failed, one long storyboard. */
function history(): Record<string, unknown>[] {
  const job = (jobId: string, videoId: string, seed: number, sceneCount: number) => ({
    ...generateSampleJobInput({ jobId, seed, sceneCount }),
    videoId,
    videoUrl: `https://videos.example/${videoId}.mp4`,
  });
  const harbour = job('harbour-night', 'harbour-at-night', 7, 120);
  const scenes = harbour.data.scenes as Record<string, unknown>[];
  scenes[0] = {
    ...scenes[0],
    prompt:
      'A lighthouse beam sweeps across the harbour at night; fishing boats rock on black water, ' +
      'ropes creak, a slow push-in from the pier, cold blue light with warm cabin windows.',
  };
  // Plain records for page.evaluate (its argument types cannot follow zod's JSON type).
  return [
    job('storyboard-lisbon', 'lisbon-tram-tour', 41, 400),
    harbour,
    {
      ...job('train-station', 'platform-9', 3, 12),
      status: 'error',
      error: { message: 'Video too long' },
    },
    job('market-morning', 'market-morning', 11, 36),
    job('rooftop-sunset', 'rooftop-sunset', 12, 24),
    job('cafe-interview', 'cafe-interview', 13, 18),
    job('bike-commute', 'bike-commute', 14, 30),
    job('river-cruise', 'river-cruise', 15, 48),
    job('museum-walk', 'museum-walk', 16, 22),
    job('snow-village', 'snow-village', 17, 40),
    job('night-market', 'night-market', 18, 28),
  ];
}

const save = (page: Page, job: Record<string, unknown>) =>
  page.evaluate(([id, j]) => globalThis.veoCache!.setCachedJob(id, j).then(() => undefined), [
    String(job.jobId),
    job,
  ] as const);

const synced = async (page: Page) => {
  await page.evaluate(() => globalThis.veoCache!.syncNow());
  await page.waitForFunction(() => globalThis.veoCache!.syncStatus.get().pending === 0, undefined, {
    timeout: 30_000,
  });
};

/**
 * The harbour job edited on this device while offline, and meanwhile on another device (a
 * laptop): back online, this device's edit is replaced, and kept for the user.
 */
async function replacedEdit(
  browser: Browser,
  baseUrl: string,
  page: Page,
  harbour: Record<string, unknown>,
): Promise<void> {
  await page.context().setOffline(true);
  const scenes = [...(harbour.data as { scenes: Record<string, unknown>[] }).scenes];
  scenes[1] = {
    ...scenes[1],
    prompt: 'Close on the harbour master’s hands coiling a wet rope, lantern light.',
  };
  await save(page, {
    ...harbour,
    voice: 'narrator',
    data: { ...(harbour.data as object), scenes },
  });
  const laptop = await browser.newContext();
  const other = await openApp(laptop, baseUrl);
  await save(other, { ...harbour, mode: 'cinematic' });
  await synced(other);
  await laptop.close();
  await page.context().setOffline(false);
  await page.evaluate(() => globalThis.veoCache!.syncNow());
  await page.locator('[data-job-id="harbour-night"] .replaced').waitFor({ timeout: 30_000 });
}

async function main(): Promise<void> {
  const out = path.join(process.cwd(), 'docs', 'screenshots');
  await mkdir(out, { recursive: true });
  const server = await startAppServer();
  const browser = await launchChromium();
  const shoot = async (page: Page, name: string) => {
    const file = path.join(out, `${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  };
  try {
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const viewport of VIEWPORTS) {
        const context = await browser.newContext({ colorScheme, viewport, deviceScaleFactor: 1 });
        const page = await openApp(context, server.baseUrl);
        page.on('dialog', (dialog) => void dialog.accept());
        const jobs = history();
        for (const job of [...jobs].reverse()) await save(page, job);
        await synced(page);
        await replacedEdit(browser, server.baseUrl, page, jobs[1]!);
        // One change still waiting: made offline.
        await context.setOffline(true);
        await save(page, { ...jobs[4]!, voice: 'narrator' });
        await page.evaluate(() => window.scrollTo(0, 0));
        await shoot(page, `history-${viewport.name}-${colorScheme}`);
        if (viewport.name === 'desktop' && colorScheme === 'light') {
          // A long storyboard open beside the list, its prompts ready to copy.
          await page
            .locator('[data-job-id="storyboard-lisbon"]')
            .getByRole('button', { name: /^Open / })
            .click();
          await page.getByRole('heading', { name: 'Scenes' }).waitFor();
          await page.evaluate(() => window.scrollTo(0, 0));
          await shoot(page, 'history-desktop-light-open');
          await page.getByRole('button', { name: 'Close' }).click();
          // Finding a job by a word of one of its prompts.
          // "pier" is in one prompt only (the sample prompts never say it).
          await page.getByRole('searchbox', { name: 'Find' }).fill('pier');
          await page.waitForFunction(
            () =>
              document.querySelectorAll('li.job').length === 1 &&
              !/indexing/.test(document.querySelector('.finder-count')?.textContent ?? 'indexing'),
            undefined,
            { timeout: 60_000 },
          );
          await shoot(page, 'history-desktop-light-find');
          // The user's replaced edit, open beside the job.
          await page.getByRole('searchbox', { name: 'Find' }).fill('');
          await page
            .locator('[data-job-id="harbour-night"]')
            .getByRole('button', { name: /^See yours/ })
            .click();
          await page.locator('.job-view-replaced').waitFor();
          await page.evaluate(() => window.scrollTo(0, 0));
          await shoot(page, 'history-desktop-light-replaced');
        }
        await context.close();
      }
    }
    await downloadingShot(browser, server.baseUrl, out);
  } finally {
    await browser.close();
    await server.stop();
  }
}

/**
 * A second device opening a job whose data is still on its way: background replication refused
 * here (so every row says it is not on the device yet), the network slowed to 256 KB/s, and the
 * screenshot taken while the 400-scene job downloads. Without a service worker (blocked in this
 * context) the page fetches the job itself, where Chromium's throttling applies.
 */
async function downloadingShot(browser: Browser, baseUrl: string, out: string): Promise<void> {
  const context = await browser.newContext({
    colorScheme: 'light',
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    serviceWorkers: 'block',
  });
  await context.route('**/api/veo/job-data?**', (route) => {
    const ids = new URL(route.request().url()).searchParams.get('ids') ?? '';
    return ids.includes(',') ? route.abort() : route.continue();
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 40,
    downloadThroughput: 256 * 1024,
    uploadThroughput: 256 * 1024,
  });
  await page.goto(`${baseUrl}/veo`);
  await page.locator('[data-job-id="storyboard-lisbon"]').waitFor({ timeout: 15_000 });
  await page.getByTestId('storage-line').waitFor();
  await page
    .locator('[data-job-id="storyboard-lisbon"]')
    .getByRole('button', { name: /^Open / })
    .click();
  const progress = page.getByTestId('download-progress');
  await progress.waitFor();
  await page.waitForFunction(() =>
    /of/.test(document.querySelector('[data-testid="download-progress"]')?.textContent ?? ''),
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const file = path.join(out, 'history-desktop-light-downloading.png');
  await page.screenshot({ path: file, fullPage: false });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  await context.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
