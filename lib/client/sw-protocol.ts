/**
 * What the pages and the service worker say to each other. Shared by both sides so that a
 * message is typed where it is sent and checked where it arrives.
 */
import type { JobsChangedEvent } from './notifier';

/** The Background Sync tag the outbox drains under. */
export const SYNC_TAG = 'veo-outbox';

/**
 * Marks the sync engine's own API requests. The service worker lets them through untouched (its
 * offline answers are for other callers: the engine must see the real network).
 */
export const SYNC_REQUEST_HEADER = 'x-veo-sync';

/** On an API answer the service worker made from the device's replica. */
export const SOURCE_HEADER = 'x-veo-source';

/** Worker → pages: a drain or pull changed jobs (also the relay of another page's change). */
export type JobsChangedMessage = JobsChangedEvent;

/** Worker → pages: the worker started or stopped syncing. */
export interface SyncActivityMessage {
  readonly type: 'veo-sync-status';
  readonly syncing: boolean;
}

export type WorkerToPageMessage = JobsChangedMessage | SyncActivityMessage;

/** Page → worker. */
export type PageToWorkerMessage =
  /** Relay this change to every other window. */
  | { readonly type: 'veo-relay'; readonly event: JobsChangedEvent }
  /** Drain now (for browsers without Background Sync). */
  | { readonly type: 'veo-drain' }
  /** The page saw the network come back (for browsers without Background Sync). */
  | { readonly type: 'veo-online' }
  /** Bring every listed job's data onto the device, `first` ones first (a job being opened). */
  | { readonly type: 'veo-replicate'; readonly first: readonly string[] }
  /** workbox-window's messageSkipWaiting(): activate the waiting worker. */
  | { readonly type: 'SKIP_WAITING' };

export function isSyncActivityMessage(value: unknown): value is SyncActivityMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'veo-sync-status'
  );
}

export function isPageToWorkerMessage(value: unknown): value is PageToWorkerMessage {
  const type =
    typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return (
    type === 'veo-relay' ||
    type === 'veo-drain' ||
    type === 'veo-online' ||
    type === 'veo-replicate' ||
    type === 'SKIP_WAITING'
  );
}
