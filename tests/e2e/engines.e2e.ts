import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startAppServer, type AppServer } from './support/app-server';
import { launchEngine, type EngineName, type EngineTab } from './support/engines';

/**
 * The core of the app in every engine its users have: Chromium, Firefox ESR (WebDriver BiDi) and
 * WebKitGTK (W3C WebDriver; every iPhone browser is WebKit). One scenario per engine, against
 * its own production server: open the history, save online, save with the server gone, reload
 * (the worker serves the page and the list), open a job offline, start the server again (the
 * waiting saves are delivered with no user action) and a second tab sees every save.
 *
 * "Offline" is the server stopped, not the browser told to go offline: WebDriver has no command
 * for that in Firefox or WebKit, and the same fault in every engine keeps the runs comparable.
 * WebKit's automation sessions are ephemeral, like Safari's private browsing: IndexedDB there
 * refuses Blobs, so this is also the test of job data stored as ArrayBuffers.
 */

const MB = 1024 * 1024;
const ENGINES: readonly EngineName[] = ['chromium', 'firefox', 'webkit'];
/** Jobs saved with the server gone, per engine: the VEO app's jobs are 3–7 MB. */
const OFFLINE_SIZES: Record<EngineName, readonly number[]> = {
  chromium: [1 * MB, 5 * MB],
  firefox: [1 * MB, 5 * MB],
  webkit: [1 * MB, 5 * MB],
};

interface SaveResult {
  readonly startedAt: number;
  readonly saveMs: number;
  readonly jsonBytes: number;
  readonly version: string;
}

/** Builds a job of about `bytes` of JSON in the page (prompts of varied words) and saves it. */
async function saveGenerated(id: string, bytes: number): Promise<SaveResult> {
  const words = (
    'slow dolly push in on a rain soaked neon street wide shot golden hour handheld close up ' +
    'of her hands the camera tilts up to reveal city lights drone orbit soft focus cinematic'
  ).split(' ');
  let seed = 7;
  const scenes: { index: number; start: number; end: number; prompt: string }[] = [];
  let size = 0;
  while (size < bytes) {
    let prompt = `scene ${scenes.length + 1} of ${id}:`;
    for (let w = 0; w < 300; w++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      prompt += ` ${words[seed % words.length]}`;
    }
    scenes.push({
      index: scenes.length,
      start: scenes.length * 8,
      end: scenes.length * 8 + 8,
      prompt,
    });
    size += prompt.length + 48;
  }
  const job = { jobId: id, videoId: `video ${id}`, sceneCount: scenes.length, data: { scenes } };
  const startedAt = Date.now();
  const t0 = performance.now();
  const info = (await globalThis.veoCache!.setCachedJob(id, job)) as { version: string };
  return {
    startedAt,
    saveMs: performance.now() - t0,
    jsonBytes: JSON.stringify(job).length,
    version: info.version,
  };
}

/** Records in the page when each job's row first appears (`globalThis.rowsSeen`). */
function watchRows(): void {
  const seen: Record<string, number> = {};
  (globalThis as { rowsSeen?: Record<string, number> }).rowsSeen = seen;
  const look = () => {
    for (const row of document.querySelectorAll('[data-job-id]')) {
      const id = row.getAttribute('data-job-id');
      if (id && seen[id] === undefined) seen[id] = Date.now();
    }
  };
  new MutationObserver(look).observe(document.body, { childList: true, subtree: true });
  look();
}

/** How the device's database holds each job's data: 'blob', 'arraybuffer', or 'missing'. */
async function storedForms(ids: string[]): Promise<string[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('veo-sync');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(String(request.error)));
  });
  const store = db.transaction('jobData').objectStore('jobData');
  const records = await Promise.all(
    ids.map(
      (id) =>
        new Promise<{ blob?: unknown; bytes?: unknown } | undefined>((resolve, reject) => {
          const request = store.get(id);
          request.onsuccess = () => resolve(request.result as { blob?: unknown } | undefined);
          request.onerror = () => reject(new Error(String(request.error)));
        }),
    ),
  );
  db.close();
  return records.map((r) =>
    r?.blob instanceof Blob ? 'blob' : r?.bytes instanceof ArrayBuffer ? 'arraybuffer' : 'missing',
  );
}

function rowsSeen(): Record<string, number> {
  return (globalThis as { rowsSeen?: Record<string, number> }).rowsSeen ?? {};
}

