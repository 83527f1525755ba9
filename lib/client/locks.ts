/**
 * One replayer at a time (sync rule 7): the pages and the service worker take the same Web Lock
 * before draining or pulling. Where the Web Locks API is missing (Safari before 15.4), an
 * in-context mutex still keeps one context from racing itself.
 */

/** The lock every context takes before touching the outbox or pulling. */
export const SYNC_LOCK_NAME = 'veo-sync-outbox';

/** The part of the Web Locks API this code uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/** `navigator.locks` where it exists, otherwise a mutex local to this context. */
export function platformLocks(): LockManagerLike {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks ?? createLocalLocks();
}

/** A mutex per lock name, for one JavaScript context (and for tests of several "tabs"). */
export function createLocalLocks(): LockManagerLike {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async request(name, options, callback) {
      const previous = tails.get(name) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      tails.set(
        name,
        previous.then(() => mine),
      );
      try {
        await previous;
        options.signal?.throwIfAborted();
        return await callback();
      } finally {
        release();
        if (tails.get(name) === mine) tails.delete(name);
      }
    },
  };
}
