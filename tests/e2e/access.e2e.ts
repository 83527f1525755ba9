import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startAppServer, type AppServer } from './support/app-server';
import { jobFor, launchChromium, openApp } from './support/browser';

const KEY = 'e2e access key, long enough';

/**
 * A server with an access key, in Chromium: signing in, and a session that ends while writes wait
 * in the outbox — they are kept, the page says to sign in, and after signing in they are sent,
 * each once.
 */
describe('access key', () => {
  let server: AppServer;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await startAppServer({ VEO_ACCESS_KEY: KEY });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${server.baseUrl}/veo/sign-in`);
    await page.getByLabel('Access key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.baseUrl}/veo`);
    await page.waitForFunction(() => globalThis.veoCache !== undefined);
  }

  async function serverJobIds(): Promise<string[]> {
    const cookies = await context.cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const response = await fetch(`${server.baseUrl}/api/veo/jobs`, { headers: { cookie } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { jobs: { jobId: string }[] }).jobs.map((j) => j.jobId);
  }

  it('refuses the API without a session', async () => {
    const response = await fetch(`${server.baseUrl}/api/veo/jobs`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('rejects a wrong key on the sign-in page, with the reason', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/veo/sign-in`);
    await page.getByLabel('Access key').fill('not the right key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not the access key').waitFor();
    await context.close();
  });

  it('keeps writes while the session is gone, asks to sign in, and sends them once after', async () => {
    context = await browser.newContext();
    const page = await openApp(context, server.baseUrl);
    // Not signed in yet: the first pull is refused, and the page says so.
    await page.getByRole('link', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
    await signIn(page);
    await page.evaluate(
      (job) => globalThis.veoCache!.setCachedJob('before-expiry', job),
      jobFor('before-expiry'),
    );
    await expect.poll(serverJobIds, { timeout: 10_000 }).toContain('before-expiry');

    // The session ends (expired, or cleared): writes keep being accepted, and wait.
    await context.clearCookies();
    await page.evaluate(
      (job) => globalThis.veoCache!.setCachedJob('during-expiry', job),
      jobFor('during-expiry'),
    );
    await page.getByRole('link', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
    await expect
      .poll(() =>
        page.locator('[data-job-id="during-expiry"]').getByTestId('sync-state').textContent(),
      )
      .toBe('Waiting to sync');
    expect(await page.evaluate(() => globalThis.veoCache!.syncStatus.get().pending)).toBe(1);

    const puts: string[] = [];
    await context.route('**/api/veo/jobs/during-expiry', async (route) => {
      if (route.request().method() === 'PUT')
        puts.push(route.request().headers()['idempotency-key'] ?? '');
      await route.continue();
    });
    await signIn(page);
    await expect.poll(serverJobIds, { timeout: 15_000 }).toContain('during-expiry');
    await expect
      .poll(() => page.evaluate(() => globalThis.veoCache!.syncStatus.get().pending), {
        timeout: 10_000,
      })
      .toBe(0);
    expect(new Set(puts).size).toBe(1);
    expect((await serverJobIds()).filter((id) => id === 'during-expiry')).toHaveLength(1);
  });
});
