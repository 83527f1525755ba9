// The Background Sync API (https://wicg.github.io/background-sync/spec/), which TypeScript's
// DOM and webworker libs do not describe yet. Chromium has it; Safari and Firefox do not.

interface SyncManager {
  register(tag: string): Promise<void>;
  getTags(): Promise<string[]>;
}

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  /** The browser will not retry after this attempt. */
  readonly lastChance: boolean;
}

interface ServiceWorkerRegistration {
  /** Absent where Background Sync is not supported. */
  readonly sync: SyncManager;
}

interface ServiceWorkerGlobalScopeEventMap {
  sync: SyncEvent;
}
