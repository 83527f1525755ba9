/**
 * The service worker: makes the installed app work on a bad connection.
 *
 * - Replays the outbox when the browser says the network is back (Background Sync), with the
 *   same sync engine and the same Web Lock as the pages; where Background Sync is missing, on
 *   start, on a page's request, and when a page reports `online`.
 * - Brings every listed job's data onto the device in the background (lib/client/replicate.ts),
 *   for every page it controls, and keeps at it when they close.
 * - Answers `GET /api/veo/jobs[/:id]` from the device's replica when the network fails or hangs,
 *   and queues writes sent while offline (202), for callers other than the sync engine.
 * - Serves the app shell from the precache, so the app starts offline.
 * - Tells every open window what changed.
 */
import { clientsClaim } from 'workbox-core';
import {
  cleanupOutdatedCaches,
  matchPrecache,
  precacheAndRoute,
  type PrecacheEntry,
} from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import {
  broadcastChannelTransport,
  type ChangeTransport,
  type JobsChangedEvent,
} from '@/lib/client/notifier';
import { createSyncClient } from '@/lib/client/sync-client';
import { isPageToWorkerMessage, SYNC_TAG } from '@/lib/client/sw-protocol';
import { JOB_LIST_PAGE, jobListParts } from 'veo:job-list-html';
import { LOADING_ROWS, splitAtRows } from '@/lib/veo/early-rows';
import { createApiFallback, isApiRequest } from './api-fallback';
import { workerEnvironment } from './worker-environment';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] };

/** How long a navigation may wait for the network before the cached shell answers (ms). */
const NAVIGATION_TIMEOUT_MS = 3_000;

/** The page every navigation falls back to offline: the history (any route renders from it). */
const SHELL_URL = '/veo';

// --- app shell ----------------------------------------------------------------------------------

/** How long the history page may wait for the device's rows before it is served without them. */
const ROWS_WAIT_MS = 150;

// The history page, served from the precache with the device's rows already in its HTML
// (lib/veo/early-rows.ts): the first frame shows the jobs, before any of the app's code has run.
// Registered before the precache's own route, which serves every other precached URL.
registerRoute(
  ({ request, url }) => request.mode === 'navigate' && url.pathname === SHELL_URL,
  async ({ request }) => (await historyPage()) ?? fetch(request),
);

async function historyPage(): Promise<Response | undefined> {
  const page = await matchPrecache(SHELL_URL);
  if (!page) return undefined;
  const html = await page.text();
  const [before, after] = splitAtRows(html);
  if (after === undefined) return new Response(html, { headers: page.headers });
  // The page up to its rows goes out at once (the browser fetches the styles and scripts it
  // names meanwhile); then the first screen of rows as soon as the device has been read, the
  // other rows after them, the rest of the page last.
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => controller.enqueue(encoder.encode(text));
      send(before);
      for (const part of await deviceRows()) {
        send(part());
        // Let the browser have it before the next piece is made.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      send(after);
      controller.close();
    },
  });
  // The body is a new one: its length is not the cached page's.
  const headers = new Headers(page.headers);
  headers.delete('content-length');
  return new Response(body, { headers });
}

/**
 * How many rows go out first: a screenful on a tall desktop screen; then the rest of the page's
 * first page of rows (JOB_LIST_PAGE), in pieces.
 */
const FIRST_ROWS = 16;
const MORE_ROWS = 50;

/**
 * The device's rows as HTML, in pieces made one after the other as they are sent; the page's own
 * "Loading" when there are none or the device is slow to answer.
 */
async function deviceRows(): Promise<(() => string)[]> {
  try {
    const jobs = await Promise.race([
      client.listJobs({ localOnly: true }),
      new Promise<undefined>((resolve) => setTimeout(resolve, ROWS_WAIT_MS)),
    ]);
    if (jobs?.length) {
      // The page's first page of rows and its "Show more", as the page renders them.
      const shown = Math.min(jobs.length, JOB_LIST_PAGE);
      const pieces = [() => jobListParts.open() + jobListParts.rows(jobs.slice(0, FIRST_ROWS))];
      for (let start = FIRST_ROWS; start < shown; start += MORE_ROWS) {
        pieces.push(() => jobListParts.rows(jobs.slice(start, Math.min(start + MORE_ROWS, shown))));
      }
      pieces.push(() => jobListParts.close(jobs.length, shown));
      return pieces;
    }
  } catch (error) {
    console.error('[veo-sync] the history page is served without its rows', error);
  }
  return [() => LOADING_ROWS];
}

