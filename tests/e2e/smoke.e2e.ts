import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { jobFor, launchChromium, openApp } from './support/browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});

it('smoke: the worker controls the page and a saved job reaches the server', async () => {
  const baseUrl = inject('baseUrl');
  const context = await browser.newContext();
  const page = await openApp(context, baseUrl);
  await page.evaluate(
    (job) => globalThis.veoCache!.setCachedJob('smoke-1', job),
    jobFor('smoke-1'),
  );
  await expect
    .poll(
      async () =>
        (
          (await (await fetch(`${baseUrl}/api/veo/jobs`)).json()) as { jobs: { jobId: string }[] }
        ).jobs.map((j) => j.jobId),
      { timeout: 10_000 },
    )
    .toContain('smoke-1');
  await context.close();
});
