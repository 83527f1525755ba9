/**
 * Sync rule 8: every change, local or pulled, reaches every open tab once. Listeners in this
 * context hear it directly; other contexts hear it through transports (a BroadcastChannel, and
 * the service worker's postMessage once it controls the page). An event can arrive by two
 * transports, so each carries an id and is delivered once.
 */
import type { JobId } from '@/lib/shared/job-schema';
import type { JobListItem } from './replica';

export type ChangeSource = 'local' | 'pull' | 'drain';

export interface JobsChangedEvent {
  readonly type: 'veo-jobs-changed';
  /** A random id: the same event seen twice is delivered once. */
  readonly id: string;
  readonly jobIds: readonly JobId[];
  /** Every job may have changed (clear-all, full resync). */
  readonly all: boolean;
  readonly source: ChangeSource;
  /**
   * Saves that have begun and are not committed yet, as the list shows them (`syncState:
   * 'saving'`). An event for the same job without `saving` follows when the save has committed or
   * failed: read the job again then.
   */
  readonly saving?: readonly JobListItem[];
}

export type JobsChangedListener = (event: JobsChangedEvent) => void;

/** A way to reach other contexts. `subscribe` returns the unsubscribe function. */
export interface ChangeTransport {
  post(event: JobsChangedEvent): void;
  subscribe(listener: (event: JobsChangedEvent) => void): () => void;
  close?(): void;
}

export const BROADCAST_CHANNEL_NAME = 'veo-sync';

/** A BroadcastChannel transport (it never echoes to the sender). */
export function broadcastChannelTransport(
  name: string = BROADCAST_CHANNEL_NAME,
): ChangeTransport | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(name);
  return {
    post: (event) => channel.postMessage(event),
    subscribe(listener) {
      const onMessage = (message: MessageEvent<unknown>) => {
        if (isJobsChangedEvent(message.data)) listener(message.data);
      };
      channel.addEventListener('message', onMessage);
      return () => channel.removeEventListener('message', onMessage);
    },
    close: () => channel.close(),
  };
}

export function isJobsChangedEvent(value: unknown): value is JobsChangedEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'veo-jobs-changed' &&
    typeof (value as { id?: unknown }).id === 'string' &&
    Array.isArray((value as { jobIds?: unknown }).jobIds)
  );
}

export interface ChangeNotifier {
  /** Announces a change here and in every other context. */
  publish(change: {
    jobIds: readonly JobId[];
    all?: boolean;
    source: ChangeSource;
    saving?: readonly JobListItem[];
  }): void;
  subscribe(listener: JobsChangedListener): () => void;
  /** Adds a transport later (the service worker's, once it controls the page). */
  addTransport(transport: ChangeTransport): () => void;
  close(): void;
}

export function createChangeNotifier(transports: readonly ChangeTransport[] = []): ChangeNotifier {
  const listeners = new Set<JobsChangedListener>();
  const seen: string[] = [];
  const seenSet = new Set<string>();
  const active = new Set<ChangeTransport>();
  const unsubscribers = new Map<ChangeTransport, () => void>();

  const deliver = (event: JobsChangedEvent) => {
    if (seenSet.has(event.id)) return;
    seenSet.add(event.id);
    seen.push(event.id);
    if (seen.length > 256) seenSet.delete(seen.shift()!);
    for (const listener of [...listeners]) listener(event);
  };

  const notifier: ChangeNotifier = {
    publish(change) {
      if (change.jobIds.length === 0 && !change.all) return;
      const event: JobsChangedEvent = {
        type: 'veo-jobs-changed',
        id: crypto.randomUUID(),
        jobIds: [...change.jobIds],
        all: change.all ?? false,
        source: change.source,
        ...(change.saving ? { saving: change.saving } : {}),
      };
      deliver(event);
      for (const transport of active) transport.post(event);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    addTransport(transport) {
      active.add(transport);
      unsubscribers.set(transport, transport.subscribe(deliver));
      return () => {
        active.delete(transport);
        unsubscribers.get(transport)?.();
        unsubscribers.delete(transport);
      };
    },
    close() {
      for (const unsubscribe of unsubscribers.values()) unsubscribe();
      for (const transport of active) transport.close?.();
      unsubscribers.clear();
      active.clear();
      listeners.clear();
    },
  };
  for (const transport of transports) notifier.addTransport(transport);
  return notifier;
}