/** Opens /veo and waits until the app is up and the service worker controls the page. */
async function openApp(tab: EngineTab, baseUrl: string): Promise<void> {
  await tab.goto(`${baseUrl}/veo`);
  let state: unknown;
  try {
    await until(async () => {
      state = await tab.evaluate(() => ({
        app: globalThis.veoCache !== undefined,
        status: document.querySelector('[data-testid="sync-status"]') !== null,
        controlled: navigator.serviceWorker.controller !== null,
        url: location.href,
      }));
      return Object.values(state as Record<string, unknown>).every(Boolean);
    });
  } catch (error) {
    throw new Error(`the app did not come up: ${JSON.stringify(state)}`, { cause: error });
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms: ${check.toString()}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function serverVersions(baseUrl: string): Promise<Map<string, string>> {
  const body = (await (await fetch(`${baseUrl}/api/veo/jobs`)).json()) as {
    jobs: { jobId: string; version: string }[];
  };
  return new Map(body.jobs.map((j) => [j.jobId, j.version]));
}

/** Resolves with the time at which the server holds every `saved` job at its version. */
async function deliveredAt(baseUrl: string, saved: Record<string, SaveResult>): Promise<number> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const versions = await serverVersions(baseUrl).catch(() => new Map<string, string>());
    if (Object.entries(saved).every(([id, s]) => versions.get(id) === s.version)) return Date.now();
    if (Date.now() > deadline) {
      throw new Error(`not delivered within 90 s: ${JSON.stringify([...versions.keys()])}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(`[engines]\n${report.join('\n')}`);
});

describe.each(ENGINES)('the app in %s', (engine) => {
  it('saves online and with the server gone, reloads from the worker, delivers when the server is back, and a second tab sees each save', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), `veo-${engine}-`));
    const port = await freePort();
    let server: AppServer | undefined = await startAppServer({}, { port, dataDir });
    const baseUrl = server.baseUrl;
    const session = await launchEngine(engine);
    const lines: string[] = [];
    try {
      const tab = await session.newTab();
      await openApp(tab, baseUrl);
      const other = await session.newTab();
      await openApp(other, baseUrl);
      await other.evaluate(watchRows);

      // Online: on the server without anyone asking, and in the other tab.
      const onlineId = `online-${engine}`;
      const online = await tab.evaluate(saveGenerated, onlineId, 1 * MB);
      const onlineDelivered = await deliveredAt(baseUrl, { [onlineId]: online });
      await until(async () => (await other.evaluate(rowsSeen))[onlineId] !== undefined);
      const onlineSeen = (await other.evaluate(rowsSeen))[onlineId]!;
      lines.push(
        `${engine} ${session.version}: online save of ${(online.jsonBytes / MB).toFixed(1)} MB resolved in ${online.saveMs.toFixed(0)} ms, on the server ${onlineDelivered - online.startedAt} ms after it started, in the other tab after ${onlineSeen - online.startedAt} ms`,
      );

      // The server gone: every save still resolves, durable on the device.
      await server.stop();
      server = undefined;
      const offline: Record<string, SaveResult> = {};
      for (const bytes of OFFLINE_SIZES[engine]) {
        const id = `offline-${engine}-${bytes / MB}mb`;
        offline[id] = await tab.evaluate(saveGenerated, id, bytes);
        lines.push(
          `${engine}: save of ${(offline[id].jsonBytes / MB).toFixed(1)} MB with the server gone resolved in ${offline[id].saveMs.toFixed(0)} ms`,
        );
      }
      const offlineIds = Object.keys(offline);
      // WebKit's ephemeral session refuses Blobs in IndexedDB: the data went in as ArrayBuffers.
      const forms = await tab.evaluate(storedForms, offlineIds);
      expect(forms).toEqual(offlineIds.map(() => (engine === 'webkit' ? 'arraybuffer' : 'blob')));
      await until(async () => {
        const seen = await other.evaluate(rowsSeen);
        return offlineIds.every((id) => seen[id] !== undefined);
      });

      // A reload with no server: the worker serves the page, the list and the jobs.
      await tab.reload();
      await until(() => tab.evaluate(() => globalThis.veoCache !== undefined));
      const listed = await tab.evaluate(async () =>
        (await globalThis.veoCache!.getCachedJobList()).map((j) => [j.jobId, j.syncState]),
      );
      expect(Object.fromEntries(listed)).toMatchObject({
        [onlineId]: 'synced',
        ...Object.fromEntries(offlineIds.map((id) => [id, 'pending'])),
      });
      await until(() =>
        tab.evaluate(
          (ids: string[]) => ids.every((id) => document.querySelector(`[data-job-id="${id}"]`)),
          [onlineId, ...offlineIds],
        ),
      );
      for (const id of [onlineId, ...offlineIds]) {
        const opened = await tab.evaluate(async (jobId: string) => {
          const job = (await globalThis.veoCache!.getCachedJob(jobId)) as {
            sceneCount: number;
            data: { scenes: { prompt: string }[] };
          } | null;
          return (
            job && {
              scenes: job.data.scenes.length,
              sceneCount: job.sceneCount,
              first: job.data.scenes[0]?.prompt,
            }
          );
        }, id);
        expect(opened?.scenes).toBe(opened?.sceneCount);
        expect(opened?.first).toMatch(new RegExp(`^scene 1 of ${id}:`));
      }

      // The server back: every waiting save arrives with no user action.
      server = await startAppServer({}, { port, dataDir });
      const back = Date.now();
      const delivered = await deliveredAt(baseUrl, offline);
      lines.push(
        `${engine}: ${offlineIds.length} saves made with the server gone, on the server ${delivered - back} ms after it answered again`,
      );
      await until(async () => {
        const states = await other.evaluate(async () =>
          Object.fromEntries(
            (await globalThis.veoCache!.getCachedJobList()).map((j) => [j.jobId, j.syncState]),
          ),
        );
        return offlineIds.every((id) => states[id] === 'synced');
      }, 60_000);
    } finally {
      report.push(...lines);
      await session.close();
      await server?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
