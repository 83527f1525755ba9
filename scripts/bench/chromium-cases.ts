/**
 * The cases of the Chromium benchmark (issue 15), each run for the three clients in turn: fresh
 * browser contexts every time, one app server, the server's state read from the app server
 * itself. Offline is `context.setOffline(true)` for every client; back online is
 * `context.setOffline(false)` and nothing else, as the end-to-end tests do.
 */
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateSampleJobInput } from '@/lib/shared/sample-job';
import { JOB_LIST_PAGE } from '@/lib/veo/early-rows';
import { whenRowAppears } from '../../tests/e2e/support/browser';
import type { Results } from './chromium-report';
import {
  floor,
  isIdle,
  type Peer,
  type PeerName,
  putJob,
  type RowsWanted,
  saveAll,
  type SaveResult,
  type SaveSpec,
  timeRowsAfterNavigation,
} from './peers';
import type { ProxiedRequest } from './proxy';

export interface BenchEnv {
  /** The app server, for reading the server's state directly (no proxy, no client). */
  readonly appUrl: string;
  readonly browser: Browser;
  readonly peers: Record<PeerName, Peer>;
  readonly results: Results;
  /** The clients in the order this round runs them (rotated each round). */
  readonly order: readonly PeerName[];
  readonly log: (line: string) => void;
}

type Job = Record<string, unknown>;

const CREATED_AT = '2026-01-01T00:00:00.000Z';
/** Scenes for a ~1 MB and a ~5 MB job (lib/shared/sample-job.ts). */
export const SCENES_1MB = 60;
export const SCENES_5MB = 295;

/** A generated job as a caller would hand it over (its own createdAt; updatedAt at save time). */
export function sampleJob(jobId: string, sceneCount: number, seed = 1): Job {
  return { ...generateSampleJobInput({ jobId, seed, sceneCount }), createdAt: CREATED_AT };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every context's viewport (Playwright's default, said here so the report can name it). */
export const VIEWPORT = { width: 1280, height: 720 } as const;

