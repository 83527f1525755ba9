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

/** The page's (or a worker's) environment, from `navigator.onLine`, window and document events. */
export function platformEnvironment(): SyncEnvironment {
  const target = globalThis as typeof globalThis &
    Partial<Pick<Window, 'addEventListener' | 'removeEventListener'>>;
  const doc = (globalThis as { document?: Document }).document;
  return {
    isOnline: () => (globalThis.navigator as Navigator | undefined)?.onLine ?? true,
    isVisible: () => doc?.visibilityState === 'visible',
    onOnlineChange(listener) {
      const online = () => listener(true);
      const offline = () => listener(false);
      target.addEventListener?.('online', online);
      target.addEventListener?.('offline', offline);
      return () => {
        target.removeEventListener?.('online', online);
        target.removeEventListener?.('offline', offline);
      };
    },
    onVisible(listener) {
      if (!doc) return () => undefined;
      const onChange = () => {
        if (doc.visibilityState === 'visible') listener();
      };
      doc.addEventListener('visibilitychange', onChange);
      target.addEventListener?.('focus', listener);
      return () => {
        doc.removeEventListener('visibilitychange', onChange);
        target.removeEventListener?.('focus', listener);
      };
    },
  };
}
