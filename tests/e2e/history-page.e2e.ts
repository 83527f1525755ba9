import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CachedVeoJob } from '@/lib/shared/job-schema';
import { generateSampleJob } from '@/lib/shared/sample-job';
import { allPromptsText, promptText, scenePrompt } from '@/lib/veo/prompts';
import { chromium } from 'playwright-core';
import { seriousAxeViolations } from './support/axe';
import { CHROMIUM_ARGS, CHROMIUM_PATH, openApp } from './support/browser';
import { useChromium } from './support/use-chromium';

/** The history page as a person uses it, in Chromium, on the production build. */
describe('history page', () => {
  const chromiumForTests = useChromium();
  const baseUrl = inject('baseUrl');

  async function open(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    const context = await chromiumForTests.newContext({ acceptDownloads: true, ...options });
    const page = await openApp(context, baseUrl);
    page.on('dialog', (dialog) => void dialog.accept());
    return page;
  }

  const rows = (page: Page) => page.locator('li.job');
  const row = (page: Page, text: string) => rows(page).filter({ hasText: text });
  const byId = (page: Page, jobId: string) => page.locator(`li.job[data-job-id="${jobId}"]`);

  /** Adds a sample job through the page and returns its id (other tests' jobs share the server). */
  async function addSample(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Add a sample job' }).click();
    const notice = page.getByText(/^Added the sample job (sample-\d+)\.$/);
    const id = /(sample-\d+)/.exec((await notice.textContent({ timeout: 10_000 })) ?? '')?.[1];
    if (!id) throw new Error('no sample job id in the notice');
    await byId(page, id).waitFor();
    return id;
  }

  it('adds a sample job, shows it, opens it, deletes it', async () => {
    const page = await open();
    const sample = byId(page, await addSample(page));
    await sample.getByText('Sample', { exact: true }).waitFor();
    await expect
      .poll(() => sample.getByTestId('sync-state').textContent(), { timeout: 10_000 })
      .toBe('Synced');
    await sample.getByRole('button', { name: /^Open / }).click();
    await page.getByRole('heading', { name: 'Scenes' }).waitFor();
    await page.getByText('Scenes 1–20 of 40').first().waitFor();
    await page.getByRole('button', { name: 'Next' }).first().click();
    await page.getByText('Scenes 21–40 of 40').first().waitFor();
    await page.getByRole('heading', { name: 'Characters' }).waitFor();

    await sample.getByRole('button', { name: /^Delete / }).click();
    await expect.poll(() => sample.count()).toBe(0);
  });

  it('copies a scene’s prompt and all prompts, says so, and downloads them as a text file', async () => {
    const page = await open({ permissions: ['clipboard-read', 'clipboard-write'] });
    const id = await addSample(page);
    const job = (await page.evaluate(
      (jobId) => globalThis.veoCache!.getCachedJob(jobId),
      id,
    )) as unknown as CachedVeoJob;
    await byId(page, id)
      .getByRole('button', { name: /^Open / })
      .click();
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

    await page.getByRole('button', { name: /^Copy prompt: the prompt of scene 2$/ }).click();
    await page.getByRole('status').filter({ hasText: 'Copied' }).first().waitFor();
    const second = scenePrompt(job.data.scenes?.[1], 1)!;
    expect(await clipboard()).toBe(promptText(second));
    expect(await clipboard()).toMatch(/^Scene 2 · \d+s–\d+s\n\S/);

    await page.getByRole('button', { name: /^Copy all prompts/ }).click();
    const all = await clipboard();
    expect(all).toBe(allPromptsText(job));
    expect(all.split('\n\n')).toHaveLength(job.data.scenes!.length);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download prompts' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`veo-prompts-${id}.txt`);
    expect(await readFile(await file.path(), 'utf8')).toBe(`${all}\n`);
  });

  it('offers the prompts to copy by hand where the page may not write the clipboard', async () => {
    const page = await open();
    const id = await addSample(page);
    await page.evaluate(() => {
      Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
    });
    await byId(page, id)
      .getByRole('button', { name: /^Open / })
      .click();
    await page.getByRole('button', { name: /^Copy prompt: the prompt of scene 1$/ }).click();
    const box = page.getByRole('textbox', { name: /Select and copy it here/ });
    await box.waitFor();
    expect(await box.inputValue()).toMatch(/^Scene 1 · /);
    // Selected already: Ctrl+C copies it.
    expect(
      await box.evaluate((el: HTMLTextAreaElement) => el.selectionEnd - el.selectionStart),
    ).toBe((await box.inputValue()).length);
  });

  it('finds a job by video id, URL or job id, filters by status and sync state, and sorts', async () => {
    const page = await open();
    const tag = `find${Date.now()}`;
    const save = (jobId: string, extra: Record<string, unknown>) =>
      page.evaluate(
        ([id, fields]) =>
          globalThis.veoCache!.setCachedJob(id, { data: { scenes: [] }, ...fields }),
        [jobId, extra] as const,
      );
    await save(`${tag}-a`, { videoId: `${tag} lisbon tram`, sceneCount: 40 });
    await save(`${tag}-b`, {
      videoUrl: `https://youtu.be/${tag}Harbour`,
      status: 'error',
      sceneCount: 3,
    });
    await save(`${tag}-c`, { videoId: `${tag} lisbon night`, sceneCount: 200 });
    await byId(page, `${tag}-c`).waitFor();
    const shownIds = () =>
      rows(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-job-id')));

    const find = page.getByRole('searchbox', { name: 'Find' });
    await find.fill(`${tag} LISBON`);
    await expect.poll(shownIds).toEqual([`${tag}-c`, `${tag}-a`]);
    await page
      .getByRole('status')
      .filter({ hasText: /^2 of \d+ jobs\b/ })
      .waitFor();
    await find.fill(`${tag}harbour`);
    await expect.poll(shownIds).toEqual([`${tag}-b`]);
    await find.fill(`${tag}-a`);
    await expect.poll(shownIds).toEqual([`${tag}-a`]);

    await find.fill(tag);
    await page.getByRole('combobox', { name: 'Sort' }).selectOption('scenes');
    await expect.poll(shownIds).toEqual([`${tag}-c`, `${tag}-a`, `${tag}-b`]);
    await page.getByRole('combobox', { name: 'Status' }).selectOption('error');
    await expect.poll(shownIds).toEqual([`${tag}-b`]);
    await page.getByRole('combobox', { name: 'Sync' }).selectOption('not-here');
    await expect.poll(shownIds).toEqual([]);
    await page.getByTestId('no-match').waitFor();
    await page.getByRole('button', { name: 'Show every job' }).click();
    await expect.poll(async () => (await shownIds()).length).toBeGreaterThanOrEqual(3);
    expect(await find.inputValue()).toBe('');
  });

  it('finds a job by a word only its prompts hold, and says which jobs it could not search by prompt', async () => {
    const writer = await open();
    const tag = `prompt${Date.now()}`;
    const save = (jobId: string, prompt: string) =>
      writer.evaluate(
        ([id, text]) =>
          globalThis.veoCache!.setCachedJob(id, {
            videoId: id,
            data: { scenes: [{ prompt: 'An opening shot.' }, { prompt: text }] },
          }),
        [jobId, prompt] as const,
      );
    await save(`${tag}-a`, `A lone ${tag}okapi crosses the river at dawn.`);
    await save(`${tag}-b`, `A ${tag}heron stands in the reeds.`);
    const shownIds = (page: Page) =>
      rows(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-job-id')));
    const status = (page: Page) => page.locator('.finder-count');

    for (const id of [`${tag}-a`, `${tag}-b`])
      await expect
        .poll(() => byId(writer, id).getByTestId('sync-state').textContent(), { timeout: 10_000 })
        .toBe('Synced');

    // The word is in one job's prompt, nowhere in any job's ids or URL.
    await writer.getByRole('searchbox', { name: 'Find' }).fill(`${tag.toUpperCase()}OKAPI`);
    await expect.poll(() => shownIds(writer), { timeout: 15_000 }).toEqual([`${tag}-a`]);
    await expect.poll(() => status(writer).textContent()).toMatch(/^1 of \d+ jobs\b/);

    // A device where no job's data can arrive: nothing searched by prompt, and it says how many.
    const readerContext = await chromiumForTests.newContext();
    await readerContext.route('**/api/veo/job-data**', (route) => route.abort());
    const reader = await openApp(readerContext, baseUrl);
    await byId(reader, `${tag}-a`).waitFor({ timeout: 10_000 });
    await reader.getByRole('searchbox', { name: 'Find' }).fill(`${tag}okapi`);
    await reader.getByTestId('no-match').waitFor();
    const notHere = await reader.evaluate(
      async () =>
        (await globalThis.veoCache!.getCachedJobList()).filter((job) => job.onDevice !== 'current')
          .length,
    );
    expect(notHere).toBeGreaterThanOrEqual(2);
    await expect
      .poll(() => status(reader).textContent())
      .toMatch(
        new RegExp(
          `^0 of \\d+ jobs\\. ${notHere} jobs not searched by prompt: their data is not on this device\\.$`,
        ),
      );
  });

  it('undoes a delete that has not reached the server yet', async () => {
    const page = await open();
    const id = await addSample(page);
    await page.context().setOffline(true);
    await byId(page, id)
      .getByRole('button', { name: /^Delete / })
      .click();
    await page.getByRole('button', { name: 'Undo' }).click();
    await byId(page, id).waitFor();
    // Shown as "Saving…" while the restore is being written, then waiting for the network.
    await expect
      .poll(() => byId(page, id).getByTestId('sync-state').textContent())
      .toBe('Waiting to sync');
  });

  it('clears all jobs after confirmation', async () => {
    const page = await open();
    await addSample(page);
    await addSample(page);
    expect(await rows(page).count()).toBeGreaterThanOrEqual(2);
    await page.getByRole('button', { name: 'Clear all' }).click();
    await expect.poll(() => rows(page).count()).toBe(0);
    await page.getByRole('heading', { name: 'No jobs yet' }).waitFor();
  });

  it('imports a job file, refuses a bad one with the reason, and exports a job', async () => {
    const page = await open();
    const job = generateSampleJob({
      jobId: `imported-${Date.now()}`,
      sceneCount: 5,
      seed: 9,
      updatedAt: Date.now(),
    });
    const good = path.join(tmpdir(), `${job.jobId}.json`);
    await writeFile(good, JSON.stringify(job));
    await page.getByTestId('import-file').setInputFiles(good);
    await row(page, job.videoId).waitFor();
    await page.getByText(`Imported ${job.videoId}.`).waitFor();

    const bad = path.join(tmpdir(), 'not-a-job.json');
    await writeFile(bad, JSON.stringify({ jobId: 'x', sceneCount: 'many' }));
    await page.getByTestId('import-file').setInputFiles(bad);
    await page
      .getByText(/not-a-job\.json was not imported\. The file is not a VEO job: .*sceneCount/)
      .waitFor();

    const download = page.waitForEvent('download');
    await row(page, job.videoId)
      .getByRole('button', { name: /^Export / })
      .click();
    const file = await (await download).path();
    const exported = JSON.parse(await readFile(file, 'utf8')) as { jobId: string; data: unknown };
    expect(exported.jobId).toBe(job.jobId);
    expect(exported.data).toEqual(job.data);
  });

  it('shows changes as waiting offline and synced after reconnecting; another device sees them without a reload', async () => {
    const page = await open();
    const other = await open();
    await page.context().setOffline(true);
    const title = await addSample(page);
    const added = byId(page, title);
    await expect.poll(() => added.getByTestId('sync-state').textContent()).toBe('Waiting to sync');
    await expect
      .poll(() => page.getByTestId('sync-status').textContent())
      .toMatch(/Offline · 1 change waiting to sync/);

    await page.context().setOffline(false);
    await expect
      .poll(() => row(page, title).getByTestId('sync-state').textContent(), { timeout: 15_000 })
      .toBe('Synced');
    await expect
      .poll(() => page.getByTestId('sync-status').textContent())
      .toMatch(/Online · All changes synced/);

    await other.getByRole('button', { name: 'Sync now' }).click();
    await row(other, title).waitFor({ timeout: 10_000 });
  });

  it('says so, instead of spinning, when a job’s data could not reach the device and the network is gone', async () => {
    const writer = await open();
    const id = await addSample(writer);
    await expect
      .poll(() => byId(writer, id).getByTestId('sync-state').textContent(), { timeout: 10_000 })
      .toBe('Synced');
    // Background replication would bring the job's data; here every download of it fails.
    const readerContext = await chromiumForTests.newContext();
    await readerContext.route('**/api/veo/job-data**', (route) => route.abort());
    const reader = await openApp(readerContext, baseUrl);
    await byId(reader, id).waitFor({ timeout: 10_000 });
    await reader.context().setOffline(true);
    await byId(reader, id)
      .getByRole('button', { name: /^Open / })
      .click();
    await byId(reader, id)
      .getByText(/not on this device, and you are offline/)
      .waitFor();
  });

  it('is installable: Chromium reports no installability error', async () => {
    // Installation is never offered in an incognito profile: use a real one.
    const profile = await mkdtemp(path.join(tmpdir(), 'veo-profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    });
    chromiumForTests.track(context);
    const page = await openApp(context, baseUrl);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    expect(installabilityErrors).toEqual([]);
    const manifest = (await (await fetch(`${baseUrl}/manifest.webmanifest`)).json()) as {
      icons: { sizes: string; purpose: string }[];
      display: string;
    };
    expect(manifest.display).toBe('standalone');
    expect(manifest.icons.map((i) => `${i.sizes} ${i.purpose}`)).toEqual([
      '192x192 any',
      '512x512 any',
      '512x512 maskable',
    ]);
  });

  it.each([
    ['light', 360],
    ['dark', 360],
    ['light', 1280],
    ['dark', 1280],
  ] as const)(
    'has no serious or critical accessibility violation (axe-core, %s, %i px)',
    async (colorScheme, width) => {
      const page = await open({ colorScheme, viewport: { width, height: 800 } });
      const sampleId = await addSample(page);
      await byId(page, sampleId)
        .getByRole('button', { name: /^Open / })
        .click();
      await page.getByRole('heading', { name: 'Scenes' }).waitFor();
      expect(await seriousAxeViolations(page)).toEqual([]);
      // The finder and a row's details, open, too.
      await byId(page, sampleId)
        .getByRole('button', { name: /^Details of / })
        .click();
      await page.getByRole('searchbox', { name: 'Find' }).fill('sample');
      expect(await seriousAxeViolations(page)).toEqual([]);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth).toBeLessThanOrEqual(width);
    },
  );

  it('shows at least eight jobs on a desktop screen (1280 × 900), each row whole', async () => {
    const page = await open({ viewport: { width: 1280, height: 900 } });
    for (let i = 0; i < 12; i++) {
      await page.evaluate(
        (id) =>
          globalThis.veoCache!.setCachedJob(id, { data: { scenes: [] } }).then(() => undefined),
        `desk-${i}-${Date.now()}`,
      );
    }
    await expect.poll(() => rows(page).count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(12);
    const whole = await page.evaluate(
      () =>
        [...document.querySelectorAll('li.job')].filter((row) => {
          const box = row.getBoundingClientRect();
          return box.top >= 0 && box.bottom <= window.innerHeight;
        }).length,
    );
    expect(whole).toBeGreaterThanOrEqual(8);
  });

  it('reaches every action by keyboard', async () => {
    const page = await open();
    await addSample(page);
    await expect
      .poll(() => page.getByTestId('sync-status').textContent(), { timeout: 10_000 })
      .toMatch(/All changes synced/);
    await page.getByRole('button', { name: 'Sync now' }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Sync now' }).isEnabled()).toBe(true);
    // Start from the top of the page, as a person arriving with the keyboard does.
    await page.getByRole('heading', { name: 'VEO job history' }).click();
    const reached = new Set<string>();
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el ? (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() : '';
      });
      reached.add(label.replace(/ .*/, ''));
    }
    for (const name of ['Sync', 'Add', 'Import', 'Clear', 'Open', 'Export', 'Delete'])
      expect(reached).toContain(name);
  });
});
