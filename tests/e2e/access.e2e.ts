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

  it('after sign-out, ends the session on the server and the device stops acting for the user until the same key signs in', async () => {
    context = await browser.newContext();
    const page = await openApp(context, server.baseUrl);
    await signIn(page);
    await page.evaluate(
      (job) => globalThis.veoCache!.setCachedJob('before-sign-out', job),
      jobFor('before-sign-out'),
    );
    await expect.poll(serverJobIds, { timeout: 10_000 }).toContain('before-sign-out');
    const oldCookie = (await context.cookies())
      .filter((c) => c.name === 'veo_session')
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    expect(oldCookie).toMatch(/^veo_session=./);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${server.baseUrl}/veo/sign-in`);
    // Ended on the server: the cookie it had opens nothing any more.
    const stale = await fetch(`${server.baseUrl}/api/veo/jobs`, { headers: { cookie: oldCookie } });
    expect(stale.status).toBe(401);

    // Offline, the worker serves the app but not the replica, and queues nothing for a caller.
    await context.setOffline(true);
    await page.goto(`${server.baseUrl}/veo`);
    await page.getByTestId('signed-out').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-job-id="before-sign-out"]').count()).toBe(0);
    const answers = await page.evaluate(async () => {
      const list = await fetch('/api/veo/jobs');
      const removal = await fetch('/api/veo/jobs/before-sign-out', { method: 'DELETE' });
      return {
        list: list.status,
        source: list.headers.get('x-veo-source'),
        removal: removal.status,
        body: (await list.text()).slice(0, 200),
      };
    });
    expect(answers).toMatchObject({ list: 401, source: 'replica', removal: 401 });
    expect(answers.body).not.toContain('before-sign-out');

    // What the user saves in the app meanwhile is kept, and waits.
    await page.evaluate(
      (job) => globalThis.veoCache!.setCachedJob('while-signed-out', job),
      jobFor('while-signed-out'),
    );
    expect(await page.evaluate(() => globalThis.veoCache!.syncStatus.get().pending)).toBe(1);

    await context.setOffline(false);
    await signIn(page);
    await expect.poll(serverJobIds, { timeout: 15_000 }).toContain('while-signed-out');
    await page.locator('[data-job-id="before-sign-out"]').waitFor({ timeout: 10_000 });
    // The DELETE refused while signed out was never queued.
    expect(await serverJobIds()).toContain('before-sign-out');
  });
});