async function withContext<T>(env: BenchEnv, fn: (context: BrowserContext) => Promise<T>) {
  const context = await env.browser.newContext({ viewport: VIEWPORT });
  try {
    return await fn(context);
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** Deletes every job on the server (it keeps their tombstones), so each client starts alike. */
export async function clearServer(appUrl: string): Promise<void> {
  const response = await fetch(`${appUrl}/api/veo/jobs`, { method: 'DELETE' });
  if (!response.ok) throw new Error(`clearing the server: HTTP ${response.status}`);
}

/**
 * Stores `jobs` on the server directly (gzip bodies, as the API asks of large jobs), four at a
 * time; a job without its own `updatedAt` gets the time of its PUT.
 */
export async function seedServer(appUrl: string, jobs: readonly Job[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const response = await fetch(`${appUrl}/api/veo/jobs/${String(job.jobId)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(
          JSON.stringify({
            ...job,
            updatedAt: typeof job.updatedAt === 'number' ? job.updatedAt : Date.now(),
          }),
        ),
      });
      if (!response.ok) throw new Error(`seeding ${String(job.jobId)}: HTTP ${response.status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/** Each job's video id on the server (the list: no job data is read). */
async function serverVideoIds(appUrl: string): Promise<Map<string, string>> {
  const body = (await (await fetch(`${appUrl}/api/veo/jobs`)).json()) as {
    jobs: { jobId: string; videoId: string }[];
  };
  return new Map(body.jobs.map((j) => [j.jobId, j.videoId]));
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

/** Why a client that stopped sending will not get there. */
const NOTHING_LEFT: Record<PeerName, string> = {
  project: 'its outbox emptied',
  recipe: 'its queue emptied',
  plan: 'no outbox',
};

interface ServerOutcome {
  /** ms from going online to the final state on the server, or null if it never got there. */
  readonly toFinal: number | null;
  /** How many of the expected jobs held their final version when the wait ended. */
  readonly final: number;
  readonly expected: number;
  /** Why the wait ended without the final state. */
  readonly gaveUp: string | null;
  /** API requests from going online to the end of the wait. */
  readonly requests: readonly ProxiedRequest[];
  /** `Date.now()` when the client went online. */
  readonly start: number;
}

/**
 * Goes online and polls the app server every 25 ms until every job in `expected` has its final
 * video id. Gives up when the client has had nothing left to send for `settleMs` (veo-sync's
 * outbox empty, Workbox's queue empty, the plan at once: it has no outbox), or at `deadlineMs`.
 */
async function goOnlineAndAwaitServer(
  env: BenchEnv,
  peer: Peer,
  context: BrowserContext,
  page: Page,
  expected: ReadonlyMap<string, string>,
  { deadlineMs, settleMs = 2000 }: { deadlineMs: number; settleMs?: number },
): Promise<ServerOutcome> {
  const mark = peer.proxy.log.length;
  const start = Date.now();
  await context.setOffline(false);
  let idleSince: number | null = null;
  let lastIdleCheck = 0;
  for (;;) {
    const now = Date.now();
    const held = await serverVideoIds(env.appUrl);
    const final = [...expected].filter(([id, videoId]) => held.get(id) === videoId).length;
    const end = (toFinal: number | null, gaveUp: string | null): ServerOutcome => ({
      toFinal,
      final,
      expected: expected.size,
      gaveUp,
      requests: peer.proxy.log.slice(mark).filter((r) => r.at <= now),
      start,
    });
    if (final === expected.size) return end(now - start, null);
    if (now - start > deadlineMs)
      return end(null, `not on the server ${deadlineMs / 1000} s after going online`);
    if (now - lastIdleCheck >= 200) {
      lastIdleCheck = now;
      const idle = await isIdle(page).catch(() => false);
      idleSince = idle ? (idleSince ?? now) : null;
      if (idleSince !== null && now - idleSince >= settleMs)
        return end(null, NOTHING_LEFT[peer.name]);
    }
    await sleep(25);
  }
}

function recordServerOutcome(env: BenchEnv, peer: PeerName, prefix: string, o: ServerOutcome) {
  const { results } = env;
  if (o.toFinal !== null) results.add(`${prefix}:time`, peer, o.toFinal);
  else
    results.note(
      `${prefix}:time`,
      peer,
      o.requests.length === 0
        ? `never: nothing sent (${o.gaveUp ?? ''})`
        : o.expected === 1
          ? `never (${o.gaveUp ?? ''})`
          : `never: ${o.expected - o.final} of ${o.expected} jobs lost (${o.gaveUp ?? ''})`,
    );
  results.add(`${prefix}:requests`, peer, o.requests.length);
  results.add(`${prefix}:puts`, peer, o.requests.filter((r) => r.method === 'PUT').length);
  results.add(
    `${prefix}:bytes`,
    peer,
    o.requests.reduce((sum, r) => sum + r.bytesIn, 0),
  );
  if (o.expected > 1) results.add(`${prefix}:final`, peer, o.final);
  env.log(
    `  ${peer}: ${o.toFinal === null ? `never (${o.final}/${o.expected}, ${o.gaveUp})` : `${o.toFinal} ms`}, ${o.requests.length} requests`,
  );
  // Where the time went: each request's method, status and arrival after going online.
  if (o.requests.length > 0 && o.requests.length <= 20)
    env.log(
      `    ${o.requests.map((r) => `${r.method} ${r.path.replace('/api/veo/', '').slice(0, 24)} ${r.status} +${r.at - o.start}`).join(', ')}`,
    );
}

/** Defines the rows of a case that ends on the server. */
function defineServerRows(results: Results, prefix: string, what: string, many: boolean) {
  results.define({
    id: `${prefix}:time`,
    label: `${what}: time to the final state on the server`,
    unit: 'ms',
  });
  if (many)
    results.define({
      id: `${prefix}:final`,
      label: `${what}: jobs final on the server`,
      noRatio: true,
      unit: 'requests',
    });
  results.define({
    id: `${prefix}:requests`,
    label: `${what}: API requests after going online`,
    unit: 'requests',
  });
  results.define({ id: `${prefix}:puts`, label: `${what}: of which PUT`, unit: 'requests' });
  results.define({ id: `${prefix}:bytes`, label: `${what}: bytes uploaded`, unit: 'bytes' });
}

/**
 * Offline saves of `specs` (the jobs handed to the page first), then online with the first
 * `failures` PUTs answered 500 by the client's proxy; the server's state awaited.
 */
async function offlineSavesThenOnline(
  env: BenchEnv,
  prefix: string,
  jobs: Readonly<Record<string, Job>>,
  specs: readonly SaveSpec[],
  { failures = 0, deadlineMs }: { failures?: number; deadlineMs: number },
) {
  const expected = new Map<string, string>();
  for (const spec of specs) expected.set(spec.jobId, spec.videoId);
  for (const name of env.order) {
    const peer = env.peers[name];
    await clearServer(env.appUrl);
    await withContext(env, async (context) => {
      const page = await peer.open(context);
      for (const [key, job] of Object.entries(jobs)) await putJob(page, key, job);
      await context.setOffline(true);
      const saves = await saveAll(page, specs);
      const errors = saves.filter((s) => s.error !== null);
      if (errors.length > 0)
        env.results.note(
          `${prefix}:time`,
          name,
          `${errors.length} of ${saves.length} saves failed offline: ${errors[0]!.error!.slice(0, 80)}`,
        );
      peer.proxy.failNext(failures, { method: 'PUT', status: 500 });
      const outcome = await goOnlineAndAwaitServer(env, peer, context, page, expected, {
        deadlineMs,
      });
      peer.proxy.failNext(0, { method: 'PUT', status: 500 });
      recordServerOutcome(env, name, prefix, outcome);
    });
  }
}

/** (b) One job saved 5 times offline, then online with the first 3 replays answered 500. */
export async function caseOneJobFiveSaves(env: BenchEnv): Promise<void> {
  defineServerRows(env.results, 'b', 'one job saved 5× offline, first 3 PUTs answered 500', false);
  const specs = Array.from({ length: 5 }, (_, i) => ({
    jobId: 'b-job',
    key: 'small',
    videoId: `b-job v${i + 1}`,
  }));
  await offlineSavesThenOnline(env, 'b', { small: sampleJob('b-job', 3) }, specs, {
    failures: 3,
    deadlineMs: 30_000,
  });
}

/** (c) Five jobs saved offline, then online with the first 3 replays answered 500. */
export async function caseFiveJobs(env: BenchEnv): Promise<void> {
  defineServerRows(env.results, 'c', '5 jobs saved offline, first 3 PUTs answered 500', true);
  const specs = Array.from({ length: 5 }, (_, i) => ({
    jobId: `c-job-${i + 1}`,
    key: 'small',
    videoId: `c-job-${i + 1} v1`,
  }));
  await offlineSavesThenOnline(env, 'c', { small: sampleJob('c-job', 3) }, specs, {
    failures: 3,
    deadlineMs: 30_000,
  });
}

/** (d) 50 offline edits of one 1 MB job; 100 offline edits over 20 jobs of `scenes` scenes. */
export async function caseManyEdits(env: BenchEnv, scenesOf20: number): Promise<void> {
  defineServerRows(env.results, 'd50', '50 offline edits of one 1 MB job', false);
  await offlineSavesThenOnline(
    env,
    'd50',
    { mb: sampleJob('d-job', SCENES_1MB) },
    Array.from({ length: 50 }, (_, i) => ({
      jobId: 'd-job',
      key: 'mb',
      videoId: `d-job v${i + 1}`,
    })),
    { deadlineMs: 120_000 },
  );
  defineServerRows(
    env.results,
    'd100',
    `100 offline edits over 20 jobs (${scenesOf20} scenes)`,
    true,
  );
  await offlineSavesThenOnline(
    env,
    'd100',
    { job: sampleJob('d2-job', scenesOf20) },
    Array.from({ length: 100 }, (_, i) => ({
      jobId: `d2-job-${(i % 20) + 1}`,
      key: 'job',
      videoId: `d2-job-${(i % 20) + 1} v${Math.floor(i / 20) + 1}`,
    })),
    { deadlineMs: 180_000 },
  );
}

/** The device jobs of case (a): 20 small, five of ~1 MB and two of ~5 MB, spread in the list. */
export function deviceJobs(): Job[] {
  return Array.from({ length: 27 }, (_, i) => {
    const scenes = i % 13 === 6 ? SCENES_5MB : i % 5 === 2 ? SCENES_1MB : 3;
    return sampleJob(`device-${i + 1}`, scenes, i + 1);
  });
}

/**
 * Makes the jobs on the server the client's own, as each would: veo-sync replicates every listed
 * job (waited for until all open offline); the recipe lists them and opens each, so its
 * NetworkFirst cache holds the list and every job; the plan keeps nothing when online.
 */
async function holdOnDevice(peer: Peer, page: Page, count: number): Promise<void> {
  if (peer.name === 'project') {
    await waitUntil(
      `${count} jobs open offline in veo-sync`,
      () =>
        page.evaluate(async (n) => {
          const jobs = await globalThis.veoCache!.getCachedJobList();
          return jobs.length >= n && jobs.every((j) => j.availableOffline);
        }, count),
      120_000,
    );
  } else if (peer.name === 'recipe') {
    await page.evaluate(async () => {
      const recipe = (
        globalThis as unknown as {
          recipe: { refresh(): Promise<boolean>; openJob(id: string): Promise<unknown> };
        }
      ).recipe;
      const response = await fetch('/api/veo/jobs');
      const { jobs } = (await response.json()) as { jobs: { jobId: string }[] };
      for (const job of jobs) await recipe.openJob(job.jobId);
      await recipe.refresh();
    });
  }
}

/** Case (g)'s row of how many rows each client's first screen held. */
export const FIRST_SCREEN_ROWS = 'g:first-rows';

/**
 * Reloads `reloads` times and records when the wanted rows were on screen; with
 * `want.firstScreen`, also the first screen (`${id}:first`) and its rows (`FIRST_SCREEN_ROWS`).
 */
async function timeReloads(
  env: BenchEnv,
  peer: Peer,
  page: Page,
  id: string,
  want: RowsWanted,
  reloads: number,
  between?: () => void,
) {
  for (let i = 0; i < reloads; i++) {
    // After a page that could not load, the tab shows Chromium's error page: back to the client's.
    if (!page.url().startsWith(peer.proxy.origin))
      await page.goto(peer.url, { waitUntil: 'commit' });
    const t = await timeRowsAfterNavigation(page, peer.url, want, 20_000).catch(
      (error: unknown) => ({ ok: false as const, error: String(error).split('\n')[0]! }),
    );
    between?.();
    if (!t.ok) {
      const reason = t.error.replace(/^page\.goto: /, '').replace(/ at https?:.*/, '');
      const note = `cannot load: ${reason.slice(0, 60)}`;
      env.results.note(id, peer.name, note);
      if (want.firstScreen) env.results.note(`${id}:first`, peer.name, note);
      env.log(`  ${peer.name}: ${t.error}`);
      return; // a page that cannot load will not load on the next try either
    }
    env.results.add(id, peer.name, t.shown);
    env.results.add(`${id}:dcl`, peer.name, t.domContentLoaded);
    if (t.hydrated !== null) env.results.add(`${id}:hydrated`, peer.name, t.hydrated);
    if (t.firstScreen) {
      env.results.add(`${id}:first`, peer.name, t.firstScreen.at);
      env.results.add(FIRST_SCREEN_ROWS, peer.name, t.firstScreen.rows);
    }
    const first = t.firstScreen
      ? `first screen ${t.firstScreen.at.toFixed(0)} ms, ${t.firstScreen.rows} rows; `
      : '';
    env.log(
      `  ${peer.name}: ${t.shown.toFixed(0)} ms (${first}DOMContentLoaded ${t.domContentLoaded.toFixed(0)} ms)`,
    );
  }
}

/**
 * The rows of a reload case: when the wanted rows were on screen (`shown`, or `label` itself),
 * DOMContentLoaded and veo-sync's hydration, and the first screen where it is timed.
 */
function defineReloadRows(
  results: Results,
  id: string,
  label: string,
  { shown = label, firstScreen }: { shown?: string; firstScreen?: string } = {},
) {
  if (firstScreen) results.define({ id: `${id}:first`, label: firstScreen, unit: 'ms' });
  results.define({ id, label: shown, unit: 'ms' });
  results.define({ id: `${id}:dcl`, label: `${label}: DOMContentLoaded`, unit: 'ms' });
  results.define({
    id: `${id}:hydrated`,
    label: `${label}: veo:hydrated mark`,
    unit: 'ms',
    peers: ['project'],
  });
}

/** (a) A reload while offline with 27 jobs on the device → a known job's row on screen. */
export async function caseOfflineReload(env: BenchEnv, reloads: number): Promise<void> {
  const id = 'a';
  defineReloadRows(
    env.results,
    id,
    'reload offline, 27 jobs on the device → a known job on screen',
  );
  const jobs = deviceJobs();
  await clearServer(env.appUrl);
  await seedServer(env.appUrl, jobs);
  for (const name of env.order) {
    const peer = env.peers[name];
    await withContext(env, async (context) => {
      const page = await peer.open(context);
      await holdOnDevice(peer, page, jobs.length);
      await context.setOffline(true);
      await timeReloads(env, peer, page, id, { jobId: 'device-14' }, reloads);
    });
  }
}

/**
 * (g) 200 jobs after a reload offline, with the API hanging, with the API reset: until all 200
 * rows are in the DOM, and until the first screen (the newest job's row, and rows down to the
 * viewport's bottom edge), in the same reloads.
 */
export async function caseHistory200(
  env: BenchEnv,
  { offline, hanging }: { offline: number; hanging: number },
): Promise<void> {
  const modes = [
    ['g-offline', 'offline'],
    ['g-hanging', 'API never answering'],
    ['g-reset', 'API connections reset'],
  ] as const;
  for (const [id, mode] of modes) {
    const label = `200 jobs after a reload, ${mode}`;
    defineReloadRows(env.results, id, label, {
      shown: `${label}: all 200 rows in the DOM (veo-sync: the ${JOB_LIST_PAGE} it shows first)`,
      firstScreen: `${label}: the first screen (the newest job's row, the viewport filled)`,
    });
  }
  env.results.define({
    id: FIRST_SCREEN_ROWS,
    label: `200 jobs after a reload: rows in the DOM at the first screen (${VIEWPORT.width} × ${VIEWPORT.height} viewport)`,
    unit: 'requests',
    noRatio: true,
  });
  // One millisecond apart, so every client lists them in one order: h-200 the newest.
  const newestAt = Date.now() - 1000;
  const jobs: Job[] = Array.from({ length: 200 }, (_, i) => ({
    ...sampleJob(`h-${i + 1}`, 1, i + 1),
    data: { scenes: [] },
    updatedAt: newestAt - (199 - i),
  }));
  await clearServer(env.appUrl);
  await seedServer(env.appUrl, jobs);
  const [newest] = (await serverVideoIds(env.appUrl)).keys();
  if (newest !== 'h-200') throw new Error(`the server lists ${String(newest)} first, not h-200`);
  for (const name of env.order) {
    const peer = env.peers[name];
    // veo-sync's page shows a first page of rows, then "Show more": all the rows it shows.
    const count = name === 'project' ? Math.min(200, JOB_LIST_PAGE) : 200;
    const want: RowsWanted = { count, firstScreen: { jobId: newest, count } };
    await withContext(env, async (context) => {
      const page = await peer.open(context);
      await holdOnDevice(peer, page, jobs.length);
      if (name === 'plan') {
        // The plan keeps a job in localStorage when its PUT fails: these saves fail on a reset
        // connection, as they would have on a dead network.
        peer.proxy.setApiMode('reset');
        await page.evaluate(async (list) => {
          const plan = (
            globalThis as unknown as { plan: { setCachedJob(id: string, job: Job): Promise<void> } }
          ).plan;
          for (const job of list) await plan.setCachedJob(String(job.jobId), job);
        }, jobs);
        peer.proxy.setApiMode('forward');
      }
      await context.setOffline(true);
      await timeReloads(env, peer, page, 'g-offline', want, offline);
      await context.setOffline(false);
      peer.proxy.setApiMode('hang');
      await timeReloads(env, peer, page, 'g-hanging', want, hanging, () => peer.proxy.dropHeld());
      peer.proxy.setApiMode('reset');
      await timeReloads(env, peer, page, 'g-reset', want, offline);
      peer.proxy.setApiMode('forward');
    });
  }
}

/** (e) A 5 MB save (and a 1 MB one): time to resolve offline and online, beside the floor. */
export async function caseBigSave(env: BenchEnv, saves: number): Promise<void> {
  const { results } = env;
  results.define({
    id: 'e-floor',
    label: 'floor in the same page: JSON.stringify + one IndexedDB put of the 5 MB job as a Blob',
    unit: 'ms',
  });
  results.define({
    id: 'e-5mb-offline',
    label: 'save a 5 MB job offline: promise settled',
    unit: 'ms',
  });
  results.define({
    id: 'e-1mb-offline',
    label: 'save a 1 MB job offline: promise settled',
    unit: 'ms',
  });
  results.define({
    id: 'e-5mb-online',
    label: 'save a 5 MB job online: promise settled',
    unit: 'ms',
  });
  const big = sampleJob('e-big', SCENES_5MB, 5);
  const mb = sampleJob('e-mb', SCENES_1MB, 6);
  for (const name of env.order) {
    const peer = env.peers[name];
    await clearServer(env.appUrl);
    await withContext(env, async (context) => {
      const page = await peer.open(context);
      await putJob(page, 'big', big);
      await putJob(page, 'mb', mb);
      const record = (id: string, save: SaveResult | undefined) => {
        if (!save) return;
        results.add(id, name, save.took);
        if (save.queued)
          results.note(id, name, 'the fetch rejected: queued by BackgroundSyncPlugin', 'detail');
        if (save.error) results.note(id, name, `then failed: ${save.error.replace(/:.*/, '')}`);
        env.log(
          `  ${name} ${id}: ${save.took.toFixed(0)} ms${save.error ? ` (${save.error.slice(0, 70)})` : ''}`,
        );
      };
      const saveOne = async (key: string, jobId: string) =>
        (await saveAll(page, [{ jobId, key, videoId: jobId }]))[0];
      // Online first, each save on a quiet device (the previous one uploaded).
      for (let i = 0; i < ONLINE_SAVES; i++) {
        await waitUntil('the client to be idle', () => isIdle(page), 60_000);
        const jobId = `e-on-${i}`;
        record('e-5mb-online', await saveOne('big', jobId));
        // A save can resolve with the server having refused it (the plan then keeps it locally).
        const put = peer.proxy.log.findLast(
          (r) => r.method === 'PUT' && r.path.endsWith(`/${jobId}`),
        );
        if (put && put.status >= 400)
          results.note('e-5mb-online', name, `the server answered its PUT ${put.status}`, 'detail');
      }
      await waitUntil('the client to be idle', () => isIdle(page), 60_000);
      await context.setOffline(true);
      // Each offline save right after a floor measured in the same page, in the same state.
      for (let i = 0; i < saves; i++) {
        results.add('e-floor', name, await floor(page, 'big'));
        record('e-5mb-offline', await saveOne('big', `e-big-${i}`));
      }
      for (let i = 0; i < saves; i++) record('e-1mb-offline', await saveOne('mb', `e-mb-${i}`));
    });
  }
}

/** 5 MB saves online per client and round (the recipe's and the plan's wait for the server). */
const ONLINE_SAVES = 2;

const CROSS_TAB_WAIT_MS = 5000;

/**
 * (f) A save on one tab, its row on screen in a second tab of the same origin: online, small and
 * 5 MB, each save on a quiet device (the previous one uploaded); then small saves offline.
 */
export async function caseCrossTab(env: BenchEnv, savesPerSize: number): Promise<void> {
  const { results } = env;
  const small = sampleJob('f-small', 3, 7);
  const sizes = [
    { id: 'f-small', key: 'small', label: 'small (3 scenes)', job: small, offline: false },
    {
      id: 'f-big',
      key: 'big',
      label: '5 MB',
      job: sampleJob('f-big', SCENES_5MB, 8),
      offline: false,
    },
    { id: 'f-offline', key: 'small', label: 'small, offline,', job: small, offline: true },
  ];
  for (const size of sizes)
    results.define({
      id: size.id,
      label: `a ${size.label} save seen in another tab, from the start of the save`,
      unit: 'ms',
      summary: 'p95',
    });
  for (const name of env.order) {
    const peer = env.peers[name];
    await clearServer(env.appUrl);
    await withContext(env, async (context) => {
      const writer = await peer.open(context);
      const reader = await peer.open(context);
      for (const size of sizes) {
        await putJob(writer, size.key, size.job);
        if (size.offline) await context.setOffline(true);
        const seen: number[] = [];
        for (let i = 0; i < savesPerSize; i++) {
          if (!size.offline) await waitUntil('the writer to be idle', () => isIdle(writer), 60_000);
          const jobId = `${size.id}-${i}-${Date.now()}`;
          const appeared = Promise.race([
            whenRowAppears(reader, jobId),
            sleep(CROSS_TAB_WAIT_MS).then(() => null),
          ]);
          const [save] = await saveAll(writer, [{ jobId, key: size.key, videoId: jobId }]);
          const at = await appeared;
          if (save?.error)
            results.note(size.id, name, `the save failed: ${save.error.replace(/:.*/, '')}`);
          if (at === null || !save) {
            // It would not show the next one either: the rest of this size is skipped.
            results.note(size.id, name, `not shown within ${CROSS_TAB_WAIT_MS / 1000} s`);
            break;
          }
          seen.push(at - save.startedAt);
          results.add(size.id, name, at - save.startedAt);
        }
        env.log(`  ${name} ${size.id}: ${seen.map((s) => s.toFixed(0)).join(', ')} ms`);
      }
    });
  }
}

/** Case (h)'s jobs: how many, and the search typed into the finder. */
export const HISTORY_500 = 500;

/**
 * Types `key` into the focused finder field and resolves with the time (ms) from the key's
 * `keydown` to the first frame after the finder's count reads `expected` (its start): a
 * keystroke, through React's render of the list, to what the user sees.
 */
async function timeKeystroke(page: Page, key: string, expected: string): Promise<number> {
  await page.evaluate((want) => {
    const input = document.querySelector<HTMLInputElement>('.finder input[type="search"]')!;
    const status = document.querySelector('.finder-count')!;
    const target = globalThis as unknown as { __keystroke?: Promise<number> };
    target.__keystroke = new Promise<number>((resolve) => {
      let pressedAt: number | null = null;
      input.addEventListener('keydown', (event) => (pressedAt = event.timeStamp), { once: true });
      const observer = new MutationObserver(() => {
        if (pressedAt === null || !(status.textContent ?? '').startsWith(want)) return;
        observer.disconnect();
        const from = pressedAt;
        // The frame the new list is painted in: after the next animation frame's callbacks.
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - from), 0));
      });
      observer.observe(status, { childList: true, characterData: true, subtree: true });
    });
  }, expected);
  await page.keyboard.press(key);
  return page.evaluate(
    () => (globalThis as unknown as { __keystroke: Promise<number> }).__keystroke,
  );
}

/** Waits until the finder's count starts with `text` and nothing is being indexed. */
async function finderSettled(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const count = document.querySelector('.finder-count')?.textContent ?? '';
      return count.startsWith(want) && !/not searched by prompt yet/.test(count);
    },
    text,
    { timeout: 120_000, polling: 50 },
  );
}

/**
 * (h) veo-sync alone (the peers have no finder): 500 jobs on the device; a reload (online) →
 * the first screen, the live list (React's, after hydration) and the main thread's long tasks
 * until then; then keystrokes in the finder → the list updated on screen: one that narrows the
 * search ("k-4" → "k-49": 111 jobs → 11) and one that clears it (→ all 500).
 */
export async function caseHistory500(
  env: BenchEnv,
  { reloads, keystrokes }: { reloads: number; keystrokes: number },
): Promise<void> {
  const { results } = env;
  const only = { peers: ['project'] as PeerName[] };
  const label = `${HISTORY_500} jobs`;
  results.define({
    id: 'h:first',
    label: `${label} after a reload: the first screen (the newest job's row, the viewport filled)`,
    unit: 'ms',
    ...only,
  });
  results.define({
    id: 'h:live',
    label: `${label} after a reload: the live list (after hydration) in the DOM`,
    unit: 'ms',
    ...only,
  });
  results.define({
    id: 'h:longtasks',
    label: `${label} after a reload: main-thread long tasks until the live list (total)`,
    unit: 'ms',
    ...only,
  });
  results.define({
    id: 'h:rows',
    label: `${label} after a reload: rows in the live list`,
    unit: 'requests',
    noRatio: true,
    ...only,
  });
  results.define({
    id: 'h:index',
    label: `${label}, the first text search → every job searched by prompt (the index built)`,
    unit: 'ms',
    ...only,
  });
  results.define({
    id: 'h:narrow',
    label: `${label}, a keystroke that narrows the search (111 → 11 jobs) → on screen`,
    unit: 'ms',
    ...only,
  });
  results.define({
    id: 'h:clear',
    label: `${label}, a keystroke that clears the search (→ all ${HISTORY_500}) → on screen`,
    unit: 'ms',
    ...only,
  });
  const newestAt = Date.now() - 1000;
  const jobs: Job[] = Array.from({ length: HISTORY_500 }, (_, i) => ({
    ...sampleJob(`k-${i + 1}`, 3, i + 1),
    updatedAt: newestAt - (HISTORY_500 - 1 - i),
  }));
  await clearServer(env.appUrl);
  await seedServer(env.appUrl, jobs);
  const peer = env.peers.project;
  await withContext(env, async (context) => {
    const page = await peer.open(context);
    await holdOnDevice(peer, page, jobs.length);
    const newest = `k-${HISTORY_500}`;
    for (let i = 0; i < reloads; i++) {
      const t = await timeRowsAfterNavigation(
        page,
        peer.url,
        { jobId: newest, firstScreen: { jobId: newest, count: HISTORY_500 }, live: true },
        60_000,
      );
      if (!t.ok) throw new Error(`(h) reload: ${t.error}`);
      const live = t.live ?? NaN;
      const blocked = t.longTasks
        .filter((task) => task.start < live)
        .reduce((sum, task) => sum + task.duration, 0);
      if (t.firstScreen) results.add('h:first', 'project', t.firstScreen.at);
      results.add('h:live', 'project', live);
      results.add('h:longtasks', 'project', blocked);
      const rows = await page.evaluate(() =>
        (globalThis as unknown as { __bench: { liveRows(): number } }).__bench.liveRows(),
      );
      results.add('h:rows', 'project', rows);
      env.log(
        `  project: first screen ${t.firstScreen?.at.toFixed(0)} ms, live list ${live.toFixed(0)} ms (${rows} rows), long tasks ${blocked.toFixed(0)} ms`,
      );
    }
    const search = page.locator('.finder input[type="search"]');
    // The first text search indexes the prompts of every job on the device.
    const indexStart = Date.now();
    await search.fill('k-4');
    await finderSettled(page, '111 of 500 jobs');
    const indexed = Date.now() - indexStart;
    results.add('h:index', 'project', indexed);
    env.log(`  project: first text search → every job searched by prompt: ${indexed} ms`);
    for (let i = 0; i < keystrokes; i++) {
      await search.fill('k-4');
      await finderSettled(page, '111 of 500 jobs');
      await search.focus();
      await page.keyboard.press('End');
      const narrow = await timeKeystroke(page, '9', '11 of 500 jobs');
      await finderSettled(page, '11 of 500 jobs');
      await page.keyboard.press('Control+A');
      const clear = await timeKeystroke(page, 'Backspace', `${HISTORY_500} jobs`);
      await finderSettled(page, `${HISTORY_500} jobs`);
      results.add('h:narrow', 'project', narrow);
      results.add('h:clear', 'project', clear);
      env.log(
        `  project: keystroke narrowing ${narrow.toFixed(0)} ms, clearing ${clear.toFixed(0)} ms`,
      );
    }
  });
}
