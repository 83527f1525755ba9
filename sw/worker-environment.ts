import type { SyncEnvironment } from '@/lib/client/environment';

declare const self: ServiceWorkerGlobalScope;

/** The service worker's view: it has the network state, but no one looks at it. */
export function workerEnvironment(): SyncEnvironment {
  return {
    isOnline: () => self.navigator.onLine,
    isVisible: () => false,
    onOnlineChange(listener) {
      const online = () => listener(true);
      const offline = () => listener(false);
      self.addEventListener('online', online);
      self.addEventListener('offline', offline);
      return () => {
        self.removeEventListener('online', online);
        self.removeEventListener('offline', offline);
      };
    },
    onVisible: () => () => undefined,
  };
}
