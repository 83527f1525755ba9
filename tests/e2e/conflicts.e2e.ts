import { describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { seriousAxeViolations } from './support/axe';
import { openApp } from './support/browser';
import { useChromium } from './support/use-chromium';

/**
 * Conflicts on two devices, in Chromium on the production build: the phone edits a job offline
 * while the laptop saves a newer version of it; when the phone is back, the laptop's version is
 * the job on both, and the phone says its edit was replaced and keeps it — to look at, keep (it
 * is then the job everywhere) or dismiss.
 */
describe('an edit replaced by another device', () => {
  const chromiumForTests = useChromium();
  const baseUrl = inject('baseUrl');
  let n = 0;

  interface TwoDevices {
    readonly phone: Page;
    readonly phoneContext: BrowserContext;
    readonly laptop: Page;
    readonly jobId: string;
  }

  const job = (jobId: string, videoId: string, prompts: string[]) => ({
    jobId,
    videoId,
    sceneCount: prompts.length,
    data: {
      scenes: prompts.map((prompt, i) => ({
        sceneNumber: i + 1,
        startTime: i * 8,
        endTime: i * 8 + 8,
        prompt,
      })),
    },
  });

  const save = (page: Page, value: ReturnType<typeof job>) =>
    page.evaluate(
      ([id, j]) => globalThis.veoCache!.setCachedJob(id, j as never).then(() => undefined),
      [value.jobId, value] as const,
    );

  const synced = (page: Page) =>
    expect
      .poll(() => page.evaluate(() => globalThis.veoCache!.syncStatus.get().pending), {
        timeout: 15_000,
      })
      .toBe(0);

  const firstPrompt = (page: Page, jobId: string) =>
    page.evaluate(async (id) => {
      const found = (await globalThis.veoCache!.getCachedJob(id)) as {
        data: { scenes: { prompt: string }[] };
      } | null;
      return found?.data.scenes[0]?.prompt ?? null;
    }, jobId);

  const row = (page: Page, jobId: string) => page.locator(`li.job[data-job-id="${jobId}"]`);

  /** Both devices hold the job; the phone edits it offline, then the laptop, online. */
  async function conflict(viewport?: { width: number; height: number }): Promise<TwoDevices> {
    const jobId = `conflict-${++n}-${Date.now()}`;
    const options = {
      ...(viewport ? { viewport } : {}),
    };
    const phoneContext = await chromiumForTests.newContext(options);
    const laptopContext = await chromiumForTests.newContext(options);
    const phone = await openApp(phoneContext, baseUrl);
    const laptop = await openApp(laptopContext, baseUrl);
    for (const page of [phone, laptop]) page.on('dialog', (dialog) => void dialog.accept());
    await save(phone, job(jobId, 'beach-trip', ['A wide shot of the beach at dawn']));
    await synced(phone);
    await laptop.evaluate(() => globalThis.veoCache!.syncNow());
    await expect.poll(() => firstPrompt(laptop, jobId), { timeout: 15_000 }).not.toBeNull();

    await phoneContext.setOffline(true);
    await save(
      phone,
      job(jobId, 'beach-trip', [
        'Phone: a slow dolly over wet sand, golden light',
        'Phone: close-up of footprints filling with water',
      ]),
    );
    await save(laptop, job(jobId, 'beach-trip', ['Laptop: a drone shot rising over the waves']));
    await synced(laptop);
    await phoneContext.setOffline(false);
    await phone.evaluate(() => globalThis.veoCache!.syncNow());
    return { phone, phoneContext, laptop, jobId };
  }

  it('keeps the phone’s edit, shows it, and makes it the job everywhere when the user keeps it', async () => {
    const { phone, laptop, jobId } = await conflict();
    const notice = row(phone, jobId).getByRole('group', { name: /Your replaced version/ });
    await notice.waitFor({ timeout: 15_000 });
    expect(await notice.textContent()).toMatch(
      /Your edit was replaced\..*Yours: 2 scenes\. Now: 1 scene\./,
    );
    // The laptop's version is the job on both devices meanwhile.
    expect(await firstPrompt(phone, jobId)).toBe('Laptop: a drone shot rising over the waves');
    expect(await row(laptop, jobId).locator('.replaced').count()).toBe(0);

    await notice.getByRole('button', { name: /^See yours/ }).click();
    const view = phone.locator('.job-view-replaced');
    await view.getByRole('heading', { name: /^Your replaced version: beach-trip/ }).waitFor();
    await view.getByText('Phone: a slow dolly over wet sand, golden light').waitFor();
    await view.getByText('Scenes 1–2 of 2').first().waitFor();

    await view.getByRole('button', { name: /^Keep yours/ }).click();
    await expect.poll(() => view.count()).toBe(0);
    await expect.poll(() => row(phone, jobId).locator('.replaced').count()).toBe(0);
    expect(await firstPrompt(phone, jobId)).toBe('Phone: a slow dolly over wet sand, golden light');
    await synced(phone);
    await laptop.evaluate(() => globalThis.veoCache!.syncNow());
    await expect
      .poll(() => firstPrompt(laptop, jobId), { timeout: 15_000 })
      .toBe('Phone: a slow dolly over wet sand, golden light');
    expect(await row(laptop, jobId).locator('.replaced').count()).toBe(0);
  });

  it('lets the laptop’s version stand when the user dismisses theirs, offline too', async () => {
    const { phone, phoneContext, laptop, jobId } = await conflict();
    const notice = row(phone, jobId).getByRole('group', { name: /Your replaced version/ });
    await notice.waitFor({ timeout: 15_000 });
    await phoneContext.setOffline(true);
    await notice.getByRole('button', { name: /^Dismiss/ }).click();
    await expect.poll(() => notice.count()).toBe(0);
    await phone.reload();
    await row(phone, jobId).waitFor();
    expect(await row(phone, jobId).locator('.replaced').count()).toBe(0);
    expect(await firstPrompt(phone, jobId)).toBe('Laptop: a drone shot rising over the waves');
    await phoneContext.setOffline(false);
    expect(await firstPrompt(laptop, jobId)).toBe('Laptop: a drone shot rising over the waves');
  });

  it.each([
    ['light', 360],
    ['dark', 360],
    ['light', 1280],
    ['dark', 1280],
  ] as const)(
    'has no serious or critical accessibility violation with a replaced edit (%s, %i px)',
    async (colorScheme, width) => {
      const { phone, jobId } = await conflict({ width, height: 800 });
      await phone.emulateMedia({ colorScheme });
      const notice = row(phone, jobId).getByRole('group', { name: /Your replaced version/ });
      await notice.waitFor({ timeout: 15_000 });
      expect(await seriousAxeViolations(phone)).toEqual([]);
      await notice.getByRole('button', { name: /^See yours/ }).click();
      await phone.locator('.job-view-replaced').waitFor();
      expect(await seriousAxeViolations(phone)).toEqual([]);
      const scrollWidth = await phone.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth).toBeLessThanOrEqual(width);
    },
  );
});
