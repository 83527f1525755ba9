/**
 * What the sync engine needs to know about where it runs: is the network up, is anyone looking.
 * Pages and the service worker differ here and nowhere else; tests drive their own.
 */
export interface SyncEnvironment {
  isOnline(): boolean;
  /** Whether a person can see this context (a visible page); false in a service worker. */
  isVisible(): boolean;
  /** Calls back on `online`/`offline`; returns the unsubscribe function. */
  onOnlineChange(listener: (online: boolean) => void): () => void;
  /** Calls back when the page becomes visible or focused again. */
  onVisible(listener: () => void): () => void;
}

// The few members of window and document used here, typed structurally so that this module also
// compiles for the service worker (whose lib has no Window or Document).
interface EventSource {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}
interface PageGlobals {
  navigator?: { onLine?: boolean };
  document?: EventSource & { visibilityState: string };
  addEventListener?: EventSource['addEventListener'];
  removeEventListener?: EventSource['removeEventListener'];
}

/** A page's environment, from `navigator.onLine` and window and document events. */
export function platformEnvironment(): SyncEnvironment {
  const page = globalThis as PageGlobals;
  const doc = page.document;
  return {
    isOnline: () => page.navigator?.onLine ?? true,
    isVisible: () => doc?.visibilityState === 'visible',
    onOnlineChange(listener) {
      const online = () => listener(true);
      const offline = () => listener(false);
      page.addEventListener?.('online', online);
      page.addEventListener?.('offline', offline);
      return () => {
        page.removeEventListener?.('online', online);
        page.removeEventListener?.('offline', offline);
      };
    },
    onVisible(listener) {
      if (!doc) return () => undefined;
      const onChange = () => {
        if (doc.visibilityState === 'visible') listener();
      };
      doc.addEventListener('visibilitychange', onChange);
      page.addEventListener?.('focus', listener);
      return () => {
        doc.removeEventListener('visibilitychange', onChange);
        page.removeEventListener?.('focus', listener);
      };
    },
  };
}
