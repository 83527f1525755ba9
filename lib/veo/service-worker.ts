/**
 * The page's side of the service worker: registration (workbox-window), the worker's messages
 * plugged into the sync engine, handing drains to Background Sync, and updates on request.
 * Where no worker controls the page (first load, private windows, no support), nothing here is
 * in the way: the page drains itself and tabs talk over BroadcastChannel.
 */
import { Workbox } from 'workbox-window';
import {
  isJobsChangedEvent,
  type ChangeTransport,
  type JobsChangedEvent,
} from '@/lib/client/notifier';
import {
  SYNC_TAG,
  isSyncActivityMessage,
  type PageToWorkerMessage,
} from '@/lib/client/sw-protocol';
import type { SyncClient } from '@/lib/client/sync-client';

export const SERVICE_WORKER_URL = '/sw.js';

function container(): ServiceWorkerContainer | undefined {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator
    ? navigator.serviceWorker
    : undefined;
}

function post(message: PageToWorkerMessage): boolean {
  const controller = container()?.controller;
  if (!controller) return false;
  controller.postMessage(message);
  return true;
}

/**
 * Hands the drain after a write to the worker: a Background Sync registration where the browser
 * has it (the drain then survives the tab closing), a message where it does not. Resolves false
 * when no worker controls the page, and the page drains itself.
 */
export async function delegateDrainToServiceWorker(): Promise<boolean> {
  const sw = container();
  if (!sw?.controller) return false;
  const registration = activeRegistration ?? (activeRegistration = await sw.ready);
  if ('sync' in registration) {
    // The request leaves for the browser with this call; waiting for its answer would only
    // delay the save. Should the browser refuse, the worker is asked directly.
    registration.sync.register(SYNC_TAG).catch(() => post({ type: 'veo-drain' }));
    return true;
  }
  return post({ type: 'veo-drain' });
}

/**
 * Hands background replication to the worker that controls the page: it goes on when the tab
 * closes, and one worker replicates for every tab. False when no worker controls the page.
 */
export function delegateReplicationToServiceWorker(first: readonly string[]): Promise<boolean> {
  return Promise.resolve(post({ type: 'veo-replicate', first }));
}

/** Changes to and from the other windows, relayed by the worker. */
function serviceWorkerTransport(sw: ServiceWorkerContainer): ChangeTransport {
  return {
    post(event: JobsChangedEvent) {
      post({ type: 'veo-relay', event });
    },
    subscribe(listener) {
      const onMessage = (message: MessageEvent<unknown>) => {
        if (isJobsChangedEvent(message.data)) listener(message.data);
      };
      sw.addEventListener('message', onMessage);
      return () => sw.removeEventListener('message', onMessage);
    },
  };
}

export interface ServiceWorkerState {
  /** A new version is installed and waiting; `activateUpdate()` switches to it. */
  readonly updateReady: boolean;
  /** The worker is draining or pulling. */
  readonly workerSyncing: boolean;
}

const listeners = new Set<(state: ServiceWorkerState) => void>();
let state: ServiceWorkerState = { updateReady: false, workerSyncing: false };
let workbox: Workbox | undefined;
let activeRegistration: ServiceWorkerRegistration | undefined;

function setState(patch: Partial<ServiceWorkerState>): void {
  state = { ...state, ...patch };
  for (const listener of [...listeners]) listener(state);
}

export const serviceWorkerState = {
  get: (): ServiceWorkerState => state,
  subscribe(listener: (state: ServiceWorkerState) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/**
 * Registers the worker and connects it to `client`. Safe to call more than once.
 */
export async function startServiceWorker(client: SyncClient): Promise<void> {
  const sw = container();
  if (!sw || workbox) return;
  workbox = new Workbox(SERVICE_WORKER_URL);
  client.addTransport(serviceWorkerTransport(sw));
  sw.addEventListener('message', (message: MessageEvent<unknown>) => {
    if (isSyncActivityMessage(message.data)) {
      setState({ workerSyncing: message.data.syncing });
      void client.refreshStatus().catch(() => undefined);
    }
  });
  // Without Background Sync the worker hears about the network only from pages.
  window.addEventListener('online', () => void post({ type: 'veo-online' }));
  workbox.addEventListener('waiting', () => setState({ updateReady: true }));
  await workbox.register();
  activeRegistration = await sw.ready;
}

/**
 * Activates the waiting version and reloads into it. The outbox is in IndexedDB, shared by both
 * versions: an op in flight during the switch is either acknowledged or sent again (same op id).
 */
export function activateUpdate(): void {
  if (!workbox) return;
  workbox.addEventListener('controlling', () => window.location.reload());
  workbox.messageSkipWaiting();
}
