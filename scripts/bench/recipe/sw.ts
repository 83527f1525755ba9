/**
 * The standard Workbox recipe for an offline-capable app over this project's API, as Workbox's
 * documentation sets it up (https://developer.chrome.com/docs/workbox/modules/workbox-background-sync,
 * …/workbox-strategies, …/workbox-precaching, and workbox-recipes' `pageCache`):
 *
 * - the shell (the page and its script) precached with `precacheAndRoute(self.__WB_MANIFEST)`;
 * - `PUT` and `DELETE` of `/api/veo/jobs/:id` through `NetworkOnly` with a `BackgroundSyncPlugin`:
 *   a request that fails on the network is stored in the plugin's IndexedDB queue and replayed
 *   on the `sync` event (Chromium's Background Sync);
 * - `GET /api/veo/jobs` (the list) and `GET /api/veo/jobs/:id` through `NetworkFirst` with a
 *   cache and `networkTimeoutSeconds: 3`, as `pageCache` configures it.
 *
 * `pageCache` also adds `CacheableResponsePlugin({ statuses: [0, 200] })`; `NetworkFirst`
 * caches exactly those statuses by default, so it is left out. `skipWaiting` and `clientsClaim`
 * are generateSW's options of the same names, on, so the first page is controlled at once.
 *
 * Built by scripts/bench/recipe/build.ts with esbuild; the bench serves it from an origin of its
 * own. Type-checked with the project's DOM library: the few service worker globals are typed here.
 */
import { BackgroundSyncPlugin } from 'workbox-background-sync';
import { clientsClaim, type WorkboxPlugin } from 'workbox-core';
import { precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { NetworkFirst, NetworkOnly } from 'workbox-strategies';

interface RecipeWorkerGlobal {
  /** Replaced at build time by the precache manifest (esbuild `define`), as injectManifest does. */
  __WB_MANIFEST: (PrecacheEntry | string)[];
  skipWaiting(): Promise<void>;
}
const worker = self as unknown as RecipeWorkerGlobal;

void worker.skipWaiting();
clientsClaim();

// Written as `self.__WB_MANIFEST` for esbuild's define to find it (the cast is erased).
precacheAndRoute((self as unknown as RecipeWorkerGlobal).__WB_MANIFEST);

const JOB_PATH = /^\/api\/veo\/jobs\/[^/]+$/;

// Workbox's example keeps a failed request for up to 24 hours (in minutes).
const backgroundSync = new BackgroundSyncPlugin('veo-jobs', { maxRetentionTime: 24 * 60 });
for (const method of ['PUT', 'DELETE'] as const) {
  registerRoute(
    ({ url }) => JOB_PATH.test(url.pathname),
    // Workbox's own types disagree under exactOptionalPropertyTypes (`fetchDidFail?:` vs its
    // declared `fetchDidFail: … | undefined`); the object is the plugin its documentation passes.
    new NetworkOnly({ plugins: [backgroundSync as WorkboxPlugin] }),
    method,
  );
}

const api = new NetworkFirst({ cacheName: 'veo-api', networkTimeoutSeconds: 3 });
registerRoute(
  ({ url }) => url.pathname === '/api/veo/jobs' || JOB_PATH.test(url.pathname),
  api,
  'GET',
);
