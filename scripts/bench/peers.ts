/**
 * The three clients of the Chromium benchmark, each on an origin of its own in front of the one
 * app server: veo-sync (the production build behind a forwarding proxy), the Workbox recipe
 * (./recipe) and the original plan (./plan-page.ts). Every page gets the same small in-page
 * adapter (`__bench`), so a case drives the three the same way: save a job, time a floor, watch
 * for rows, ask whether anything is left to send.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { openApp } from '../../tests/e2e/support/browser';
import { PLAN_PAGE } from './plan-page';
import { type BenchProxy, startProxy } from './proxy';
import { buildRecipe } from './recipe/build';

export type PeerName = 'project' | 'recipe' | 'plan';
export const PEERS: readonly PeerName[] = ['project', 'recipe', 'plan'];
export const PEER_LABELS: Record<PeerName, string> = {
  project: 'veo-sync',
  recipe: 'Workbox recipe',
  plan: 'the plan',
};

export interface Peer {
  readonly name: PeerName;
  readonly proxy: BenchProxy;
  /** The history page's address. */
  readonly url: string;
  /** Opens the page and waits until it is ready: its worker controls it, where it has one. */
  open(context: BrowserContext): Promise<Page>;
}

/** What a save did, timed in the page from the call to its promise settling (ms). */
export interface SaveResult {
  readonly took: number;
  /** The recipe's fetch rejected: its worker queued the request for Background Sync. */
  readonly queued: boolean;
  /** The save's promise rejected (for the recipe: a rejection other than the queueing one). */
  readonly error: string | null;
}

/** One save of a job the page holds (`__bench.jobs[key]`), with a marker in its video id. */
export interface SaveSpec {
  readonly jobId: string;
  readonly key: string;
  readonly videoId: string;
}

/**
 * The in-page adapter, as plain JavaScript (added with `addInitScript`, so it is there before the
 * page's own scripts and on every reload). Kept in a string so no transpiler helper leaks in.
 */
