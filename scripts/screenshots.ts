/**
 * Screenshots of the history page for the README (docs/screenshots/): desktop and 360 px wide,
 * light and dark, with a 400-scene job open. Runs the production build (`npm run build` first)
 * in Debian's Chromium: `npm run screenshots`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import { startAppServer } from '../tests/e2e/support/app-server';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp } from '../tests/e2e/support/browser';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'mobile', width: 360, height: 780 },
] as const;

async function main(): Promise<void> {
  const out = path.join(process.cwd(), 'docs', 'screenshots');
  await mkdir(out, { recursive: true });
  const server = await startAppServer();
  const browser = await launchChromium();
  try {
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const viewport of VIEWPORTS) {
        const context = await browser.newContext({ colorScheme, viewport, deviceScaleFactor: 1 });
        const page = await openApp(context, server.baseUrl);
        // Plain records for page.evaluate (its argument types cannot follow zod's JSON type).
        const jobs: Record<string, unknown>[] = [
          {
            ...generateSampleJobInput({ jobId: 'storyboard-lisbon', seed: 41, sceneCount: 400 }),
            videoId: 'lisbon-tram-tour',
          },
          {
            ...generateSampleJobInput({ jobId: 'harbour-night', seed: 7, sceneCount: 120 }),
            videoId: 'harbour-at-night',
          },
          {
            ...generateSampleJobInput({ jobId: 'train-station', seed: 3, sceneCount: 12 }),
            videoId: 'platform-9',
            status: 'error',
            error: { message: 'Video too long' },
          },
        ];
        for (const job of [...jobs].reverse()) {
          await page.evaluate(([id, j]) => globalThis.veoCache!.setCachedJob(id, j), [
            String(job.jobId),
            job,
          ] as const);
        }
        await page.evaluate(() => globalThis.veoCache!.syncNow());
        await page.context().setOffline(true);
        await page.evaluate(([id, j]) => globalThis.veoCache!.setCachedJob(id, j), [
          'harbour-night',
          { ...jobs[1], voice: 'narrator' },
        ] as const);
        await page
          .locator('[data-job-id="storyboard-lisbon"]')
          .getByRole('button', { name: /^Open / })
          .click();
        await page.getByRole('heading', { name: 'Scenes' }).waitFor();
        await page.evaluate(() => window.scrollTo(0, 0));
        const file = path.join(out, `history-${viewport.name}-${colorScheme}.png`);
        await page.screenshot({ path: file, fullPage: false });
        console.log(`wrote ${path.relative(process.cwd(), file)}`);
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
