import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, or the one CHROMIUM_PATH names. No test tool downloads a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a headless Chromium in a sandbox without network beyond loopback. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The facade's console API, as the page exposes it. */
export interface VeoConsole {
  getCachedJobList(): Promise<
    {
      jobId: string;
      videoId: string;
      syncState: string;
      availableOffline: boolean;
      onDevice: string;
    }[]
  >;
  getCachedJob(jobId: string): Promise<{ jobId: string; data: unknown } | null>;
  setCachedJob(jobId: string, job: Record<string, unknown>): Promise<unknown>;
  deleteCachedJob(jobId: string): Promise<void>;
  clearAllJobs(): Promise<void>;
  syncNow(): Promise<void>;
  syncStatus: { get(): { pending: number; online: boolean } };
}

declare global {
  var veoCache: VeoConsole | undefined;
}

/** Opens /veo and waits until the service worker controls the page and the app is up. */
export async function openApp(context: BrowserContext, baseUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/veo`);
  await page.waitForFunction(() => globalThis.veoCache !== undefined);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
    // clients.claim() takes the page over right after activation; wait for it.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 10_000,
    });
  }
  return page;
}

export function jobFor(
  jobId: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    jobId,
    videoId: `video of ${jobId}`,
    sceneCount: 1,
    data: { scenes: [{ prompt: `a prompt for ${jobId}` }] },
    ...extra,
  };
}

/**
 * Resolves with the time (ms since the epoch, by the page's clock) at which the row of `jobId`
 * appears in `page`. Call it before the change that should make the row appear.
 */
export function whenRowAppears(page: Page, jobId: string): Promise<number> {
  return page.evaluate(
    (id) =>
      new Promise<number>((resolve) => {
        const observer = new MutationObserver(() => {
          if (document.querySelector(`[data-job-id="${id}"]`)) {
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
          }
        });
        observer.observe(document.body, { childList: true, subtree: true });
      }),
    jobId,
  );
}