const ADAPTER = String.raw`
(() => {
  if (globalThis.__bench) return;
  const watch = JSON.parse(sessionStorage.getItem('__bench_watch') || 'null');
  const state = { shownAt: null, firstScreenAt: null, firstScreenRows: null, liveAt: null, longTasks: [] };
  // Every long task of the page (over 50 ms on the main thread), from navigation start.
  if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes.includes('longtask'))
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) state.longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  // veo-sync's live list: the one React renders, not the worker's early rows (inside .early-rows).
  const liveRows = () => {
    for (const list of document.querySelectorAll('ul.job-list'))
      if (!list.closest('.early-rows')) return list.querySelectorAll(':scope > li.job').length;
    return 0;
  };
  if (watch) {
    const seen = () =>
      watch.jobId
        ? document.querySelector('[data-job-id="' + watch.jobId + '"]') !== null
        : document.querySelectorAll('[data-job-id]').length >= watch.count;
    const first = watch.firstScreen;
    // The first screen: the newest job's row, and rows down to the viewport's bottom edge (or
    // all of them). Layout is read only once that row is there.
    const firstScreen = () => {
      if (document.querySelector('li.job[data-job-id="' + first.jobId + '"]') === null) return false;
      const rows = document.querySelectorAll('li.job');
      return (
        rows.length >= first.count ||
        rows[rows.length - 1].getBoundingClientRect().bottom >= window.innerHeight
      );
    };
    const done = () =>
      state.shownAt !== null && (!first || state.firstScreenAt !== null) && (!watch.live || state.liveAt !== null);
    const check = () => {
      if (state.shownAt === null && seen()) state.shownAt = performance.now();
      if (watch.live && state.liveAt === null && liveRows() > 0) state.liveAt = performance.now();
      // The time the DOM was seen in this state, not counting the layout the check reads.
      const at = performance.now();
      if (first && state.firstScreenAt === null && firstScreen()) {
        state.firstScreenAt = at;
        state.firstScreenRows = document.querySelectorAll('li.job').length;
      }
      if (done()) {
        observer.disconnect();
        document.removeEventListener('load', check, true);
        document.fonts.removeEventListener('loadingdone', check);
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(document, { childList: true, subtree: true });
    if (first) {
      // Rows can grow without a mutation, when a stylesheet or a font arrives: look again then.
      document.addEventListener('load', check, true);
      document.fonts.addEventListener('loadingdone', check);
    }
  }
  const describe = (error) =>
    error instanceof Error ? error.name + ': ' + error.message : String(error);
  async function saveOne(jobId, job) {
    const value = { ...job, jobId, updatedAt: Date.now() };
    if (globalThis.veoCache) {
      await globalThis.veoCache.setCachedJob(jobId, value);
      return { queued: false };
    }
    if (globalThis.recipe) return globalThis.recipe.saveJob(jobId, value);
    await globalThis.plan.setCachedJob(jobId, value);
    return { queued: false };
  }
  function request(r) {
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  globalThis.__bench = {
    state,
    liveRows,
    jobs: {},
    /** Saves each spec in turn; every save timed from its call to its promise settling. */
    async saveAll(specs) {
      const results = [];
      for (const spec of specs) {
        const base = this.jobs[spec.key];
        const job = { ...base, videoId: spec.videoId, data: { ...base.data, benchEdit: spec.videoId } };
        const start = performance.now();
        try {
          const outcome = await saveOne(spec.jobId, job);
          results.push({ took: performance.now() - start, queued: outcome.queued, error: null, startedAt: performance.timeOrigin + start });
        } catch (error) {
          results.push({ took: performance.now() - start, queued: false, error: describe(error), startedAt: performance.timeOrigin + start });
        }
      }
      return results;
    },
    /** The floor of a durable save: JSON.stringify of the job and one put of it as a Blob, in a fresh database (opened before the clock starts). */
    async floor(key) {
      const name = 'bench-floor-' + Math.random().toString(36).slice(2);
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => open.result.createObjectStore('jobs');
      const db = await request(open);
      const start = performance.now();
      const blob = new Blob([JSON.stringify(this.jobs[key])], { type: 'application/json' });
      await new Promise((resolve, reject) => {
        const tx = db.transaction('jobs', 'readwrite');
        tx.objectStore('jobs').put(blob, 'job');
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      const took = performance.now() - start;
      db.close();
      await request(indexedDB.deleteDatabase(name)).catch(() => undefined);
      return took;
    },
    /** Whether the client has nothing left to send: veo-sync's outbox or Workbox's queue is empty (the plan has neither). */
    async idle() {
      if (globalThis.veoCache) return globalThis.veoCache.syncStatus.get().pending === 0;
      if (!globalThis.recipe) return true;
      const names = (await indexedDB.databases()).map((d) => d.name);
      if (!names.includes('workbox-background-sync')) return true;
      const db = await request(indexedDB.open('workbox-background-sync'));
      try {
        if (!db.objectStoreNames.contains('requests')) return true;
        return (await request(db.transaction('requests').objectStore('requests').count())) === 0;
      } finally {
        db.close();
      }
    },
  };
})();
`;

/** Starts the three clients' origins in front of the app server at `target`. */
export async function startPeers(target: string): Promise<Record<PeerName, Peer>> {
  const projectProxy = await startProxy({ target, forwardAll: true });
  const recipeProxy = await startProxy({ target, files: await buildRecipe() });
  const planProxy = await startProxy({
    target,
    files: new Map([['/', { type: 'text/html; charset=utf-8', body: PLAN_PAGE }]]),
  });
  const withAdapter = async (context: BrowserContext) => {
    const page = await context.newPage();
    await page.addInitScript(ADAPTER);
    return page;
  };
  return {
    project: {
      name: 'project',
      proxy: projectProxy,
      url: `${projectProxy.origin}/veo`,
      async open(context) {
        await context.addInitScript(ADAPTER);
        return openApp(context, projectProxy.origin);
      },
    },
    recipe: {
      name: 'recipe',
      proxy: recipeProxy,
      url: `${recipeProxy.origin}/`,
      async open(context) {
        const page = await withAdapter(context);
        await page.goto(`${recipeProxy.origin}/`);
        await page.evaluate(
          () => (globalThis as unknown as { recipe: { ready: Promise<void> } }).recipe.ready,
        );
        return page;
      },
    },
    plan: {
      name: 'plan',
      proxy: planProxy,
      url: `${planProxy.origin}/`,
      async open(context) {
        const page = await withAdapter(context);
        await page.goto(`${planProxy.origin}/`);
        await page.waitForFunction(() => 'plan' in globalThis);
        return page;
      },
    },
  };
}