// The manifest is injected at build time (scripts/build-sw.ts): Next's hashed assets and the
// prerendered pages, revisioned by build id.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
clientsClaim();

self.addEventListener('activate', (event) => {
  // Anything this worker does not use is from an older version of the app.
  event.waitUntil(
    (async () => {
      const keep = new Set((await caches.keys()).filter((name) => name.includes('precache')));
      for (const name of await caches.keys()) if (!keep.has(name)) await caches.delete(name);
    })(),
  );
});

// Precached pages are answered by the precache above. Any other navigation goes to the network,
// and when the network fails or takes longer than the timeout, it is sent to the shell (a
// redirect, so the page hydrates at its own URL). Pages are never put in a runtime cache: the
// precache is the one copy, replaced with each version.
registerRoute(
  ({ request, url }) => request.mode === 'navigate' && !url.pathname.startsWith('/api/'),
  new NetworkOnly({
    networkTimeoutSeconds: NAVIGATION_TIMEOUT_MS / 1000,
    plugins: [
      {
        handlerDidError: async () =>
          (await matchPrecache(SHELL_URL))
            ? Response.redirect(new URL(SHELL_URL, self.location.origin).href, 302)
            : Response.error(),
      },
    ],
  }),
);

// --- the sync engine, as the worker runs it -----------------------------------------------------

/** Posts changes to every window, controlled or not (a first load is not controlled yet). */
const windowsTransport: ChangeTransport = {
  post(event) {
    void postToWindows(event);
  },
  // Pages' changes reach the worker as relays (below); nothing to subscribe to here.
  subscribe: () => () => undefined,
};

async function postToWindows(message: unknown, except?: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) if (client.id !== except) client.postMessage(message);
}

const hasBackgroundSync = 'sync' in self.registration;
const channel = broadcastChannelTransport();

const client = createSyncClient({
  indexedDB: self.indexedDB,
  fetch: self.fetch.bind(self),
  transports: channel ? [windowsTransport, channel] : [windowsTransport],
  environment: workerEnvironment(),
  // A write queued by the worker itself (an offline PUT from a caller): Background Sync sends it.
  delegateDrain: async () => {
    if (!hasBackgroundSync) return false;
    await self.registration.sync.register(SYNC_TAG);
    return true;
  },
});

let wasSyncing = false;
client.subscribeStatus((status) => {
  if (status.syncing === wasSyncing) return;
  wasSyncing = status.syncing;
  void postToWindows({ type: 'veo-sync-status', syncing: status.syncing });
});

self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    (async () => {
      const result = await client.drain({ force: true });
      if ((await client.pull().catch(() => undefined))?.ok) await client.replicate();
      // Rethrowing tells the browser to retry later with its own backoff. On the last chance it
      // will not: the ops stay in the outbox for the next start, `online` or page request.
      if (result.stopped?.kind === 'retryable' && !event.lastChance) {
        throw new Error(`Outbox not drained: ${result.stopped.message}`);
      }
    })(),
  );
});

self.addEventListener('message', (event) => {
  const message: unknown = event.data;
  if (!isPageToWorkerMessage(message)) return;
  switch (message.type) {
    case 'SKIP_WAITING':
      void self.skipWaiting();
      return;
    case 'veo-relay': {
      const source = event.source && 'id' in event.source ? event.source.id : undefined;
      event.waitUntil(postToWindows(message.event satisfies JobsChangedEvent, source));
      return;
    }
    case 'veo-drain':
    case 'veo-online':
      event.waitUntil(client.sync());
      return;
    case 'veo-replicate':
      event.waitUntil(
        client.replicate(Array.isArray(message.first) ? message.first.map(String) : []),
      );
      return;
  }
});

// Whenever the worker starts (for navigations, fetches and messages), send what is due. Browsers
// without Background Sync (Safari, Firefox) get no `sync` event at all: they also pull. With it,
// this still catches an op whose trigger was lost; with nothing due it costs one IndexedDB read
// and no request.
if (hasBackgroundSync) void client.drain().catch(() => undefined);
else void client.sync().catch(() => undefined);

// --- API answers when the network cannot ----------------------------------------------------

const fallback = createApiFallback(client);
for (const method of ['GET', 'PUT', 'DELETE'] as const) {
  registerRoute(
    ({ request, url }) => isApiRequest(request, url),
    ({ request }) => fallback.handle(request),
    method,
  );
}
