import { IDBFactory } from 'fake-indexeddb';
import type { SyncEnvironment } from '@/lib/client/environment';
import { createLocalLocks, type LockManagerLike } from '@/lib/client/locks';
import type { ChangeTransport, JobsChangedEvent } from '@/lib/client/notifier';
import {
  createSyncClient,
  type SyncClient,
  type SyncClientOptions,
} from '@/lib/client/sync-client';
import { createCookieJar } from './cookie-jar';
import { createFaultyFetch, type FaultyFetch } from './faulty-fetch';

/** A test-controlled network and visibility, with the events a page would get. */
export interface FakeEnvironment extends SyncEnvironment {
  setOnline(online: boolean): void;
  show(): void;
  visible: boolean;
}

export function createFakeEnvironment(): FakeEnvironment {
  let online = true;
  const onlineListeners = new Set<(online: boolean) => void>();
  const visibleListeners = new Set<() => void>();
  const env: FakeEnvironment = {
    visible: true,
    isOnline: () => online,
    isVisible: () => env.visible,
    onOnlineChange(listener) {
      onlineListeners.add(listener);
      return () => onlineListeners.delete(listener);
    },
    onVisible(listener) {
      visibleListeners.add(listener);
      return () => visibleListeners.delete(listener);
    },
    setOnline(next) {
      online = next;
      for (const l of [...onlineListeners]) l(next);
    },
    show() {
      env.visible = true;
      for (const l of [...visibleListeners]) l();
    },
  };
  return env;
}

/**
 * In-memory "BroadcastChannel" shared by the tabs of one simulated device: delivers to every
 * other member asynchronously, never to the sender, like the real one.
 */
export function createChannelHub() {
  const members = new Set<(event: JobsChangedEvent) => void>();
  return {
    transport(): ChangeTransport {
      const own = new Set<(event: JobsChangedEvent) => void>();
      return {
        post(event) {
          for (const member of members) {
            if (!own.has(member)) queueMicrotask(() => member(structuredClone(event)));
          }
        },
        subscribe(listener) {
          own.add(listener);
          members.add(listener);
          return () => {
            own.delete(listener);
            members.delete(listener);
          };
        },
      };
    },
  };
}

export interface Device {
  readonly indexedDB: IDBFactory;
  readonly locks: LockManagerLike;
  readonly hub: ReturnType<typeof createChannelHub>;
  /** The browser's cookies, shared by the device's tabs. */
  readonly cookies: ReturnType<typeof createCookieJar>;
  /** Opens a tab: a sync client on this device's database, with its own network wrapper. */
  openTab(overrides?: Partial<SyncClientOptions>): Tab;
}

export interface Tab {
  readonly client: SyncClient;
  readonly net: FaultyFetch;
  readonly env: FakeEnvironment;
  /** Every change event this tab's subscribers received. */
  readonly events: JobsChangedEvent[];
}

/** A simulated device: its own IndexedDB, Web Locks and BroadcastChannel, shared by its tabs. */
export function createDevice(origin: string): Device {
  const indexedDB = new IDBFactory();
  const locks = createLocalLocks();
  const hub = createChannelHub();
  const cookies = createCookieJar();
  return {
    indexedDB,
    locks,
    hub,
    cookies,
    openTab(overrides = {}) {
      const net = createFaultyFetch(cookies.wrap(fetch));
      const env = createFakeEnvironment();
      const client = createSyncClient({
        indexedDB,
        fetch: net.fetch,
        baseUrl: origin,
        locks,
        transports: [hub.transport()],
        environment: env,
        random: () => 0.5,
        ...overrides,
      });
      const events: JobsChangedEvent[] = [];
      client.subscribe((event) => events.push(event));
      return { client, net, env, events };
    },
  };
}