interface BenchGlobal {
  __bench: {
    state: {
      shownAt: number | null;
      firstScreenAt: number | null;
      firstScreenRows: number | null;
      liveAt: number | null;
      longTasks: { start: number; duration: number }[];
    };
    jobs: Record<string, unknown>;
    liveRows(): number;
    saveAll(specs: readonly SaveSpec[]): Promise<(SaveResult & { startedAt: number })[]>;
    floor(key: string): Promise<number>;
    idle(): Promise<boolean>;
  };
}

/** Hands `job` to the page as `__bench.jobs[key]` (once: saves then copy it in the page). */
export function putJob(page: Page, key: string, job: Record<string, unknown>): Promise<void> {
  return page.evaluate(
    ([k, value]) => {
      (globalThis as unknown as BenchGlobal).__bench.jobs[k] = value;
    },
    [key, job] as const,
  );
}

/** Saves each spec in turn in the page; each result timed in the page. */
export function saveAll(
  page: Page,
  specs: readonly SaveSpec[],
): Promise<(SaveResult & { startedAt: number })[]> {
  return page.evaluate(
    (list) => (globalThis as unknown as BenchGlobal).__bench.saveAll(list),
    specs,
  );
}

/** The floor of a durable save of `__bench.jobs[key]`, measured in the page (ms). */
export function floor(page: Page, key: string): Promise<number> {
  return page.evaluate((k) => (globalThis as unknown as BenchGlobal).__bench.floor(k), key);
}

/** Whether the client has nothing left to send. */
export function isIdle(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as BenchGlobal).__bench.idle());
}

/** What a reload waits for: the row of `jobId`, or `count` rows; and maybe the first screen. */
export type RowsWanted = ({ jobId: string } | { count: number }) & {
  /**
   * Also time the first screen: the `li.job` row of `jobId` (the newest job) in the DOM, and the
   * rows there reaching the viewport's bottom edge (the last one's bottom at or below
   * `window.innerHeight`) or `count` of them present.
   */
  firstScreen?: { jobId: string; count: number };
  /** Also time veo-sync's live list (React's, in place of the worker's early rows). */
  live?: boolean;
};

/** A reload's times, from navigation start (ms). */
export interface ReloadTiming {
  readonly ok: true;
  readonly shown: number;
  readonly domContentLoaded: number;
  /** veo-sync's `veo:hydrated` mark, where the page has it. */
  readonly hydrated: number | null;
  /** The first screen, and how many rows it held, when asked for. */
  readonly firstScreen: { at: number; rows: number } | null;
  /** When the live list was in the DOM, when asked for. */
  readonly live: number | null;
  /** The page's long tasks (start and duration, ms) seen by the time the wait ended. */
  readonly longTasks: readonly { start: number; duration: number }[];
}

/**
 * Navigates `page` to `url` and resolves when the rows asked for are on screen (and the first
 * screen, when asked for). Times are from navigation start (ms), taken in the page by one
 * MutationObserver (plus a look when a stylesheet or font loads) that every client's page gets.
 */
export async function timeRowsAfterNavigation(
  page: Page,
  url: string,
  want: RowsWanted,
  timeoutMs = 30_000,
): Promise<ReloadTiming | { ok: false; error: string }> {
  await page.evaluate((w) => sessionStorage.setItem('__bench_watch', JSON.stringify(w)), want);
  try {
    await page.goto(url, { waitUntil: 'commit' });
  } catch (error) {
    return {
      ok: false,
      error: error instanceof Error ? error.message.split('\n')[0]! : String(error),
    };
  }
  await page.waitForFunction(
    ([first, live]) => {
      const { state } = (globalThis as unknown as BenchGlobal).__bench;
      return (
        state.shownAt !== null &&
        (!first || state.firstScreenAt !== null) &&
        (!live || state.liveAt !== null)
      );
    },
    [want.firstScreen !== undefined, want.live === true] as const,
    { timeout: timeoutMs, polling: 50 },
  );
  return page.evaluate(() => {
    const navigation = performance.getEntriesByType('navigation')[0] as
      PerformanceNavigationTiming | undefined;
    const { state } = (globalThis as unknown as BenchGlobal).__bench;
    return {
      ok: true as const,
      shown: state.shownAt ?? NaN,
      domContentLoaded: navigation?.domContentLoadedEventEnd ?? NaN,
      hydrated: performance.getEntriesByName('veo:hydrated')[0]?.startTime ?? null,
      firstScreen:
        state.firstScreenAt === null
          ? null
          : { at: state.firstScreenAt, rows: state.firstScreenRows ?? NaN },
      live: state.liveAt,
      longTasks: [...state.longTasks],
    };
  });
}
